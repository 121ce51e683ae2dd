//! The commit side of [`Work`]: every `commit_interval` (and before a revocation or a clean
//! stop) it first flushes the tasks' record caches (their outputs and changelog writes go to
//! the producer, inside the open transaction under exactly-once), then makes processed records
//! durable — producer flush then offset commit under at-least-once, offsets into the open
//! transaction then its commit under exactly-once — then flushes the stores and writes the
//! tasks' checkpoints, and removes abandoned state along the way (lag and store sizes are
//! measured on the consumer's statistics tick, `telemetry.rs`).
//! Each blocking broker call is marked on the thread's [`crate::telemetry::LoopWatch`] with
//! its timeout.

use std::time::Instant;

use rdkafka::consumer::{CommitMode, Consumer};
use rdkafka::producer::Producer;
use rdkafka::{Offset, TopicPartitionList};

use super::{CALL_TIMEOUT, CLEANUP_EVERY, Work, now_ms};
use crate::runtime::RuntimeError;
use crate::runtime::collector::KafkaCollector;
use crate::runtime::task_state;
use crate::runtime::thread::GroupConsumer;
use crate::topology::{ProcessingError, RawRecord, TaskId};

impl Work {
    /// Whether `commit_interval` has passed since the last commit.
    pub fn commit_due(&self) -> bool {
        self.last_commit.elapsed() >= self.shared.options.commit_interval
    }

    /// Commits what has been processed: at-least-once flushes the producer, then commits the
    /// input offsets; exactly-once sends the offsets into the open transaction and commits it.
    pub fn commit(&mut self, consumer: &GroupConsumer) -> Result<(), RuntimeError> {
        if !self.pending_commit {
            self.last_commit = Instant::now();
            return Ok(());
        }
        let started = Instant::now();
        self.flush_tasks()?;
        let mut offsets = TopicPartitionList::new();
        for active in self.tasks.values() {
            for p in active.positions.iter().filter(|p| p.next >= 0) {
                offsets
                    .add_partition_offset(&p.topic, p.partition, Offset::Offset(p.next))
                    .map_err(|e| RuntimeError::Kafka(e.to_string()))?;
            }
        }
        let kafka =
            |what: &str, e: rdkafka::error::KafkaError| RuntimeError::Kafka(format!("{what}: {e}"));
        if self.shared.options.exactly_once {
            if self.in_transaction {
                let metadata = consumer.group_metadata().ok_or_else(|| {
                    RuntimeError::Kafka("no consumer group metadata to commit with".into())
                })?;
                let producer = &self.producer;
                self.watch
                    .call("send_offsets_to_transaction", CALL_TIMEOUT, || {
                        producer.send_offsets_to_transaction(&offsets, &metadata, CALL_TIMEOUT)
                    })
                    .map_err(|e| kafka("sending offsets to the transaction", e))?;
                self.watch
                    .call("commit_transaction", CALL_TIMEOUT, || {
                        producer.commit_transaction(CALL_TIMEOUT)
                    })
                    .map_err(|e| kafka("committing the transaction", e))?;
                self.in_transaction = false;
            }
        } else {
            let producer = &self.producer;
            self.watch
                .call("flush", CALL_TIMEOUT, || producer.flush(CALL_TIMEOUT))
                .map_err(|e| kafka("flushing the producer", e))?;
            self.check_deliveries()?;
            if offsets.count() > 0 {
                // librdkafka gives a synchronous commit no timeout of its own; it is marked
                // with the bound of the other commit calls.
                self.watch
                    .call("commit_offsets", CALL_TIMEOUT, || {
                        consumer.commit(&offsets, CommitMode::Sync)
                    })
                    .map_err(|e| kafka("committing offsets", e))?;
            }
        }
        self.check_deliveries()?;
        self.pending_commit = false;
        for p in self.tasks.values_mut().flat_map(|a| a.positions.iter_mut()) {
            if p.next >= 0 {
                p.committed = p.next;
            }
        }
        // Counted from the end: a commit slower than the interval (a transaction on a slow
        // broker) must not make every loop iteration commit.
        self.last_commit = Instant::now();
        if !self.shared.options.exactly_once {
            self.checkpoint_all(None)?;
        }
        self.remove_abandoned_state();
        let id = self.query.query.id.as_str();
        self.shared
            .metrics
            .commits_total
            .with_label_values(&[id])
            .inc();
        self.shared
            .metrics
            .commit_latency_seconds
            .with_label_values(&[id])
            .observe(started.elapsed().as_secs_f64());
        Ok(())
    }

