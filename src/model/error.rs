//! Why a device-model message was refused, on decoding bytes from a client or on checking a
//! value before the hub encodes it: one variant per kind of fault, naming the field.

/// A refused device-model message or value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Not well-formed CBOR, not in the one deterministic encoding (a long integer form, an
    /// indefinite length), trailing bytes, a duplicate map key, or a field of the wrong CBOR type.
    #[error(transparent)]
    Cbor(#[from] crate::cbor::Error),
    /// Longer than any envelope can carry, so not read at all.
    #[error("{what}: {len} bytes exceed the {max}-byte limit")]
    TooLarge {
        /// The message.
        what: &'static str,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A variant or enumeration code this version does not know: refused, never guessed.
    #[error("{what}: unknown code {code}")]
    UnknownCode {
        /// The field.
        what: &'static str,
        /// The code found.
        code: u64,
    },
    /// A variant's array with more or fewer fields than its code takes.
    #[error("{what}: {found} fields where the code takes {expected}")]
    WrongLength {
        /// The variant.
        what: &'static str,
        /// How many fields its code takes (after the code).
        expected: usize,
        /// How many there were.
        found: usize,
    },
    /// A number outside its field's range (a level above 100 %, a slot 0).
    #[error("{what}: {value} is out of range ({range})")]
    OutOfRange {
        /// The field.
        what: &'static str,
        /// The value found.
        value: i128,
        /// The range allowed, in words.
        range: &'static str,
    },
    /// A list or byte string longer than its bound.
    #[error("{what}: {found} items where at most {max} are allowed")]
    TooMany {
        /// The list.
        what: &'static str,
        /// The bound.
        max: usize,
        /// How many there were.
        found: usize,
    },
    /// The same capability, endpoint or device twice in a list that names each once.
    #[error("{what}: listed twice")]
    Repeated {
        /// The list.
        what: &'static str,
    },
    /// A record's map with a key this version does not know.
    #[error("{what}: unknown key {key}")]
    UnknownKey {
        /// The record.
        what: &'static str,
        /// The key.
        key: i64,
    },
    /// A record's map without a required key.
    #[error("{what}: missing key {key}")]
    MissingKey {
        /// The record.
        what: &'static str,
        /// The key.
        key: i64,
    },
    /// A record's keys not in ascending order (the deterministic encoding sorts them).
    #[error("{what}: keys not in ascending order")]
    KeyOrder {
        /// The record.
        what: &'static str,
    },
    /// A text that breaks its field's rule (a name with a control character, a PIN of four
    /// digits).
    #[error("{what}: {rule}")]
    InvalidText {
        /// The field.
        what: &'static str,
        /// The rule it breaks.
        rule: &'static str,
    },
}

/// Result of the device model's encoding and checks.
pub type Result<T> = std::result::Result<T, Error>;
