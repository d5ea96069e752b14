//! The door check on a client's frame: read the route from the outer unprotected header,
//! without keys, and accept only a version-1 route of this home whose type a client may send
//! (`Command`). Everything else about the envelope (algorithms, keys, signature, replay) is
//! the hub's to check when it opens it; this only keeps garbage and misdirected traffic out
//! of the hub's queue.

use coset::{CoseEncrypt, CoseEncrypt0, Header, Label};

use crate::cbor::{as_u64, decode};
use crate::cose;
use crate::envelope::{MessageType, ROUTE_LABEL, ROUTE_VERSION, Route};
use crate::identity::Kid;

/// Why a client's frame was refused at the door.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// Not a tagged COSE_Encrypt (or COSE_Encrypt0) with exactly one readable route.
    #[error("unreadable route: {0}")]
    Unreadable(String),
    /// The route's layout version is not 1.
    #[error("route version {0} is not supported")]
    UnsupportedVersion(u64),
    /// The route names another home.
    #[error("the route names home {0}, not this one")]
    OtherHome(Kid),
    /// A type only the hub sends (events, responses, key distributions, ...).
    #[error("clients may not send {0:?} envelopes")]
    NotFromClients(MessageType),
}

/// COSE_Encrypt (tag 96), the structure of every command.
const TAG_ENCRYPT: [u8; 2] = [0xd8, 0x60];
/// COSE_Encrypt0 (tag 16): read only to name its type in the refusal.
const TAG_ENCRYPT0: u8 = 0xd0;

/// Reads and checks the route of a frame a paired client sent. `Ok` means: pass it up to the
/// hub, which opens it; the route returned is exactly what the header says.
pub fn client_frame_route(bytes: &[u8], home: &Kid) -> Result<Route, Refusal> {
    let unreadable = |e: &dyn std::fmt::Display| Refusal::Unreadable(e.to_string());
    let (unprotected, is_encrypt) = if bytes.starts_with(&TAG_ENCRYPT) {
        let msg: CoseEncrypt = cose::decode_encrypt(bytes).map_err(|e| unreadable(&e))?;
        (msg.unprotected, true)
    } else if bytes.first() == Some(&TAG_ENCRYPT0) {
        let msg: CoseEncrypt0 = cose::decode_encrypt0(bytes).map_err(|e| unreadable(&e))?;
        (msg.unprotected, false)
    } else {
        return Err(Refusal::Unreadable(
            "not a tagged COSE_Encrypt or COSE_Encrypt0".into(),
        ));
    };
    let route_bytes = route_header(&unprotected)?;
    let route = Route::from_bytes(route_bytes).map_err(|e| match route_version(route_bytes) {
        Some(v) if v != ROUTE_VERSION => Refusal::UnsupportedVersion(v),
        _ => unreadable(&e),
    })?;
    if route.home != *home {
        return Err(Refusal::OtherHome(route.home));
    }
    if route.msg_type != MessageType::Command {
        return Err(Refusal::NotFromClients(route.msg_type));
    }
    if !is_encrypt {
        return Err(Refusal::Unreadable(
            "a command must travel as COSE_Encrypt".into(),
        ));
    }
    Ok(route)
}

/// The route's bytes: exactly one byte string under the route label.
fn route_header(unprotected: &Header) -> Result<&[u8], Refusal> {
    let mut found = unprotected
        .rest
        .iter()
        .filter(|(label, _)| *label == Label::Int(ROUTE_LABEL));
    match (found.next(), found.next()) {
        (Some((_, value)), None) => value
            .as_bytes()
            .map(Vec::as_slice)
            .ok_or_else(|| Refusal::Unreadable("the route must be a byte string".into())),
        (None, _) => Err(Refusal::Unreadable("no route header".into())),
        (Some(_), Some(_)) => Err(Refusal::Unreadable("more than one route header".into())),
    }
}

