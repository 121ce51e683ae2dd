//! The builder: turns a [`PlannedQuery`]'s step tree into a [`TopologyFactory`]. Each step
//! becomes one node (sources and sinks become the graph's edges); expressions are compiled and
//! serdes built per task graph, never per record. Sub-topologies split at repartition steps
//! (`selectKey/v1`, and `groupBy/v1` when it repartitions): sub-topology `n` is the part of
//! the tree ending at the `n`-th repartition (post-order), the last one ends at the sink. Each
//! sub-topology declares the stores of its steps ([`super::stores`]); grouping, aggregation
//! and `EMIT FINAL` are built in [`super::build_grouping`], sources in
//! [`super::build_source`], repartition topics of `PARTITION BY` in
//! [`super::build_repartition`]. Steps not built yet (joins) are a
//! [`BuildError::Unsupported`] naming them. It must not do I/O or open stores it did not
//! declare.

use std::collections::HashMap;
use std::sync::Arc;

use thiserror::Error;

use super::filter::Filter;
use super::flat_map::{FlatMap, table_function};
use super::layout::InputLayout;
use super::prune::read_value_columns;
use super::segment::{RegistryOptions, is_repartition, segment, segment_roots, serdes, shape};
use super::select::Select;
use super::sink::{SetTimestamp, SinkSerializer};
use super::source::EventTime;
use super::stores::declared;
use super::window_key::WindowedSink;
use crate::expr::TypedExpr;
use crate::expr::compile::{CompileError, Evaluator};
use crate::expr::functions::literal_value;
use crate::format::FormatError;
use crate::plan::{PlannedQuery, Step};
use crate::state::StoreProvider;
use crate::topology::{
    GraphBuilder, NodeId, Port, ScratchStores, SourceId, SubTopologySpec, TaskGraph, TaskId,
    TopologyError, TopologyFactory, TopologySpec,
};
use crate::types::{SqlType, Value};

#[derive(Debug, Error)]
pub enum BuildError {
    #[error("query {query}: not supported yet: {step} ({ctx})")]
    Unsupported {
        query: String,
        step: String,
        ctx: String,
    },
    #[error("query {query}, step {ctx}: {source}")]
    Compile {
        query: String,
        ctx: String,
        source: Box<CompileError>,
    },
    #[error("query {query}, step {ctx}: {source}")]
    Format {
        query: String,
        ctx: String,
        source: Box<FormatError>,
    },
    #[error("query {query}: {source}")]
    Topology {
        query: String,
        source: Box<TopologyError>,
    },
}

/// A built query: its spec and the plan its task graphs are made from.
pub struct QueryTopology {
    pub(super) query: String,
    pub(super) app_id: String,
    /// Per sub-topology, the context name of the step its output leaves from.
    roots: Vec<String>,
    steps: Arc<Step>,
    spec: TopologySpec,
    /// Per stream source (by context), the value columns the query reads ([`super::prune`]).
    pub(super) read_columns: HashMap<String, Vec<bool>>,
    /// The Schema Registry of registry-format topics (none configured: they fail to build).
    pub(super) registry: Option<RegistryOptions>,
}

/// Builds `query`, checking every step once so unsupported steps fail here, not in a task.
/// Registry formats fail to build; see [`build_with_registry`].
pub fn build(query: &PlannedQuery) -> Result<QueryTopology, BuildError> {
    build_with_registry(query, None)
}

