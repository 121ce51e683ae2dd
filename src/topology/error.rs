//! The topology layer's errors. [`ProcessingError`] is per record and never stops a task: the
//! runner routes it to the processing log (and counts it) and moves on, unless the query's
//! error policy is `fail`. [`TaskError`] is fatal for the task (a record could not be handed to
//! the collector, a graph invariant broke). [`TopologyError`] is a graph that cannot be built.

use std::fmt;
use std::sync::Arc;

use thiserror::Error;

use crate::state::StateError;

use super::task::TaskId;

/// What kind of per-record failure, as ksqlDB's processing log names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProcessingErrorKind {
    /// Key or value bytes could not be read (or the record's timestamp was invalid).
    Deserialization,
    /// An expression, function or state access failed for this record.
    Processing,
    /// The output record could not be written in the sink's format.
    Serialization,
    /// A state store failed (an I/O error, a full disk, corrupt data): not the record's fault,
    /// so runners never skip the record for it. The Kafka runtime stops the task without
    /// committing, discards the store's local copy and rebuilds it from its changelog.
    State,
    /// A service the record needs could not be reached (Schema Registry): not the record's
    /// fault either, so runners never skip it. The Kafka runtime stops the thread without
    /// committing; the supervisor restarts it with backoff and the record is read again.
    Unavailable,
}

impl fmt::Display for ProcessingErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ProcessingErrorKind::Deserialization => "DESERIALIZATION_ERROR",
            ProcessingErrorKind::Processing => "RECORD_PROCESSING_ERROR",
            ProcessingErrorKind::Serialization => "SERIALIZATION_ERROR",
            ProcessingErrorKind::State => "STATE_STORE_ERROR",
            ProcessingErrorKind::Unavailable => "SERVICE_UNAVAILABLE",
        })
    }
}

/// A record that failed. Processors fill `kind`, `message` and optionally `record` (a short
/// rendering of the offending data); the context fills where it happened.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("{kind} in task {task}, node {node}, {topic}[{partition}]@{offset}: {message}")]
pub struct ProcessingError {
    pub kind: ProcessingErrorKind,
    pub message: String,
    pub record: Option<String>,
    pub task: TaskId,
    pub node: Arc<str>,
    pub topic: Arc<str>,
    pub partition: i32,
    pub offset: i64,
}

impl ProcessingError {
    /// An error for the context to complete with task, node and source position.
    pub fn new(kind: ProcessingErrorKind, message: impl Into<String>) -> ProcessingError {
        ProcessingError {
            kind,
            message: message.into(),
            record: None,
            task: TaskId::default(),
            node: Arc::from(""),
            topic: Arc::from(""),
            partition: -1,
            offset: -1,
        }
    }

    pub fn processing(message: impl Into<String>) -> ProcessingError {
        ProcessingError::new(ProcessingErrorKind::Processing, message)
    }

    /// A failure of the state store `what` (see [`ProcessingErrorKind::State`]).
    pub fn state(what: &str, error: impl fmt::Display) -> ProcessingError {
        ProcessingError::new(ProcessingErrorKind::State, format!("{what}: {error}"))
    }

    pub fn with_record(mut self, record: impl Into<String>) -> ProcessingError {
        self.record = Some(record.into());
        self
    }
}

/// A failure that stops the task; the runner moves the query to ERROR.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TaskError {
    #[error("task {task}: cannot send to topic {topic}: {reason}")]
    Collect {
        task: TaskId,
        topic: String,
        reason: String,
    },
    #[error("task {task} has no source for topic {topic}")]
    UnknownTopic { task: TaskId, topic: String },
    #[error("task {task}: node {node} was re-entered while processing (a cycle in the graph)")]
    Reentered { task: TaskId, node: String },
}

/// A graph or a factory that cannot produce a task.
#[derive(Debug, Error)]
pub enum TopologyError {
    #[error(
        "node {child} is connected as a child of {parent}, which was added after it: add parents first"
    )]
    ChildBeforeParent { parent: String, child: String },
    #[error("sink {sink} cannot have children")]
    SinkWithChildren { sink: String },
    #[error("node id {id} does not exist in this graph")]
    UnknownNode { id: usize },
    #[error("two sources read topic {topic}")]
    DuplicateSource { topic: String },
    #[error("node {node} is not reachable from any source")]
    Unreachable { node: String },
    #[error("invalid topology: {reason}")]
    InvalidSpec { reason: String },
    #[error("sub-topology {sub_topology} does not exist")]
    UnknownSubTopology { sub_topology: u32 },
    #[error(transparent)]
    State(#[from] StateError),
    #[error("cannot build task {task}: {reason}")]
    Build { task: TaskId, reason: String },
}
