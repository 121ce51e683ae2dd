//! [`Work`]: everything one stream thread of one query owns besides its group consumer: the
//! producer, the restore consumer, the active tasks and their input positions, and the
//! commit cycle. The thread's loop feeds it records; the consumer's rebalance callbacks (which
//! run inside `poll`, on the same thread) call [`Work::assign`] and [`Work::revoke`].
//!
//! The commit cycle is in `commit.rs`, the rebalance callbacks in `rebalance.rs`.
//!
//! A record is processed to completion as soon as it is polled (the task still orders records
//! of several buffered inputs by timestamp), so a task's buffer never holds more than the
//! record at hand and a task's input position is exactly what has been processed. Failed
//! records go to the processing log; a producer or commit failure is fatal for the thread,
//! which the supervisor restarts with its state restored from the changelogs.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use prometheus::{Histogram, IntCounter};
use rdkafka::message::{BorrowedMessage, Headers, Message};
use rdkafka::producer::{BaseRecord, Producer};

mod commit;
mod rebalance;
mod telemetry;

pub use telemetry::RebalanceKind;

use crate::runtime::RuntimeError;
use crate::runtime::collector::{KafkaCollector, ThreadProducer, produce};
use crate::runtime::processing_log;
use crate::runtime::restore::Restorer;
use crate::runtime::stores::ChangelogBuffer;
use crate::runtime::supervisor::{QueryShared, Shared, ThreadPhase};
use crate::runtime::task_state::TaskState;
use crate::state::CacheBudget;
use crate::state::buffered::ChangelogWrite;
use crate::telemetry::LoopWatch;
use crate::topology::{Header, ProcessingError, ProcessingErrorKind, RawRecord, Task, TaskId};

/// How long a commit, flush or transaction call may block.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// How often abandoned task state is looked for.
const CLEANUP_EVERY: Duration = Duration::from_secs(60);

/// Where records of one input topic go.
struct Route {
    sub_topology: u32,
    /// Records consumed, by partition: a series only while this thread owns the partition.
    consumed: Vec<Option<IntCounter>>,
}

/// One input partition of a task: the next offset to process (what the next commit stores)
/// and the offset last committed for it, both -1 while unknown.
struct InputPosition {
    topic: String,
    partition: i32,
    next: i64,
    /// What this thread last committed, or the group's committed offset it was assigned
    /// with: the start of the group's lag, as `kafka-consumer-groups` and librdkafka's
    /// `consumer_lag` count it.
    committed: i64,
}

struct ActiveTask {
    task: Task,
    state: TaskState,
    /// Where the task stands in each of its input partitions.
    positions: Vec<InputPosition>,
    /// The task's late drops already added to `weir_late_records_dropped_total`.
    late_counted: u64,
}

pub struct Work {
    shared: Arc<Shared>,
    query: Arc<QueryShared>,
    thread: usize,
    pub producer: ThreadProducer,
    restorer: Restorer,
    /// The thread's heartbeats and broker calls.
    watch: LoopWatch,
    tasks: BTreeMap<TaskId, ActiveTask>,
    routes: HashMap<String, Route>,
    changelog: ChangelogBuffer,
    /// The changelog writes being sent (kept to reuse its allocation).
    changelog_out: Vec<ChangelogWrite>,
    /// The record cache budget every task of this thread shares (`None`: no cache).
    record_cache: Option<CacheBudget>,
    /// Wall clock at the start of the current batch, epoch milliseconds.
    now_ms: i64,
    in_transaction: bool,
    pending_commit: bool,
    last_commit: Instant,
    last_cleanup: Instant,
    /// A fatal error raised inside a callback, returned by the thread's loop.
    pub failure: Option<RuntimeError>,
    /// Set by the first fatal error and never cleared: nothing processed since the last
    /// commit may be committed any more (the consumer's close still revokes the tasks).
    failed: bool,
    produced: IntCounter,
    latency: Histogram,
    late_dropped: IntCounter,
    aborted: IntCounter,
    headers: Vec<Header>,
}

