//! Z-Wave S0/S2 primitives against published vectors (RFC 4493, RFC 3610, NIST SP 800-38A,
//! NIST CAVP CTR_DRBG, Wycheproof, zwave-js) and an independent recomputation for the
//! compositions that have none (tests/vectors/zwave-crosscheck.py).

use std::collections::HashMap;

use sealhub_radios::zwave::security::{
    Error, Key128, ccm, cmac, drbg::CtrDrbg, kdf, s0, span::Span, x25519::PrivateKey,
};
use serde_json::Value;

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

fn a16(s: &str) -> [u8; 16] {
    h(s).try_into().unwrap()
}

fn a32(s: &str) -> [u8; 32] {
    h(s).try_into().unwrap()
}

fn key(s: &str) -> Key128 {
    Key128::from_slice(&h(s)).unwrap()
}

fn wycheproof(name: &str) -> Value {
    let path = format!(
        "{}/tests/vectors/wycheproof/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn tests_of(v: &Value) -> impl Iterator<Item = (&Value, &Value)> {
    v["testGroups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["tests"].as_array().unwrap().iter().map(move |t| (g, t)))
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap()
}

#[test]
fn cmac_rfc4493_vectors_from_zwave_js() {
    let k = key("2b7e151628aed2a6abf7158809cf4f3c");
    let cases = [
        ("", "bb1d6929e95937287fa37d129b756746"),
        (
            "6bc1bee22e409f96e93d7e117393172a",
            "070a16b46b4d4144f79bdd9dd04a287c",
        ),
        (
            "6bc1bee22e409f96e93d7e117393172aae2d8a57",
            "7d85449ea6ea19c823a7bf78837dfade",
        ),
        (
            "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51\
             30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710",
            "51f0bebf7e3b9d92fc49741779363cfe",
        ),
    ];
    for (msg, tag) in cases {
        assert_eq!(cmac::aes_cmac(&k, &h(msg)).to_vec(), h(tag), "{msg}");
    }
    assert_eq!(cases.len(), 4);
}

#[test]
fn cmac_wycheproof_16_byte_keys() {
    let v = wycheproof("aes_cmac_test.json");
    let (mut valid, mut invalid, mut other_keys) = (0, 0, 0);
    for (g, t) in tests_of(&v) {
        let Ok(k) = Key128::from_slice(&h(s(&t["key"]))) else {
            // AES-192/256 and malformed key sizes: not AES-128, refused at the key.
            assert_ne!(g["keySize"], 128);
            other_keys += 1;
            continue;
        };
        let (msg, tag) = (h(s(&t["msg"])), h(s(&t["tag"])));
        let ok = cmac::verify(&k, &msg, &tag);
        match s(&t["result"]) {
            "valid" => {
                assert!(ok, "tcId {}", t["tcId"]);
                assert_eq!(cmac::aes_cmac(&k, &msg)[..tag.len()], tag[..]);
                valid += 1;
            }
            _ => {
                assert!(!ok, "tcId {} accepted", t["tcId"]);
                invalid += 1;
            }
        }
    }
    assert_eq!((valid, invalid, other_keys), (21, 81, 209));
}

#[test]
fn ccm_rfc3610_packet_vector_1_has_the_s2_shape() {
    // RFC 3610 §8 Packet Vector #1: 13-byte nonce, 8-byte tag, 8-byte header as AAD
    // (recomputed with Python cryptography 48.0.0).
    let k = key("c0c1c2c3c4c5c6c7c8c9cacbcccdcecf");
    let nonce: [u8; 13] = h("00000003020100a0a1a2a3a4a5").try_into().unwrap();
    let aad = h("0001020304050607");
    let msg = h("08090a0b0c0d0e0f101112131415161718191a1b1c1d1e");
    let sealed = h("588c979a61c663d2f066d0c2c0f989806d5f6b61dac38417e8d12cfdf926e0");
    assert_eq!(ccm::encrypt(&k, &nonce, &aad, &msg).unwrap(), sealed);
    assert_eq!(ccm::decrypt(&k, &nonce, &aad, &sealed).unwrap(), msg);
    let mut forged = sealed.clone();
    forged[0] ^= 1;
    assert_eq!(
        ccm::decrypt(&k, &nonce, &aad, &forged),
        Err(Error::AuthenticationFailed)
    );
    assert_eq!(
        ccm::decrypt(&k, &nonce, b"other", &sealed),
        Err(Error::AuthenticationFailed)
    );
    assert_eq!(
        ccm::decrypt(&k, &nonce, &aad, &sealed[..5]),
        Err(Error::AuthenticationFailed)
    );
}

#[test]
fn ccm_wycheproof_aes128_all_groups() {
    let v = wycheproof("aes_ccm_test.json");
    let mut counts: HashMap<&str, usize> = HashMap::new();
    let mut s2_nonce = 0;
    let mut s2_tag = 0;
    for (g, t) in tests_of(&v) {
        if g["keySize"] != 128 {
            continue;
        }
        let k = key(s(&t["key"]));
        let (iv, aad, msg) = (h(s(&t["iv"])), h(s(&t["aad"])), h(s(&t["msg"])));
        let mut sealed = h(s(&t["ct"]));
        let tag = h(s(&t["tag"]));
        let tag_len = g["tagSize"].as_u64().unwrap() as usize / 8;
        sealed.extend_from_slice(&tag);
        let opened = ccm::decrypt_with(&k, &iv, &aad, &sealed, tag_len);
        match s(&t["result"]) {
            "valid" => {
                assert_eq!(opened.as_deref(), Ok(&msg[..]), "tcId {}", t["tcId"]);
                let again = ccm::encrypt_with(&k, &iv, &aad, &msg, tag_len).unwrap();
                assert_eq!(again, sealed, "tcId {}", t["tcId"]);
                s2_nonce += usize::from(iv.len() == 13);
                s2_tag += usize::from(tag_len == 8);
                *counts.entry("valid").or_default() += 1;
            }
            _ => match opened {
                Err(Error::CcmParameters { .. }) => {
                    *counts.entry("refused parameters").or_default() += 1
                }
                Err(Error::AuthenticationFailed) => *counts.entry("refused tag").or_default() += 1,
                other => panic!("tcId {} accepted: {other:?}", t["tcId"]),
            },
        }
    }
    let total: usize = counts.values().sum();
    assert_eq!(total, 184, "{counts:?}");
    assert_eq!(counts["valid"], 135, "{counts:?}");
    assert_eq!(counts["refused parameters"], 22, "{counts:?}");
    assert_eq!(counts["refused tag"], 27, "{counts:?}");
    // No Wycheproof group has both S2 sizes; these cover each size separately.
    assert_eq!((s2_nonce, s2_tag), (6, 8));
}

#[test]
fn ctr_drbg_every_nist_count() {
    let path = format!("{}/tests/vectors/ctr_drbg.txt", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).unwrap();
    let mut checked = 0;
    for block in text.split("COUNT = ").skip(1) {
        let mut fields: HashMap<&str, Vec<&str>> = HashMap::new();
        for line in block.lines().skip(1) {
            if let Some((k, v)) = line
                .split_once(" = ")
                .or_else(|| line.strip_suffix(" =").map(|k| (k, "")))
            {
                fields.entry(k.trim()).or_default().push(v.trim());
            }
        }
        let get = |k: &str, i: usize| h(fields[k][i]);
        let opt =
            |v: Vec<u8>| -> Option<[u8; 32]> { (!v.is_empty()).then(|| v.try_into().unwrap()) };
        let entropy: [u8; 32] = get("EntropyInput", 0).try_into().unwrap();
        let mut drbg = CtrDrbg::new(&entropy, opt(get("PersonalizationString", 0)).as_ref());
        let reseed: [u8; 32] = get("EntropyInputReseed", 0).try_into().unwrap();
        drbg.reseed(&reseed, opt(get("AdditionalInputReseed", 0)).as_ref());
        let expected = get("ReturnedBits", 0);
        let mut out = vec![0u8; expected.len()];
        drbg.generate(&mut out, opt(get("AdditionalInput", 0)).as_ref())
            .unwrap();
        drbg.generate(&mut out, opt(get("AdditionalInput", 1)).as_ref())
            .unwrap();
        assert_eq!(out, expected, "COUNT {}", block.lines().next().unwrap());
        checked += 1;
    }
    assert_eq!(checked, 60);
}

#[test]
fn s0_mac_vectors_from_zwave_js() {
    let cases = [
        (
            "2b7e151628aed2a6abf7158809cf4f3c",
            "000102030405060708090a0b0c0d0e0f",
            "6bc1bee22e409f96e93d7e117393172a",
            "7649abac8119b246",
        ),
        (
            "c5fe1ca17d36c992731a0c0c468c1ef9",
            "00000000000000000000000000000000",
            "ddd360c382a437514392826cbba0b3128114010cf3fb762d6e82126681c18597",
            "2bc20a8aa9bbb371",
        ),
    ];
    for (k, iv, data, mac) in cases {
        assert_eq!(s0::cbc_mac(&key(k), &a16(iv), &h(data)).to_vec(), h(mac));
    }
    assert_eq!(cases.len(), 2);
}

#[test]
fn s0_ofb_nist_sp800_38a_f41() {
    let k = key("2b7e151628aed2a6abf7158809cf4f3c");
    let iv = a16("000102030405060708090a0b0c0d0e0f");
    let plain = h("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51");
    let cipher = h("3b3fd92eb72dad20333449f8e83cfb4a7789508d16918f03f53c52dac54ed825");
    assert_eq!(s0::ofb(&k, &iv, &plain), cipher);
    assert_eq!(s0::ofb(&k, &iv, &cipher), plain);
    // A partial last block uses a prefix of the keystream.
    assert_eq!(s0::ofb(&k, &iv, &plain[..20]), cipher[..20]);
}

fn crosscheck() -> HashMap<String, Vec<u8>> {
    let path = format!(
        "{}/tests/vectors/zwave-crosscheck.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once(" = "))
        .map(|(k, v)| (k.to_string(), h(v)))
        .collect()
}

#[test]
fn s0_keys_and_s2_ckdf_span_match_the_independent_recomputation() {
    let x = crosscheck();
    let mut checked = 0;
    let mut eq = |name: &str, got: &[u8]| {
        assert_eq!(got, &x[name][..], "{name}");
        checked += 1;
    };
    let shared: [u8; 32] = core::array::from_fn(|i| i as u8);
    let pub_a: [u8; 32] = core::array::from_fn(|i| 32 + i as u8);
    let pub_b: [u8; 32] = core::array::from_fn(|i| 64 + i as u8);
    let prk = kdf::compute_prk(&shared, &pub_a, &pub_b);
    eq("prk", prk.as_bytes());
    let temp = kdf::derive_temp_keys(&prk);
    eq("temp_ccm", temp.ccm.as_bytes());
    eq("temp_personalization", &temp.personalization.0);
    let pnk = Key128::new(core::array::from_fn(|i| i as u8));
    let net = kdf::derive_network_keys(&pnk);
    eq("network_ccm", net.ccm.as_bytes());
    eq("network_personalization", &net.personalization.0);
    eq("network_mpan", net.mpan.as_bytes());
    let (sender, receiver) = ([0x11; 16], [0x22; 16]);
    let nonce_prk = kdf::compute_nonce_prk(&sender, &receiver);
    eq("nonce_prk", nonce_prk.as_bytes());
    eq("mei", &kdf::derive_mei(&nonce_prk).0);
    let mut span = Span::new(&sender, &receiver, &net.personalization);
    let mut peer = Span::new(&sender, &receiver, &net.personalization);
    for i in 0..3 {
        let nonce = span.next_nonce().unwrap();
        assert_eq!(peer.next_nonce().unwrap(), nonce, "both sides in step");
        eq(&format!("span_nonce_{i}"), &nonce);
    }
    let s0_keys = s0::S0Keys::derive(&pnk);
    eq("s0_auth", s0_keys.auth.as_bytes());
    eq("s0_enc", s0_keys.enc.as_bytes());
    let nonce: [u8; 13] = core::array::from_fn(|i| i as u8);
    let sealed = ccm::encrypt(&net.ccm, &nonce, &h("0102c0ffee"), b"Z-Wave S2 payload").unwrap();
    eq("s2_ccm_sealed", &sealed);
    assert_eq!(checked, 14);
    assert_eq!(x.len(), 14, "every line of zwave-crosscheck.txt");
}

#[test]
fn x25519_wycheproof_through_the_wrapper() {
    let v = wycheproof("x25519_test.json");
    let (mut matched, mut refused_zero) = (0, 0);
    for (_, t) in tests_of(&v) {
        let secret = PrivateKey::from_bytes(a32(s(&t["private"])));
        let shared = h(s(&t["shared"]));
        let result = secret.diffie_hellman(&a32(s(&t["public"])));
        if shared.iter().all(|b| *b == 0) {
            assert_eq!(result, Err(Error::NonContributory), "tcId {}", t["tcId"]);
            refused_zero += 1;
        } else {
            assert_eq!(result.unwrap().0.to_vec(), shared, "tcId {}", t["tcId"]);
            matched += 1;
        }
    }
    assert_eq!((matched, refused_zero), (487, 31));
    // RFC 7748 §6.1: Alice's public key from her private key, through the wrapper.
    let alice = PrivateKey::from_bytes(a32(
        "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
    ));
    assert_eq!(
        alice.public_key().to_vec(),
        h("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
    );
}
