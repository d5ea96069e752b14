//! Whether a command is fresh: its expiry against a trusted clock, or, on a hub that cannot
//! trust its clock (a Pi has no real-time clock), an echo of a challenge the hub issued
//! (OSCORE's Echo option, RFC 9175 §2). Pure: the caller passes both clocks in.
//!
//! A challenge belongs to the client (signer kid) whose command it answers and to that
//! command's `msg_id`: only that client, resending that command, can use it, and no other
//! client's traffic can use it up or push it out (each kid has its own bounded queue).

use super::body::{Body, MSG_ID_LEN};
use super::{Error, Result};
use crate::identity::Kid;
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// Length of a challenge value.
pub const ECHO_LEN: usize = 16;
/// How many outstanding challenges one client (kid) may hold; its oldest is forgotten first.
/// Clients are authenticated before a challenge is issued, so the total is bounded by the
/// number of paired clients times this.
pub const MAX_OUTSTANDING_PER_KID: usize = 8;

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

/// One issued challenge: its value, the command it answers, when it was issued (monotonic).
#[derive(Debug, Clone, Copy)]
struct Challenge {
    value: [u8; ECHO_LEN],
    msg_id: [u8; MSG_ID_LEN],
    issued: Instant,
}

/// Challenges the hub issued and not yet seen echoed, per client kid.
#[derive(Debug, Default)]
pub struct EchoChallenges {
    outstanding: HashMap<Kid, VecDeque<Challenge>>,
}

impl EchoChallenges {
    /// Issues a fresh random challenge at monotonic time `now` for the command `msg_id` of
    /// client `kid`. The client's oldest challenge is forgotten once it holds
    /// [`MAX_OUTSTANDING_PER_KID`]; no other client's are touched.
    pub fn issue(
        &mut self,
        kid: Kid,
        msg_id: [u8; MSG_ID_LEN],
        now: Instant,
    ) -> Result<[u8; ECHO_LEN]> {
        let value = crate::crypto::random_array::<ECHO_LEN>()?;
        let queue = self.outstanding.entry(kid).or_default();
        while queue.len() >= MAX_OUTSTANDING_PER_KID {
            queue.pop_front();
        }
        queue.push_back(Challenge {
            value,
            msg_id,
            issued: now,
        });
        Ok(value)
    }

    /// Consumes `echo` if client `kid` was issued it for the command `msg_id` no longer than
    /// `validity` before `now`; each value counts once. An echo from another client, or for
    /// another command, is not accepted, and another client's echo leaves this one's alone.
    pub fn consume(
        &mut self,
        kid: Kid,
        msg_id: [u8; MSG_ID_LEN],
        echo: &[u8],
        now: Instant,
        validity: Duration,
    ) -> bool {
        let Some(queue) = self.outstanding.get_mut(&kid) else {
            return false;
        };
        let Some(pos) = queue.iter().position(|c| c.value.as_slice() == echo) else {
            return false;
        };
        let fresh = queue.remove(pos).is_some_and(|c| {
            c.msg_id == msg_id && now.saturating_duration_since(c.issued) <= validity
        });
        if queue.is_empty() {
            self.outstanding.remove(&kid);
        }
        fresh
    }

    /// How many challenges client `kid` holds now.
    pub fn outstanding_for(&self, kid: Kid) -> usize {
        self.outstanding.get(&kid).map_or(0, VecDeque::len)
    }

    /// Forgets every challenge older than `validity`, so memory holds only usable ones.
    fn forget_expired(&mut self, now: Instant, validity: Duration) {
        self.outstanding.retain(|_, queue| {
            queue.retain(|c| now.saturating_duration_since(c.issued) <= validity);
            !queue.is_empty()
        });
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
    challenges.forget_expired(now_mono, policy.echo_validity);
    let echoed = body.echo.as_deref().is_some_and(|e| {
        challenges.consume(signer, body.msg_id, e, now_mono, policy.echo_validity)
    });
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
            msg_id: body.msg_id,
            challenge: challenges.issue(signer, body.msg_id, now_mono)?.to_vec(),
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

    #[test]
    fn a_challenge_serves_only_its_client_and_command() {
        let validity = Duration::from_secs(30);
        let mut c = EchoChallenges::default();
        let t = Instant::now();
        let (a, b) = (Kid([0xa; 8]), Kid([0xb; 8]));
        let value = c.issue(a, [1; 8], t).expect("rng");
        assert!(!c.consume(b, [1; 8], &value, t, validity), "another client");
        assert_eq!(c.outstanding_for(a), 1, "and it is not used up");
        assert!(
            !c.consume(a, [2; 8], &value, t, validity),
            "another command"
        );
        assert_eq!(c.outstanding_for(a), 0, "a misused challenge is gone");
        let value = c.issue(a, [1; 8], t).expect("rng");
        assert!(c.consume(a, [1; 8], &value, t, validity));
    }

    #[test]
    fn challenges_are_bounded_per_client_and_one_client_cannot_push_out_another() {
        let validity = Duration::from_secs(30);
        let mut c = EchoChallenges::default();
        let t = Instant::now();
        let (a, b) = (Kid([0xa; 8]), Kid([0xb; 8]));
        let kept = c.issue(a, [1; 8], t).expect("rng");
        for i in 0..1000u32 {
            c.issue(b, [i as u8; 8], t).expect("rng");
        }
        assert_eq!(c.outstanding_for(b), MAX_OUTSTANDING_PER_KID);
        assert!(c.consume(a, [1; 8], &kept, t, validity));
        let first = c.issue(a, [1; 8], t).expect("rng");
        for _ in 0..MAX_OUTSTANDING_PER_KID {
            c.issue(a, [2; 8], t).expect("rng");
        }
        assert!(
            !c.consume(a, [1; 8], &first, t, validity),
            "a client's own oldest challenge goes first"
        );
    }
}
