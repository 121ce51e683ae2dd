//! One stream thread of one query: a group consumer whose rebalance callbacks open and close
//! tasks, a loop that polls records into [`Work`], commits every `commit_interval`, and on
//! stop commits, closes its tasks and closes the consumer (a dynamic member leaves the group
//! then; a static member stays in it, holding its partitions for its next run, until its
//! session times out). Before it joins, and after every assignment, it looks at the group's
//! live members ([`agreement`]): while another plan of the query runs there it waits outside
//! the group, or leaves it before opening a task. It runs on its own OS thread, off the async
//! I/O runtime, and returns an error only for failures that need a fresh start (a lost
//! producer, a failed commit or transaction, a fenced static member); the supervisor then
//! restarts it.
//!
//! Every blocking broker call the thread makes, here and in [`Work`] (rebalance callbacks
//! included: they run inside `poll`), goes through its [`LoopWatch`], so `/healthz` tells a
//! thread waiting on a slow broker from a stuck one (see `telemetry::liveness`).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, Rebalance, RebalanceProtocol};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::Producer;
use rdkafka::statistics::Statistics;
use rdkafka::types::RDKafkaRespErr;
use rdkafka::{ClientContext, TopicPartitionList};

use super::RuntimeError;
use super::agreement::{self, Conflict, Verdict};
use super::collector::{DeliveryTracker, ThreadProducer};
use super::memory;
use super::positions;
use super::restore::Restorer;
use super::supervisor::{QueryShared, Shared, ThreadPhase};
use super::work::Work;
use crate::telemetry::LoopWatch;

/// How long one poll may wait for a record before the loop checks for a stop and a commit.
const POLL: Duration = Duration::from_millis(50);
/// Most records taken from the consumer per lock of the thread's work (and per clock read).
const BATCH: usize = 512;
/// How often the loop proves it is alive to `/healthz`.
const HEARTBEAT: Duration = Duration::from_secs(1);
/// How long a metadata request that checks whether an unreachable cluster is back may take.
const REACHABLE_PROBE: Duration = Duration::from_millis(500);
/// How long initialising transactions may take.
const INIT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long closing the thread's clients may be taken to last (librdkafka gives a consumer's
/// close no timeout of its own: a dynamic member leaves the group, waiting for the
/// coordinator).
const CLOSE_BOUND: Duration = Duration::from_secs(30);

/// The consumer's context: routes rebalance callbacks (run inside `poll`) to the thread's work,
/// counts them so the poll loop knows when records it holds predate one, and notes when
/// librdkafka reports every broker down (the poll loop clears it when the cluster answers).
pub struct Rebalancer {
    work: Arc<Mutex<Work>>,
    rebalances: AtomicU64,
    shared: Arc<Shared>,
    /// The thread's name on the status board (its heartbeat name).
    name: String,
    /// The thread's heartbeats and broker calls (the callbacks run on the thread).
    watch: LoopWatch,
    unreachable: AtomicBool,
    query: Arc<QueryShared>,
    /// Set by an assignment after which this replica must leave the group: the group runs
    /// another plan of the query, which keeps it by the race rule.
    refused: Mutex<Option<Conflict>>,
}

impl Rebalancer {
    fn rebalances(&self) -> u64 {
        self.rebalances.load(Ordering::Relaxed)
    }

