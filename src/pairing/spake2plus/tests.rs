//! SPAKE2+ against RFC 9383 Appendix C (P256-SHA256-HKDF-SHA256-HMAC-SHA256), every
//! intermediate from both sides, read from `tests/vectors/spake2plus.md` (its notes give the
//! sources and how each value was cross-checked), and the refusals of bad shares and MACs.

use super::*;

const VECTORS: &str = include_str!("../../../tests/vectors/spake2plus.md");

/// The hex in the code block under `## {name}` of the vector file.
fn vector(name: &str) -> Vec<u8> {
    let heading = format!("\n## {name}\n");
    let start = VECTORS
        .find(&heading)
        .unwrap_or_else(|| panic!("no section {name}"))
        + heading.len();
    let section = &VECTORS[start..];
    let open = section.find("```\n").expect("code block") + 4;
    let close = section[open..].find("```").expect("block end") + open;
    hex::decode(section[open..close].trim()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn scalar(name: &str) -> GroupScalar {
    let bytes: [u8; 32] = vector(name).try_into().expect("32 bytes");
    GroupScalar::from_canonical(&bytes).expect("canonical scalar")
}

struct Inputs {
    context: Vec<u8>,
    prover: Vec<u8>,
    verifier: Vec<u8>,
}

impl Inputs {
    fn load() -> Self {
        Self {
            context: vector("Context"),
            prover: vector("idProver"),
            verifier: vector("idVerifier"),
        }
    }

    fn ids(&self) -> Identities<'_> {
        Identities {
            context: &self.context,
            prover: &self.prover,
            verifier: &self.verifier,
        }
    }
}

#[test]
fn m_and_n_are_the_rfc_points() {
    assert_eq!(
        m().to_uncompressed().expect("M").to_vec(),
        vector("M (P-256)")
    );
    assert_eq!(
        n().to_uncompressed().expect("N").to_vec(),
        vector("N (P-256)")
    );
    assert!(VECTORS.contains(&hex::encode(M_COMPRESSED)));
    assert!(VECTORS.contains(&hex::encode(N_COMPRESSED)));
}

/// RFC 9383 §C: L = w1·P.
#[test]
fn l_is_w1_times_p() {
    let l = GroupPoint::mul_generator(&scalar("w1"));
    assert_eq!(l.to_uncompressed().expect("L").to_vec(), vector("L"));
}

/// Every intermediate value, computed by the prover's and by the verifier's own formulas.
#[test]
fn every_intermediate_matches_the_rfc_from_both_sides() {
    let inputs = Inputs::load();
    let (w0, w1, x, y) = (scalar("w0"), scalar("w1"), scalar("x"), scalar("y"));
    let l = GroupPoint::from_sec1(&vector("L")).expect("L");

    let share_p = GroupPoint::mul_generator(&x).add(&m().mul(&w0));
    let share_v = GroupPoint::mul_generator(&y).add(&n().mul(&w0));
    assert_eq!(
        share_p.to_uncompressed().expect("X").to_vec(),
        vector("shareP")
    );
    assert_eq!(
        share_v.to_uncompressed().expect("Y").to_vec(),
        vector("shareV")
    );

    let (z_p, v_p) = prover_points(&x, &w0, &w1, &share_v);
    let (z_v, v_v) = verifier_points(&y, &w0, &l, &share_p);
    for (who, z, v) in [("prover", &z_p, &v_p), ("verifier", &z_v, &v_v)] {
        assert_eq!(
            z.to_uncompressed().expect("Z").to_vec(),
            vector("Z"),
            "{who} Z"
        );
        assert_eq!(
            v.to_uncompressed().expect("V").to_vec(),
            vector("V"),
            "{who} V"
        );
    }

    let head = transcript_head(&inputs.ids(), &vector("shareP"), &vector("shareV")).expect("head");
    let tt = transcript(&head, &z_p, &v_p, &w0).expect("TT");
    assert_eq!(tt.as_slice(), vector("TT").as_slice(), "TT");
    let keys = KeySchedule::from_transcript(&tt).expect("keys");
    assert_eq!(keys.main.to_vec(), vector("K_main"));
    assert_eq!(keys.confirm_p_key(), vector("K_confirmP").as_slice());
    assert_eq!(keys.confirm_v_key(), vector("K_confirmV").as_slice());
    assert_eq!(keys.shared_key().as_bytes().to_vec(), vector("K_shared"));
    assert_eq!(
        hmac_sha256(keys.confirm_p_key(), &vector("shareV")).to_vec(),
        vector("confirmP")
    );
    assert_eq!(
        hmac_sha256(keys.confirm_v_key(), &vector("shareP")).to_vec(),
        vector("confirmV")
    );
}

/// The typestate API, driven with the vector's x and y, sends and accepts exactly the RFC's
/// messages and ends with the RFC's K_shared on both sides.
#[test]
fn typestate_run_reproduces_the_rfc_messages_and_key() {
    let inputs = Inputs::load();
    let (w0, w1) = (scalar("w0"), scalar("w1"));
    let l = GroupPoint::from_sec1(&vector("L")).expect("L");

    let (prover, share_p) =
        Prover::start_with(scalar("x"), &w0, &w1, &inputs.ids()).expect("prover starts");
    assert_eq!(share_p.to_vec(), vector("shareP"));

    let (verifier, share_v, confirm_v) =
        Verifier::respond_with(scalar("y"), &w0, &l, &inputs.ids(), &share_p).expect("responds");
    assert_eq!(share_v.to_vec(), vector("shareV"));
    assert_eq!(confirm_v.to_vec(), vector("confirmV"));

    let (confirm_p, prover_key) = prover.finish(&share_v, &confirm_v).expect("confirmV ok");
    assert_eq!(confirm_p.to_vec(), vector("confirmP"));
    assert_eq!(prover_key.as_bytes().to_vec(), vector("K_shared"));

    let verifier_key = verifier.finish(&confirm_p).expect("confirmP ok");
    assert_eq!(verifier_key.as_bytes().to_vec(), vector("K_shared"));
}

/// The prover refuses the RFC's confirmV when anything in its view differs: a flipped bit of
/// the MAC, a substituted shareV, or another Context.
#[test]
fn prover_refuses_a_tampered_confirmation_share_or_context() {
    let inputs = Inputs::load();
    let (w0, w1) = (scalar("w0"), scalar("w1"));
    let share_v = vector("shareV");
    let confirm_v = vector("confirmV");
    let start = |ids: &Identities<'_>| {
        Prover::start_with(scalar("x"), &w0, &w1, ids)
            .expect("start")
            .0
    };

    let mut bad_mac = confirm_v.clone();
    bad_mac[0] ^= 0x80;
    assert!(matches!(
        start(&inputs.ids()).finish(&share_v, &bad_mac),
        Err(Error::ConfirmationFailed)
    ));
    assert!(matches!(
        start(&inputs.ids()).finish(&share_v, &confirm_v[..31]),
        Err(Error::ConfirmationFailed)
    ));
    // A relay's own share (valid point, but not the verifier's).
    let other = GroupPoint::mul_generator(&GroupScalar::random().expect("rng"))
        .to_uncompressed()
        .expect("point");
    assert!(matches!(
        start(&inputs.ids()).finish(&other, &confirm_v),
        Err(Error::ConfirmationFailed)
    ));
    let other_context = Identities {
        context: b"another protocol",
        ..inputs.ids()
    };
    assert!(matches!(
        start(&other_context).finish(&share_v, &confirm_v),
        Err(Error::ConfirmationFailed)
    ));
}

