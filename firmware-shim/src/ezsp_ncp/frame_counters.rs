//! The emulator's record of the outgoing frame counters a stick used, under which key: NWK
//! frames are secured under the network key, APS-secured ones under the trust centre link key,
//! and AES-CCM* takes its nonce from the sender and the counter, so a counter used twice under
//! one key repeats a nonce. A test compares the records of two sticks (one backed up, one
//! restored from that backup) to check that the second never used a counter the first did.
//!
//! Counters are kept as runs of consecutive values, so a stick that sends a hundred thousand
//! frames costs a few entries.

use std::ops::RangeInclusive;

/// Which counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CounterLayer {
    /// The NWK frame counter (network key).
    Nwk,
    /// The APS frame counter (trust centre link key).
    Aps,
}

/// One run of consecutive counter values used under one key (`Debug` leaves the key out).
#[derive(Clone, PartialEq, Eq)]
pub struct CounterRun {
    /// Which counter.
    pub layer: CounterLayer,
    /// The key the frames were secured under.
    pub key: [u8; 16],
    /// The values, first to last.
    pub values: RangeInclusive<u32>,
}

impl core::fmt::Debug for CounterRun {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CounterRun")
            .field("layer", &self.layer)
            .field("values", &self.values)
            .finish_non_exhaustive()
    }
}

/// Every counter value a stick used, in runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FrameCounterLog {
    runs: Vec<CounterRun>,
}

impl FrameCounterLog {
    /// Records that a frame was secured with `value` of `layer` under `key`.
    pub fn used(&mut self, layer: CounterLayer, key: [u8; 16], value: u32) {
        if let Some(run) = self
            .runs
            .iter_mut()
            .rev()
            .find(|r| r.layer == layer && r.key == key)
            && value.checked_sub(1) == Some(*run.values.end())
        {
            run.values = *run.values.start()..=value;
            return;
        }
        self.runs.push(CounterRun {
            layer,
            key,
            values: value..=value,
        });
    }

    /// The runs, in the order they began.
    pub fn runs(&self) -> &[CounterRun] {
        &self.runs
    }

    /// The highest value of `layer` used, under any key.
    pub fn highest(&self, layer: CounterLayer) -> Option<u32> {
        self.runs
            .iter()
            .filter(|r| r.layer == layer)
            .map(|r| *r.values.end())
            .max()
    }

    /// A counter value used both here and in `other` under the same key and layer (the
    /// smallest such), if any: a repeated AES-CCM* nonce between the two sticks.
    pub fn reused_in(&self, other: &FrameCounterLog) -> Option<(CounterLayer, u32)> {
        let mut found: Option<(CounterLayer, u32)> = None;
        for a in &self.runs {
            for b in other
                .runs
                .iter()
                .filter(|b| b.layer == a.layer && b.key == a.key)
            {
                let low = (*a.values.start()).max(*b.values.start());
                let high = (*a.values.end()).min(*b.values.end());
                if low <= high && found.is_none_or(|(_, v)| low < v) {
                    found = Some((a.layer, low));
                }
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_merge_and_overlaps_are_found_per_key_and_layer() {
        let key = [1; 16];
        let mut a = FrameCounterLog::default();
        for v in 10..=20 {
            a.used(CounterLayer::Nwk, key, v);
        }
        a.used(CounterLayer::Aps, key, 3);
        assert_eq!(a.runs().len(), 2);
        assert_eq!(a.highest(CounterLayer::Nwk), Some(20));

        let mut b = FrameCounterLog::default();
        b.used(CounterLayer::Nwk, key, 21);
        b.used(CounterLayer::Aps, [2; 16], 3);
        assert_eq!(a.reused_in(&b), None, "past the end, or under another key");
        b.used(CounterLayer::Nwk, key, 15);
        assert_eq!(a.reused_in(&b), Some((CounterLayer::Nwk, 15)));
        assert_eq!(b.reused_in(&a), Some((CounterLayer::Nwk, 15)));
    }
}
