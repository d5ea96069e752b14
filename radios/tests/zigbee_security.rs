//! Install codes and the AES-MMO link key, against the Zigbee specification's example and the
//! vectors of every code length in `tests/vectors/install-codes.md` (zigpy, zsmartsystems, zbtk,
//! zigbee-herdsman).

use sealhub_radios::zigbee::security::{Error, InstallCode, crc16_x25};

#[test]
fn spec_install_code_gives_the_published_link_key() {
    // Install code 83FED3407A939723A5C639B26916D505, CRC 0xB5C3 sent LSB first (C3 B5).
    let code = hex::decode("83FED3407A939723A5C639B26916D505C3B5").unwrap();
    assert_eq!(crc16_x25(&code[..16]), 0xB5C3);
    let ic = InstallCode::new(&code).unwrap();
    assert_eq!(
        ic.link_key().0.to_vec(),
        hex::decode("66B6900981E1EE3CA4206B6B861C02BB").unwrap()
    );
    assert_eq!(format!("{:?}", ic.link_key()), "LinkKey(..)");
}

#[test]
fn crc_x25_check_value() {
    // The CRC catalogue's check value for CRC-16/IBM-SDLC over "123456789".
    assert_eq!(crc16_x25(b"123456789"), 0x906E);
}

#[test]
fn bad_lengths_and_crcs_are_refused() {
    let mut code = hex::decode("83FED3407A939723A5C639B26916D505C3B5").unwrap();
    code[0] ^= 1;
    assert!(matches!(
        InstallCode::new(&code),
        Err(Error::Crc { found: 0xB5C3, .. })
    ));
    for len in [0, 1, 2, 7, 9, 11, 20] {
        assert_eq!(InstallCode::new(&vec![0; len]), Err(Error::Length(len)));
    }
    // Every allowed length works with a correct CRC.
    for n in [6, 8, 12, 16] {
        let mut c = vec![0x5A; n];
        c.extend(crc16_x25(&c).to_le_bytes());
        assert!(InstallCode::new(&c).is_ok());
    }
}

#[test]
fn every_code_length_hashes_to_a_distinct_key() {
    // With CRC: 8, 10, 14 and 18 bytes; 14 and 18 push the length field into a second block.
    let keys: Vec<_> = [6, 8, 12, 16]
        .into_iter()
        .map(|n| {
            let mut c = vec![0u8; n];
            c.extend(crc16_x25(&c).to_le_bytes());
            InstallCode::new(&c).unwrap().link_key()
        })
        .collect();
    for (i, a) in keys.iter().enumerate() {
        for b in &keys[i + 1..] {
            assert_ne!(a, b);
        }
    }
}

/// The rows of `tests/vectors/install-codes.md`: (code length, code + CRC, link key).
fn install_code_vectors() -> Vec<(usize, Vec<u8>, Vec<u8>)> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/vectors/install-codes.md"
    );
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let length: usize = cells.get(1)?.parse().ok()?;
            let strip = |c: &str| hex::decode(c.trim_matches('`')).unwrap();
            Some((length, strip(cells[2]), strip(cells[3])))
        })
        .collect()
}

#[test]
fn install_codes_of_every_length_give_the_recorded_link_keys() {
    let vectors = install_code_vectors();
    for n in [6, 8, 12, 16] {
        assert!(
            vectors.iter().any(|(len, ..)| *len == n),
            "no {n}-byte vector"
        );
    }
    for (len, code, key) in &vectors {
        assert_eq!(code.len(), len + 2, "{}", hex::encode(code));
        let (body, crc) = code.split_at(*len);
        assert_eq!(
            crc16_x25(body).to_le_bytes(),
            crc,
            "CRC of {}",
            hex::encode(body)
        );
        let ic = InstallCode::new(code).unwrap();
        assert_eq!(&ic.link_key().0[..], &key[..], "{}", hex::encode(code));
    }
}

#[test]
fn install_codes_of_every_length_with_a_wrong_crc_are_refused() {
    for (len, code, _) in install_code_vectors() {
        // A changed CRC byte, and a changed code byte under the original CRC.
        for at in [len, len + 1, 0, len - 1] {
            let mut bad = code.clone();
            bad[at] ^= 0x01;
            let found = u16::from_le_bytes([bad[len], bad[len + 1]]);
            match InstallCode::new(&bad) {
                Err(Error::Crc { found: f, computed }) => {
                    assert_eq!(f, found);
                    assert_eq!(computed, crc16_x25(&bad[..len]));
                    assert_ne!(computed, found);
                }
                other => panic!(
                    "{} accepted or refused otherwise: {other:?}",
                    hex::encode(&bad)
                ),
            }
        }
        // Without its CRC: a length no install code has, or (8 bytes) a 6-byte code whose
        // last two bytes are not its CRC.
        match InstallCode::new(&code[..len]) {
            Err(Error::Length(n)) => assert_eq!(n, len),
            Err(Error::Crc { .. }) => assert_eq!(len, 8),
            other => panic!("{len}-byte code without CRC: {other:?}"),
        }
    }
}