    fn take_refusal(&self) -> Option<Conflict> {
        self.refused
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// The lock agreement after an assignment (see [`agreement`]): the conflict when this
    /// replica must leave the group. A listing that fails lets the assignment stand: the
    /// check before joining passed, and the next rebalance checks again.
    fn refusal_after_joining(&self, consumer: &BaseConsumer<Self>) -> Option<Conflict> {
        let query = &self.query.query;
        let listed = self.watch.call("list_groups", agreement::LIST_TIMEOUT, || {
            agreement::live_plan_tags(consumer, &query.app_id)
        });
        let tags = match listed {
            Ok(tags) => tags,
            Err(error) => {
                tracing::warn!(query = %query.id, %error, "cannot list the consumer group after an assignment; keeping it");
                return None;
            }
        };
        match agreement::decide(&query.id, &query.app_id, &query.plan_tag, &tags, true) {
            Verdict::Agrees => None,
            Verdict::Prevails(conflict) => {
                tracing::warn!(
                    query = %query.id,
                    group = %query.app_id,
                    ours = %conflict.ours,
                    theirs = %conflict.theirs.join(","),
                    "replicas with another plan of the query joined its group together with this one; this one keeps it (smallest plan tag) and they leave"
                );
                None
            }
            Verdict::Refuses(conflict) => Some(conflict),
        }
    }
}

impl ClientContext for Rebalancer {
    /// librdkafka's statistics, delivered inside `poll`: the thread's lag and store metrics
    /// (see `work::telemetry`). A tick that finds the work busy is skipped, never waited for.
    fn stats(&self, statistics: Statistics) {
        if let Ok(work) = self.work.try_lock() {
            work.record_statistics(&statistics);
        }
    }

    fn error(&self, error: KafkaError, reason: &str) {
        if matches!(error, KafkaError::Global(RDKafkaErrorCode::AllBrokersDown)) {
            if !self.unreachable.swap(true, Ordering::Relaxed) {
                tracing::warn!(thread = %self.name, reason, "Kafka cluster unreachable; processing pauses until it is back");
            }
            self.shared.status.broker_unreachable(&self.name, reason);
        } else {
            tracing::warn!(thread = %self.name, %error, reason, "Kafka client error (librdkafka retries by itself)");
        }
    }
}

impl ConsumerContext for Rebalancer {
    /// A rebalance event, handled as rust-rdkafka's default handles it but for one step: an
    /// assignment is handed to librdkafka with the group's committed offsets, fetched by
    /// [`positions::committed_starts`] (which says why librdkafka's own fetch is not trusted).
    fn rebalance(
        &self,
        consumer: &BaseConsumer<Self>,
        event: RDKafkaRespErr,
        partitions: &mut TopicPartitionList,
    ) {
        let cooperative = matches!(
            consumer.rebalance_protocol(),
            RebalanceProtocol::Cooperative
        );
        match event {
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => {
                self.pre_rebalance(consumer, &Rebalance::Assign(partitions));
                let starts = positions::committed_starts(consumer, partitions, &self.watch, || {
                    self.shared.stopping()
                });
                // Stopping: nothing will be read, so librdkafka's own start does no harm.
                let assigned = starts.as_ref().unwrap_or(partitions);
                let handed = if cooperative {
                    consumer.incremental_assign(assigned)
                } else {
                    consumer.assign(assigned)
                };
                if let Err(error) = handed {
                    tracing::error!(thread = %self.name, %error, "cannot take the assigned partitions");
                }
                self.post_rebalance(consumer, &Rebalance::Assign(assigned));
            }
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS => {
                self.pre_rebalance(consumer, &Rebalance::Revoke(partitions));
                let released = if cooperative {
                    consumer.incremental_unassign(partitions)
                } else {
                    consumer.unassign()
                };
                if let Err(error) = released {
                    tracing::error!(thread = %self.name, %error, "cannot release the revoked partitions");
                }
                self.post_rebalance(consumer, &Rebalance::Revoke(partitions));
            }
            other => {
                let error = KafkaError::Rebalance(other.into());
                tracing::error!(thread = %self.name, %error, "rebalance failed; dropping the assignment");
                let rebalance = Rebalance::Error(error);
                self.pre_rebalance(consumer, &rebalance);
                if let Err(error) = consumer.unassign() {
                    tracing::error!(thread = %self.name, %error, "cannot drop the assignment");
                }
                self.post_rebalance(consumer, &rebalance);
            }
        }
    }

    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        self.rebalances.fetch_add(1, Ordering::Relaxed);
        if let Rebalance::Revoke(partitions) = rebalance {
            lock(&self.work).revoke(consumer, partitions);
        }
    }

