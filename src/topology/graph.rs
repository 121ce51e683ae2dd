//! The graph of one task: source nodes (one per input topic) feeding processor nodes, which
//! feed other processors or sink nodes. Built once per task by [`GraphBuilder`], then owned and
//! driven by the [`super::Task`]. Parents must be added before their children, so node ids are
//! a topological order: cycles cannot be built, and stream-time hooks run parents first.
//!
//! The graph holds no SQL and no operator types: processors are trait objects, and sources and
//! sinks hold the (de)serializers the operator layer gives them.

use std::collections::HashSet;
use std::sync::Arc;

use super::error::TopologyError;
use super::io::{RecordDeserializer, RecordSerializer};
use super::processor::Processor;
use super::record::Port;

/// A processor or sink node in a [`GraphBuilder`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NodeId(pub(crate) usize);

/// A source node in a [`GraphBuilder`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SourceId(pub(crate) usize);

#[derive(Debug, Clone, Copy)]
pub(crate) struct Edge {
    pub child: usize,
    pub port: Port,
}

pub(crate) struct SinkNode {
    pub topic: Arc<str>,
    pub serializer: Box<dyn RecordSerializer>,
    /// Reused for every record: serializing allocates only when a record outgrows them.
    pub key_buf: Vec<u8>,
    pub value_buf: Vec<u8>,
}

pub(crate) enum NodeKind {
    /// `None` only while the processor is running (it is taken out of its slot for the call).
    Processor(Option<Box<dyn Processor>>),
    Sink(SinkNode),
}

pub(crate) struct Node {
    pub name: Arc<str>,
    pub kind: NodeKind,
    pub children: Vec<Edge>,
    /// Names of the stores the processor uses, for descriptions only.
    pub stores: Vec<Arc<str>>,
}

pub(crate) struct SourceNode {
    pub name: Arc<str>,
    pub topic: Arc<str>,
    pub deserializer: Box<dyn RecordDeserializer>,
    pub children: Vec<Edge>,
}

/// A task's graph, ready to run.
pub struct TaskGraph {
    pub(crate) nodes: Vec<Node>,
    pub(crate) sources: Vec<SourceNode>,
    /// Nodes whose processors want the stream-time hook, ascending (parents first).
    pub(crate) time_hooks: Vec<usize>,
    /// Nodes whose processors hold updates back until flushed, ascending (parents first).
    pub(crate) flush_hooks: Vec<usize>,
}

impl TaskGraph {
    /// The topics this graph reads, in source order.
    pub fn source_topics(&self) -> impl Iterator<Item = &str> {
        self.sources.iter().map(|s| &*s.topic)
    }

    /// The topics this graph writes, in node order.
    pub fn sink_topics(&self) -> impl Iterator<Item = &str> {
        self.nodes.iter().filter_map(|n| match &n.kind {
            NodeKind::Sink(s) => Some(&*s.topic),
            NodeKind::Processor(_) => None,
        })
    }
}

/// Assembles a [`TaskGraph`]: add sources, processors and sinks, connect them, then `build`.
#[derive(Default)]
pub struct GraphBuilder {
    nodes: Vec<Node>,
    sources: Vec<SourceNode>,
}

impl GraphBuilder {
    pub fn new() -> Self {
        GraphBuilder::default()
    }

    /// A source reading `topic`.
    pub fn source(
        &mut self,
        name: &str,
        topic: &str,
        deserializer: Box<dyn RecordDeserializer>,
    ) -> SourceId {
        self.sources.push(SourceNode {
            name: name.into(),
            topic: topic.into(),
            deserializer,
            children: Vec::new(),
        });
        SourceId(self.sources.len() - 1)
    }

    pub fn processor(&mut self, name: &str, processor: Box<dyn Processor>) -> NodeId {
        self.push(name, NodeKind::Processor(Some(processor)))
    }

    /// A sink writing to `topic` (an output or a repartition topic).
    pub fn sink(
        &mut self,
        name: &str,
        topic: &str,
        serializer: Box<dyn RecordSerializer>,
    ) -> NodeId {
        self.push(
            name,
            NodeKind::Sink(SinkNode {
                topic: topic.into(),
                serializer,
                key_buf: Vec::new(),
                value_buf: Vec::new(),
            }),
        )
    }

