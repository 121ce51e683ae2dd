//! The [`Processor`] trait every operator implements, and the [`ProcessorContext`] it is given.
//!
//! The trait is deliberately narrow. `process` is synchronous and returns nothing: a processor
//! turns one input record into zero or more forwarded records, reads and writes its own stores
//! (handed to it when the task was built) and reports per-record errors. It never awaits and
//! never does I/O, so a stream thread can run tasks back to back and the Kafka runtime and the
//! in-memory driver run the very same processors. Time-driven work (suppress emitting closed
//! windows, outer joins expiring unmatched records) uses the optional stream-time hook instead
//! of timers: the task calls [`Processor::on_stream_time`] after a record that advanced stream
//! time, on the processors that asked for it, in graph order. Nothing is wall-clock driven.
//! A processor that holds updates back (an aggregate with a record cache) asks for the flush
//! hook, which the runner calls before every commit, parents first.
//!
//! A processor owns its stores (boxed trait objects handed to it when the task was built); no
//! store is shared between nodes. An operator that needs the state of two inputs (a join) is
//! one processor with two parents, told apart by [`Port`], owning both sides' stores.
//!
//! Dispatch is depth-first, in Kafka Streams order: [`ProcessorContext::forward`] runs the
//! record through the first child's whole subtree before the next child sees it, and returns
//! when every descendant is done. A forwarded record is moved to the last child and cloned for
//! the others; the dispatch itself allocates nothing.

use std::sync::Arc;

use super::error::{ProcessingError, ProcessingErrorKind, TaskError};
use super::graph::{Edge, Node, NodeKind};
use super::io::{OutgoingRecord, RecordCollector};
use super::record::{Port, Record};
use super::task::TaskId;

/// A synchronous operator in a task's graph. Owned by one task; moved between stream threads
/// only between calls (hence `Send`).
pub trait Processor: Send {
    /// Handles one record arriving on `port` (see [`Port`]). Errors go to
    /// [`ProcessorContext::report`]; the record is then dropped, never retried.
    fn process(&mut self, port: Port, record: Record, ctx: &mut ProcessorContext<'_>);

    /// Whether the task should call [`Processor::on_stream_time`]. Read once, when the graph is
    /// built.
    fn wants_stream_time(&self) -> bool {
        false
    }

    /// Called after a record advanced the task's stream time to `ctx.stream_time()`, before
    /// the next record; forwards from here run like forwards from `process`.
    fn on_stream_time(&mut self, ctx: &mut ProcessorContext<'_>) {
        let _ = ctx;
    }

    /// Whether the processor holds updates back (a record cache), so the task must call
    /// [`Processor::flush`]. Read once, when the graph is built.
    fn wants_flush(&self) -> bool {
        false
    }

    /// Called before the runner commits (and so before a clean close): a processor that holds
    /// updates back writes them to its stores and forwards them now, so what is committed
    /// holds them. Forwards from here run like forwards from `process`.
    fn flush(&mut self, ctx: &mut ProcessorContext<'_>) {
        let _ = ctx;
    }
}

/// Per-task state a context reads and writes while one record is being processed. Owned by
/// the task.
#[derive(Debug, Default)]
pub(crate) struct Env {
    pub task: TaskId,
    pub stream_time: i64,
    /// The task's source topics, in source order.
    pub topics: Vec<Arc<str>>,
    /// Position of the source record being processed (for error context): its source (an
    /// index into `topics`), partition and offset.
    pub source: usize,
    pub partition: i32,
    pub offset: i64,
    pub errors: Vec<ProcessingError>,
    pub late_dropped: u64,
    /// The first fatal error of this record; later processing still runs (as in Kafka Streams,
    /// a send failure surfaces after the call), but the task stops afterwards.
    pub fatal: Option<TaskError>,
}

impl Env {
    pub fn complete(&self, mut error: ProcessingError, node: &Arc<str>) -> ProcessingError {
        error.task = self.task;
        error.node = node.clone();
        error.topic = self.topics.get(self.source).cloned().unwrap_or_default();
        error.partition = self.partition;
        error.offset = self.offset;
        error
    }
}

/// What a processor may do while handling a record: forward to its children, read stream
/// time, report errors. Borrowed for one call.
pub struct ProcessorContext<'a> {
    nodes: &'a mut [Node],
    node: usize,
    env: &'a mut Env,
    collector: &'a mut dyn RecordCollector,
}

