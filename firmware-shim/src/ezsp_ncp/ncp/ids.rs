//! The numbers the emulated NCP speaks in (Silicon Labs UG100 and `sl_status.h`): status codes,
//! `invalidCommand` reasons, value IDs, security bitmask bits, message types, table sizes and
//! the coordinator's node ID. Shared by the other parts of [`super`].

use sealhub_radios::zigbee::ezsp::types::OutgoingMessageType;

/// `sl_status_t` values the emulator reports (Silicon Labs `sl_status.h`).
pub mod status {
    use sealhub_radios::zigbee::ezsp::types::Status;

    /// `SL_STATUS_OK`.
    pub const OK: Status = Status(0x0000);
    /// `SL_STATUS_INVALID_STATE`.
    pub const INVALID_STATE: Status = Status(0x0002);
    /// `SL_STATUS_NETWORK_UP`: as `stackStatusHandler`, the network came up.
    pub const NETWORK_UP: Status = Status(0x0015);
    /// `SL_STATUS_NETWORK_DOWN`.
    pub const NETWORK_DOWN: Status = Status(0x0016);
    /// `SL_STATUS_NOT_JOINED`: `networkInit` without a stored network.
    pub const NOT_JOINED: Status = Status(0x0017);
    /// `SL_STATUS_INVALID_PARAMETER`.
    pub const INVALID_PARAMETER: Status = Status(0x0021);
    /// `SL_STATUS_INVALID_INDEX`: past the end of a table.
    pub const INVALID_INDEX: Status = Status(0x0027);
    /// `SL_STATUS_NOT_FOUND`: no such key.
    pub const NOT_FOUND: Status = Status(0x002D);
    /// `SL_STATUS_NOT_SUPPORTED` (token frames on a stick without NVM3 tokens).
    pub const NOT_SUPPORTED: Status = Status(0x000F);
    /// `SL_STATUS_FULL` (the key table).
    pub const TABLE_FULL: Status = Status(0x001C);
    /// `SL_STATUS_INVALID_CHANNEL_MASK`.
    pub const INVALID_CHANNEL_MASK: Status = Status(0x004F);
    /// `SL_STATUS_ZIGBEE_DELIVERY_FAILED`: no APS ack from the destination.
    pub const DELIVERY_FAILED: Status = Status(0x0C02);
    /// `SL_STATUS_ZIGBEE_SECURITY_STATE_NOT_SET`: forming before `setInitialSecurityState`.
    pub const SECURITY_STATE_NOT_SET: Status = Status(0x0C0B);
    /// `SL_STATUS_ZIGBEE_NETWORK_OPENED`: as `stackStatusHandler`, joining was permitted.
    pub const NETWORK_OPENED: Status = Status(0x0C18);
    /// `SL_STATUS_ZIGBEE_NETWORK_CLOSED`: as `stackStatusHandler`, joining was stopped.
    pub const NETWORK_CLOSED: Status = Status(0x0C19);
}

/// `EzspStatus` reasons of `invalidCommand` (one byte, UG100).
pub mod ezsp_status {
    /// `EZSP_ERROR_INVALID_FRAME_ID`: the NCP does not know the frame.
    pub const INVALID_FRAME_ID: u8 = 0x31;
    /// `EZSP_ERROR_INVALID_VALUE`: the parameters could not be read.
    pub const INVALID_VALUE: u8 = 0x36;
}

/// `EzspValueId`s the emulator gives meaning to (UG100).
pub mod value_id {
    /// The NWK frame counter to start from when forming with `NO_FRAME_COUNTER_RESET` (4 bytes;
    /// only while no network is up).
    pub const NWK_FRAME_COUNTER: u8 = 0x23;
    /// The APS frame counter to start from, likewise.
    pub const APS_FRAME_COUNTER: u8 = 0x24;
    /// `UART_SYNCH_CALLBACKS` (1 byte): 1 queues callbacks for the host's `callback` command.
    pub const UART_SYNCH_CALLBACKS: u8 = 0x04;
    /// Whether stack tokens are written (1 byte).
    pub const STACK_TOKEN_WRITING: u8 = 0x07;
    /// The extended security bitmask (2 bytes).
    pub const EXTENDED_SECURITY_BITMASK: u8 = 0x0A;
    /// `EmberVersion`: build (2), major, minor, patch, special, type (read only).
    pub const VERSION_INFO: u8 = 0x11;
}

/// `EzspExtendedValueId` `ENDPOINT_FLAGS`: the flags of the endpoint given as characteristics.
pub const EXTENDED_VALUE_ENDPOINT_FLAGS: u8 = 0x00;

/// `EmberInitialSecurityBitmask` `NO_FRAME_COUNTER_RESET`: keep the NWK frame counter set by
/// `setValue(NWK_FRAME_COUNTER)` when forming (a restore from backup).
pub(super) const NO_FRAME_COUNTER_RESET: u16 = 0x1000;

/// `sl_zb_sec_man_key_type_t` values `exportKey` serves.
pub(super) const KEY_TYPE_NETWORK: u8 = 1;
pub(super) const KEY_TYPE_TC_LINK: u8 = 2;
/// `EmberInitialSecurityBitmask` bit 7, set (with the global link key bit 0x0004) by
/// `TRUST_CENTER_USES_HASHED_LINK_KEY` (0x0084).
pub(super) const HASHED_LINK_KEY_BIT: u16 = 0x0080;

/// The `EmberCurrentSecurityBitmask` of a network formed with `initial`: the global link key and
/// hashed link key bits carry over (they have the same values in both bitmasks), and the node has
/// a TC link key (0x0010).
pub(super) fn current_security_bitmask(initial: u16) -> u16 {
    (initial & (0x0004 | HASHED_LINK_KEY_BIT)) | 0x0010
}

/// `EmberVersionType` `GA`: a general-availability release.
pub(super) const VERSION_TYPE_GA: u8 = 0xAA;

/// Entries in the multicast table (EmberZNet's default `MULTICAST_TABLE_SIZE`).
pub const MULTICAST_TABLE_SIZE: u8 = 16;
/// Entries in the emulated link key table.
pub const KEY_TABLE_SIZE: u8 = 16;

/// Ticks before the answer to a ZDO request the host sent to the NCP itself arrives as
/// `incomingMessageHandler`: never in the same burst as the `sendUnicast` response, as over the
/// air.
pub const LOCAL_ZDO_DELAY_TICKS: u32 = 3;

/// The coordinator's node ID.
pub const COORDINATOR: u16 = 0x0000;

/// `EmberOutgoingMessageType` values.
pub(super) const OUTGOING_DIRECT: OutgoingMessageType = 0;
pub(super) const OUTGOING_MULTICAST: OutgoingMessageType = 3;
pub(super) const OUTGOING_BROADCAST: OutgoingMessageType = 6;

/// `EmberIncomingMessageType` `UNICAST`.
pub(super) const INCOMING_UNICAST: u8 = 0;
/// `EmberIncomingMessageType` `BROADCAST`.
pub(super) const INCOMING_BROADCAST: u8 = 4;
/// ZDO cluster `Device_annce`.
pub(super) const DEVICE_ANNOUNCE: u16 = 0x0013;