    fn post_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        self.rebalances.fetch_add(1, Ordering::Relaxed);
        if let Rebalance::Assign(partitions) = rebalance {
            if let Some(conflict) = self.refusal_after_joining(consumer) {
                // No task is opened: records fetched for these partitions are ignored, and the
                // poll loop leaves the group.
                *self.refused.lock().unwrap_or_else(PoisonError::into_inner) = Some(conflict);
                return;
            }
            lock(&self.work).assign(partitions);
        }
    }
}

pub type GroupConsumer = BaseConsumer<Rebalancer>;

/// The name under which thread `index` of `query` beats for `/healthz` (restores beat too).
pub fn heartbeat_name(query: &str, index: usize) -> String {
    format!("{query}/thread-{index}")
}

fn lock(work: &Mutex<Work>) -> MutexGuard<'_, Work> {
    work.lock().unwrap_or_else(PoisonError::into_inner)
}

/// How the poll loop ended without an error.
enum LoopEnd {
    /// The runtime is stopping.
    Stopped,
    /// The group runs another plan of the query, which keeps it: leave and wait.
    Refused(Conflict),
}

/// Runs thread `index` of `query` until the runtime stops (Ok) or it fails (Err). The thread
/// is watched from its first broker call to its return, however it ends.
pub fn run(
    shared: &Arc<Shared>,
    query: &Arc<QueryShared>,
    index: usize,
) -> Result<(), RuntimeError> {
    let watch = LoopWatch::new(
        shared.status.clone(),
        &heartbeat_name(&query.query.id, index),
    );
    let result = run_watched(shared, query, index, &watch);
    shared.status.broker_reachable(watch.name());
    watch.forget();
    result
}

fn run_watched(
    shared: &Arc<Shared>,
    query: &Arc<QueryShared>,
    index: usize,
    watch: &LoopWatch,
) -> Result<(), RuntimeError> {
    let app_id = &query.query.app_id;
    let client_id = format!("{app_id}-{}-{index}", shared.options.replica_id);
    let transactional_id = shared.options.exactly_once.then(|| client_id.clone());
    let producer: ThreadProducer = shared
        .settings
        .producer(&client_id, transactional_id.as_deref())
        .create_with_context(DeliveryTracker::default())
        .map_err(|e| RuntimeError::Kafka(format!("creating the producer: {e}")))?;
    if shared.options.exactly_once {
        watch
            .call("init_transactions", INIT_TIMEOUT, || {
                producer.init_transactions(INIT_TIMEOUT)
            })
            .map_err(|e| RuntimeError::Kafka(format!("initialising transactions: {e}")))?;
    }
    let restorer = Restorer::new(&shared.settings.restore_consumer(&client_id), watch.clone())?;
    let work = Arc::new(Mutex::new(Work::new(
        shared.clone(),
        query.clone(),
        index,
        producer,
        restorer,
        watch.clone(),
    )));
    // Also its `group.instance.id` under static membership: a static member's id is
    // `<group.instance.id>-<uuid>`, still tagged for the lock agreement, and a replica
    // restarted with another plan does not take its previous run's place in the group.
    let consumer_id = agreement::tagged_client_id(&client_id, &query.query.plan_tag);
    let consumer: GroupConsumer = shared
        .settings
        .group_consumer(app_id, &consumer_id)
        .create_with_context(Rebalancer {
            work: work.clone(),
            rebalances: AtomicU64::new(0),
            shared: shared.clone(),
            name: watch.name().to_owned(),
            watch: watch.clone(),
            unreachable: AtomicBool::new(false),
            query: query.clone(),
            refused: Mutex::new(None),
        })
        .map_err(|e| RuntimeError::Kafka(format!("creating the consumer: {e}")))?;
    let topics: Vec<&str> = query
        .query
        .topology
        .spec()
        .sub_topologies
        .iter()
        .flat_map(|s| s.sources.iter().map(String::as_str))
        .collect();
    let result = loop {
        if !wait_for_agreement(shared, query, index, &consumer, watch) {
            break Ok(());
        }
        consumer.subscribe(&topics).map_err(|e| {
            RuntimeError::Kafka(format!("subscribing to {}: {e}", topics.join(", ")))
        })?;
        match poll_loop(shared, &consumer, &work, watch) {
            Ok(LoopEnd::Stopped) => break Ok(()),
            Ok(LoopEnd::Refused(conflict)) => {
                report_conflict(query, index, &conflict, "leaving its consumer group");
                if let Err(error) = lock(&work).close_all(&consumer) {
                    break Err(error);
                }
                // The revocation this starts is served by the polls of the wait that follows,
                // and then librdkafka sends LeaveGroup, static member or not (it withholds it
                // from a static member only when the consumer is closing).
                consumer.unsubscribe();
            }
            Err(error) => break Err(error),
        }
    };
    let mut guard = lock(&work);
    let result = result.and_then(|()| {
        // A clean stop: commit what was processed and checkpoint before leaving the group.
        guard.close_all(&consumer)
    });
    if result.is_err() {
        guard.abort();
    }
    drop(guard);
    // Closing the consumer unsubscribes. A dynamic member leaves the group; a static member
    // sends no LeaveGroup (KIP-345), so the group keeps its partitions until its session times
    // out, and its next run with the same `group.instance.id` gets them without a rebalance.
    watch.call("close_clients", CLOSE_BOUND, || {
        drop(consumer);
        drop(work);
    });
    result
}