/// [`build`], with the Schema Registry that AVRO topics read and write through. Building
/// makes no registry call: schemas are fetched and registered by the first records.
pub fn build_with_registry(
    query: &PlannedQuery,
    registry: Option<RegistryOptions>,
) -> Result<QueryTopology, BuildError> {
    let mut roots = Vec::new();
    segment_roots(&query.steps, &mut roots);
    let topic = |name: &str| format!("{}-{name}-repartition", query.application_id);
    let mut sub_topologies = Vec::new();
    let mut repartition_topics = Vec::new();
    for (id, root) in roots.iter().enumerate() {
        let mut sources = Vec::new();
        let mut stores = Vec::new();
        for step in segment(root) {
            let boundary = !std::ptr::eq(step, *root) && is_repartition(step);
            if !boundary {
                stores.extend(declared(step, &query.application_id));
            }
            match (step, step.repartition()) {
                (Step::StreamSource { topic, .. } | Step::TableSource { topic, .. }, _) => {
                    sources.push(topic.topic.clone())
                }
                (_, Some(repartition_topic)) if boundary => sources.push(topic(repartition_topic)),
                _ => {}
            }
        }
        let sinks = match (root, root.repartition()) {
            (Step::Sink { topic, .. }, _) => vec![topic.topic.clone()],
            (_, Some(repartition_topic)) => {
                repartition_topics.push(topic(repartition_topic));
                vec![topic(repartition_topic)]
            }
            _ => Vec::new(),
        };
        sub_topologies.push(SubTopologySpec {
            id: id as u32,
            sources,
            sinks,
            stores,
        });
    }
    let topology = QueryTopology {
        query: query.id.clone(),
        app_id: query.application_id.clone(),
        roots: roots.iter().map(|r| r.ctx().to_owned()).collect(),
        steps: Arc::new(query.steps.clone()),
        read_columns: read_value_columns(&query.steps),
        registry,
        spec: TopologySpec {
            sub_topologies,
            repartition_topics,
        },
    };
    for (sub, spec) in topology.spec.sub_topologies.iter().enumerate() {
        topology.graph(sub, &mut ScratchStores::new(&spec.stores))?;
    }
    Ok(topology)
}

impl TopologyFactory for QueryTopology {
    fn spec(&self) -> &TopologySpec {
        &self.spec
    }

    fn build(
        &self,
        task: TaskId,
        stores: &mut dyn StoreProvider,
    ) -> Result<TaskGraph, TopologyError> {
        self.graph(task.sub_topology as usize, stores)
            .map_err(|e| match e {
                BuildError::Topology { source, .. } => *source,
                other => TopologyError::InvalidSpec {
                    reason: other.to_string(),
                },
            })
    }
}

/// Where a built step's output comes from, and its row shape.
#[derive(Clone, Copy)]
pub(super) enum Attach {
    Source(SourceId),
    Node(NodeId),
}

pub(super) struct Built {
    pub(super) at: Attach,
    pub(super) layout: InputLayout,
    pub(super) table: bool,
    /// Read back from a repartition: the key is computed, never the Kafka key passed through.
    pub(super) rekeyed: bool,
}

impl QueryTopology {
    fn graph(&self, sub: usize, stores: &mut dyn StoreProvider) -> Result<TaskGraph, BuildError> {
        let root_ctx = self.roots.get(sub).ok_or_else(|| {
            self.topo(TopologyError::InvalidSpec {
                reason: format!("no sub-topology {sub}"),
            })
        })?;
        let root = self
            .steps
            .walk()
            .into_iter()
            .find(|s| s.ctx() == root_ctx)
            .ok_or_else(|| {
                self.topo(TopologyError::InvalidSpec {
                    reason: format!("no step {root_ctx}"),
                })
            })?;
        let mut graph = GraphBuilder::new();
        self.add(root, root_ctx, &mut graph, stores)?;
        graph.build().map_err(|source| self.topo(source))
    }

    pub(super) fn topo(&self, source: TopologyError) -> BuildError {
        BuildError::Topology {
            query: self.query.clone(),
            source: Box::new(source),
        }
    }

