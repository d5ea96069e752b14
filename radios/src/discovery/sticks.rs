//! The USB radio sticks sealhub knows, by the USB vendor and product id their serial bridge
//! reports, and which protocols may answer behind each id. Discovery writes only to devices
//! whose ids are in [`KNOWN_STICKS`]; everything else is left alone.
//!
//! Several sticks share an id because the id is the USB-serial bridge's, not the radio's
//! (10c4:ea60 is every Silicon Labs CP210x), so an entry lists the protocols to try, in order,
//! and probing decides.

/// A protocol a stick may speak on its serial port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// Silicon Labs EmberZNet: EZSP over ASH (a Zigbee coordinator).
    Ezsp,
    /// The Z-Wave Serial API (a Z-Wave controller).
    ZwaveSerialApi,
}

impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Protocol::Ezsp => "EZSP (Zigbee)",
            Protocol::ZwaveSerialApi => "Z-Wave Serial API",
        })
    }
}

/// One USB id sealhub recognises, and what it may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownStick {
    /// USB vendor id (`idVendor` in sysfs).
    pub vendor_id: u16,
    /// USB product id (`idProduct` in sysfs).
    pub product_id: u16,
    /// The sticks known to use this id, for logs and `sealhub doctor`.
    pub sticks: &'static str,
    /// The protocols to probe, most likely first.
    pub probe_order: &'static [Protocol],
    /// Sticks with this id that speak something sealhub does not (so a silent one is
    /// explained).
    pub unsupported: &'static str,
}

/// The known sticks. Sources of the ids:
/// - 1a86:55d4, Sonoff ZBDongle-E (WCH CH9102 bridge): zigbee-herdsman
///   `test/mockAdapters.ts` (`EMBER_ZBDONGLE_E`) and Home Assistant
///   `homeassistant/components/zha/manifest.json` ("sonoff zigbee dongle plus v2").
/// - 10c4:ea60, Home Assistant SkyConnect / Connect ZBT-1 (EZSP) and Sonoff ZBDongle-P (TI
///   Z-Stack, ZNP): zigbee-herdsman `test/mockAdapters.ts` (`EMBER_SKYCONNECT`,
///   `ZSTACK_ZBDONGLE_P`, with the note that the id "conflicts with all 10c4:ea60"); Zooz
///   ZST10 700 (Z-Wave) sits on the same CP210x bridge.
/// - 0658:0200, Sigma Designs / Silicon Labs Z-Wave USB CDC (Aeotec Z-Stick Gen5+ and 7,
///   Z-Wave.Me UZB, Silicon Labs UZB-7): Home Assistant
///   `homeassistant/components/zwave_js/manifest.json`.
///
/// `packaging/udev/60-sealhub.rules` lists the same ids (a test keeps the two in step).
pub const KNOWN_STICKS: &[KnownStick] = &[
    KnownStick {
        vendor_id: 0x1a86,
        product_id: 0x55d4,
        sticks: "Sonoff ZBDongle-E (CH9102)",
        probe_order: &[Protocol::Ezsp, Protocol::ZwaveSerialApi],
        unsupported: "",
    },
    KnownStick {
        vendor_id: 0x10c4,
        product_id: 0xea60,
        sticks: "Home Assistant SkyConnect / Connect ZBT-1, Zooz ZST10 700 (CP210x)",
        probe_order: &[Protocol::Ezsp, Protocol::ZwaveSerialApi],
        unsupported: "Sonoff ZBDongle-P and other TI Z-Stack (ZNP) sticks",
    },
    KnownStick {
        vendor_id: 0x0658,
        product_id: 0x0200,
        sticks: "Aeotec Z-Stick 7 / Gen5+, Silicon Labs UZB-7, Z-Wave.Me UZB",
        probe_order: &[Protocol::ZwaveSerialApi],
        unsupported: "",
    },
];

/// The entry for a USB id, if sealhub knows it.
pub fn known_stick(vendor_id: u16, product_id: u16) -> Option<&'static KnownStick> {
    KNOWN_STICKS
        .iter()
        .find(|s| s.vendor_id == vendor_id && s.product_id == product_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn looks_up_known_ids_and_nothing_else() {
        let e = known_stick(0x1a86, 0x55d4).expect("ZBDongle-E");
        assert_eq!(e.probe_order.first(), Some(&Protocol::Ezsp));
        let z = known_stick(0x0658, 0x0200).expect("Z-Stick 7");
        assert_eq!(z.probe_order, &[Protocol::ZwaveSerialApi]);
        // An FTDI bridge (0403:6001) and a swapped id are not sticks sealhub may write to.
        assert_eq!(known_stick(0x0403, 0x6001), None);
        assert_eq!(known_stick(0x55d4, 0x1a86), None);
    }

    /// The udev rules shipped in the package name the same ids as this table, so the
    /// `/dev/sealhub/` names and group access cover exactly the sticks discovery knows.
    #[test]
    fn udev_rules_list_the_same_ids() {
        let rules = include_str!("../../../packaging/udev/60-sealhub.rules");
        let mut in_rules: Vec<(u16, u16)> = rules
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .filter_map(|l| {
                let field = |key: &str| {
                    let start = l.find(key)? + key.len();
                    let hex = l.get(start..start + 4)?;
                    u16::from_str_radix(hex, 16).ok()
                };
                Some((
                    field("ATTRS{idVendor}==\"")?,
                    field("ATTRS{idProduct}==\"")?,
                ))
            })
            .collect();
        in_rules.sort_unstable();
        let mut in_table: Vec<(u16, u16)> = KNOWN_STICKS
            .iter()
            .map(|s| (s.vendor_id, s.product_id))
            .collect();
        in_table.sort_unstable();
        assert_eq!(in_rules, in_table);
    }
}
