//! Sender sequence numbers that never repeat, even across crashes: numbers are handed out
//! below a ceiling that is persisted (and flushed) before any number under it is used, as in
//! OSCORE's Appendix B.1.1. A crash skips at most [`RESERVE`] numbers.

/// How far the persisted ceiling moves ahead at a time.
pub const RESERVE: u64 = 64;

/// The next number to use and the persisted ceiling for one signing key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SequenceCounter {
    next: u64,
    ceiling: u64,
}

impl SequenceCounter {
    /// Resumes from a stored ceiling (0 for a key never used): every number below it may have
    /// been used before the last stop, so the counter starts at it.
    pub fn resume(stored_ceiling: u64) -> Self {
        let start = stored_ceiling.max(1);
        SequenceCounter {
            next: start,
            ceiling: stored_ceiling,
        }
    }

    /// Takes the next number. When it returns `Some(ceiling)`, the caller must persist that
    /// ceiling durably before using the number.
    pub fn take(&mut self) -> (u64, Option<u64>) {
        let seq = self.next;
        self.next += 1;
        if seq >= self.ceiling {
            self.ceiling = seq + RESERVE;
            (seq, Some(self.ceiling))
        } else {
            (seq, None)
        }
    }

    /// Undoes a reservation that could not be persisted, so the number is not lost silently.
    pub fn rollback(&mut self, seq: u64, previous_ceiling: u64) {
        self.next = seq;
        self.ceiling = previous_ceiling;
    }

    /// The ceiling currently persisted (or about to be).
    pub fn ceiling(&self) -> u64 {
        self.ceiling
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_increase_and_a_restart_never_reuses_one() {
        let mut c = SequenceCounter::resume(0);
        let mut persisted = 0;
        let mut used = vec![];
        for _ in 0..150 {
            let (seq, reserve) = c.take();
            if let Some(ceiling) = reserve {
                persisted = ceiling;
            }
            assert!(
                seq < persisted,
                "number {seq} used above the persisted ceiling"
            );
            used.push(seq);
        }
        assert_eq!(used.first(), Some(&1));
        assert!(used.windows(2).all(|w| w[1] == w[0] + 1));
        // Crash: resume from what was persisted; the next number is above all used ones.
        let mut after = SequenceCounter::resume(persisted);
        let (seq, _) = after.take();
        assert!(seq > *used.last().unwrap_or(&0));
        assert!(seq - used.last().unwrap_or(&0) <= RESERVE);
    }
}