/// The verifier refuses confirmP when it is not the prover's, or when it is the right MAC
/// over a substituted share.
#[test]
fn verifier_refuses_a_wrong_confirmation() {
    let inputs = Inputs::load();
    let w0 = scalar("w0");
    let l = GroupPoint::from_sec1(&vector("L")).expect("L");
    let respond = || {
        Verifier::respond_with(scalar("y"), &w0, &l, &inputs.ids(), &vector("shareP"))
            .expect("respond")
            .0
    };
    let mut bad = vector("confirmP");
    bad[31] ^= 1;
    assert!(matches!(
        respond().finish(&bad),
        Err(Error::ConfirmationFailed)
    ));
    assert!(matches!(
        respond().finish(&[]),
        Err(Error::ConfirmationFailed)
    ));
    // confirmV is not confirmP: the two directions use different keys.
    assert!(matches!(
        respond().finish(&vector("confirmV")),
        Err(Error::ConfirmationFailed)
    ));
    respond()
        .finish(&vector("confirmP"))
        .expect("the real one passes");
}

/// Shares that are not group elements, are compressed, are the identity, or cancel the mask
/// (w0·M from a prover, w0·N from a verifier) are refused before any key is derived.
#[test]
fn invalid_and_degenerate_shares_are_refused() {
    let inputs = Inputs::load();
    let (w0, w1) = (scalar("w0"), scalar("w1"));
    let l = GroupPoint::from_sec1(&vector("L")).expect("L");
    let share_p = vector("shareP");

    let mut off_curve = share_p.clone();
    off_curve[64] ^= 1;
    let compressed = {
        let mut c = vec![0x02 | (share_p[64] & 1)];
        c.extend_from_slice(&share_p[1..33]);
        c
    };
    let mask_m = m().mul(&w0).to_uncompressed().expect("w0·M");
    for (what, bad) in [
        ("off curve", off_curve.clone()),
        ("compressed", compressed.clone()),
        ("identity", vec![0x00]),
        ("truncated", share_p[..64].to_vec()),
        ("empty", vec![]),
        ("mask", mask_m.to_vec()),
    ] {
        assert!(
            matches!(
                Verifier::respond(&w0, &l, &inputs.ids(), &bad),
                Err(Error::InvalidShare)
            ),
            "verifier accepted a {what} shareP"
        );
    }

    let mask_n = n().mul(&w0).to_uncompressed().expect("w0·N");
    let confirm_v = vector("confirmV");
    for (what, bad) in [
        ("off curve", off_curve),
        ("compressed", compressed),
        ("identity", vec![0x00]),
        ("mask", mask_n.to_vec()),
    ] {
        let (prover, _) = Prover::start(&w0, &w1, &inputs.ids()).expect("start");
        assert!(
            matches!(prover.finish(&bad, &confirm_v), Err(Error::InvalidShare)),
            "prover accepted a {what} shareV"
        );
    }
}

