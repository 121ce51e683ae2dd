//! The [`Driver`]: runs registered topologies over in-memory [`Topics`] deterministically.
//! [`Driver::pipe`] appends one input record and runs it to completion before returning:
//! through every task that reads its topic partition, then through every record those tasks
//! wrote to topics that other tasks read (repartition topics, or another query's input), in
//! append order, until nothing is left. By default there is no record cache (a budget of 0,
//! as ksqlDB's test harness sets): every table update reaches its sink. With
//! [`Driver::record_cache`] each query gets a cache budget, as one stream thread of it would,
//! and aggregates hold updates back until they evict or [`Driver::commit`] flushes them.
//! Store writes land in changelog topics after each record; [`Driver::restart`] commits, drops
//! every task and store and rebuilds them from those changelogs, keeping each task's stream
//! time (Kafka Streams commits it with the offsets), so a test can compare a restarted run with
//! an uninterrupted one. Per-record errors go to [`Driver::processing_log`].
//!
//! Single-threaded and synchronous; time is a manual clock that only moves when told to.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use crate::topology::{
    Header, OutgoingRecord, ProcessingError, RawRecord, RecordCollector, Task, TaskError, TaskId,
    TopologyFactory,
};

use super::error::DriverError;
use super::stores::DriverStores;
use super::topics::{StoredRecord, Topics};
use crate::state::CacheBudget;
use crate::state::buffered::{self, ChangelogBuffer};

/// Wall-clock time for records piped without a timestamp; moves only when told to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ManualClock {
    now: i64,
}

impl ManualClock {
    pub fn now(&self) -> i64 {
        self.now
    }

    pub fn set(&mut self, now: i64) {
        self.now = now;
    }

    pub fn advance(&mut self, millis: i64) {
        self.now = self.now.saturating_add(millis);
    }
}

struct Query {
    name: String,
    factory: Arc<dyn TopologyFactory>,
    tasks: Vec<Task>,
    /// Stream time per task, taken from the tasks when a restart drops them: what the new
    /// tasks resume from.
    committed: HashMap<TaskId, i64>,
    /// Whether the query has stores that log to changelogs (stateless ones write nothing
    /// to the changelog buffer, so it is not looked at after their records).
    logs_changes: bool,
    /// The record cache budget every task of the query shares (`None`: no cache).
    cache: Option<CacheBudget>,
}

/// A stored record still to be run through the tasks that read its topic partition.
type Pending = VecDeque<(Arc<str>, i32, i64)>;

/// Sends task output to the in-memory topics and notes what was appended (and kept).
struct Collector<'a> {
    topics: &'a mut Topics,
    appended: &'a mut Pending,
}

impl RecordCollector for Collector<'_> {
    fn send(&mut self, r: OutgoingRecord<'_>) -> Result<(), String> {
        let appended = self
            .topics
            .append_outgoing(&r)
            .ok_or_else(|| format!("topic {} (or its partition) does not exist", r.topic))?;
        if let Some(topic) = appended.kept {
            self.appended
                .push_back((topic, appended.partition, appended.offset));
        }
        Ok(())
    }
}

/// Why a record for `topic` (and `partition`, if given) has nowhere to go.
fn missing(topics: &Topics, topic: &str, partition: Option<i32>) -> DriverError {
    match (topics.partitions(topic), partition) {
        (Some(_), Some(partition)) => DriverError::UnknownPartition {
            topic: topic.to_owned(),
            partition,
        },
        _ => DriverError::UnknownTopic {
            topic: topic.to_owned(),
        },
    }
}

