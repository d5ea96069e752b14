//! Stands in for `emulated.rs` in a build without the `emulators` feature (the Raspberry Pi
//! package): the demo types have no values, so the radio tasks compile unchanged and every
//! emulator branch in them is unreachable. `sealhub run` refuses `port = "emulated"` before
//! anything starts (`startup::check_radio_ports`); `start` says the same should it be reached.

use std::path::PathBuf;
use std::time::Duration;

use sealhub::radio::zigbee_network::ZigbeeNetwork;
use sealhub::radio::zwave_keys::SealedNodeGrants;
use sealhub::store::Store;
use sealhub_radios::zigbee::driver::ZigbeeStick;
use sealhub_radios::zwave::driver::ZwaveStick;

use crate::startup::NO_EMULATORS;

/// No emulated EZSP stick in this build.
pub(super) enum ZigbeeDemo {}

impl ZigbeeDemo {
    /// Always refused: this build has no emulators.
    pub(super) async fn start(_size: u16, _tick: Duration) -> Result<(PathBuf, Self), String> {
        Err(NO_EMULATORS.to_owned())
    }

    /// Unreachable: no value of this type exists.
    pub(super) fn active_devices(&self) -> usize {
        match *self {}
    }

    /// Unreachable: no value of this type exists.
    pub(super) fn act_on_their_own(&self, _state: bool) {
        match *self {}
    }

    /// Unreachable: no value of this type exists.
    pub(super) async fn join(
        &self,
        _stick: &ZigbeeStick,
        _network: &ZigbeeNetwork,
        _registry: &Store,
    ) {
        match *self {}
    }

    /// Unreachable: no value of this type exists.
    pub(super) async fn unplug(self) {
        match self {}
    }
}

/// No emulated Z-Wave controller in this build.
pub(super) enum ZwaveDemo {}

impl ZwaveDemo {
    /// Always refused: this build has no emulators.
    pub(super) async fn start(
        _store: &Store,
        _grants: &SealedNodeGrants,
    ) -> Result<(PathBuf, Self), String> {
        Err(NO_EMULATORS.to_owned())
    }

    /// Unreachable: no value of this type exists.
    pub(super) async fn stick_up(&self, _stick: &ZwaveStick) {
        match *self {}
    }

    /// Unreachable: no value of this type exists.
    pub(super) fn report(&mut self) {
        match *self {}
    }

    /// Unreachable: no value of this type exists.
    pub(super) async fn unplug(self) {
        match self {}
    }
}
