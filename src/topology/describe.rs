//! A task graph as text, in Kafka Streams' `TopologyDescription` layout (the form ksqlDB's
//! `EXPLAIN` prints), for `weir explain` and planner golden files. Pure formatting: it reads the
//! graph and changes nothing; [`describe`] builds partition 0 of each sub-topology over
//! throw-away in-memory stores to have graphs to read.

use std::fmt::Write as _;

use crate::state::provider::find_spec;
use crate::state::{
    KeyValueStore, MemoryKeyValueStore, MemorySessionStore, MemoryWindowStore, SessionStore,
    StateError, StoreKind, StoreProvider, StoreSpec, WindowStore,
};

use super::error::TopologyError;
use super::graph::{NodeKind, TaskGraph};
use super::spec::TopologyFactory;
use super::task::TaskId;

/// The whole topology of `factory` as text: `Topologies:` then each sub-topology.
pub fn describe(factory: &dyn TopologyFactory) -> Result<String, TopologyError> {
    let mut out = String::from("Topologies:\n");
    for sub in &factory.spec().sub_topologies {
        let task = TaskId {
            sub_topology: sub.id,
            partition: 0,
        };
        let graph = factory.build(task, &mut ScratchStores::new(&sub.stores))?;
        graph.describe(sub.id, &mut out);
    }
    Ok(out)
}

/// Opens declared stores empty and unlogged: enough to build a graph that is never run.
pub struct ScratchStores<'a> {
    specs: &'a [StoreSpec],
}

impl<'a> ScratchStores<'a> {
    pub fn new(specs: &'a [StoreSpec]) -> ScratchStores<'a> {
        ScratchStores { specs }
    }
}

impl StoreProvider for ScratchStores<'_> {
    fn key_value(&mut self, name: &str) -> Result<Box<dyn KeyValueStore>, StateError> {
        find_spec(self.specs, name, StoreKind::KeyValue)?;
        Ok(Box::new(MemoryKeyValueStore::new(name)))
    }

    fn window(&mut self, name: &str) -> Result<Box<dyn WindowStore>, StateError> {
        find_spec(self.specs, name, StoreKind::Window)?;
        Ok(Box::new(MemoryWindowStore::new(name)))
    }

    fn session(&mut self, name: &str) -> Result<Box<dyn SessionStore>, StateError> {
        find_spec(self.specs, name, StoreKind::Session)?;
        Ok(Box::new(MemorySessionStore::new(name)))
    }
}

impl TaskGraph {
    /// Appends this graph as sub-topology `id`: sources first, then nodes parents-first, each
    /// with its children (`-->`) and parents (`<--`).
    pub fn describe(&self, id: u32, out: &mut String) {
        let _ = writeln!(out, "   Sub-topology: {id}");
        let mut parents: Vec<Vec<&str>> = vec![Vec::new(); self.nodes.len()];
        for source in &self.sources {
            for edge in &source.children {
                parents[edge.child].push(&source.name);
            }
        }
        for node in &self.nodes {
            for edge in &node.children {
                parents[edge.child].push(&node.name);
            }
        }
        let names = |edges: &[super::graph::Edge]| {
            if edges.is_empty() {
                "none".to_owned()
            } else {
                edges
                    .iter()
                    .map(|e| &*self.nodes[e.child].name)
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        for source in &self.sources {
            let _ = writeln!(
                out,
                "    Source: {} (topics: [{}])",
                source.name, source.topic
            );
            let _ = writeln!(out, "      --> {}", names(&source.children));
        }
        for (id, node) in self.nodes.iter().enumerate() {
            match &node.kind {
                NodeKind::Processor(_) => {
                    let stores: Vec<&str> = node.stores.iter().map(|s| &**s).collect();
                    let _ = writeln!(
                        out,
                        "    Processor: {} (stores: [{}])",
                        node.name,
                        stores.join(", ")
                    );
                    let _ = writeln!(out, "      --> {}", names(&node.children));
                }
                NodeKind::Sink(sink) => {
                    let _ = writeln!(out, "    Sink: {} (topic: {})", node.name, sink.topic);
                }
            }
            let _ = writeln!(out, "      <-- {}", parents[id].join(", "));
        }
    }
}
