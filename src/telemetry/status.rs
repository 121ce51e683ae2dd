//! The status board: what each query is doing and whether the process is alive, behind
//! `/healthz`, `/readyz` and `/info`.
//!
//! Writers are the runtime's supervisors (query states) and every long-running loop
//! (heartbeats, and the broker calls stream threads block in); readers are the HTTP handlers
//! and the systemd watchdog. It is a small lock-protected map: updates happen on state
//! changes, heartbeats and broker calls (a few per commit), never per record. How a loop is
//! judged alive is in [`super::liveness`].

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::liveness::{self, Alive, BrokerCall, Stalled, Verdict, Watched};

/// The lifecycle of one persistent query on this replica.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum QueryState {
    /// Planned, not started yet.
    Pending,
    /// Waiting for its first assignment or restoring state from changelogs.
    Restoring,
    /// Processing (possibly with no tasks assigned: an idle replica is running).
    Running,
    /// Failed; the supervisor restarts it with backoff.
    Error,
    /// Not processed here: its consumer group runs another plan of it on a live replica. It
    /// starts by itself once no such replica is left.
    LockConflict,
    /// Stopped on shutdown.
    Stopped,
}

impl QueryState {
    /// Every state, for exporting one gauge per state.
    pub const ALL: [QueryState; 6] = [
        QueryState::Pending,
        QueryState::Restoring,
        QueryState::Running,
        QueryState::Error,
        QueryState::LockConflict,
        QueryState::Stopped,
    ];

    /// The upper-case name used in JSON and metric labels.
    pub fn as_str(self) -> &'static str {
        match self {
            QueryState::Pending => "PENDING",
            QueryState::Restoring => "RESTORING",
            QueryState::Running => "RUNNING",
            QueryState::Error => "ERROR",
            QueryState::LockConflict => "LOCK_CONFLICT",
            QueryState::Stopped => "STOPPED",
        }
    }
}

/// What `/info` shows about one query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueryStatus {
    pub id: String,
    pub state: QueryState,
    /// The sink stream or table.
    pub sink: String,
    /// Stream tasks this replica owns, as `subtopology_partition`.
    pub tasks: Vec<String>,
    /// Why the query is not running, when it is not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// The process-wide phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProcessPhase {
    Starting,
    Running,
    Stopping,
}

#[derive(Debug)]
struct Board {
    phase: ProcessPhase,
    lock_hash: Option<String>,
    queries: BTreeMap<String, QueryStatus>,
    heartbeats: BTreeMap<String, Watched>,
    /// Clients that cannot reach any broker, with librdkafka's reason.
    unreachable: BTreeMap<String, String>,
}

/// Shared status of this process. Wrap it in an `Arc` to share.
#[derive(Debug)]
pub struct StatusBoard {
    service_id: String,
    queries_file: String,
    started: Instant,
    /// A loop that has not beaten for this long (outside a broker call, or past the call's
    /// bound) makes `/healthz` fail.
    stall_after: Duration,
    board: Mutex<Board>,
}

/// Why the process is not ready, for `/readyz`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotReady {
    pub phase: ProcessPhase,
    /// Queries not yet running, with their states.
    pub queries: Vec<QueryStatus>,
    /// Clients that cannot reach the Kafka cluster, with the reason (processing pauses and
    /// resumes by itself when the brokers are back).
    pub unreachable: Vec<String>,
}

impl StatusBoard {
    pub fn new(service_id: &str, queries_file: &str, stall_after: Duration) -> StatusBoard {
        StatusBoard {
            service_id: service_id.to_string(),
            queries_file: queries_file.to_string(),
            started: Instant::now(),
            stall_after,
            board: Mutex::new(Board {
                phase: ProcessPhase::Starting,
                lock_hash: None,
                queries: BTreeMap::new(),
                heartbeats: BTreeMap::new(),
                unreachable: BTreeMap::new(),
            }),
        }
    }