impl Work {
    pub fn new(
        shared: Arc<Shared>,
        query: Arc<QueryShared>,
        thread: usize,
        producer: ThreadProducer,
        restorer: Restorer,
        watch: LoopWatch,
    ) -> Work {
        let id = &query.query.id;
        let mut routes = HashMap::new();
        for sub in &query.query.topology.spec().sub_topologies {
            for topic in &sub.sources {
                let count = shared.partitions.get(topic).copied().unwrap_or(1);
                let consumed = vec![None; usize::try_from(count).unwrap_or(1)];
                routes.insert(
                    topic.clone(),
                    Route {
                        sub_topology: sub.id,
                        consumed,
                    },
                );
            }
        }
        let produced = shared
            .metrics
            .records_produced_total
            .with_label_values(&[id.as_str(), query.query.sink_topic.as_str()]);
        let latency = shared
            .metrics
            .end_to_end_latency_seconds
            .with_label_values(&[id.as_str()]);
        let late_dropped = shared
            .metrics
            .late_records_dropped_total
            .with_label_values(&[id.as_str()]);
        let aborted = shared
            .metrics
            .transactions_aborted_total
            .with_label_values(&[id.as_str()]);
        // Kafka Streams divides `cache.max.bytes.buffering` evenly among the stream threads.
        let per_query = query
            .query
            .record_cache_bytes
            .unwrap_or(shared.options.record_cache_bytes);
        let per_thread = per_query / shared.options.threads.max(1);
        let record_cache = (per_thread > 0).then(|| CacheBudget::new(per_thread));
        Work {
            shared,
            query,
            thread,
            producer,
            restorer,
            watch,
            tasks: BTreeMap::new(),
            routes,
            changelog: ChangelogBuffer::default(),
            changelog_out: Vec::new(),
            record_cache,
            now_ms: now_ms(),
            in_transaction: false,
            pending_commit: false,
            last_commit: Instant::now(),
            last_cleanup: Instant::now(),
            failure: None,
            failed: false,
            produced,
            latency,
            late_dropped,
            aborted,
            headers: Vec::new(),
        }
    }

    fn fail(&mut self, error: RuntimeError) {
        self.failed = true;
        if self.failure.is_none() {
            self.failure = Some(error);
        }
    }

