//! What a runner needs to know about a topology before it builds any task: its sub-topologies
//! with their input, output and repartition topics and their stores ([`TopologySpec`]), and a
//! [`TopologyFactory`] that builds the graph of any (sub-topology, partition) with stores from
//! the runner's [`StoreProvider`]. The operator layer implements the factory from a physical
//! plan; the driver and the Kafka runtime consume it. This file depends on the state layer's
//! store declarations only, never on a backend.

use std::collections::HashSet;

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

impl TopologySpec {
    /// Checks the shape runners rely on: sub-topology ids and store names are unique, and
    /// every repartition topic is written by exactly one sub-topology and read only by later
    /// ones.
    pub fn validate(&self) -> Result<(), TopologyError> {
        let mut ids = HashSet::new();
        let mut stores = HashSet::new();
        for sub in &self.sub_topologies {
            if !ids.insert(sub.id) {
                return Err(TopologyError::InvalidSpec {
                    reason: format!("sub-topology {} appears twice", sub.id),
                });
            }
            if let Some(store) = sub.stores.iter().find(|s| !stores.insert(s.name.as_str())) {
                return Err(TopologyError::InvalidSpec {
                    reason: format!("store {} is declared twice", store.name),
                });
            }
        }
        for topic in &self.repartition_topics {
            let writers: Vec<usize> = self.positions(|s| s.sinks.contains(topic));
            let readers: Vec<usize> = self.positions(|s| s.sources.contains(topic));
            let reason = match (writers.as_slice(), readers.as_slice()) {
                ([], _) => "no sub-topology writes it",
                ([_, _, ..], _) => "more than one sub-topology writes it",
                (_, []) => "no sub-topology reads it",
                ([w], r) if r.iter().any(|r| r <= w) => {
                    "it is read by a sub-topology listed before (or same as) its writer"
                }
                _ => continue,
            };
            return Err(TopologyError::InvalidSpec {
                reason: format!("repartition topic {topic}: {reason}"),
            });
        }
        Ok(())
    }

    fn positions(&self, pick: impl Fn(&SubTopologySpec) -> bool) -> Vec<usize> {
        self.sub_topologies
            .iter()
            .enumerate()
            .filter(|(_, s)| pick(s))
            .map(|(i, _)| i)
            .collect()
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::StoreKind;

    fn sub(id: u32, sources: &[&str], sinks: &[&str], stores: &[&str]) -> SubTopologySpec {
        SubTopologySpec {
            id,
            sources: sources.iter().map(|s| s.to_string()).collect(),
            sinks: sinks.iter().map(|s| s.to_string()).collect(),
            stores: stores
                .iter()
                .map(|s| StoreSpec {
                    name: s.to_string(),
                    kind: StoreKind::KeyValue,
                    changelog: None,
                })
                .collect(),
        }
    }

    fn check(subs: Vec<SubTopologySpec>) -> Result<(), String> {
        TopologySpec {
            sub_topologies: subs,
            repartition_topics: vec!["rep".into()],
        }
        .validate()
        .map_err(|e| e.to_string())
    }

    #[test]
    fn specs_are_validated() {
        assert_eq!(
            check(vec![
                sub(0, &["in"], &["rep"], &[]),
                sub(1, &["rep"], &["out"], &["s"])
            ]),
            Ok(())
        );
        let err = |subs| check(subs).unwrap_err();
        assert!(err(vec![sub(0, &["rep"], &["out"], &[])]).contains("no sub-topology writes it"));
        assert!(err(vec![sub(0, &["in"], &["rep"], &[])]).contains("no sub-topology reads it"));
        assert!(
            err(vec![
                sub(0, &["rep"], &["out"], &[]),
                sub(1, &["in"], &["rep"], &[])
            ])
            .contains("listed before")
        );
        assert!(
            err(vec![
                sub(0, &["in"], &["rep"], &["s"]),
                sub(1, &["rep"], &[], &["s"])
            ])
            .contains("store s is declared twice")
        );
        assert!(
            err(vec![
                sub(0, &["in"], &["rep"], &[]),
                sub(0, &["rep"], &[], &[])
            ])
            .contains("appears twice")
        );
    }
}
