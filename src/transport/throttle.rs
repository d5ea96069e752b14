//! The per-session rate of frames from a client: a burst, then a steady rate, past which the
//! session's reads wait (and TCP pushes back on the client). Pure: the caller passes the time.
//!
//! It is the generic cell rate algorithm (a token bucket written as one timestamp): the
//! theoretical arrival time of the next frame moves on by one interval per frame admitted,
//! and a frame may arrive up to `burst - 1` intervals ahead of it.

use std::time::Duration;

use tokio::time::Instant;

/// One session's frame rate.
#[derive(Debug, Clone)]
pub struct Throttle {
    interval: Duration,
    tolerance: Duration,
    next: Option<Instant>,
}

impl Throttle {
    /// `per_second` frames per second sustained, `burst` at once (both at least 1).
    pub fn new(per_second: u32, burst: u32) -> Self {
        let interval = Duration::from_secs(1) / per_second.max(1);
        Throttle {
            interval,
            tolerance: interval * (burst.max(1) - 1),
            next: None,
        }
    }

    /// Admits a frame arriving at `now`, or says how long to wait before it may be admitted
    /// (then call again).
    pub fn admit(&mut self, now: Instant) -> Result<(), Duration> {
        let next = self.next.map_or(now, |n| n.max(now));
        let allowed_from = now + self.tolerance;
        if allowed_from >= next {
            self.next = Some(next + self.interval);
            Ok(())
        } else {
            Err(next - allowed_from)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_the_rate_applies() {
        let t0 = Instant::now();
        let mut t = Throttle::new(10, 3);
        for _ in 0..3 {
            assert_eq!(t.admit(t0), Ok(()));
        }
        // The fourth frame at the same instant waits one interval (100 ms).
        assert_eq!(t.admit(t0), Err(Duration::from_millis(100)));
        assert_eq!(
            t.admit(t0 + Duration::from_millis(60)),
            Err(Duration::from_millis(40))
        );
        assert_eq!(t.admit(t0 + Duration::from_millis(100)), Ok(()));
        assert_eq!(
            t.admit(t0 + Duration::from_millis(100)),
            Err(Duration::from_millis(100))
        );
    }

    #[test]
    fn an_idle_session_earns_its_burst_back_and_no_more() {
        let t0 = Instant::now();
        let mut t = Throttle::new(10, 3);
        for _ in 0..3 {
            assert_eq!(t.admit(t0), Ok(()));
        }
        let later = t0 + Duration::from_secs(60);
        for _ in 0..3 {
            assert_eq!(t.admit(later), Ok(()));
        }
        assert!(t.admit(later).is_err());
    }

    #[test]
    fn a_steady_sender_at_the_rate_never_waits() {
        let t0 = Instant::now();
        let mut t = Throttle::new(20, 1);
        for i in 0..100u32 {
            assert_eq!(
                t.admit(t0 + Duration::from_millis(50) * i),
                Ok(()),
                "frame {i}"
            );
        }
    }
}
