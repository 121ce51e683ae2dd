//! Liveness of the watched loops: telling a loop that is stuck from one that waits on a slow
//! or unreachable broker.
//!
//! Every long-running loop beats on the status board. A stream thread also marks when it
//! enters and leaves a blocking broker call ([`LoopWatch::call`], or the [`CallGuard`] of
//! [`LoopWatch::enter`]): what the call is, since when, and the call's own time bound (the
//! timeout the thread gave the client). [`judge`] is the rule, a pure function of one loop's
//! record and the clock:
//! - a loop silent for at most `stall_after` is alive;
//! - a loop inside a broker call is alive, but waiting, while it has been silent for at most
//!   the call's bound plus `stall_after` of slack (the bound is the client's promise; the
//!   slack covers what the thread does around the call);
//! - anything longer is stalled: a loop that stopped beating, or a client call that never
//!   returns.
//!
//! Entering and leaving a call beat, so "silent" inside a call counts from the call's start
//! or from the last beat made within it (a restore beats as records arrive). This module
//! knows nothing of Kafka: callers name their calls.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::StatusBoard;

/// A blocking broker call a loop is inside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BrokerCall {
    /// What the call is (`commit_transaction`, `fetch_watermarks`, …).
    pub what: &'static str,
    pub since: Instant,
    /// How long the client was told the call may take.
    pub bound: Duration,
}

/// One watched loop on the board.
#[derive(Debug, Clone, Copy)]
pub(super) struct Watched {
    pub last_beat: Instant,
    pub call: Option<BrokerCall>,
}

/// The broker call a loop is (or was, when stalled) blocked in, for `/healthz`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallReport {
    pub call: &'static str,
    /// How long the loop has been inside the call.
    pub for_seconds: f64,
    /// The call's own time bound.
    pub bound_seconds: f64,
}

/// A loop alive but waiting on the broker.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Waiting {
    #[serde(rename = "loop")]
    pub name: String,
    #[serde(flatten)]
    pub call: CallReport,
}

/// A loop that is stuck.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stalled {
    #[serde(rename = "loop")]
    pub name: String,
    /// Seconds since its last beat.
    pub silent_seconds: f64,
    /// Where it was blocked, when inside a broker call past that call's bound.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocked_in: Option<CallReport>,
}

impl std::fmt::Display for Stalled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (silent {:.1}s", self.name, self.silent_seconds)?;
        if let Some(call) = &self.blocked_in {
            write!(
                f,
                ", blocked in {} for {:.1}s, bound {:.0}s",
                call.call, call.for_seconds, call.bound_seconds
            )?;
        }
        write!(f, ")")
    }
}

/// What [`StatusBoard::liveness`] finds when nothing is stalled: the loops waiting on the
/// broker for longer than [`REPORT_WAIT_AFTER`].
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Alive {
    pub waiting: Vec<Waiting>,
}

/// A broker call shorter than this is not worth mentioning on `/healthz`.
pub const REPORT_WAIT_AFTER: Duration = Duration::from_secs(1);

/// One loop's verdict.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Verdict {
    Alive,
    Waiting(Waiting),
    Stalled(Stalled),
}

/// The rule (see the module doc).
pub(super) fn judge(name: &str, watched: &Watched, stall_after: Duration, now: Instant) -> Verdict {
    let silent = now.saturating_duration_since(watched.last_beat);
    let report = |call: &BrokerCall| CallReport {
        call: call.what,
        for_seconds: now.saturating_duration_since(call.since).as_secs_f64(),
        bound_seconds: call.bound.as_secs_f64(),
    };
    match &watched.call {
        Some(call) if silent <= call.bound.saturating_add(stall_after) => {
            if now.saturating_duration_since(call.since) >= REPORT_WAIT_AFTER {
                Verdict::Waiting(Waiting {
                    name: name.to_owned(),
                    call: report(call),
                })
            } else {
                Verdict::Alive
            }
        }
        _ if silent <= stall_after => Verdict::Alive,
        call => Verdict::Stalled(Stalled {
            name: name.to_owned(),
            silent_seconds: silent.as_secs_f64(),
            blocked_in: call.as_ref().map(report),
        }),
    }
}

