//! [`WriteBatch`]: puts and removes across several trees that [`Store::apply`](super::Store::apply)
//! commits all together or not at all.

use zeroize::Zeroizing;

/// One pending change.
pub(crate) struct Op {
    pub tree: String,
    pub key: Vec<u8>,
    /// `Some(plaintext)` to put, `None` to remove.
    pub value: Option<Zeroizing<Vec<u8>>>,
}

/// A set of record changes, possibly in several trees, applied atomically and durably by
/// [`Store::apply`](super::Store::apply). Later operations on the same tree and key win.
///
/// Tree names and key lengths are checked by `apply`, before anything is written. Plaintext
/// values are zeroized when the batch is dropped; `Debug` shows only trees and keys.
#[derive(Default)]
pub struct WriteBatch {
    pub(crate) ops: Vec<Op>,
}

impl WriteBatch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds "set `tree`/`key` to `value`".
    pub fn put(&mut self, tree: &str, key: &[u8], value: &[u8]) -> &mut Self {
        self.ops.push(Op {
            tree: tree.to_owned(),
            key: key.to_vec(),
            value: Some(Zeroizing::new(value.to_vec())),
        });
        self
    }

    /// Adds "remove `tree`/`key`" (no error if it does not exist).
    pub fn remove(&mut self, tree: &str, key: &[u8]) -> &mut Self {
        self.ops.push(Op {
            tree: tree.to_owned(),
            key: key.to_vec(),
            value: None,
        });
        self
    }

    /// Number of operations collected.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// Whether the batch has no operations.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
}

impl std::fmt::Debug for WriteBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut list = f.debug_list();
        for op in &self.ops {
            let verb = if op.value.is_some() { "put" } else { "remove" };
            list.entry(&format_args!("{verb} {}/{}", op.tree, hex::encode(&op.key)));
        }
        list.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_operations_but_not_values() {
        let mut batch = WriteBatch::new();
        batch
            .put("devices", b"\x01", b"top-secret-value")
            .remove("certs", b"\x02");
        let shown = format!("{batch:?}");
        assert!(
            shown.contains("put devices/01") && shown.contains("remove certs/02"),
            "{shown}"
        );
        assert!(!shown.contains("top-secret"), "{shown}");
        assert_eq!(batch.len(), 2);
    }
}