    fn push(&mut self, name: &str, kind: NodeKind) -> NodeId {
        self.nodes.push(Node {
            name: name.into(),
            kind,
            children: Vec::new(),
            stores: Vec::new(),
        });
        NodeId(self.nodes.len() - 1)
    }

    /// Records that `node` uses `stores` (shown by [`TaskGraph::describe`]).
    pub fn uses_stores(&mut self, node: NodeId, stores: &[&str]) -> Result<(), TopologyError> {
        self.check(node.0)?;
        let node = &mut self.nodes[node.0];
        node.stores.extend(stores.iter().map(|&s| Arc::from(s)));
        Ok(())
    }

    /// Makes `child` a child of `source`, receiving on [`Port::MAIN`].
    pub fn connect_source(&mut self, source: SourceId, child: NodeId) -> Result<(), TopologyError> {
        self.connect_source_port(source, child, Port::MAIN)
    }

    /// Makes `child` a child of `source`, receiving on `port` (a join's side).
    pub fn connect_source_port(
        &mut self,
        source: SourceId,
        child: NodeId,
        port: Port,
    ) -> Result<(), TopologyError> {
        self.check(child.0)?;
        let source = self
            .sources
            .get_mut(source.0)
            .ok_or(TopologyError::UnknownNode { id: source.0 })?;
        source.children.push(Edge {
            child: child.0,
            port,
        });
        Ok(())
    }

    /// Makes `child` a child of `parent` on [`Port::MAIN`].
    pub fn connect(&mut self, parent: NodeId, child: NodeId) -> Result<(), TopologyError> {
        self.connect_port(parent, child, Port::MAIN)
    }

    /// Makes `child` a child of `parent` on `port`. The child must have been added after the
    /// parent; sinks have no children.
    pub fn connect_port(
        &mut self,
        parent: NodeId,
        child: NodeId,
        port: Port,
    ) -> Result<(), TopologyError> {
        self.check(parent.0)?;
        self.check(child.0)?;
        if child.0 <= parent.0 {
            return Err(TopologyError::ChildBeforeParent {
                parent: self.nodes[parent.0].name.to_string(),
                child: self.nodes[child.0].name.to_string(),
            });
        }
        let parent = &mut self.nodes[parent.0];
        if matches!(parent.kind, NodeKind::Sink(_)) {
            return Err(TopologyError::SinkWithChildren {
                sink: parent.name.to_string(),
            });
        }
        parent.children.push(Edge {
            child: child.0,
            port,
        });
        Ok(())
    }

    fn check(&self, id: usize) -> Result<(), TopologyError> {
        if id < self.nodes.len() {
            Ok(())
        } else {
            Err(TopologyError::UnknownNode { id })
        }
    }

    /// Validates (no topic read twice, every node reachable from a source) and freezes.
    pub fn build(self) -> Result<TaskGraph, TopologyError> {
        let mut topics = HashSet::new();
        for source in &self.sources {
            if !topics.insert(source.topic.clone()) {
                return Err(TopologyError::DuplicateSource {
                    topic: source.topic.to_string(),
                });
            }
        }
        let mut reachable = vec![false; self.nodes.len()];
        for edge in self.sources.iter().flat_map(|s| &s.children) {
            reachable[edge.child] = true;
        }
        // Ids are topological: one forward pass marks every descendant.
        for id in 0..self.nodes.len() {
            if reachable[id] {
                for edge in &self.nodes[id].children {
                    reachable[edge.child] = true;
                }
            }
        }
        if let Some(id) = reachable.iter().position(|r| !r) {
            return Err(TopologyError::Unreachable {
                node: self.nodes[id].name.to_string(),
            });
        }
        let hooks = |wants: fn(&dyn Processor) -> bool| -> Vec<usize> {
            self.nodes
                .iter()
                .enumerate()
                .filter(|(_, n)| matches!(&n.kind, NodeKind::Processor(Some(p)) if wants(&**p)))
                .map(|(id, _)| id)
                .collect()
        };
        let time_hooks = hooks(|p| p.wants_stream_time());
        let flush_hooks = hooks(|p| p.wants_flush());
        Ok(TaskGraph {
            nodes: self.nodes,
            sources: self.sources,
            time_hooks,
            flush_hooks,
        })
    }
}