/// With fresh randomness the two sides agree with each other, and a different w0/w1 (a wrong
/// code) fails at the prover's check of confirmV.
#[test]
fn random_runs_agree_and_a_wrong_password_fails() {
    let inputs = Inputs::load();
    let (w0, w1) = (scalar("w0"), scalar("w1"));
    let l = GroupPoint::mul_generator(&w1);
    let (prover, share_p) = Prover::start(&w0, &w1, &inputs.ids()).expect("start");
    let (verifier, share_v, confirm_v) =
        Verifier::respond(&w0, &l, &inputs.ids(), &share_p).expect("respond");
    let (confirm_p, a) = prover.finish(&share_v, &confirm_v).expect("finish");
    let b = verifier.finish(&confirm_p).expect("confirm");
    assert_eq!(a.as_bytes(), b.as_bytes());

    let wrong_w0 = GroupScalar::random().expect("rng");
    let wrong_w1 = GroupScalar::random().expect("rng");
    let (prover, share_p) = Prover::start(&wrong_w0, &wrong_w1, &inputs.ids()).expect("start");
    let (_, share_v, confirm_v) =
        Verifier::respond(&w0, &l, &inputs.ids(), &share_p).expect("respond");
    assert!(matches!(
        prover.finish(&share_v, &confirm_v),
        Err(Error::ConfirmationFailed)
    ));
}
