//! Simulated devices joining the emulated network: admission by the trust centre's rules
//! ([`super::super::devices::admit`]), the callbacks a join produces (`trustCenterJoinHandler`,
//! `childJoinHandler`, the device's `Device_annce`), joining through a router, devices that
//! join as soon as the host opens the network, and devices adopted after a restore.

use sealhub_radios::zigbee::ezsp::commands::networking::ChildJoinHandler;
use sealhub_radios::zigbee::ezsp::commands::security::{TrustCenterJoinHandler, device_update};
use sealhub_radios::zigbee::ezsp::types::{ApsFrame, Eui64, Key};
use sealhub_radios::zigbee::ezsp::{Callback, FromNcp};

use super::super::devices::{self, JoinRefusal, SimulatedDevice};
use super::super::local_zdo;
use super::Ncp;
use super::ids::*;

/// One `join_device` attempt and its outcome, for assertions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinAttempt {
    /// The device's EUI-64.
    pub eui64: Eui64,
    /// `Ok(node ID)` when it joined, otherwise why not.
    pub outcome: Result<u16, JoinRefusal>,
}

impl Ncp {
    /// A device that is already on the network (joined through another stick with the same
    /// network, e.g. before a backup was restored here) is now in this stick's radio
    /// neighbourhood: it goes into the device table without joining again and without any
    /// callback. The stack must be up, and a device with an install code is accepted only if
    /// the host imported its link key (as a restore does), so a restore that lost the key
    /// shows as [`JoinRefusal::NoLinkKey`] / [`JoinRefusal::WrongLinkKey`].
    pub fn adopt_device(&mut self, device: SimulatedDevice) -> Result<u16, JoinRefusal> {
        if !self.stack_up {
            return Err(JoinRefusal::NetworkDown);
        }
        if let Some(code) = &device.install_code {
            let in_table = self
                .key_table
                .values()
                .find(|(eui64, _)| *eui64 == device.eui64)
                .map(|(_, key)| key);
            match in_table.or_else(|| self.transient_keys.get(&device.eui64)) {
                None => return Err(JoinRefusal::NoLinkKey),
                Some(key) if key.0 == code.link_key().0 => {}
                Some(_) => return Err(JoinRefusal::WrongLinkKey),
            }
        }
        if self
            .devices
            .values()
            .any(|d| d.node_id == device.node_id || d.eui64 == device.eui64)
        {
            return Err(JoinRefusal::AlreadyJoined);
        }
        let node_id = device.node_id;
        self.devices.insert(node_id, device);
        Ok(node_id)
    }

    /// The TC link key this trust centre shares with `eui64` once that device has joined (and,
    /// as a Zigbee 3.0 device does, asked for its own key): on a network formed with
    /// `TRUST_CENTER_USES_HASHED_LINK_KEY` it is derived from the root key in the tokens and the
    /// EUI-64 ([`super::super::tc_keys`]), otherwise it is the one global key. `None` without a network.
    pub fn tc_link_key_for(&self, eui64: Eui64) -> Option<Key> {
        let nvm = self.nvm.as_ref()?;
        Some(if nvm.security_bitmask & HASHED_LINK_KEY_BIT != 0 {
            super::super::tc_keys::derived_tc_link_key(&nvm.tc_link_key, eui64)
        } else {
            nvm.tc_link_key.clone()
        })
    }

    /// Like [`Ncp::adopt_device`], for a device that joined before (through another stick with
    /// the same network) and holds `tc_link_key` with the trust centre: it is accepted only if
    /// this stick's trust centre has the same key for it ([`Ncp::tc_link_key_for`]), so a restore
    /// that lost the TC link key root shows as [`JoinRefusal::WrongLinkKey`].
    pub fn adopt_device_holding(
        &mut self,
        device: SimulatedDevice,
        tc_link_key: &Key,
    ) -> Result<u16, JoinRefusal> {
        if !self.stack_up {
            return Err(JoinRefusal::NetworkDown);
        }
        match self.tc_link_key_for(device.eui64) {
            Some(key) if key == *tc_link_key => self.adopt_device(device),
            _ => Err(JoinRefusal::WrongLinkKey),
        }
    }

