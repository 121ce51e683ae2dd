//! Synchronous processors, one per file (source, filter, project, flat-map, repartition,
//! aggregate, joins, suppress, sink), and the builder that turns physical steps into a graph of
//! them. Processors never await and never do I/O; everything a record needs (compiled
//! expressions, serdes, column positions) is prepared when the graph is built, so processing a
//! record does no name lookups and no setup.
//!
//! - [`build`]: [`build::build`] turns a [`crate::plan::PlannedQuery`] into a
//!   [`crate::topology::TopologyFactory`]; steps not built yet are a
//!   [`build::BuildError::Unsupported`] naming the step.
//! - [`layout`]: where each column a step's expressions read lives in a [`crate::topology::Record`].
//! - [`source`], [`sink`]: the edges (bytes ↔ records) with the topic's `RowSerde`s.
//! - [`filter`], [`flat_map`], [`select`]: the stateless row operators.
//! - [`repartition`]: the edges of a repartition topic (`selectKey/v1`).
//! - [`join`]: the join operators (`join/v1`): stream-table, table-table, stream-stream.
//! - [`segment`]: sub-topology splitting, row shapes and topic serdes from the plan tree.
//! - [`group_by`], [`aggregate`]: grouping (with its repartition edges) and aggregation,
//!   windowed or not, with the aggregate function registry in [`aggregate::functions`].
//! - [`stores`]: the stores each step declares to the runner.

pub mod aggregate;
pub mod build;
mod build_grouping;
mod build_repartition;
mod build_source;
pub mod filter;
pub mod flat_map;
pub mod group_by;
pub mod join;
pub mod layout;
mod prune;
pub mod repartition;
pub mod segment;
pub mod select;
pub mod sink;
pub mod source;
pub mod stores;
pub mod window_key;

#[cfg(test)]
pub(crate) mod test_support;

pub use build::{BuildError, QueryTopology, build, build_with_registry};
pub use segment::RegistryOptions;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_grouped_join;