    /// Flushes what the tasks' record caches hold back: the outputs go to the producer and
    /// the store writes to the changelog buffer, which is then sent, so the commit that
    /// follows covers both. An error of a flushed update is logged like a record's, with the
    /// position of the last record its task processed; one that fails the thread fails the
    /// commit.
    fn flush_tasks(&mut self) -> Result<(), RuntimeError> {
        self.now_ms = now_ms();
        let mut errors: Vec<ProcessingError> = Vec::new();
        let mut fatal = None;
        for active in self.tasks.values_mut() {
            if !active.task.holds_updates() {
                continue;
            }
            let mut collector = KafkaCollector {
                producer: &self.producer,
                partitions: &self.shared.partitions,
                sink_topic: &self.query.query.sink_topic,
                produced: &self.produced,
                latency: &self.latency,
                now_ms: self.now_ms,
            };
            if let Err(e) = active.task.flush(&mut collector) {
                fatal.get_or_insert(e);
            }
            errors.extend(active.task.drain_errors());
        }
        for error in &errors {
            let raw = RawRecord {
                topic: &error.topic,
                partition: error.partition,
                offset: error.offset,
                timestamp: -1,
                key: None,
                value: None,
                headers: &[],
            };
            self.log_failed_record(error, &raw);
        }
        if let Some(e) = fatal {
            return Err(RuntimeError::Task(e.to_string()));
        }
        self.produce_changelog()?;
        if self.failed {
            return Err(RuntimeError::Task(
                "flushing the record caches failed (see the error logged before)".to_owned(),
            ));
        }
        Ok(())
    }

    /// The first failed delivery since the thread started, as an error.
    fn check_deliveries(&self) -> Result<(), RuntimeError> {
        let deliveries = self
            .producer
            .context()
            .deliveries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match &deliveries.failure {
            Some(failure) => Err(RuntimeError::Kafka(failure.clone())),
            None => Ok(()),
        }
    }

    /// Flushes the stores of `only` (every task when `None`) and writes their checkpoints.
    pub(super) fn checkpoint_all(&mut self, only: Option<&[TaskId]>) -> Result<(), RuntimeError> {
        let delivered = self
            .producer
            .context()
            .deliveries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .offsets
            .clone();
        for (id, active) in &mut self.tasks {
            if only.is_none_or(|only| only.contains(id)) {
                active.state.checkpoint(&delivered)?;
            }
        }
        Ok(())
    }

    /// Every minute, the first stream thread deletes state of tasks no thread of this
    /// process has owned for `state.cleanup_delay`.
    fn remove_abandoned_state(&mut self) {
        if self.thread != 0 || self.last_cleanup.elapsed() < CLEANUP_EVERY {
            return;
        }
        self.last_cleanup = Instant::now();
        let app_dir = self.shared.options.state_dir.join(&self.query.query.app_id);
        let mut kept = self.query.owned_tasks();
        kept.extend(self.query.standbys.kept());
        task_state::remove_abandoned(&app_dir, &kept, self.shared.options.cleanup_delay);
    }

    /// Commits and closes every task (a clean stop): checkpoints are written under both
    /// guarantees, since everything in the stores is committed.
    pub fn close_all(&mut self, consumer: &GroupConsumer) -> Result<(), RuntimeError> {
        self.commit(consumer)?;
        self.checkpoint_all(None)?;
        self.forget_all();
        Ok(())
    }
}