/// Waits until no live member of the query's group carries another plan (see [`agreement`]),
/// showing the conflict on the status board meanwhile. False when the runtime stops first.
fn wait_for_agreement(
    shared: &Shared,
    query: &QueryShared,
    index: usize,
    consumer: &GroupConsumer,
    watch: &LoopWatch,
) -> bool {
    let q = &query.query;
    let mut shown: Option<Conflict> = None;
    while !shared.stopping() {
        let listed = watch.call("list_groups", agreement::LIST_TIMEOUT, || {
            agreement::live_plan_tags(consumer, &q.app_id)
        });
        match listed {
            Ok(tags) => match agreement::decide(&q.id, &q.app_id, &q.plan_tag, &tags, false) {
                Verdict::Agrees => {
                    if shown.is_some() {
                        tracing::info!(query = %q.id, group = %q.app_id, plan = %q.plan_tag, "no live replica runs another plan of the query any more; starting it");
                        query.set_phase(index, ThreadPhase::Restoring, &[]);
                    }
                    return true;
                }
                Verdict::Refuses(conflict) | Verdict::Prevails(conflict) => {
                    if shown.as_ref() != Some(&conflict) {
                        report_conflict(query, index, &conflict, "waiting outside its group");
                        shown = Some(conflict);
                    }
                }
            },
            Err(error) => {
                tracing::warn!(query = %q.id, %error, "cannot list the query's consumer group; retrying before joining it");
            }
        }
        watch.beat();
        // Polling serves the consumer's callbacks (the revocation after leaving the group).
        let until = Instant::now() + agreement::RECHECK_EVERY;
        while Instant::now() < until && !shared.stopping() {
            let _ = consumer.poll(POLL);
        }
    }
    false
}

/// Logs a lock conflict and shows it on the status board (`/readyz`, `/info`).
fn report_conflict(query: &QueryShared, index: usize, conflict: &Conflict, doing: &str) {
    tracing::warn!(
        query = %conflict.query,
        group = %conflict.group,
        ours = %conflict.ours,
        theirs = %conflict.theirs.join(","),
        thread = index,
        "{conflict}; {doing}"
    );
    query.set_phase(index, ThreadPhase::LockConflict(conflict.to_string()), &[]);
}