/// The record [`Driver::deliver`] runs: one kept in a topic, or one piped in and not kept.
enum Delivery<'a> {
    Stored(&'a str, i32, i64),
    Piped(RawRecord<'a>),
}

/// In-memory topics, a manual clock and the queries that run over them.
#[derive(Default)]
pub struct Driver {
    topics: Topics,
    clock: ManualClock,
    queries: Vec<Query>,
    changelog: ChangelogBuffer,
    processing_log: Vec<ProcessingError>,
    /// The `fail` error policy: a per-record error stops `pipe` with an error.
    fail_on_error: bool,
    /// Per store, the changelog records replayed at the last (re)build.
    restored: Vec<(String, usize)>,
    /// Throughput mode: piped records and topics no query reads are counted, not kept.
    counting: bool,
    /// Changelog writes being appended (kept to reuse its allocation).
    changelog_writes: Vec<buffered::ChangelogWrite>,
    /// The record cache budget of each query registered from now on, in bytes (0: none).
    record_cache_bytes: usize,
}

impl Driver {
    pub fn new() -> Driver {
        Driver::default()
    }

    pub fn create_topic(&mut self, name: &str, partitions: i32) -> i32 {
        self.topics.create(name, partitions)
    }

    pub fn topics(&self) -> &Topics {
        &self.topics
    }

    pub fn clock(&mut self) -> &mut ManualClock {
        &mut self.clock
    }

    /// Every record written to `topic`, in append order.
    pub fn output(&self, topic: &str) -> Vec<&StoredRecord> {
        self.topics.records(topic)
    }

    /// Throughput mode, for benchmarks: from now on records piped in, and records written to
    /// topics that no registered query reads (sinks, changelogs), are counted
    /// ([`Driver::appended`]) but not kept, so a long run measures the engine rather than
    /// the driver's bookkeeping and its memory stays flat. Restarts restore nothing written
    /// while counting; tests do not use it.
    pub fn count_only(&mut self) {
        self.counting = true;
        let read: std::collections::BTreeSet<String> = self
            .queries
            .iter()
            .flat_map(|q| q.factory.spec().sub_topologies.iter())
            .flat_map(|sub| sub.sources.iter().cloned())
            .collect();
        let unread: Vec<String> = self
            .topics
            .names()
            .filter(|name| !read.contains(*name))
            .map(str::to_owned)
            .collect();
        for name in unread {
            self.topics.keep_records(&name, false);
        }
    }

    /// Records appended to `topic` so far, kept or only counted.
    pub fn appended(&self, topic: &str) -> u64 {
        self.topics.appended_count(topic)
    }

    /// Chooses the error policy: `false` (the default, ksqlDB's) logs a failed record and
    /// skips it; `true` makes [`Driver::pipe`] return [`DriverError::Processing`] for it (the
    /// record is still in the processing log).
    pub fn fail_on_error(&mut self, fail: bool) {
        self.fail_on_error = fail;
    }

    /// Gives every query registered from now on a record cache of `bytes`
    /// (`cache.max.bytes.buffering` of one stream thread); 0, the default, is none.
    pub fn record_cache(&mut self, bytes: usize) {
        self.record_cache_bytes = bytes;
    }

    /// Per-record failures of every query, oldest first.
    pub fn processing_log(&self) -> &[ProcessingError] {
        &self.processing_log
    }

    /// (store, changelog records replayed) for every store opened by the last build.
    pub fn restored(&self) -> &[(String, usize)] {
        &self.restored
    }

    /// Records dropped as late, summed over every task.
    pub fn late_dropped(&self) -> u64 {
        self.queries
            .iter()
            .flat_map(|q| &q.tasks)
            .map(Task::late_dropped)
            .sum()
    }

    /// Adds a query and builds its tasks. Input topics that do not exist are created with one
    /// partition; repartition, sink and changelog topics get the partition count of the
    /// sub-topology that writes them. Inputs of one sub-topology must be co-partitioned.
    pub fn register(
        &mut self,
        name: &str,
        factory: Arc<dyn TopologyFactory>,
    ) -> Result<(), DriverError> {
        if self.queries.iter().any(|q| q.name == name) {
            return Err(DriverError::DuplicateQuery {
                query: name.to_owned(),
            });
        }
        let spec = factory.spec().clone();
        spec.validate().map_err(|source| DriverError::Topology {
            query: name.to_owned(),
            source,
        })?;
        for sub in &spec.sub_topologies {
            let counts: Vec<(String, i32)> = sub
                .sources
                .iter()
                .map(|t| (t.clone(), self.topics.create(t, 1)))
                .collect();
            let partitions = counts.first().map_or(1, |c| c.1);
            if counts.iter().any(|c| c.1 != partitions) {
                return Err(DriverError::CoPartitioning {
                    query: name.to_owned(),
                    sub_topology: sub.id,
                    counts: counts
                        .iter()
                        .map(|(t, n)| format!("{t}: {n}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
            for topic in sub
                .sinks
                .iter()
                .chain(sub.stores.iter().filter_map(|s| s.changelog.as_ref()))
            {
                self.topics.create(topic, partitions);
            }
        }
        let logs_changes = spec
            .sub_topologies
            .iter()
            .any(|sub| sub.stores.iter().any(|store| store.changelog.is_some()));
        self.queries.push(Query {
            name: name.to_owned(),
            factory,
            tasks: Vec::new(),
            committed: HashMap::new(),
            logs_changes,
            cache: (self.record_cache_bytes > 0).then(|| CacheBudget::new(self.record_cache_bytes)),
        });
        let index = self.queries.len() - 1;
        self.restored.clear();
        let built = self.build_tasks(index);
        if built.is_err() {
            // A query that cannot build its tasks is not registered (its topics stay).
            self.queries.pop();
        }
        built
    }

    fn build_tasks(&mut self, index: usize) -> Result<(), DriverError> {
        let query = &mut self.queries[index];
        let spec = query.factory.spec();
        let mut tasks = Vec::new();
        for sub in &spec.sub_topologies {
            let partitions = sub
                .sources
                .first()
                .and_then(|t| self.topics.partitions(t))
                .unwrap_or(1);
            for partition in 0..partitions {
                let id = TaskId {
                    sub_topology: sub.id,
                    partition,
                };
                let mut stores = DriverStores {
                    specs: &sub.stores,
                    partition,
                    topics: &self.topics,
                    buffer: &self.changelog,
                    restored: Vec::new(),
                    cache: query.cache.clone(),
                };
                let graph = query.factory.build(id, &mut stores).map_err(|source| {
                    DriverError::Topology {
                        query: query.name.clone(),
                        source,
                    }
                })?;
                self.restored.append(&mut stores.restored);
                let mut task = Task::new(id, graph);
                if let Some(&time) = query.committed.get(&id) {
                    task.resume_stream_time(time);
                }
                tasks.push(task);
            }
        }
        query.tasks = tasks;
        Ok(())
    }

    /// Commits, then drops every task and store of every query and rebuilds them from the
    /// changelog topics, as a process restart with clean commits would.
    pub fn restart(&mut self) -> Result<(), DriverError> {
        self.commit()?;
        self.restored.clear();
        for index in 0..self.queries.len() {
            let query = &mut self.queries[index];
            for task in query.tasks.drain(..) {
                query.committed.insert(task.id(), task.stream_time());
            }
            self.build_tasks(index)?;
        }
        Ok(())
    }

    /// Appends one record to `topic` (partitioned by key; timestamp `None` takes the clock's
    /// time) and runs it, and everything it causes, to completion.
    pub fn pipe(
        &mut self,
        topic: &str,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        timestamp: Option<i64>,
        headers: &[Header],
    ) -> Result<(), DriverError> {
        self.pipe_to(topic, None, key, value, timestamp, headers)
    }

    /// [`Driver::pipe`] to an explicit partition (`None`: by key).
    pub fn pipe_to(
        &mut self,
        topic: &str,
        partition: Option<i32>,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        timestamp: Option<i64>,
        headers: &[Header],
    ) -> Result<(), DriverError> {
        let timestamp = timestamp.unwrap_or(self.clock.now());
        // Both calls below look the topic up once and fail only for a missing topic or
        // partition, which `missing` then tells apart.
        let unknown = |topics: &Topics| missing(topics, topic, partition);
        let mut pending = Pending::new();
        if self.counting {
            let (partition, offset) = self
                .topics
                .reserve(topic, partition, key)
                .ok_or_else(|| unknown(&self.topics))?;
            let raw = RawRecord {
                topic,
                partition,
                offset,
                timestamp,
                key,
                value,
                headers,
            };
            self.deliver(Delivery::Piped(raw), &mut pending)?;
        } else {
            let appended = self
                .topics
                .append(topic, partition, key, value, timestamp, headers)
                .ok_or_else(|| unknown(&self.topics))?;
            if let Some(topic) = appended.kept {
                pending.push_back((topic, appended.partition, appended.offset));
            }
        }
        while let Some((topic, partition, offset)) = pending.pop_front() {
            self.deliver(Delivery::Stored(&topic, partition, offset), &mut pending)?;
        }
        Ok(())
    }

    /// Runs one record through every task reading its topic partition.
    fn deliver(&mut self, record: Delivery<'_>, pending: &mut Pending) -> Result<(), DriverError> {
        let (topic, partition) = match &record {
            Delivery::Stored(topic, partition, _) => (*topic, *partition),
            Delivery::Piped(raw) => (raw.topic, raw.partition),
        };
        let mut outlet = Outlet {
            topics: &mut self.topics,
            changelog: &self.changelog,
            writes: &mut self.changelog_writes,
            log: &mut self.processing_log,
            fail_on_error: self.fail_on_error,
        };
        for query in &mut self.queries {
            for task in &mut query.tasks {
                if task.id().partition != partition
                    || !task.graph().source_topics().any(|t| t == topic)
                {
                    continue;
                }
                let enqueued = match &record {
                    Delivery::Stored(_, _, offset) => {
                        match outlet.topics.get(topic, partition, *offset) {
                            Some(stored) => task.enqueue(&stored.as_raw()),
                            None => continue,
                        }
                    }
                    Delivery::Piped(raw) => task.enqueue(raw),
                };
                enqueued.map_err(|source| DriverError::Task {
                    query: query.name.clone(),
                    source,
                })?;
                let mut collector = Collector {
                    topics: outlet.topics,
                    appended: pending,
                };
                let result = task.process_all(&mut collector);
                outlet.settle(task, &query.name, query.logs_changes, result)?;
            }
        }
        Ok(())
    }

    /// What a commit does to the tasks: flushes every record cache (parents first within a
    /// task) and runs what that forwards through the tasks that read it, until no cache holds
    /// anything back. Without a record cache there is nothing to do.
    pub fn commit(&mut self) -> Result<(), DriverError> {
        let tasks: usize = self.queries.iter().map(|q| q.tasks.len()).sum();
        // Each round flushes what the previous one delivered one sub-topology further down.
        for _ in 0..=tasks {
            let mut pending = Pending::new();
            let mut outlet = Outlet {
                topics: &mut self.topics,
                changelog: &self.changelog,
                writes: &mut self.changelog_writes,
                log: &mut self.processing_log,
                fail_on_error: self.fail_on_error,
            };
            for query in &mut self.queries {
                for task in query.tasks.iter_mut().filter(|t| t.holds_updates()) {
                    let mut collector = Collector {
                        topics: outlet.topics,
                        appended: &mut pending,
                    };
                    let result = task.flush(&mut collector);
                    outlet.settle(task, &query.name, query.logs_changes, result)?;
                }
            }
            if pending.is_empty() {
                break;
            }
            while let Some((topic, partition, offset)) = pending.pop_front() {
                self.deliver(Delivery::Stored(&topic, partition, offset), &mut pending)?;
            }
        }
        Ok(())
    }
}

/// Where what a task leaves after a run goes: its outputs' topics, its store writes (through
/// the changelog buffer) and its errors.
struct Outlet<'a> {
    topics: &'a mut Topics,
    changelog: &'a ChangelogBuffer,
    writes: &'a mut Vec<buffered::ChangelogWrite>,
    log: &'a mut Vec<ProcessingError>,
    fail_on_error: bool,
}

impl Outlet<'_> {
    /// After `task` of `query` ran (a record or a flush): its errors go to the processing log
    /// and its store writes (if the query logs any) to the changelog topics; a task failure,
    /// or a logged error under the `fail` policy, is returned.
    fn settle(
        &mut self,
        task: &mut Task,
        query: &str,
        logs_changes: bool,
        result: Result<(), TaskError>,
    ) -> Result<(), DriverError> {
        let logged = self.log.len();
        self.log.extend(task.drain_errors());
        if logs_changes {
            buffered::drain_into(self.changelog, self.writes);
        }
        for w in self.writes.drain(..) {
            self.topics.append(
                &w.topic,
                Some(w.partition),
                Some(&w.key),
                w.value.as_deref(),
                task.stream_time(),
                &[],
            );
        }
        result.map_err(|source| DriverError::Task {
            query: query.to_owned(),
            source,
        })?;
        match self.log.get(logged).filter(|_| self.fail_on_error) {
            Some(error) => Err(DriverError::Processing {
                query: query.to_owned(),
                error: Box::new(error.clone()),
            }),
            None => Ok(()),
        }
    }
}
