//! The in-memory driver: topics with partitions and a manual clock that run any topology
//! deterministically, record by record, with change-logged in-memory stores and restarts that
//! restore from the changelogs. Used by unit tests and the conformance suite; it never touches
//! Kafka or the file system.
//!
//! - [`topics`]: partitioned append-only topics and Kafka's key partitioner.
//! - [`stores`]: the store provider that restores and change-logs in-memory stores.
//! - [`driver`]: registering topologies, piping records, reading outputs, restarting.

#[allow(clippy::module_inception)]
pub mod driver;
pub mod error;
pub mod stores;
pub mod topics;

#[cfg(test)]
mod tests;

pub use crate::state::buffered::{ChangelogBuffer, ChangelogWrite};
pub use driver::{Driver, ManualClock};
pub use error::DriverError;
pub use stores::DriverStores;
pub use topics::{StoredRecord, Topics, murmur2};
