//! The Kafka runtime: runs every query's topology against a real cluster as the runtime model
//! of DESIGN.md describes. [`topics`] makes sure every topic exists with the right shape
//! before anything starts; [`supervisor`] runs `threads` stream threads per query and restarts
//! failed ones with backoff; each stream thread ([`thread`]) is a member of the query's
//! consumer group whose rebalance callbacks open tasks (restoring their stores from changelogs,
//! [`restore`], [`stores`]) and close them; [`work`] runs polled records through tasks, writes
//! outputs and changelog records through the thread's producer ([`collector`]), sends failed
//! records to the processing log ([`processing_log`]) and commits: producer flush then offsets
//! (`at_least_once`), or one transaction holding outputs, changelog writes and offsets
//! (`exactly_once_v2`). [`memory`] hands memory back to the system when the daemon is idle. [`agreement`] keeps a query off a replica while its consumer group runs another plan of it. [`standby`] keeps warm copies of other replicas' stateful tasks (`standby_replicas`) on a thread of its own per query, so a task that fails over here restores only the changelog tail. It never parses SQL: queries arrive as [`RuntimeQuery`]s.

pub mod agreement;
pub mod client;
pub mod collector;
pub mod memory;
pub mod positions;
pub mod processing_log;
pub mod query;
pub mod restore;
pub mod standby;
pub mod stores;
pub mod supervisor;
pub mod task_state;
pub mod thread;
pub mod topics;
pub mod work;

pub use client::ClientSettings;
pub use query::RuntimeQuery;
pub use supervisor::{Runtime, RuntimeOptions, Shared};
pub use topics::{DeclaredTopic, KafkaAdmin, NewTopicSpec, TopicAdmin, ensure_topics};

/// Why the runtime (or one stream thread) failed.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("Kafka: {0}")]
    Kafka(String),
    #[error("topics: {0}")]
    Topics(String),
    #[error("state: {0}")]
    State(String),
    #[error("task: {0}")]
    Task(String),
}