    fn board(&self) -> MutexGuard<'_, Board> {
        // A panic while holding this lock cannot leave the map half-written in a way that
        // matters to readers, so a poisoned lock is still usable.
        self.board
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn set_phase(&self, phase: ProcessPhase) {
        self.board().phase = phase;
    }

    pub fn set_lock_hash(&self, hash: &str) {
        self.board().lock_hash = Some(hash.to_string());
    }

    /// Adds or replaces a query's status.
    pub fn set_query(&self, status: QueryStatus) {
        self.board().queries.insert(status.id.clone(), status);
    }

    /// Moves a known query to `state`, with an optional reason.
    pub fn set_query_state(&self, id: &str, state: QueryState, detail: Option<String>) {
        if let Some(query) = self.board().queries.get_mut(id) {
            query.state = state;
            query.detail = detail;
        }
    }

    /// Records that the named loop is alive. Loops beat at least every `stall_after / 3`.
    pub fn heartbeat(&self, component: &str) {
        let mut board = self.board();
        match board.heartbeats.get_mut(component) {
            Some(watched) => watched.last_beat = Instant::now(),
            None => {
                board.heartbeats.insert(
                    component.to_string(),
                    Watched {
                        last_beat: Instant::now(),
                        call: None,
                    },
                );
            }
        }
    }

    /// Marks `component` as inside `call` (a beat too); returns the call it was in before.
    pub(super) fn enter_call(&self, component: &str, call: BrokerCall) -> Option<BrokerCall> {
        let mut board = self.board();
        let watched = board
            .heartbeats
            .entry(component.to_string())
            .or_insert(Watched {
                last_beat: call.since,
                call: None,
            });
        watched.last_beat = call.since;
        watched.call.replace(call)
    }

    /// Marks `component` as out of its current call and back in `outer` (a beat too).
    pub(super) fn leave_call(&self, component: &str, outer: Option<BrokerCall>) {
        if let Some(watched) = self.board().heartbeats.get_mut(component) {
            watched.last_beat = Instant::now();
            watched.call = outer;
        }
    }

    /// Records that `client` cannot reach any broker (`reason` from librdkafka).
    pub fn broker_unreachable(&self, client: &str, reason: &str) {
        self.board()
            .unreachable
            .insert(client.to_string(), reason.to_string());
    }

    /// Records that `client` reaches the brokers (again).
    pub fn broker_reachable(&self, client: &str) {
        let mut board = self.board();
        if board.unreachable.remove(client).is_some() {
            tracing::info!(client, "Kafka cluster reachable again");
        }
    }

    /// Whether `client` is marked unreachable.
    pub fn is_unreachable(&self, client: &str) -> bool {
        self.board().unreachable.contains_key(client)
    }

    /// Stops watching a loop that ended on purpose.
    pub fn forget_heartbeat(&self, component: &str) {
        self.board().heartbeats.remove(component);
    }

    /// `Ok` while no watched loop is stalled (see [`super::liveness`]), with the loops that
    /// wait on the broker meanwhile; otherwise the stalled loops.
    pub fn liveness(&self) -> Result<Alive, Vec<Stalled>> {
        let board = self.board();
        let now = Instant::now();
        let mut alive = Alive::default();
        let mut stalled = Vec::new();
        for (name, watched) in &board.heartbeats {
            match liveness::judge(name, watched, self.stall_after, now) {
                Verdict::Alive => {}
                Verdict::Waiting(waiting) => alive.waiting.push(waiting),
                Verdict::Stalled(one) => stalled.push(one),
            }
        }
        if stalled.is_empty() {
            Ok(alive)
        } else {
            Err(stalled)
        }
    }

    /// `Ok` when the process is running and every query is running; otherwise what is not.
    pub fn readiness(&self) -> Result<(), NotReady> {
        let board = self.board();
        let not_running: Vec<QueryStatus> = board
            .queries
            .values()
            .filter(|q| q.state != QueryState::Running)
            .cloned()
            .collect();
        if board.phase == ProcessPhase::Running
            && !board.queries.is_empty()
            && not_running.is_empty()
            && board.unreachable.is_empty()
        {
            return Ok(());
        }
        Err(NotReady {
            phase: board.phase,
            queries: not_running,
            unreachable: board
                .unreachable
                .iter()
                .map(|(client, reason)| format!("{client}: {reason}"))
                .collect(),
        })
    }