    pub(super) fn add(
        &self,
        step: &Step,
        root: &str,
        graph: &mut GraphBuilder,
        stores: &mut dyn StoreProvider,
    ) -> Result<Built, BuildError> {
        let ctx = step.ctx();
        let compile = |e: &TypedExpr, layout: InputLayout| {
            Evaluator::compile(e, &|c| layout.resolve(c)).map_err(|source| BuildError::Compile {
                query: self.query.clone(),
                ctx: ctx.to_owned(),
                source: Box::new(source),
            })
        };
        match step {
            Step::StreamSource { .. } | Step::TableSource { .. } => self.source(step, graph),
            Step::TableFilter {
                input, predicate, ..
            } if matches!(**input, Step::Aggregate { .. }) => {
                self.aggregate(input, Some(predicate), false, root, graph, stores)
            }
            Step::Aggregate { .. } => self.aggregate(step, None, false, root, graph, stores),
            Step::Suppress { .. } => self.suppressed(step, root, graph, stores),
            Step::GroupBy { .. } => self.group_by(step, root, graph, stores),
            Step::Filter {
                input,
                predicate,
                store,
                ..
            } => {
                let built = self.add(input, root, graph, stores)?;
                let predicate = compile(predicate, built.layout)?;
                let node = match store {
                    Some(store) => {
                        let passed = stores
                            .key_value(&store.name)
                            .map_err(|e| self.topo(TopologyError::State(e)))?;
                        let key_width = built
                            .layout
                            .joined
                            .map_or(built.layout.key_count, |j| j.key_width);
                        let filter = Filter::table(predicate, passed, key_width);
                        let node = graph.processor(ctx, Box::new(filter));
                        graph
                            .uses_stores(node, &[store.name.as_str()])
                            .map_err(|source| self.topo(source))?;
                        node
                    }
                    None => graph.processor(ctx, Box::new(Filter::new(predicate, built.table))),
                };
                self.connect(graph, built.at, node)?;
                Ok(Built {
                    at: Attach::Node(node),
                    ..built
                })
            }
            Step::TableFilter {
                input, predicate, ..
            } => {
                let built = self.add(input, root, graph, stores)?;
                let predicate = compile(predicate, built.layout)?;
                let node = graph.processor(ctx, Box::new(Filter::new(predicate, built.table)));
                self.connect(graph, built.at, node)?;
                Ok(Built {
                    at: Attach::Node(node),
                    ..built
                })
            }
            Step::FlatMap {
                input, functions, ..
            } => {
                let built = self.add(input, root, graph, stores)?;
                let Some((schema, _)) = shape(input) else {
                    return Err(unsupported(&self.query, input));
                };
                let mut compiled = Vec::new();
                for call in functions {
                    let args = call
                        .args
                        .iter()
                        .map(|a| compile(a, built.layout))
                        .collect::<Result<Vec<_>, _>>()?;
                    let types: Vec<SqlType> = call.args.iter().map(|a| a.ty.clone()).collect();
                    let literals: Vec<Option<Value>> =
                        call.args.iter().map(literal_value).collect();
                    let function = table_function(
                        &call.function.name,
                        call.function.signature,
                        &types,
                        &call.ty,
                        &literals,
                    )
                    .map_err(|source| BuildError::Compile {
                        query: self.query.clone(),
                        ctx: ctx.to_owned(),
                        source: Box::new(source),
                    })?;
                    compiled.push((function, args));
                }
                let node = graph.processor(ctx, Box::new(FlatMap::new(compiled)));
                self.connect(graph, built.at, node)?;
                let mut layout = built.layout;
                layout.table_functions = Some(schema.columns.len() - layout.key_count);
                Ok(Built {
                    at: Attach::Node(node),
                    layout,
                    ..built
                })
            }
            Step::Select { input, columns, .. } => {
                let built = self.add(input, root, graph, stores)?;
                let (mut keys, mut values) = (Vec::new(), Vec::new());
                let mut key_only = Vec::new();
                for column in columns {
                    let e = compile(&column.expr, built.layout)?;
                    if column.key {
                        key_only.push(reads_only_key(&column.expr, built.layout));
                        keys.push((column.name.clone(), e));
                    } else {
                        values.push((column.name.clone(), e));
                    }
                }
                let key_count = keys.len();
                // Only a re-keyed input computes keys for a null value (from key columns alone).
                let null_value_keys = built.rekeyed.then_some(key_only);
                let select = Select::new(keys, values, null_value_keys);
                let node = graph.processor(ctx, Box::new(select));
                self.connect(graph, built.at, node)?;
                Ok(Built {
                    at: Attach::Node(node),
                    layout: InputLayout::keys(key_count),
                    table: built.table,
                    rekeyed: built.rekeyed,
                })
            }
            Step::Sink {
                input,
                topic,
                schema,
                timestamp,
                window,
                ..
            } => {
                let built = self.add(input, root, graph, stores)?;
                let (key, value) = serdes(
                    schema,
                    &topic.topic,
                    &topic.key_format,
                    &topic.value_format,
                    self.registry.as_ref(),
                )
                .map_err(|source| BuildError::Format {
                    query: self.query.clone(),
                    ctx: ctx.to_owned(),
                    source: Box::new(source),
                })?;
                let mut at = built.at;
                if let Some(ts) = timestamp {
                    if let EventTime::Column(column) = self.event_time(ctx, schema, ts)? {
                        let node = graph.processor(
                            &format!("{ctx}-timestamp"),
                            Box::new(SetTimestamp { column }),
                        );
                        self.connect(graph, at, node)?;
                        at = Attach::Node(node);
                    } else {
                        return Err(
                            self.unsupported_what(ctx, "a STRING TIMESTAMP column on a sink")
                        );
                    }
                }
                let serializer = SinkSerializer { key, value };
                let serializer: Box<dyn crate::topology::RecordSerializer> = match window {
                    Some(window) => Box::new(WindowedSink {
                        inner: serializer,
                        window: *window,
                    }),
                    None => Box::new(serializer),
                };
                let sink = graph.sink(ctx, &topic.topic, serializer);
                self.connect(graph, at, sink)?;
                Ok(Built {
                    at: Attach::Node(sink),
                    ..built
                })
            }
            Step::SelectKey {
                input,
                repartition_topic: None,
                ..
            } => {
                // Re-keyed in place: the row passes through unchanged (the projection computes
                // the new key columns) and the sink's partitioner places it by its new key.
                let built = self.add(input, root, graph, stores)?;
                Ok(Built {
                    rekeyed: true,
                    ..built
                })
            }
            Step::SelectKey {
                input,
                repartition_topic: Some(repartition_topic),
                ..
            } if ctx != root => self.repartition_source(ctx, input, repartition_topic, graph),
            Step::SelectKey {
                input,
                keys,
                repartition_topic: Some(repartition_topic),
                ..
            } => {
                let built = self.add(input, root, graph, stores)?;
                self.repartition_sink(ctx, input, keys, repartition_topic, built, graph)
            }
            Step::Join { left, right, .. } => {
                let l = self.add(left, root, graph, stores)?;
                let r = self.add(right, root, graph, stores)?;
                let join = super::join::build_join(&self.query, step, l.layout, r.layout, stores)?;
                let node = graph.processor(ctx, join.processor);
                let names: Vec<&str> = join.stores.iter().map(String::as_str).collect();
                graph
                    .uses_stores(node, &names)
                    .map_err(|source| self.topo(source))?;
                for (at, port) in [(l.at, Port::LEFT), (r.at, Port::RIGHT)] {
                    match at {
                        Attach::Source(s) => graph.connect_source_port(s, node, port),
                        Attach::Node(n) => graph.connect_port(n, node, port),
                    }
                    .map_err(|source| self.topo(source))?;
                }
                Ok(Built {
                    at: Attach::Node(node),
                    layout: join.layout,
                    table: l.table && r.table,
                    rekeyed: false,
                })
            }
        }
    }

