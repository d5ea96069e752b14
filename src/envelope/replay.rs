//! The receiver's sliding replay window per sender kid (as OSCORE, RFC 8613 §7.4): pure state,
//! persisted by the caller before it acts on a message.

/// Highest sequence number accepted and which of the 64 below it were seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReplayWindow {
    highest: u64,
    /// Bit i set: sequence number `highest - 1 - i` was accepted.
    seen_below: u64,
}

/// How many sequence numbers below the highest are still accepted once.
pub const WINDOW: u64 = 64;

/// Why a sequence number was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayVerdict {
    /// Accepted before (or equal to the highest).
    Duplicate,
    /// So old that the window no longer remembers it.
    TooOld,
}

impl ReplayWindow {
    /// Whether `seq` would be accepted, without changing anything.
    pub fn check(&self, seq: u64) -> Result<(), ReplayVerdict> {
        if seq == 0 {
            return Err(ReplayVerdict::TooOld);
        }
        if seq > self.highest {
            return Ok(());
        }
        if seq == self.highest {
            return Err(ReplayVerdict::Duplicate);
        }
        let distance = self.highest - seq; // 1..
        if distance > WINDOW {
            return Err(ReplayVerdict::TooOld);
        }
        if self.seen_below & (1u64 << (distance - 1)) != 0 {
            Err(ReplayVerdict::Duplicate)
        } else {
            Ok(())
        }
    }

    /// Records `seq` as accepted; returns the window to persist. Call only after [`Self::check`].
    pub fn accept(&mut self, seq: u64) -> Result<(), ReplayVerdict> {
        self.check(seq)?;
        if seq > self.highest {
            let shift = seq - self.highest;
            self.seen_below = if shift > WINDOW {
                0
            } else {
                // The old highest becomes "seen" at distance `shift`.
                let moved = if shift == WINDOW {
                    0
                } else {
                    self.seen_below << shift
                };
                if self.highest == 0 {
                    moved
                } else {
                    moved | (1u64 << (shift - 1))
                }
            };
            self.highest = seq;
        } else {
            self.seen_below |= 1u64 << (self.highest - seq - 1);
        }
        Ok(())
    }

    /// The highest sequence number accepted so far.
    pub fn highest(&self) -> u64 {
        self.highest
    }

    /// 16 bytes for the sealed store.
    pub fn to_bytes(&self) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&self.highest.to_be_bytes());
        out[8..].copy_from_slice(&self.seen_below.to_be_bytes());
        out
    }

    /// Reads the stored form; `None` for anything but 16 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let arr: [u8; 16] = bytes.try_into().ok()?;
        let mut h = [0u8; 8];
        let mut s = [0u8; 8];
        h.copy_from_slice(&arr[..8]);
        s.copy_from_slice(&arr[8..]);
        Some(ReplayWindow {
            highest: u64::from_be_bytes(h),
            seen_below: u64::from_be_bytes(s),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn in_order_out_of_order_replayed_and_too_old() {
        let mut w = ReplayWindow::default();
        assert_eq!(w.check(0), Err(ReplayVerdict::TooOld));
        w.accept(1).expect("first");
        w.accept(3).expect("skip ahead");
        assert_eq!(w.check(3), Err(ReplayVerdict::Duplicate));
        assert_eq!(w.check(1), Err(ReplayVerdict::Duplicate));
        w.accept(2).expect("late but inside the window");
        assert_eq!(w.check(2), Err(ReplayVerdict::Duplicate));
        w.accept(100).expect("jump");
        assert_eq!(w.check(36), Ok(()), "distance 64 is still inside");
        assert_eq!(
            w.check(35),
            Err(ReplayVerdict::TooOld),
            "distance 65 is outside"
        );
        assert_eq!(ReplayWindow::from_bytes(&w.to_bytes()), Some(w));
    }

    proptest! {
        /// The window accepts a number exactly when a set of everything accepted so far does not
        /// hold it and it lies within 64 of the highest: checked against that naive model.
        #[test]
        fn matches_a_naive_model(seqs in proptest::collection::vec(1u64..300, 1..200)) {
            let mut w = ReplayWindow::default();
            let mut seen = std::collections::BTreeSet::new();
            for s in seqs {
                let highest = seen.iter().next_back().copied().unwrap_or(0);
                let expected_ok = !seen.contains(&s) && (s > highest || highest - s <= WINDOW);
                prop_assert_eq!(w.accept(s).is_ok(), expected_ok, "seq {}", s);
                if expected_ok { seen.insert(s); }
                prop_assert_eq!(w.highest(), seen.iter().next_back().copied().unwrap_or(0));
            }
        }
    }
}
