//! Query supervision: [`Runtime::start`] runs `threads` stream threads per query, each on its
//! own OS thread; a thread that fails is restarted after an exponential backoff
//! (`errors.restart_backoff_initial` doubling up to `restart_backoff_max`) while the other
//! threads and queries go on, so one failing query never stops the others. With
//! `standby_replicas` a stateful query also gets a standby thread (`standby::follower`). What every thread
//! does is summed up per query on the status board (`/readyz`, `/info`) and in the metrics.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::RuntimeError;
use super::client::ClientSettings;
use super::query::RuntimeQuery;
use super::standby::{self, Standbys};
use super::thread;
use crate::state::RocksBudget;
use crate::telemetry::{Metrics, QueryState, QueryStatus, StatusBoard};
use crate::topology::TaskId;

/// What every stream thread of the process shares.
pub struct Shared {
    pub settings: ClientSettings,
    /// Partition count of every topic the queries touch.
    pub partitions: BTreeMap<String, i32>,
    pub metrics: Metrics,
    pub status: Arc<StatusBoard>,
    pub options: RuntimeOptions,
    /// The memory budget every RocksDB store of the process shares.
    pub budget: RocksBudget,
    stop: AtomicBool,
}

impl Shared {
    pub fn new(
        settings: ClientSettings,
        partitions: BTreeMap<String, i32>,
        metrics: Metrics,
        status: Arc<StatusBoard>,
        mut options: RuntimeOptions,
    ) -> Shared {
        options.threads = options.threads.max(1);
        Shared {
            settings,
            partitions,
            metrics,
            status,
            budget: RocksBudget::new(options.block_cache_bytes, options.write_buffer_bytes),
            options,
            stop: AtomicBool::new(false),
        }
    }

    pub fn stopping(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

/// The knobs of the runtime, from the config.
#[derive(Debug, Clone)]
pub struct RuntimeOptions {
    pub exactly_once: bool,
    pub commit_interval: Duration,
    pub processing_log: String,
    pub fail_on_deserialization: bool,
    pub fail_on_processing: bool,
    pub state_dir: PathBuf,
    /// Names this replica's clients (and transactional ids) so a restart fences its own past.
    pub replica_id: String,
    pub threads: usize,
    pub backoff_initial: Duration,
    pub backoff_max: Duration,
    pub block_cache_bytes: usize,
    pub write_buffer_bytes: usize,
    pub cleanup_delay: Duration,
    /// Replicas that keep a standby of each stateful task (`standby_replicas`).
    pub standby_replicas: usize,
    /// The record cache of each query on this replica (`cache.max.bytes.buffering`), divided
    /// evenly among the query's stream threads; 0 disables it.
    pub record_cache_bytes: usize,
}

/// Where one stream thread is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ThreadPhase {
    /// Joining the group or restoring state.
    Restoring,
    Running,
    Failed(String),
    /// Not processing: the query's group runs another plan (the conflict, as text).
    LockConflict(String),
    Stopped,
}

/// One query and the phases of its threads.
pub struct QueryShared {
    pub query: RuntimeQuery,
    /// The query's standby tasks on this replica and the tasks being opened as active.
    pub standbys: Standbys,
    shared_status: Arc<StatusBoard>,
    metrics: Metrics,
    threads: Mutex<BTreeMap<usize, (ThreadPhase, Vec<TaskId>)>>,
}

impl QueryShared {
    /// Tasks any thread of this process owns now, as `<sub>_<partition>`.
    pub fn owned_tasks(&self) -> Vec<String> {
        let threads = self.threads.lock().unwrap_or_else(PoisonError::into_inner);
        threads
            .values()
            .flat_map(|(_, tasks)| tasks.iter().map(TaskId::to_string))
            .collect()
    }