    /// A simulated device tries to join through the coordinator. The trust center decides as
    /// [`devices::admit`] says (network open, policy, install-code key or well-known key). On
    /// success the NCP reports `childJoinHandler` and `trustCenterJoinHandler`
    /// (`STANDARD_SECURITY_UNSECURED_JOIN`, `USE_PRECONFIGURED_KEY`) on the next tick, and the
    /// device's Device_annce arrives as `incomingMessageHandler` a tick later; from then on it
    /// answers unicasts ([`devices::answer`]). A refusal is recorded in [`Ncp::join_log`] and
    /// nothing reaches the host, as with a real trust center.
    pub fn join_device(&mut self, device: SimulatedDevice) -> Result<u16, JoinRefusal> {
        self.join_through(device, None)
    }

    /// A simulated device tries to join through the joined router `router` (its parent) rather
    /// than the coordinator: admitted only while that router's own permit-joining window is
    /// open (ZDO `Mgmt_Permit_Joining_req` to it, or broadcast), whatever the coordinator's
    /// `permitJoining` says; the trust center still checks policy and keys. The host hears
    /// `trustCenterJoinHandler` with the router as parent (no `childJoinHandler`: the device is
    /// the router's child), then the Device_annce.
    pub fn join_device_via(
        &mut self,
        device: SimulatedDevice,
        router: u16,
    ) -> Result<u16, JoinRefusal> {
        self.join_through(device, Some(router))
    }

    pub(super) fn join_through(
        &mut self,
        device: SimulatedDevice,
        router: Option<u16>,
    ) -> Result<u16, JoinRefusal> {
        let permit = match router {
            None => self.permit_join_seconds,
            Some(id) => match self.devices.get(&id) {
                Some(r) if r.node_type == 2 => u8::from(r.zcl.permits_joining()),
                _ => {
                    self.join_log.push(JoinAttempt {
                        eui64: device.eui64,
                        outcome: Err(JoinRefusal::NoSuchRouter),
                    });
                    return Err(JoinRefusal::NoSuchRouter);
                }
            },
        };
        let policy = self
            .policies
            .get(&devices::TRUST_CENTER_POLICY)
            .copied()
            .unwrap_or(0);
        let clash = self
            .devices
            .values()
            .any(|d| d.node_id == device.node_id || d.eui64 == device.eui64);
        let outcome = devices::admit(&device, self.stack_up, permit, policy, &self.transient_keys)
            .and(if clash {
                Err(JoinRefusal::AlreadyJoined)
            } else {
                Ok(device.node_id)
            });
        self.join_log.push(JoinAttempt {
            eui64: device.eui64,
            outcome,
        });
        match outcome {
            Ok(_) => {
                tracing::info!(node_id = device.node_id, eui64 = ?device.eui64, "simulated device joins")
            }
            Err(why) => {
                tracing::info!(eui64 = ?device.eui64, ?why, "trust center refuses a simulated device");
                return outcome;
            }
        }
        if router.is_none() {
            let index = u8::try_from(self.devices.len()).unwrap_or(u8::MAX);
            self.schedule((
                1,
                0,
                FromNcp::Callback(Callback::ChildJoinHandler(ChildJoinHandler {
                    index,
                    joining: 1,
                    child_id: device.node_id,
                    child_eui64: device.eui64,
                    child_type: device.node_type,
                })),
            ));
        }
        self.schedule((
            1,
            0,
            FromNcp::Callback(Callback::TrustCenterJoinHandler(TrustCenterJoinHandler {
                new_node_id: device.node_id,
                new_node_eui64: device.eui64,
                status: device_update::UNSECURED_JOIN,
                policy_decision: 0,
                parent_of_new_node_id: router.unwrap_or(COORDINATOR),
            })),
        ));
        self.device_tsn = self.device_tsn.wrapping_add(1);
        let announce = devices::device_announce(&device, self.device_tsn);
        let aps = ApsFrame {
            profile_id: local_zdo::ZDO_PROFILE,
            cluster_id: DEVICE_ANNOUNCE,
            ..ApsFrame::default()
        };
        self.schedule_from(&device, INCOMING_BROADCAST, aps, announce, 2);
        self.devices.insert(device.node_id, device);
        outcome
    }

    /// `device` tries to join (once) as soon as `permitJoining` opens the network: for hosts in
    /// another process (zigbee-herdsman) that a test cannot time a [`Ncp::join_device`] call
    /// against.
    pub fn join_when_permitted(&mut self, device: SimulatedDevice) {
        self.join_on_permit.push(device);
    }
}