    /// Runs a batch of polled records through their tasks, then sends what their stores
    /// logged. The wall clock (for the latency histogram) is read once per batch.
    pub fn handle_batch(&mut self, messages: &[BorrowedMessage<'_>]) {
        if messages.is_empty() {
            return;
        }
        self.now_ms = now_ms();
        for message in messages {
            // A failed thread handles no more: the rest of the batch is read again after the
            // restart (a record waiting for the registry must not be followed by others that
            // wait again, or pass it).
            if self.failed {
                break;
            }
            self.handle(message);
        }
        if let Err(e) = self.produce_changelog() {
            self.fail(e);
        }
    }

    /// Runs one polled record through its task.
    fn handle(&mut self, message: &BorrowedMessage<'_>) {
        let (topic, partition, offset) = (message.topic(), message.partition(), message.offset());
        let Some(route) = self.routes.get(topic) else {
            return;
        };
        let id = TaskId {
            sub_topology: route.sub_topology,
            partition,
        };
        if !self.tasks.contains_key(&id) {
            // Fetched before a revocation: the new owner reads it from the committed offset.
            return;
        }
        if let Some(Some(counter)) = route.consumed.get(partition as usize) {
            counter.inc();
        }
        if self.shared.options.exactly_once && !self.in_transaction {
            if let Err(e) = self.producer.begin_transaction() {
                return self.fail(RuntimeError::Kafka(format!("beginning a transaction: {e}")));
            }
            self.in_transaction = true;
        }
        let mut headers = std::mem::take(&mut self.headers);
        headers.clear();
        if let Some(kafka_headers) = message.headers() {
            for header in kafka_headers.iter() {
                headers.push(Header {
                    key: header.key.to_owned(),
                    value: header.value.map(<[u8]>::to_vec),
                });
            }
        }
        let raw = RawRecord {
            topic,
            partition,
            offset,
            timestamp: message.timestamp().to_millis().unwrap_or_else(now_ms),
            key: message.key(),
            value: message.payload(),
            headers: &headers,
        };
        self.run_record(id, &raw);
        self.headers = headers;
    }

    fn run_record(&mut self, id: TaskId, raw: &RawRecord<'_>) {
        let (topic, partition, offset) = (raw.topic, raw.partition, raw.offset);
        let Some(active) = self.tasks.get_mut(&id) else {
            return;
        };
        let mut result = active.task.enqueue(raw);
        if result.is_ok() {
            let mut collector = KafkaCollector {
                producer: &self.producer,
                partitions: &self.shared.partitions,
                sink_topic: &self.query.query.sink_topic,
                produced: &self.produced,
                latency: &self.latency,
                now_ms: self.now_ms,
            };
            result = active.task.process_all(&mut collector);
        }
        let late = active.task.late_dropped();
        if late > active.late_counted {
            self.late_dropped.inc_by(late - active.late_counted);
            active.late_counted = late;
        }
        let errors: Vec<ProcessingError> = active.task.drain_errors().collect();
        advance(&mut active.positions, topic, partition, offset + 1);
        self.pending_commit = true;
        for error in errors {
            self.log_failed_record(&error, raw);
        }
        if let Err(e) = result {
            self.fail(RuntimeError::Task(e.to_string()));
        }
    }

    fn log_failed_record(&mut self, error: &ProcessingError, raw: &RawRecord<'_>) {
        if error.kind == ProcessingErrorKind::State {
            return self.fail_on_state(error, raw);
        }
        if error.kind == ProcessingErrorKind::Unavailable {
            return self.fail_on_unavailable(error, raw);
        }
        let query = &self.query.query.id;
        let kind = error.kind.to_string();
        self.shared
            .metrics
            .processing_errors_total
            .with_label_values(&[query.as_str(), kind.as_str()])
            .inc();
        tracing::warn!(
            query = %query,
            topic = raw.topic,
            partition = raw.partition,
            offset = raw.offset,
            kind = %kind,
            error = %error.message,
            "record failed; written to the processing log and skipped"
        );
        let entry = processing_log::entry(query, error, raw);
        let record = BaseRecord::to(&self.shared.options.processing_log)
            .key(query.as_bytes())
            .payload(entry.as_bytes());
        if let Err(e) = produce(&self.producer, record) {
            self.fail(RuntimeError::Kafka(format!(
                "writing the processing log: {e}"
            )));
        }
        let fail = match error.kind {
            ProcessingErrorKind::Deserialization => self.shared.options.fail_on_deserialization,
            ProcessingErrorKind::Processing | ProcessingErrorKind::Serialization => {
                self.shared.options.fail_on_processing
            }
            ProcessingErrorKind::State | ProcessingErrorKind::Unavailable => true,
        };
        if fail {
            self.fail(RuntimeError::Task(format!(
                "record {}[{}]@{} failed and the error policy is `fail`: {}",
                raw.topic, raw.partition, raw.offset, error.message
            )));
        }
    }

    /// A state store failed under a record: the record is not skipped. The thread fails
    /// before anything of it is committed (under exactly-once its transaction is aborted), and
    /// the task's checkpoint is removed so that its stores are wiped and rebuilt from their
    /// changelogs when it opens again; the record is then processed again. A store that keeps
    /// failing (a full disk) keeps the query in ERROR, retried with backoff, the error naming
    /// the store's path.
    fn fail_on_state(&mut self, error: &ProcessingError, raw: &RawRecord<'_>) {
        if let Some(active) = self.tasks.get(&error.task)
            && let Err(e) = active.state.invalidate()
        {
            tracing::error!(task = %error.task, error = %e, "could not remove the checkpoint");
        }
        self.fail(RuntimeError::State(format!(
            "task {} failed on record {}[{}]@{} and stops; its stores are rebuilt from their \
             changelogs at the restart: {}",
            error.task, raw.topic, raw.partition, raw.offset, error.message
        )));
    }

    /// A service the record needs (Schema Registry) stayed unreachable while the record
    /// waited for it: the record is not skipped and nothing of it is committed. The thread
    /// fails; the supervisor restarts it with backoff from the committed offsets, so the
    /// record is read again. Its stores are intact and keep their checkpoint.
    fn fail_on_unavailable(&mut self, error: &ProcessingError, raw: &RawRecord<'_>) {
        tracing::warn!(
            query = %self.query.query.id,
            topic = raw.topic,
            partition = raw.partition,
            offset = raw.offset,
            error = %error.message,
            "record waits for an unavailable service; the thread restarts and reads it again"
        );
        self.fail(RuntimeError::Task(format!(
            "task {} waits for record {}[{}]@{}: {}",
            error.task, raw.topic, raw.partition, raw.offset, error.message
        )));
    }

    /// Sends what the stores logged since the last call.
    fn produce_changelog(&mut self) -> Result<(), RuntimeError> {
        let mut writes = std::mem::take(&mut self.changelog_out);
        crate::state::buffered::drain_into(&self.changelog, &mut writes);
        let result = self.send_changelog(&writes);
        writes.clear();
        self.changelog_out = writes;
        result
    }

    fn send_changelog(&self, writes: &[ChangelogWrite]) -> Result<(), RuntimeError> {
        for write in writes {
            let mut record = BaseRecord::to(&write.topic)
                .partition(write.partition)
                .key(write.key.as_slice());
            if let Some(value) = &write.value {
                record = record.payload(value.as_slice());
            }
            produce(&self.producer, record).map_err(RuntimeError::Kafka)?;
        }
        Ok(())
    }

    /// On a failure: aborts an open transaction so nothing of it becomes visible.
    pub fn abort(&mut self) {
        if self.in_transaction {
            let producer = &self.producer;
            let _ = self.watch.call("abort_transaction", CALL_TIMEOUT, || {
                producer.abort_transaction(CALL_TIMEOUT)
            });
            self.in_transaction = false;
            self.aborted.inc();
        }
    }

    /// Drops every task without committing, removing their series.
    fn forget_all(&mut self) {
        for (id, active) in std::mem::take(&mut self.tasks) {
            self.forget(id, &active);
            // Its stores close here; a standby may open them after.
            drop(active);
            self.query.standbys.release(id);
        }
    }

    /// Tells the status board and metrics which tasks this thread now owns.
    pub fn publish(&self) {
        let tasks: Vec<TaskId> = self.tasks.keys().copied().collect();
        self.query
            .set_phase(self.thread, ThreadPhase::Running, &tasks);
    }
}

impl Drop for Work {
    /// A thread that ends (or restarts with a new `Work`) exports nothing for its tasks.
    fn drop(&mut self) {
        self.forget_all();
    }
}

fn advance(positions: &mut [InputPosition], topic: &str, partition: i32, next: i64) {
    if let Some(p) = positions
        .iter_mut()
        .find(|p| p.partition == partition && p.topic == topic)
    {
        p.next = next;
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