impl ProcessorContext<'_> {
    /// Sends `record` to every child, depth-first, in the order the children were connected.
    pub fn forward(&mut self, record: Record) {
        let count = self.nodes[self.node].children.len();
        let mut record = Some(record);
        for i in 0..count {
            let Edge { child, port } = self.nodes[self.node].children[i];
            let next = if i + 1 == count {
                record.take()
            } else {
                record.clone()
            };
            if let Some(next) = next {
                dispatch(self.nodes, child, port, next, self.env, self.collector);
            }
        }
    }

    /// The task's stream time: the largest record timestamp it has processed (this record's
    /// included). Never decreases.
    ///
    /// Kafka Streams' windowed aggregates, suppress and stream-stream joins close windows on
    /// the largest timestamp *they* have seen, which differs when records are filtered or
    /// re-keyed upstream; an operator that must match that keeps its own maximum.
    pub fn stream_time(&self) -> i64 {
        self.env.stream_time
    }

    pub fn task_id(&self) -> TaskId {
        self.env.task
    }

    /// This processor's node name.
    pub fn node_name(&self) -> &str {
        &self.nodes[self.node].name
    }

    /// Reports a per-record failure; the context adds task, node and source position.
    pub fn report(&mut self, error: ProcessingError) {
        let error = self.env.complete(error, &self.nodes[self.node].name);
        self.env.errors.push(error);
    }

    /// Counts a record dropped because it arrived after its window closed.
    pub fn record_late_dropped(&mut self) {
        self.env.late_dropped += 1;
    }
}

/// Runs `record` through node `id` and, through its forwards, its whole subtree.
pub(crate) fn dispatch(
    nodes: &mut [Node],
    id: usize,
    port: Port,
    record: Record,
    env: &mut Env,
    collector: &mut dyn RecordCollector,
) {
    let Some(node) = nodes.get_mut(id) else {
        return;
    };
    match &mut node.kind {
        NodeKind::Processor(slot) => {
            let Some(mut processor) = slot.take() else {
                reentered(nodes, id, env);
                return;
            };
            let mut ctx = ProcessorContext {
                nodes,
                node: id,
                env,
                collector,
            };
            processor.process(port, record, &mut ctx);
            nodes[id].kind = NodeKind::Processor(Some(processor));
        }
        NodeKind::Sink(sink) => {
            sink.key_buf.clear();
            sink.value_buf.clear();
            match sink
                .serializer
                .serialize(&record, &mut sink.key_buf, &mut sink.value_buf)
            {
                Ok(parts) => {
                    let key = parts.key.then_some(sink.key_buf.as_slice());
                    let partition_key = match (key, parts.partition_key_len) {
                        (Some(k), Some(len)) => k.get(..len).or(Some(k)),
                        (key, _) => key,
                    };
                    let out = OutgoingRecord {
                        topic: &sink.topic,
                        partition: None,
                        key,
                        partition_key,
                        value: parts.value.then_some(sink.value_buf.as_slice()),
                        timestamp: record.timestamp,
                        headers: record.headers.as_deref().unwrap_or(&[]),
                    };
                    if let Err(reason) = collector.send(out)
                        && env.fatal.is_none()
                    {
                        env.fatal = Some(TaskError::Collect {
                            task: env.task,
                            topic: sink.topic.to_string(),
                            reason,
                        });
                    }
                }
                Err(mut error) => {
                    if error.kind != ProcessingErrorKind::Unavailable {
                        error.kind = ProcessingErrorKind::Serialization;
                    }
                    let error = env.complete(error, &node.name);
                    env.errors.push(error);
                }
            }
        }
    }
}

/// Which hook [`dispatch_hook`] calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hook {
    StreamTime,
    Flush,
}

/// Calls the stream-time or flush hook of node `id`.
pub(crate) fn dispatch_hook(
    nodes: &mut [Node],
    id: usize,
    hook: Hook,
    env: &mut Env,
    collector: &mut dyn RecordCollector,
) {
    let Some(NodeKind::Processor(slot)) = nodes.get_mut(id).map(|n| &mut n.kind) else {
        return;
    };
    let Some(mut processor) = slot.take() else {
        reentered(nodes, id, env);
        return;
    };
    let mut ctx = ProcessorContext {
        nodes,
        node: id,
        env,
        collector,
    };
    match hook {
        Hook::StreamTime => processor.on_stream_time(&mut ctx),
        Hook::Flush => processor.flush(&mut ctx),
    }
    nodes[id].kind = NodeKind::Processor(Some(processor));
}

fn reentered(nodes: &[Node], id: usize, env: &mut Env) {
    if env.fatal.is_none() {
        env.fatal = Some(TaskError::Reentered {
            task: env.task,
            node: nodes[id].name.to_string(),
        });
    }
}