    pub(super) fn connect(
        &self,
        graph: &mut GraphBuilder,
        at: Attach,
        child: NodeId,
    ) -> Result<(), BuildError> {
        match at {
            Attach::Source(s) => graph.connect_source(s, child),
            Attach::Node(n) => graph.connect(n, child),
        }
        .map_err(|source| self.topo(source))
    }

    pub(super) fn unsupported_what(&self, ctx: &str, what: &str) -> BuildError {
        BuildError::Unsupported {
            query: self.query.clone(),
            step: what.to_owned(),
            ctx: ctx.to_owned(),
        }
    }
}

/// Whether `expr` reads nothing but key columns (so it can be computed for a null value).
fn reads_only_key(expr: &TypedExpr, layout: InputLayout) -> bool {
    let mut columns = Vec::new();
    expr.columns(&mut columns);
    columns
        .into_iter()
        .all(|c| matches!(layout.resolve(c), Some(crate::expr::compile::Slot::Key(_))))
}

pub(super) fn unsupported(query: &str, step: &Step) -> BuildError {
    let what = match step {
        Step::StreamSource {
            window: Some(_), ..
        }
        | Step::TableSource {
            window: Some(_), ..
        } => "windowed source",
        Step::Sink {
            window: Some(_), ..
        } => "windowed sink",
        other => other.tag(),
    };
    BuildError::Unsupported {
        query: query.to_owned(),
        step: what.to_owned(),
        ctx: step.ctx().to_owned(),
    }
}
