//! What a runner needs to know about a topology before it builds any task: its sub-topologies
//! with their input, output and repartition topics and their stores ([`TopologySpec`]), and a
//! [`TopologyFactory`] that builds the graph of any (sub-topology, partition) with stores from
//! the runner's [`StoreProvider`]. The operator layer implements the factory from a physical
//! plan; the driver and the Kafka runtime consume it. This file depends on the state layer's
//! store declarations only, never on a backend.

use crate::state::{StoreProvider, StoreSpec};

use super::error::TopologyError;
use super::graph::TaskGraph;
use super::task::TaskId;

/// One sub-topology: the part of a query between its input topics (sources or repartition
/// topics) and its output topics (sinks or repartition topics).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubTopologySpec {
    pub id: u32,
    /// Topics read; all must have the same partition count (co-partitioning).
    pub sources: Vec<String>,
    /// Topics written, repartition topics included.
    pub sinks: Vec<String>,
    pub stores: Vec<StoreSpec>,
}

/// A whole query's topology, sub-topologies in dependency order (a repartition topic is
/// written by an earlier sub-topology than the ones reading it).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TopologySpec {
    pub sub_topologies: Vec<SubTopologySpec>,
    /// Internal topics between sub-topologies (`<app_id>-<node>-repartition`). They get the
    /// partition count of the sub-topology writing them.
    pub repartition_topics: Vec<String>,
}

/// Builds task graphs. Called by a runner whenever it (re)creates a task, so it must be
/// repeatable: two calls for the same task give equivalent graphs.
pub trait TopologyFactory: Send + Sync {
    fn spec(&self) -> &TopologySpec;

    /// The graph of `task`, opening the stores it declared through `stores`.
    fn build(
        &self,
        task: TaskId,
        stores: &mut dyn StoreProvider,
    ) -> Result<TaskGraph, TopologyError>;
}
