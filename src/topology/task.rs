//! A [`Task`]: one sub-topology's graph for one partition, with a buffer per input partition.
//! The runner (driver or Kafka runtime) hands it raw records with [`Task::enqueue`] and calls
//! [`Task::process_next`], which takes the buffered record with the lowest timestamp across the
//! inputs (ties go to the source added first), advances stream time (never backwards), runs the
//! record through the graph to completion, then calls the stream-time hooks if time moved.
//! Before a commit the runner calls [`Task::flush`], which lets processors with a record cache
//! write and forward what they held back.
//!
//! A task does no I/O and holds no producer: output goes to the collector borrowed for the
//! call, per-record errors wait in the task until the runner drains them.

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;

use super::error::{ProcessingError, ProcessingErrorKind, TaskError};
use super::graph::TaskGraph;
use super::io::RecordCollector;
use super::processor::{Env, Hook, dispatch, dispatch_hook};
use super::record::{RawRecord, Record};

/// A task's identity: sub-topology and partition, shown as `<sub_topology>_<partition>` like
/// Kafka Streams does (and used in state directory names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct TaskId {
    pub sub_topology: u32,
    pub partition: i32,
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}_{}", self.sub_topology, self.partition)
    }
}

/// Stream time before any record: below every timestamp.
pub const NO_STREAM_TIME: i64 = i64::MIN;

pub struct Task {
    graph: TaskGraph,
    /// One buffer per source, index-aligned with `graph.sources`.
    queues: Vec<VecDeque<Record>>,
    env: Env,
}

impl Task {
    pub fn new(id: TaskId, graph: TaskGraph) -> Task {
        Task {
            queues: graph.sources.iter().map(|_| VecDeque::new()).collect(),
            env: Env {
                task: id,
                stream_time: NO_STREAM_TIME,
                topics: graph.sources.iter().map(|s| Arc::clone(&s.topic)).collect(),
                ..Env::default()
            },
            graph,
        }
    }

    /// Resumes stream time from a previous run (Kafka Streams keeps it in the committed
    /// offsets' metadata), so windows closed before a restart stay closed.
    pub fn resume_stream_time(&mut self, stream_time: i64) {
        self.env.stream_time = self.env.stream_time.max(stream_time);
    }

    pub fn id(&self) -> TaskId {
        self.env.task
    }

    pub fn graph(&self) -> &TaskGraph {
        &self.graph
    }

    /// The largest timestamp processed so far, or [`NO_STREAM_TIME`].
    pub fn stream_time(&self) -> i64 {
        self.env.stream_time
    }

    /// Records buffered and not yet processed.
    pub fn buffered(&self) -> usize {
        self.queues.iter().map(VecDeque::len).sum()
    }

    /// Whether every input has a record buffered. `process_next` does not wait for this; a
    /// runner with several inputs per task uses it to hold back (up to Kafka Streams'
    /// `max.task.idle.ms`) so a late-fetched partition does not lose the timestamp race.
    pub fn all_inputs_buffered(&self) -> bool {
        self.queues.iter().all(|q| !q.is_empty())
    }

    /// Deserializes `raw` with its topic's source and buffers it. A record that cannot be read
    /// is a processing error (drained with [`Task::drain_errors`]), not a task failure.
    pub fn enqueue(&mut self, raw: &RawRecord<'_>) -> Result<(), TaskError> {
        let index = self
            .graph
            .sources
            .iter()
            .position(|s| &*s.topic == raw.topic)
            .ok_or_else(|| TaskError::UnknownTopic {
                task: self.env.task,
                topic: raw.topic.to_owned(),
            })?;
        let source = &mut self.graph.sources[index];
        match source.deserializer.deserialize(raw) {
            Ok(record) => self.queues[index].push_back(record),
            Err(mut error) => {
                // A record waiting for a service keeps its kind: runners must not skip it.
                if error.kind != ProcessingErrorKind::Unavailable {
                    error.kind = ProcessingErrorKind::Deserialization;
                }
                error.task = self.env.task;
                error.node = source.name.clone();
                error.topic = source.topic.clone();
                error.partition = raw.partition;
                error.offset = raw.offset;
                self.env.errors.push(error);
            }
        }
        Ok(())
    }

    /// Processes the buffered record with the lowest timestamp. Returns `Ok(false)` when
    /// nothing is buffered.
    pub fn process_next(&mut self, collector: &mut dyn RecordCollector) -> Result<bool, TaskError> {
        let mut best: Option<(usize, i64)> = None;
        for (index, queue) in self.queues.iter().enumerate() {
            if let Some(head) = queue.front()
                && best.is_none_or(|(_, ts)| head.timestamp < ts)
            {
                best = Some((index, head.timestamp));
            }
        }
        let Some((index, _)) = best else {
            return Ok(false);
        };
        let Some(record) = self.queues[index].pop_front() else {
            return Ok(false);
        };
        let advanced = record.timestamp > self.env.stream_time;
        let env = &mut self.env;
        if advanced {
            env.stream_time = record.timestamp;
        }
        let source = &self.graph.sources[index];
        env.source = index;
        env.partition = record.partition;
        env.offset = record.offset;
        let count = source.children.len();
        let mut record = Some(record);
        for i in 0..count {
            let edge = source.children[i];
            let next = if i + 1 == count {
                record.take()
            } else {
                record.clone()
            };
            if let Some(next) = next {
                dispatch(
                    &mut self.graph.nodes,
                    edge.child,
                    edge.port,
                    next,
                    env,
                    collector,
                );
            }
        }
        if advanced {
            for &id in &self.graph.time_hooks {
                dispatch_hook(&mut self.graph.nodes, id, Hook::StreamTime, env, collector);
            }
        }
        match env.fatal.take() {
            Some(error) => Err(error),
            None => Ok(true),
        }
    }

    /// Flushes what processors hold back (the record caches of aggregates), parents first, so
    /// that a flushed update reaching a caching child is flushed with it. Runners call it
    /// before every commit; errors are drained like those of a record.
    pub fn flush(&mut self, collector: &mut dyn RecordCollector) -> Result<(), TaskError> {
        for &id in &self.graph.flush_hooks {
            dispatch_hook(
                &mut self.graph.nodes,
                id,
                Hook::Flush,
                &mut self.env,
                collector,
            );
        }
        match self.env.fatal.take() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    /// Whether any processor holds updates back until [`Task::flush`].
    pub fn holds_updates(&self) -> bool {
        !self.graph.flush_hooks.is_empty()
    }

    /// Processes everything buffered.
    pub fn process_all(&mut self, collector: &mut dyn RecordCollector) -> Result<(), TaskError> {
        while self.process_next(collector)? {}
        Ok(())
    }

    /// Takes the per-record errors reported since the last call, oldest first.
    pub fn drain_errors(&mut self) -> std::vec::Drain<'_, ProcessingError> {
        self.env.errors.drain(..)
    }

    /// Records dropped as late (after window end + grace) since the task started.
    pub fn late_dropped(&self) -> u64 {
        self.env.late_dropped
    }
}
