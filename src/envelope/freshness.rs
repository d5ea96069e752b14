//! Whether a command is fresh: its expiry against a trusted clock, or, on a hub that cannot
//! trust its clock (a Pi has no real-time clock), an echo of a challenge the hub issued
//! (OSCORE's Echo option, RFC 9175 §2). Pure: the caller passes both clocks in.

use super::body::Body;
use super::{Error, Result};
use crate::identity::Kid;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Length of a challenge value.
pub const ECHO_LEN: usize = 16;
/// How many outstanding challenges are remembered; the oldest is forgotten first.
pub const MAX_OUTSTANDING: usize = 256;

/// Limits a command's freshness is held to.
#[derive(Debug, Clone, Copy)]
pub struct FreshnessPolicy {
    /// The furthest in the future an expiry may lie (seconds), so no command lives for days.
    pub max_command_lifetime_secs: u64,
    /// How long an issued challenge may be echoed.
    pub echo_validity: Duration,
}

impl Default for FreshnessPolicy {
    fn default() -> Self {
        FreshnessPolicy {
            max_command_lifetime_secs: 300,
            echo_validity: Duration::from_secs(30),
        }
    }
}

/// Challenges the hub issued and not yet seen echoed, with when they were issued (monotonic).
#[derive(Debug, Default)]
pub struct EchoChallenges {
    outstanding: VecDeque<([u8; ECHO_LEN], Instant)>,
}

impl EchoChallenges {
    /// Issues a fresh random challenge at monotonic time `now`.
    pub fn issue(&mut self, now: Instant) -> Result<[u8; ECHO_LEN]> {
        let value = crate::crypto::random_array::<ECHO_LEN>()?;
        if self.outstanding.len() >= MAX_OUTSTANDING {
            self.outstanding.pop_front();
        }
        self.outstanding.push_back((value, now));
        Ok(value)
    }

    /// Consumes `echo` if it was issued no longer than `validity` before `now`; each value
    /// counts once.
    pub fn consume(&mut self, echo: &[u8], now: Instant, validity: Duration) -> bool {
        let Some(pos) = self
            .outstanding
            .iter()
            .position(|(v, _)| v.as_slice() == echo)
        else {
            return false;
        };
        let (_, issued) = self.outstanding.remove(pos).unwrap_or(([0; ECHO_LEN], now));
        now.saturating_duration_since(issued) <= validity
    }
}

/// Checks a command's freshness. `now_unix` is `Some` only when the hub trusts its wall clock.
/// On refusal for lack of a clock, a new challenge is issued and returned inside the error.
pub fn check_command(
    body: &Body,
    signer: Kid,
    now_unix: Option<u64>,
    policy: &FreshnessPolicy,
    challenges: &mut EchoChallenges,
    now_mono: Instant,
) -> Result<()> {
    let exp = body
        .exp
        .ok_or_else(|| Error::Malformed("a command must carry an expiry".into()))?;
    let echoed = body
        .echo
        .as_deref()
        .is_some_and(|e| challenges.consume(e, now_mono, policy.echo_validity));
    match now_unix {
        Some(now) => {
            if exp < now {
                return Err(Error::Expired {
                    kid: signer,
                    reason: format!("expired {} s ago", now - exp),
                });
            }
            if exp - now > policy.max_command_lifetime_secs {
                return Err(Error::Expired {
                    kid: signer,
                    reason: format!(
                        "expiry {} s ahead exceeds the {} s limit",
                        exp - now,
                        policy.max_command_lifetime_secs
                    ),
                });
            }
            Ok(())
        }
        None if echoed => Ok(()),
        None => Err(Error::FreshnessUnverified {
            kid: signer,
            challenge: challenges.issue(now_mono)?.to_vec(),
            msg_id: body.msg_id,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::route::MessageType;
    use coset::cbor::value::Value;

    fn cmd(exp: u64, echo: Option<Vec<u8>>) -> Body {
        Body {
            msg_id: [1; 8],
            seq: 1,
            time: 0,
            kind: MessageType::Command,
            body: Value::Null,
            exp: Some(exp),
            echo,
            re: None,
        }
    }

    const KID: Kid = Kid([7; 8]);

    #[test]
    fn with_a_trusted_clock_expiry_decides() {
        let p = FreshnessPolicy::default();
        let mut c = EchoChallenges::default();
        let t = Instant::now();
        assert!(check_command(&cmd(1000, None), KID, Some(900), &p, &mut c, t).is_ok());
        assert!(matches!(
            check_command(&cmd(1000, None), KID, Some(1001), &p, &mut c, t),
            Err(Error::Expired { .. })
        ));
        assert!(matches!(
            check_command(&cmd(10_000, None), KID, Some(1000), &p, &mut c, t),
            Err(Error::Expired { .. })
        ));
    }

    #[test]
    fn without_a_clock_only_a_fresh_unused_echo_passes() {
        let p = FreshnessPolicy::default();
        let mut c = EchoChallenges::default();
        let t0 = Instant::now();
        let Err(Error::FreshnessUnverified {
            challenge, msg_id, ..
        }) = check_command(&cmd(5, None), KID, None, &p, &mut c, t0)
        else {
            panic!("a command without echo must be refused when the clock is untrusted");
        };
        // The refusal names the command, so the challenge can answer it (`re`).
        assert_eq!(msg_id, [1; 8]);
        let with_echo = cmd(5, Some(challenge.clone()));
        assert!(
            check_command(
                &with_echo,
                KID,
                None,
                &p,
                &mut c,
                t0 + Duration::from_secs(1)
            )
            .is_ok()
        );
        // The same echo again: refused (single use), and a new challenge is offered.
        assert!(matches!(
            check_command(
                &with_echo,
                KID,
                None,
                &p,
                &mut c,
                t0 + Duration::from_secs(2)
            ),
            Err(Error::FreshnessUnverified { .. })
        ));
        // A late echo: refused.
        let Err(Error::FreshnessUnverified {
            challenge: late, ..
        }) = check_command(&cmd(5, None), KID, None, &p, &mut c, t0)
        else {
            panic!("expected a challenge");
        };
        let late_cmd = cmd(5, Some(late));
        assert!(
            check_command(
                &late_cmd,
                KID,
                None,
                &p,
                &mut c,
                t0 + Duration::from_secs(31)
            )
            .is_err()
        );
    }
}
