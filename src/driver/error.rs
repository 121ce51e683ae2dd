//! The driver's errors: a topology it cannot run, or a record it cannot deliver. Per-record
//! failures are not errors here (they go to the processing log) unless the `fail` policy is on.

use thiserror::Error;

use crate::topology::{ProcessingError, TaskError, TopologyError};

#[derive(Debug, Error)]
pub enum DriverError {
    #[error("topic {topic} does not exist: create it first")]
    UnknownTopic { topic: String },
    #[error("topic {topic} has no partition {partition}")]
    UnknownPartition { topic: String, partition: i32 },
    #[error(
        "query {query}, sub-topology {sub_topology}: inputs are not co-partitioned ({counts}); give them equal partition counts"
    )]
    CoPartitioning {
        query: String,
        sub_topology: u32,
        counts: String,
    },
    #[error("query {query} is already registered")]
    DuplicateQuery { query: String },
    #[error("query {query}: {source}")]
    Topology {
        query: String,
        #[source]
        source: TopologyError,
    },
    #[error("query {query} stopped on a record (error policy `fail`): {error}")]
    Processing {
        query: String,
        error: Box<ProcessingError>,
    },
    #[error("query {query}: {source}")]
    Task {
        query: String,
        #[source]
        source: TaskError,
    },
}