    /// Everything `/info` shows.
    pub fn info(&self) -> serde_json::Value {
        let board = self.board();
        serde_json::json!({
            "version": env!("CARGO_PKG_VERSION"),
            "service_id": self.service_id,
            "queries_file": self.queries_file,
            "lock_hash": board.lock_hash,
            "phase": board.phase,
            "uptime_seconds": self.started.elapsed().as_secs(),
            "queries": board.queries.values().collect::<Vec<_>>(),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn query(id: &str, state: QueryState) -> QueryStatus {
        QueryStatus {
            id: id.into(),
            state,
            sink: "S".into(),
            tasks: vec![],
            detail: None,
        }
    }

    #[test]
    fn not_ready_while_a_client_cannot_reach_the_brokers() {
        let board = StatusBoard::new("svc", "q.sql", Duration::from_secs(30));
        board.set_query(query("CSAS_A", QueryState::Running));
        board.set_phase(ProcessPhase::Running);
        assert!(board.readiness().is_ok());
        board.broker_unreachable("CSAS_A/thread-0", "1/1 brokers are down");
        let not_ready = board.readiness().expect_err("unreachable brokers");
        assert_eq!(
            not_ready.unreachable,
            ["CSAS_A/thread-0: 1/1 brokers are down"]
        );
        assert!(not_ready.queries.is_empty(), "the query itself still runs");
        board.broker_reachable("CSAS_A/thread-0");
        assert!(board.readiness().is_ok());
    }

    #[test]
    fn ready_only_when_running_and_every_query_runs() {
        let board = StatusBoard::new("svc", "q.sql", Duration::from_secs(30));
        assert!(board.readiness().is_err(), "starting with no queries");
        board.set_query(query("CSAS_A", QueryState::Running));
        board.set_query(query("CTAS_B", QueryState::Restoring));
        board.set_phase(ProcessPhase::Running);
        let not_ready = board.readiness().unwrap_err();
        assert_eq!(not_ready.queries.len(), 1);
        assert_eq!(not_ready.queries[0].id, "CTAS_B");
        board.set_query_state("CTAS_B", QueryState::Running, None);
        assert!(board.readiness().is_ok());
    }

    #[test]
    fn a_stalled_loop_fails_liveness() {
        let board = StatusBoard::new("svc", "q.sql", Duration::from_millis(0));
        assert!(board.liveness().is_ok());
        board.heartbeat("stream-thread-0");
        std::thread::sleep(Duration::from_millis(2));
        let stalled = board.liveness().unwrap_err();
        assert_eq!(stalled[0].name, "stream-thread-0", "{stalled:?}");
        board.forget_heartbeat("stream-thread-0");
        assert!(board.liveness().is_ok());
    }

    #[test]
    fn a_loop_inside_a_broker_call_is_waiting_not_stalled_until_the_call_ends() {
        let board = Arc::new(StatusBoard::new("svc", "q.sql", Duration::from_millis(0)));
        let watch = crate::telemetry::LoopWatch::new(board.clone(), "CSAS_A/thread-0");
        {
            let _call = watch.enter("commit_transaction", Duration::from_secs(30));
            std::thread::sleep(Duration::from_millis(2));
            assert_eq!(board.liveness(), Ok(Alive::default()), "inside the call");
            let nested = watch.call("fetch_watermarks", Duration::from_secs(1), || 7);
            assert_eq!(nested, 7);
            std::thread::sleep(Duration::from_millis(2));
            assert!(board.liveness().is_ok(), "back in the outer call");
        }
        std::thread::sleep(Duration::from_millis(2));
        let stalled = board.liveness().unwrap_err();
        assert_eq!(stalled[0].name, "CSAS_A/thread-0");
        assert_eq!(stalled[0].blocked_in, None, "the call ended");
    }
}
