//! What the host asks the stick about the network and its nodes, beyond the start-up set:
//! the protocol version, the SUC, each node's protocol information and its node information
//! frame. zwave-js sends all of these while it starts and interviews nodes.
//!
//! Implemented (8-bit node ids only):
//!
//! - GetProtocolVersion (0x09): request empty; response `protocolType major minor revision`
//!   then, on newer SDKs, `appFrameworkBuild(u16 BE)` and a 16-byte git commit hash.
//! - GetNodeProtocolInfo (0x41): request `nodeId`; response `capability security properties
//!   basic generic specific` (six bytes; all zero for a node id not in the network).
//! - GetSucNodeId (0x56): request empty; response `sucNodeId` (0 = none).
//! - RequestNodeInfo (0x60): request `nodeId` (no callback id); response `status` (non-zero =
//!   the request went out); the node information then arrives as ApplicationUpdate 0x84, or
//!   ApplicationUpdate 0x81 if the node did not answer.

use deku::prelude::*;

use super::{Error, Result, decode_exact, encode_deku};

/// GetProtocolVersion response: the Z-Wave protocol (not Serial API) version of the stick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolVersion {
    /// 0x00 Z-Wave, 0x01 Z-Wave AV, 0x02 Z-Wave for IP.
    pub protocol_type: u8,
    /// Major, minor, revision (e.g. 7, 18, 1).
    pub version: [u8; 3],
    /// Application framework build number, on SDKs that send it.
    pub app_framework_build: Option<u16>,
    /// Git commit hash of the protocol build, on SDKs that send it (after the build number).
    pub git_commit: Option<[u8; 16]>,
}

impl ProtocolVersion {
    pub(super) fn decode(payload: &[u8]) -> Result<Self> {
        const F: u8 = 0x09;
        let (head, rest) = payload
            .split_first_chunk::<4>()
            .ok_or(Error::Truncated { function: F })?;
        let [protocol_type, major, minor, revision] = *head;
        let (app_framework_build, git_commit) = match rest.len() {
            0 => (None, None),
            2 | 18 => {
                let (build, hash) = rest.split_at(2);
                let build = u16::from_be_bytes([build[0], build[1]]);
                let hash = <[u8; 16]>::try_from(hash).ok();
                (Some(build), hash)
            }
            1 | 3..=17 => return Err(Error::Truncated { function: F }),
            n => {
                return Err(Error::TrailingBytes {
                    function: F,
                    count: n - 18,
                });
            }
        };
        Ok(Self {
            protocol_type,
            version: [major, minor, revision],
            app_framework_build,
            git_commit,
        })
    }

    pub(super) fn encode(&self) -> Result<Vec<u8>> {
        let mut out = vec![self.protocol_type];
        out.extend_from_slice(&self.version);
        match (self.app_framework_build, &self.git_commit) {
            (None, None) => {}
            (Some(build), hash) => {
                out.extend_from_slice(&build.to_be_bytes());
                if let Some(hash) = hash {
                    out.extend_from_slice(hash);
                }
            }
            (None, Some(_)) => {
                return Err(Error::Malformed {
                    function: 0x09,
                    reason: "a git commit hash needs the build number before it".into(),
                });
            }
        }
        Ok(out)
    }

    /// `"7.18.1"`.
    pub fn version_string(&self) -> String {
        let [a, b, c] = self.version;
        format!("{a}.{b}.{c}")
    }
}

/// The capability byte of a node's protocol information.
pub mod capability {
    /// Always listening (mains powered).
    pub const LISTENING: u8 = 0x80;
    /// Routes frames for others.
    pub const ROUTING: u8 = 0x40;
    /// Supports 40 kbit/s.
    pub const SPEED_40K: u8 = 0x10;
    /// Supports 9.6 kbit/s.
    pub const SPEED_9K6: u8 = 0x08;
    /// Protocol version 3 (the value in bits 0..=2 for every node since Z-Wave 4.x).
    pub const PROTOCOL_V3: u8 = 0x03;
}

/// The security (second) byte of a node's protocol information.
pub mod security {
    /// Supports more than the mandatory command classes.
    pub const OPTIONAL_FUNCTIONALITY: u8 = 0x80;
    /// Frequently listening, 1000 ms wake-up beam.
    pub const FLIRS_1000MS: u8 = 0x40;
    /// Frequently listening, 250 ms wake-up beam.
    pub const FLIRS_250MS: u8 = 0x20;
    /// Can send wake-up beams.
    pub const BEAM_CAPABLE: u8 = 0x10;
    /// Routing end node.
    pub const ROUTING_END_NODE: u8 = 0x08;
    /// The specific device class byte is meaningful.
    pub const SPECIFIC_DEVICE: u8 = 0x04;
    /// Controller.
    pub const CONTROLLER: u8 = 0x02;
    /// Supports security.
    pub const SECURITY: u8 = 0x01;
}

/// GetNodeProtocolInfo response: what the stick remembers about a node from its inclusion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, DekuRead, DekuWrite)]
pub struct NodeProtocolInfo {
    /// Listening, routing, speeds, protocol version ([`capability`]).
    pub capability: u8,
    /// Optional functionality, FLiRS, beaming, node type, security ([`security`]).
    pub security: u8,
    /// Reserved / extended speed bits (bit 0: 100 kbit/s); kept raw.
    pub properties: u8,
    /// Basic device class (0x04 routing end node, 0x02 static controller, …).
    pub basic: u8,
    /// Generic device class.
    pub generic: u8,
    /// Specific device class.
    pub specific: u8,
}

impl NodeProtocolInfo {
    /// The answer for a node id the stick does not know: all zero.
    pub const UNKNOWN: Self = Self {
        capability: 0,
        security: 0,
        properties: 0,
        basic: 0,
        generic: 0,
        specific: 0,
    };

    /// Whether the node is always listening.
    pub fn is_listening(&self) -> bool {
        self.capability & capability::LISTENING != 0
    }

    /// Whether the node id is known to the stick (a known node has a generic class).
    pub fn is_known(&self) -> bool {
        self.generic != 0
    }

    pub(super) fn decode(payload: &[u8]) -> Result<Self> {
        decode_exact(0x41, payload)
    }

    pub(super) fn encode(&self) -> Result<Vec<u8>> {
        encode_deku(0x41, self)
    }
}

/// A one-byte payload (a node id or a status).
pub(super) fn one_byte(function: u8, payload: &[u8]) -> Result<u8> {
    match payload {
        [b] => Ok(*b),
        [] => Err(Error::Truncated { function }),
        [_, rest @ ..] => Err(Error::TrailingBytes {
            function,
            count: rest.len(),
        }),
    }
}
