//! Sender sequence numbers that never repeat, even across crashes: numbers are handed out
//! below a ceiling that is persisted (and flushed) before any number under it is used, as in
//! OSCORE's Appendix B.1.1. A crash skips at most [`RESERVE`] numbers, or twice that for a
//! counter whose ceiling is raised ahead of need ([`SequenceCounter::take_raising_ahead`]).

/// How far the persisted ceiling moves ahead at a time.
pub const RESERVE: u64 = 64;

/// The next number to use and the persisted ceiling for one signing key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SequenceCounter {
    next: u64,
    ceiling: u64,
    /// A higher ceiling asked for ahead of need, not yet known to be durable.
    ahead: Option<u64>,
}

/// What the caller of [`SequenceCounter::take_raising_ahead`] must do with the ceiling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Raise {
    /// Nothing: the number is below the durable ceiling, and a raise is under way or not due.
    None,
    /// Persist this ceiling durably **before** using the number (the number reached the
    /// ceiling: no raise ahead was made durable in time).
    Now(u64),
    /// The number may be used at once; persist this ceiling soon, off the message's way, and
    /// report it with [`SequenceCounter::made_durable`] once it is flushed.
    Ahead(u64),
}

impl SequenceCounter {
    /// Resumes from a stored ceiling (0 for a key never used): every number below it may have
    /// been used before the last stop, so the counter starts at it.
    pub fn resume(stored_ceiling: u64) -> Self {
        let start = stored_ceiling.max(1);
        SequenceCounter {
            next: start,
            ceiling: stored_ceiling,
            ahead: None,
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

    /// Takes the next number like [`SequenceCounter::take`], but asks for the next ceiling
    /// when half of the current reserve is left ([`Raise::Ahead`]), so that a sender that
    /// flushes that ceiling off the message's way rarely has to wait for a flush before
    /// sending ([`Raise::Now`] only when the raise was not durable in time).
    pub fn take_raising_ahead(&mut self) -> (u64, Raise) {
        let seq = self.next;
        if seq >= self.ceiling {
            let (seq, ceiling) = self.take();
            return (seq, ceiling.map_or(Raise::None, Raise::Now));
        }
        self.next += 1;
        if self.ahead.is_none() && seq + RESERVE / 2 >= self.ceiling {
            let raised = self.ceiling + RESERVE;
            self.ahead = Some(raised);
            (seq, Raise::Ahead(raised))
        } else {
            (seq, Raise::None)
        }
    }

    /// A ceiling is durable now: numbers below it may be used without waiting.
    pub fn made_durable(&mut self, ceiling: u64) {
        self.ceiling = self.ceiling.max(ceiling);
        if self.ahead.is_some_and(|a| a <= self.ceiling) {
            self.ahead = None;
        }
    }

    /// A raise ahead could not be written: it may be asked for again.
    pub fn raise_failed(&mut self) {
        self.ahead = None;
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

    /// A hub that raises ceilings ahead: `flush_every` numbers pass between its flushes of
    /// the raises asked for; a crash at any point resumes above every number used.
    fn raising_ahead(flush_every: usize) -> (usize, u64) {
        let mut c = SequenceCounter::resume(0);
        let mut durable = 0;
        let mut staged: Option<u64> = None;
        let mut waits = 0;
        let mut last = 0;
        for i in 0..1000 {
            if i % flush_every == 0
                && let Some(ceiling) = staged.take()
            {
                durable = ceiling.max(durable);
                c.made_durable(ceiling);
            }
            let (seq, raise) = c.take_raising_ahead();
            match raise {
                Raise::Now(ceiling) => {
                    waits += 1;
                    durable = ceiling;
                }
                Raise::Ahead(ceiling) => staged = Some(ceiling),
                Raise::None => {}
            }
            assert!(
                seq < durable,
                "number {seq} used above the durable ceiling {durable}"
            );
            assert!(seq > last, "numbers increase");
            last = seq;
            let mut after = SequenceCounter::resume(durable);
            let (resumed, _) = after.take();
            assert!(resumed > seq && resumed - seq <= 2 * RESERVE);
        }
        (waits, last)
    }

    #[test]
    fn a_raise_flushed_in_time_means_no_number_waits_for_a_flush() {
        // Flushed after every number (a hub flushing after each answer): only the first
        // number of all waits.
        assert_eq!(raising_ahead(1).0, 1);
        // Flushed every 20 numbers, inside the half reserve: still only the first.
        assert_eq!(raising_ahead(20).0, 1);
    }

    #[test]
    fn a_raise_not_flushed_in_time_falls_back_to_waiting() {
        // Never flushed off the way: every reserve's first number waits, as without raising
        // ahead, and the numbers stay under the durable ceiling throughout.
        let (waits, last) = raising_ahead(usize::MAX);
        assert_eq!(waits as u64, last.div_ceil(RESERVE));
    }
}
