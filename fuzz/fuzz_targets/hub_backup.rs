//! The two parsers of a `sealhub restore` file on hostile input: `BackupHeader::decode` (the
//! clear header, read before any key derivation) and `Snapshot::decode` (the decrypted
//! contents). No panic; whatever parses encodes back to the same bytes (both layouts are
//! canonical). `backup::open` itself is not run: its Argon2id cost, chosen by the input, would
//! make every execution slow.
//!
//! Input: the first byte picks the parser, the rest is its input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sealhub::backup::{BackupHeader, Snapshot, file::HEADER_LEN};

fuzz_target!(|input: &[u8]| {
    let Some((&which, bytes)) = input.split_first() else {
        return;
    };
    if which & 1 == 0 {
        if let Ok(header) = BackupHeader::decode(bytes) {
            assert_eq!(&header.encode()[..], &bytes[..HEADER_LEN]);
        }
    } else if let Ok(snapshot) = Snapshot::decode(bytes) {
        assert_eq!(&snapshot.encode()[..], bytes);
    }
});
