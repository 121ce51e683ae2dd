//! A task graph as text, in Kafka Streams' `TopologyDescription` layout (the form ksqlDB's
//! `EXPLAIN` prints), for `weir explain` and planner golden files. Pure formatting: it reads the
//! graph and changes nothing.

use std::fmt::Write as _;

use super::graph::{NodeKind, TaskGraph};

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
