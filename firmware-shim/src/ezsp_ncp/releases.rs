//! Which EmberZNet release speaks which EZSP protocol version, so the emulated NCP reports the
//! firmware a real stick speaking its protocol would have (`version`'s `stackVersion` and
//! `getValue(VERSION_INFO)`), whatever protocol it is told to speak.
//!
//! Silicon Labs keeps no consolidated list; these pairs are public facts collected by the host
//! stacks' maintainers as each release came out:
//! - 8: EmberZNet 6.7.0 (it added EZSP v8; the Tasmota and bellows READMEs on EZSP versions).
//! - 9: 7.1.0 (Gecko SDK 4.1; bellows PR 462 "Add EmberZnet 7.1.0 - Protocol v9").
//! - 10: 7.2.0 (Gecko SDK 4.2's `ezsp-protocol.h`; bellows issue 528).
//! - 11: 7.2.2 (its release notes: "required updating the EZSP_PROTOCOL_VERSION to 0x0B";
//!   bellows issue 535).
//! - 13: 7.4.0 (Gecko SDK 4.4; bellows issue 601).
//! - 14: 8.0.x (Simplicity SDK 2024.6; bellows issue 632); 8.0.2 here, the 8.0 release
//!   zigbee-herdsman recommended (bellows issue 662).
//! - 16: 8.1.0 (Simplicity SDK 2024.12; protocol 15 was skipped; bellows issue 662).
//! - 17: 8.2.0 (Simplicity SDK 2025.6.0; bellows issue 685, zigbee-herdsman PR 1428).
//! - 18: 8.2.2 (Simplicity SDK 2025.6.2; bellows issue 703).
//!
//! A protocol with no release here (12, 15, 19, or older than 8) reports the newest release of
//! an older protocol: a stand-in, not a recorded pairing.

/// An EmberZNet release: major, minor, patch (the special digit is 0 in every GA release here).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Release {
    /// Major version.
    pub major: u8,
    /// Minor version.
    pub minor: u8,
    /// Patch version.
    pub patch: u8,
}

impl Release {
    /// As `version` and `getValue(VERSION_INFO)` carry it: one nibble per digit (major, minor,
    /// patch, special), so 8.0.2 is 0x8020.
    pub fn stack_version(self) -> u16 {
        u16::from(self.major & 0x0F) << 12
            | u16::from(self.minor & 0x0F) << 8
            | u16::from(self.patch & 0x0F) << 4
    }
}

const fn release(major: u8, minor: u8, patch: u8) -> Release {
    Release {
        major,
        minor,
        patch,
    }
}

/// Protocol version and the release that speaks it, oldest first.
const RELEASES: [(u8, Release); 9] = [
    (8, release(6, 7, 0)),
    (9, release(7, 1, 0)),
    (10, release(7, 2, 0)),
    (11, release(7, 2, 2)),
    (13, release(7, 4, 0)),
    (14, release(8, 0, 2)),
    (16, release(8, 1, 0)),
    (17, release(8, 2, 0)),
    (18, release(8, 2, 2)),
];

/// The release known to speak `protocol`, if there is one in the table.
pub fn speaking(protocol: u8) -> Option<Release> {
    RELEASES
        .iter()
        .find(|(p, _)| *p == protocol)
        .map(|(_, r)| *r)
}

/// The release a stick speaking `protocol` reports: the one that speaks it, or else the newest
/// release of an older protocol (the oldest in the table for a protocol older than all).
pub fn reported_for(protocol: u8) -> Release {
    speaking(protocol).unwrap_or_else(|| {
        RELEASES
            .iter()
            .rev()
            .find(|(p, _)| *p < protocol)
            .or(RELEASES.first())
            .map_or(release(6, 7, 0), |(_, r)| *r)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_protocol_reports_the_release_that_speaks_it() {
        let digits = |p: u8| reported_for(p).stack_version();
        assert_eq!(digits(13), 0x7400);
        assert_eq!(digits(14), 0x8020);
        assert_eq!(digits(16), 0x8100);
        assert_eq!(digits(17), 0x8200);
        assert_eq!(digits(18), 0x8220);
        assert_eq!(digits(11), 0x7220);
        // No release speaks 15 (skipped) or 19 (none recorded): the newest older one stands in.
        assert_eq!(speaking(15), None);
        assert_eq!(digits(15), 0x8020);
        assert_eq!(digits(19), 0x8220);
        assert_eq!(digits(12), 0x7220);
        assert_eq!(digits(4), 0x6700);
    }

    #[test]
    fn newer_protocols_never_report_older_releases() {
        let mut last = 0;
        for protocol in 0..=u8::MAX {
            let v = reported_for(protocol).stack_version();
            assert!(v >= last, "protocol {protocol}: {v:#06x} < {last:#06x}");
            last = v;
        }
    }
}
