//! Binding (Zigbee spec §2.4.3.2.2-3): Bind_req and Unbind_req tell a device to send a cluster's
//! reports and commands to the hub (or a group), which is how sealhub receives attribute reports.
//! Mgmt_Bind_req (§2.4.3.3.4) reads a device's binding table back, a page at a time.

use deku::prelude::*;

use super::wire::{Eui64, List8, deku_payload};

/// Where a binding points: a group, or a device endpoint (destination address modes 0x01 and
/// 0x03; other modes are refused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(id_type = "u8", endian = "endian", ctx = "endian: deku::ctx::Endian")]
pub enum BindTarget {
    /// Address mode 0x01: a 16-bit group address.
    #[deku(id = 0x01)]
    Group(u16),
    /// Address mode 0x03: an IEEE address and an endpoint.
    #[deku(id = 0x03)]
    Endpoint {
        /// Destination IEEE address (the hub's).
        ieee: Eui64,
        /// Destination endpoint.
        endpoint: u8,
    },
}

/// Bind_req (0x0021) and Unbind_req (0x0022): same fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct BindRequest {
    /// IEEE address of the device that holds the binding (the sender of reports).
    pub source_ieee: Eui64,
    /// Its endpoint.
    pub source_endpoint: u8,
    /// The cluster bound.
    pub cluster_id: u16,
    /// Where the cluster's messages go.
    pub target: BindTarget,
}

/// Mgmt_Bind_req (0x0033): read the binding table from an index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct MgmtBindRequest {
    /// First entry wanted.
    pub start_index: u8,
}

/// One binding table entry (Zigbee spec Table 2.131): the same fields as a Bind_req.
#[derive(Debug, Clone, Copy, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(
    endian = "endian",
    ctx = "endian: deku::ctx::Endian",
    ctx_default = "deku::ctx::Endian::Little"
)]
pub struct BindingTableEntry {
    /// IEEE address of the device holding the binding.
    pub source_ieee: Eui64,
    /// Its endpoint.
    pub source_endpoint: u8,
    /// The cluster bound.
    pub cluster_id: u16,
    /// Where the cluster's messages go.
    pub target: BindTarget,
}

/// Mgmt_Bind_rsp body after SUCCESS: one page of the binding table.
#[derive(Debug, Clone, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct BindingTable {
    /// Total entries in the table.
    pub total_entries: u8,
    /// Index of the first entry listed.
    pub start_index: u8,
    /// The entries in this page.
    pub entries: List8<BindingTableEntry>,
}

deku_payload!(BindRequest, MgmtBindRequest, BindingTable);

#[cfg(test)]
mod tests {
    use super::super::{Answer, ZdoMessage};

    #[test]
    fn a_binding_table_page_decodes_and_re_encodes() {
        // Mgmt_Bind_rsp laid out by hand from the spec (Table 2.131): status SUCCESS, 2 entries
        // in all, from index 0, 2 listed: OnOff of endpoint 1 to a hub endpoint (mode 0x03), and
        // Level of endpoint 1 to group 0x1234 (mode 0x01).
        let bytes = [
            0x00, 0x02, 0x00, 0x02, // status, total, start, count
            1, 2, 3, 4, 5, 6, 7, 8, 0x01, 0x06, 0x00, // source, endpoint, cluster
            0x03, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x01, // to an endpoint
            1, 2, 3, 4, 5, 6, 7, 8, 0x01, 0x08, 0x00, // source, endpoint, cluster
            0x01, 0x34, 0x12, // to a group
        ];
        let m = ZdoMessage::decode(0x8033, &bytes).unwrap();
        let ZdoMessage::MgmtBindResponse(Answer::Success(table)) = &m else {
            panic!("{m:?}");
        };
        assert_eq!((table.total_entries, table.start_index), (2, 0));
        assert_eq!(table.entries.0[0].cluster_id, 0x0006);
        assert_eq!(
            table.entries.0[0].target,
            super::BindTarget::Endpoint {
                ieee: [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88],
                endpoint: 1
            }
        );
        assert_eq!(table.entries.0[1].target, super::BindTarget::Group(0x1234));
        assert_eq!(m.encode().unwrap(), bytes);
        assert!(ZdoMessage::decode(0x8033, &bytes[..bytes.len() - 1]).is_err());
        assert_eq!(
            ZdoMessage::decode(0x0033, &[5]).unwrap(),
            ZdoMessage::MgmtBindRequest(super::MgmtBindRequest { start_index: 5 })
        );
    }
}