fn poll_loop(
    shared: &Shared,
    consumer: &GroupConsumer,
    work: &Mutex<Work>,
    watch: &LoopWatch,
) -> Result<LoopEnd, RuntimeError> {
    let mut last_beat = Instant::now() - HEARTBEAT;
    let mut last_release = Instant::now();
    let mut batch = Vec::with_capacity(BATCH);
    // Whether a record arrived since the last heartbeat: proof the cluster is reachable.
    let mut polled_any = false;
    while !shared.stopping() {
        // Poll outside the lock: rebalance callbacks run inside `poll` and take it themselves.
        // Records polled before a rebalance are dropped: their tasks were closed at the
        // committed positions (and may be open again), so they are fetched again from there.
        let mut wait = POLL;
        while batch.len() < BATCH {
            let rebalances = consumer.context().rebalances();
            let polled = consumer.poll(wait);
            if consumer.context().rebalances() != rebalances {
                batch.clear();
            }
            match polled {
                Some(Ok(message)) => {
                    polled_any = true;
                    batch.push(message);
                }
                Some(Err(error)) => {
                    tracing::warn!(%error, "consumer error (librdkafka retries by itself)");
                }
                None => break,
            }
            wait = Duration::ZERO;
        }
        if let Some(conflict) = consumer.context().take_refusal() {
            return Ok(LoopEnd::Refused(conflict));
        }
        if batch.is_empty() && last_release.elapsed() >= memory::TRIM_EVERY {
            // Idle: the pages this thread emptied while busy go back to the system.
            memory::release_thread_cache();
            last_release = Instant::now();
        }
        let mut guard = lock(work);
        guard.handle_batch(&batch);
        batch.clear();
        guard.producer.poll(Duration::ZERO);
        if let Some(failure) = guard.failure.take() {
            guard.abort();
            return Err(failure);
        }
        if guard.commit_due() {
            guard.commit(consumer)?;
        }
        if last_beat.elapsed() >= HEARTBEAT {
            watch.beat();
            last_beat = Instant::now();
            check_reachable(shared, consumer, watch, polled_any);
            polled_any = false;
            if let Some(failure) = fenced(consumer) {
                return Err(failure);
            }
        }
    }
    Ok(LoopEnd::Stopped)
}

/// While the thread is marked unreachable on the status board, clears the mark once the
/// cluster answers: a record polled since the last check, or else a metadata request (made
/// only in that state, so a healthy thread never blocks on it). The board, not this
/// consumer's flag, is what counts: a consumer closed during an outage (a restarted thread)
/// may have marked it last.
fn check_reachable(shared: &Shared, consumer: &GroupConsumer, watch: &LoopWatch, polled_any: bool) {
    let name = watch.name();
    if !shared.status.is_unreachable(name) {
        return;
    }
    let answered = || {
        watch.call("fetch_metadata", REACHABLE_PROBE, || {
            consumer.fetch_metadata(None, REACHABLE_PROBE).is_ok()
        })
    };
    if polled_any || answered() {
        consumer
            .context()
            .unreachable
            .store(false, Ordering::Relaxed);
        shared.status.broker_reachable(name);
    }
}

/// The consumer's fatal error, as a thread failure. A group consumer fails for good only as a
/// static member another consumer fenced by joining with its `group.instance.id`: another
/// process runs with this replica's id (from the same or a copied `state_dir`). Without this
/// check the fenced thread would poll on without an assignment, looking healthy.
fn fenced(consumer: &GroupConsumer) -> Option<RuntimeError> {
    let (_, reason) = consumer.client().fatal_error()?;
    Some(RuntimeError::Kafka(format!(
        "{reason}: another weir process runs with this replica's id; give every replica a \
         state_dir of its own"
    )))
}