/// One watched loop's handle on the status board: its beats and its broker calls. Cheap to
/// clone; every clone speaks for the same loop.
#[derive(Debug, Clone)]
pub struct LoopWatch {
    status: Arc<StatusBoard>,
    name: Arc<str>,
}

impl LoopWatch {
    pub fn new(status: Arc<StatusBoard>, name: &str) -> LoopWatch {
        LoopWatch {
            status,
            name: name.into(),
        }
    }

    /// The loop's name on the board.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The board this loop beats on.
    pub fn status(&self) -> &StatusBoard {
        &self.status
    }

    /// Records that the loop is alive.
    pub fn beat(&self) {
        self.status.heartbeat(&self.name);
    }

    /// Stops watching the loop (it ended on purpose).
    pub fn forget(&self) {
        self.status.forget_heartbeat(&self.name);
    }

    /// Marks the loop as inside the broker call `what`, which the client was told may take
    /// `bound`, until the guard drops. Guards nest: the inner call shows while it lasts.
    pub fn enter(&self, what: &'static str, bound: Duration) -> CallGuard<'_> {
        let call = BrokerCall {
            what,
            since: Instant::now(),
            bound,
        };
        let outer = self.status.enter_call(&self.name, call);
        CallGuard { watch: self, outer }
    }

    /// Runs `call` (a blocking broker call bounded by `bound`) marked as `what`.
    pub fn call<T>(&self, what: &'static str, bound: Duration, call: impl FnOnce() -> T) -> T {
        let _guard = self.enter(what, bound);
        call()
    }
}

/// Marks its loop as inside a broker call while it lives (see [`LoopWatch::enter`]).
#[must_use = "the call is marked only while the guard lives"]
#[derive(Debug)]
pub struct CallGuard<'a> {
    watch: &'a LoopWatch,
    /// The call this one is nested in, shown again when this one ends.
    outer: Option<BrokerCall>,
}

impl Drop for CallGuard<'_> {
    fn drop(&mut self) {
        self.watch
            .status
            .leave_call(&self.watch.name, self.outer.take());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STALL: Duration = Duration::from_secs(15);

    fn at(start: Instant, secs: u64) -> Instant {
        start + Duration::from_secs(secs)
    }

    #[test]
    fn a_silent_loop_outside_a_call_stalls_after_stall_after() {
        let start = Instant::now();
        let watched = Watched {
            last_beat: start,
            call: None,
        };
        assert_eq!(judge("t", &watched, STALL, at(start, 15)), Verdict::Alive);
        let Verdict::Stalled(stalled) = judge("t", &watched, STALL, at(start, 16)) else {
            panic!("silent 16s outside a call must stall");
        };
        assert_eq!(stalled.blocked_in, None);
        assert_eq!(stalled.to_string(), "t (silent 16.0s)");
    }

    #[test]
    fn a_loop_in_a_broker_call_waits_until_the_bound_plus_slack() {
        let start = Instant::now();
        let watched = Watched {
            last_beat: start,
            call: Some(BrokerCall {
                what: "commit_transaction",
                since: start,
                bound: Duration::from_secs(30),
            }),
        };
        assert_eq!(judge("t", &watched, STALL, start), Verdict::Alive);
        let Verdict::Waiting(waiting) = judge("t", &watched, STALL, at(start, 40)) else {
            panic!("40s into a 30s call is still within bound + slack");
        };
        assert_eq!(waiting.call.call, "commit_transaction");
        assert_eq!(waiting.call.for_seconds, 40.0);
        assert!(matches!(
            judge("t", &watched, STALL, at(start, 45)),
            Verdict::Waiting(_)
        ));
        let Verdict::Stalled(stalled) = judge("t", &watched, STALL, at(start, 46)) else {
            panic!("a call past its bound plus slack never returned: stalled");
        };
        assert_eq!(
            stalled.to_string(),
            "t (silent 46.0s, blocked in commit_transaction for 46.0s, bound 30s)"
        );
    }
}