/// The version field of a route that did not parse, when it can be read at all, so a
/// client speaking a later layout is told so rather than "unreadable".
fn route_version(route_bytes: &[u8]) -> Option<u64> {
    let value = decode(route_bytes, "route").ok()?;
    let first = value.as_array()?.first()?;
    as_u64(first, "route version").ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::DeviceId;
    use coset::cbor::value::Value;
    use coset::{CoseEncrypt0Builder, CoseEncryptBuilder, HeaderBuilder, TaggedCborSerializable};
    use proptest::prelude::*;

    const HOME: Kid = Kid([1, 2, 3, 4, 5, 6, 7, 8]);

    fn route(msg_type: MessageType, home: Kid) -> Route {
        Route {
            home,
            device: DeviceId::new("zb:lamp").expect("valid"),
            msg_type,
            epoch: 3,
        }
    }

    /// A COSE_Encrypt shaped like a command, with these raw route header values.
    fn encrypt_with(routes: Vec<Value>) -> Vec<u8> {
        let mut header = HeaderBuilder::new().iv(vec![0; 12]);
        for r in routes {
            header = header.value(ROUTE_LABEL, r);
        }
        CoseEncryptBuilder::new()
            .unprotected(header.build())
            .ciphertext(vec![0; 32])
            .build()
            .to_tagged_vec()
            .expect("encodes")
    }

    /// A COSE_Encrypt whose unprotected map names the route twice (coset will not write it).
    fn doubled_route(route: &Value) -> Vec<u8> {
        let label = Value::Integer(ROUTE_LABEL.into());
        crate::cbor::encode(&Value::Tag(
            96,
            Box::new(Value::Array(vec![
                Value::Bytes(vec![0xa1, 0x01, 0x01]),
                Value::Map(vec![(label.clone(), route.clone()), (label, route.clone())]),
                Value::Bytes(vec![0; 32]),
                Value::Array(vec![]),
            ])),
        ))
    }

    fn command(route: &Route) -> Vec<u8> {
        encrypt_with(vec![Value::Bytes(route.to_bytes())])
    }

    #[test]
    fn a_command_of_this_home_passes_with_its_route() {
        let r = route(MessageType::Command, HOME);
        assert_eq!(client_frame_route(&command(&r), &HOME), Ok(r));
    }

    #[test]
    fn another_home_and_hub_only_types_are_refused() {
        let other = Kid([9; 8]);
        assert_eq!(
            client_frame_route(&command(&route(MessageType::Command, other)), &HOME),
            Err(Refusal::OtherHome(other))
        );
        for t in [
            MessageType::Response,
            MessageType::Event,
            MessageType::KeyDistribution,
            MessageType::RevocationList,
            MessageType::Challenge,
        ] {
            assert_eq!(
                client_frame_route(&command(&route(t, HOME)), &HOME),
                Err(Refusal::NotFromClients(t))
            );
        }
        // An event's own structure, COSE_Encrypt0, is named by its type too.
        let event = CoseEncrypt0Builder::new()
            .unprotected(
                HeaderBuilder::new()
                    .value(
                        ROUTE_LABEL,
                        Value::Bytes(route(MessageType::Event, HOME).to_bytes()),
                    )
                    .build(),
            )
            .ciphertext(vec![0; 16])
            .build()
            .to_tagged_vec()
            .expect("encodes");
        assert_eq!(
            client_frame_route(&event, &HOME),
            Err(Refusal::NotFromClients(MessageType::Event))
        );
    }

    #[test]
    fn a_later_route_version_is_named_as_such() {
        let mut bytes = route(MessageType::Command, HOME).to_bytes();
        bytes[1] = 0x02; // [2, ...]
        assert_eq!(
            client_frame_route(&encrypt_with(vec![Value::Bytes(bytes)]), &HOME),
            Err(Refusal::UnsupportedVersion(2))
        );
    }

    #[test]
    fn missing_doubled_or_mistyped_routes_are_unreadable() {
        let good = Value::Bytes(route(MessageType::Command, HOME).to_bytes());
        for frame in [
            encrypt_with(vec![]),
            doubled_route(&good),
            encrypt_with(vec![Value::Text("route".into())]),
            encrypt_with(vec![Value::Bytes(vec![0x85, 0x01])]),
            // Untagged: commands always carry the tag.
            encrypt_with(vec![good.clone()])[2..].to_vec(),
            b"{\"type\":\"command\"}".to_vec(),
            Vec::new(),
        ] {
            assert!(
                matches!(
                    client_frame_route(&frame, &HOME),
                    Err(Refusal::Unreadable(_))
                ),
                "{frame:02x?}"
            );
        }
        // A command route inside a COSE_Encrypt0 cannot be a real command.
        let encrypt0 = CoseEncrypt0Builder::new()
            .unprotected(HeaderBuilder::new().value(ROUTE_LABEL, good).build())
            .ciphertext(vec![0; 16])
            .build()
            .to_tagged_vec()
            .expect("encodes");
        assert!(matches!(
            client_frame_route(&encrypt0, &HOME),
            Err(Refusal::Unreadable(_))
        ));
        // An over-long frame is refused by the COSE decoder's limit.
        let mut long = command(&route(MessageType::Command, HOME));
        long.resize(crate::cose::MAX_MESSAGE_LEN + 1, 0);
        assert!(matches!(
            client_frame_route(&long, &HOME),
            Err(Refusal::Unreadable(_))
        ));
    }

    proptest! {
        /// Any bytes get an answer, never a panic; whatever passes is a command of this home.
        #[test]
        fn arbitrary_frames_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            if let Ok(r) = client_frame_route(&bytes, &HOME) {
                prop_assert_eq!(r.home, HOME);
                prop_assert_eq!(r.msg_type, MessageType::Command);
            }
        }

        /// A real command's route survives any change of its ciphertext: the door check reads
        /// the header only.
        #[test]
        fn the_route_is_read_from_the_header_only(
            ciphertext in proptest::collection::vec(any::<u8>(), 0..200),
            epoch in any::<u32>(),
        ) {
            let mut r = route(MessageType::Command, HOME);
            r.epoch = epoch;
            let frame = CoseEncryptBuilder::new()
                .unprotected(
                    HeaderBuilder::new()
                        .value(ROUTE_LABEL, Value::Bytes(r.to_bytes()))
                        .build(),
                )
                .ciphertext(ciphertext)
                .build()
                .to_tagged_vec()
                .expect("encodes");
            prop_assert_eq!(client_frame_route(&frame, &HOME), Ok(r));
        }
    }
}
