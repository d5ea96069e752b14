//! Per-node queues for sleeping nodes, without I/O: a battery node hears nothing between
//! wake-ups, so a command for it waits here until its Wake Up Notification arrives, and is then
//! released, in order, while the node listens.
//!
//! Generic over what is queued so the driver task can keep its reply channels here and tests
//! can use plain values.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::{Arc, Mutex};

/// The nodes the security layer holds grants for, shared with the driver task: a secure
/// sleeping node is sent back to sleep with Wake Up No More Information under its highest
/// class (as zwave-js sends every command to a secure node), and a strict node ignores it in
/// the clear, so the task must know which nodes it cannot tell to sleep by itself.
#[derive(Debug, Clone, Default)]
pub(crate) struct SecureNodes(Arc<Mutex<BTreeSet<u16>>>);

impl SecureNodes {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeSet<u16>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records whether `node` holds any class.
    pub(crate) fn set(&self, node: u16, secure: bool) {
        if secure {
            self.lock().insert(node);
        } else {
            self.lock().remove(&node);
        }
    }

    /// Whether frames to `node` go through the security layer.
    pub(crate) fn contains(&self, node: u16) -> bool {
        self.lock().contains(&node)
    }
}

#[derive(Debug)]
struct NodeQueue<T> {
    awake: bool,
    pending: VecDeque<T>,
}

/// The queues of every node known to sleep.
#[derive(Debug)]
pub struct WakeUpQueues<T> {
    nodes: BTreeMap<u16, NodeQueue<T>>,
}

impl<T> Default for WakeUpQueues<T> {
    fn default() -> Self {
        Self {
            nodes: BTreeMap::new(),
        }
    }
}

impl<T> WakeUpQueues<T> {
    /// No node sleeps.
    pub fn new() -> Self {
        Self::default()
    }

    /// Marks a node as sleeping (asleep now) or always listening; a node that stops sleeping
    /// releases what waited for it.
    pub fn set_sleeping(&mut self, node: u16, sleeping: bool) -> Vec<T> {
        if sleeping {
            self.nodes.entry(node).or_insert_with(|| NodeQueue {
                awake: false,
                pending: VecDeque::new(),
            });
            Vec::new()
        } else {
            self.remove(node)
        }
    }

    /// Whether a command for `node` must wait for its wake-up.
    pub fn is_asleep(&self, node: u16) -> bool {
        self.nodes.get(&node).is_some_and(|q| !q.awake)
    }

    /// Whether `node` is a sleeping node that is listening now.
    pub fn is_awake(&self, node: u16) -> bool {
        self.nodes.get(&node).is_some_and(|q| q.awake)
    }

    /// Queues `item` for `node`; hands it back if the node is not asleep.
    pub fn enqueue(&mut self, node: u16, item: T) -> Option<T> {
        match self.nodes.get_mut(&node) {
            Some(q) if !q.awake => {
                q.pending.push_back(item);
                None
            }
            _ => Some(item),
        }
    }

    /// How many commands wait for `node`.
    pub fn pending(&self, node: u16) -> usize {
        self.nodes.get(&node).map_or(0, |q| q.pending.len())
    }

    /// `node` sent a Wake Up Notification: it listens now; returns what waited for it, oldest
    /// first, or `None` if the node is not known to sleep.
    pub fn on_wake_up(&mut self, node: u16) -> Option<Vec<T>> {
        let q = self.nodes.get_mut(&node)?;
        q.awake = true;
        Some(q.pending.drain(..).collect())
    }

    /// `node` was told to sleep again (Wake Up No More Information sent).
    pub fn on_asleep(&mut self, node: u16) {
        if let Some(q) = self.nodes.get_mut(&node) {
            q.awake = false;
        }
    }

    /// Forgets `node` (excluded, or no longer sleeping); returns what waited for it.
    pub fn remove(&mut self, node: u16) -> Vec<T> {
        self.nodes
            .remove(&node)
            .map(|q| q.pending.into_iter().collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_wait_for_the_wake_up_and_go_in_order() {
        let mut q = WakeUpQueues::new();
        assert_eq!(q.enqueue(5, "listening node"), Some("listening node"));
        q.set_sleeping(5, true);
        assert!(q.is_asleep(5));
        assert_eq!(q.enqueue(5, "a"), None);
        assert_eq!(q.enqueue(5, "b"), None);
        assert_eq!(q.pending(5), 2);
        assert_eq!(q.on_wake_up(6), None, "not a sleeping node");
        assert_eq!(q.on_wake_up(5), Some(vec!["a", "b"]));
        assert!(q.is_awake(5));
        assert_eq!(q.enqueue(5, "while awake"), Some("while awake"));
        q.on_asleep(5);
        assert_eq!(q.enqueue(5, "c"), None);
        assert_eq!(q.set_sleeping(5, false), vec!["c"]);
        assert!(!q.is_asleep(5));
    }
}