    pub fn set_phase(&self, thread: usize, phase: ThreadPhase, tasks: &[TaskId]) {
        let mut threads = self.threads.lock().unwrap_or_else(PoisonError::into_inner);
        threads.insert(thread, (phase, tasks.to_vec()));
        let phases: Vec<&ThreadPhase> = threads.values().map(|(p, _)| p).collect();
        let tasks: Vec<String> = threads
            .values()
            .flat_map(|(_, t)| t.iter().map(TaskId::to_string))
            .collect();
        let (state, detail) = if let Some(ThreadPhase::Failed(why)) =
            phases.iter().find(|p| matches!(p, ThreadPhase::Failed(_)))
        {
            (QueryState::Error, Some(why.clone()))
        } else if let Some(ThreadPhase::LockConflict(why)) = phases
            .iter()
            .find(|p| matches!(p, ThreadPhase::LockConflict(_)))
        {
            (QueryState::LockConflict, Some(why.clone()))
        } else if phases.contains(&&ThreadPhase::Restoring) {
            (
                QueryState::Restoring,
                Some("joining the consumer group or restoring state".to_owned()),
            )
        } else if phases.iter().all(|p| **p == ThreadPhase::Stopped) {
            (QueryState::Stopped, None)
        } else if tasks.is_empty() {
            (
                QueryState::Running,
                Some("idle: no partitions are assigned to this replica".to_owned()),
            )
        } else {
            (QueryState::Running, None)
        };
        let id = self.query.id.as_str();
        self.metrics
            .tasks_assigned
            .with_label_values(&[id])
            .set(tasks.len() as i64);
        for s in QueryState::ALL {
            self.metrics
                .query_state
                .with_label_values(&[id, s.as_str()])
                .set(i64::from(s == state));
        }
        self.shared_status.set_query(QueryStatus {
            id: self.query.id.clone(),
            state,
            sink: self.query.sink.clone(),
            tasks,
            detail,
        });
    }
}

/// The running queries; stop them with [`Runtime::stop`].
pub struct Runtime {
    shared: Arc<Shared>,
    handles: Vec<JoinHandle<()>>,
}

impl Runtime {
    /// Starts every query's stream threads. Topics must already exist (see `topics`).
    pub fn start(shared: Shared, queries: Vec<RuntimeQuery>) -> Result<Runtime, RuntimeError> {
        let shared = Arc::new(shared);
        let mut handles = Vec::new();
        for query in queries {
            let query = Arc::new(QueryShared {
                query,
                standbys: Standbys::default(),
                shared_status: shared.status.clone(),
                metrics: shared.metrics.clone(),
                threads: Mutex::new(BTreeMap::new()),
            });
            for index in 0..shared.options.threads {
                query.set_phase(index, ThreadPhase::Restoring, &[]);
                let (shared, query) = (shared.clone(), query.clone());
                let name = format!("weir-{}-{index}", query.query.id);
                let handle = std::thread::Builder::new()
                    .name(name.chars().take(15).collect())
                    .spawn(move || supervise(&shared, &query, index))
                    .map_err(|e| RuntimeError::Task(format!("spawning {name}: {e}")))?;
                handles.push(handle);
            }
            if shared.options.standby_replicas > 0 && standby::follower::has_state(&query) {
                let (shared, query) = (shared.clone(), query.clone());
                let name = format!("weir-{}-standby", query.query.id);
                let handle = std::thread::Builder::new()
                    .name(name.chars().take(15).collect())
                    .spawn(move || standby::follower::run(&shared, &query))
                    .map_err(|e| RuntimeError::Task(format!("spawning {name}: {e}")))?;
                handles.push(handle);
            }
        }
        Ok(Runtime { shared, handles })
    }

    /// Asks every stream thread to commit, close its tasks and leave its group, and waits up
    /// to `timeout` for them. Returns whether all of them finished in time.
    pub fn stop(self, timeout: Duration) -> bool {
        self.shared.stop.store(true, Ordering::Relaxed);
        let deadline = Instant::now() + timeout;
        for handle in &self.handles {
            while !handle.is_finished() {
                if Instant::now() > deadline {
                    return false;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        for handle in self.handles {
            let _ = handle.join();
        }
        true
    }
}

fn supervise(shared: &Arc<Shared>, query: &Arc<QueryShared>, index: usize) {
    let mut backoff = shared.options.backoff_initial;
    loop {
        let started = Instant::now();
        match thread::run(shared, query, index) {
            Ok(()) => break,
            Err(error) => {
                tracing::error!(
                    query = %query.query.id,
                    thread = index,
                    %error,
                    retry_in = ?backoff,
                    "stream thread failed; restarting it"
                );
                query.set_phase(index, ThreadPhase::Failed(error.to_string()), &[]);
                if started.elapsed() > shared.options.backoff_max {
                    backoff = shared.options.backoff_initial;
                }
                let until = Instant::now() + backoff;
                while Instant::now() < until && !shared.stopping() {
                    std::thread::sleep(Duration::from_millis(20));
                }
                if shared.stopping() {
                    break;
                }
                backoff = (backoff * 2).min(shared.options.backoff_max);
                query.set_phase(index, ThreadPhase::Restoring, &[]);
            }
        }
    }
    query.set_phase(index, ThreadPhase::Stopped, &[]);
}
