//! The builder's part for grouping: `groupBy/v1` (with or without its repartition topic),
//! `aggregate/v1` (windowed or not, with a fused `HAVING`) and `suppress/v1`. Called from
//! [`super::build`]'s step match; it compiles expressions and opens the declared stores once
//! per task graph. It must not declare stores (see [`super::stores`]).

use super::aggregate::functions::{aggregate_function, extra_aggregate};
use super::aggregate::session::SessionAggregate;
use super::aggregate::windowed::{WindowAggregate, WindowBounds};
use super::aggregate::{Aggregate, Call, Calls, Having};
use super::build::{Attach, BuildError, Built, QueryTopology};
use super::group_by::{GroupBy, GroupedDeserializer, GroupedSerializer};
use super::layout::{Grouping, InputLayout};
use super::repartition::internal_serde;
use super::stores::{is_table, prior_store};
use crate::analyze::WindowType;
use crate::expr::TypedExpr;
use crate::expr::compile::{EvalRow, Evaluator};
use crate::plan::Step;
use crate::state::{StateError, StoreProvider};
use crate::topology::{GraphBuilder, TopologyError};
use crate::types::{SqlType, Value};

impl QueryTopology {
    pub(super) fn compile_in(
        &self,
        ctx: &str,
        e: &TypedExpr,
        layout: InputLayout,
    ) -> Result<Evaluator, BuildError> {
        Evaluator::compile(e, &|c| layout.resolve(c)).map_err(|source| BuildError::Compile {
            query: self.query.clone(),
            ctx: ctx.to_owned(),
            source: Box::new(source),
        })
    }

    fn state(&self, source: StateError) -> BuildError {
        self.topo(TopologyError::State(source))
    }

    pub(super) fn format(&self, ctx: &str, source: crate::format::FormatError) -> BuildError {
        BuildError::Format {
            query: self.query.clone(),
            ctx: ctx.to_owned(),
            source: Box::new(source),
        }
    }

    pub(super) fn group_by(
        &self,
        step: &Step,
        root: &str,
        graph: &mut GraphBuilder,
        stores: &mut dyn StoreProvider,
    ) -> Result<Built, BuildError> {
        let Step::GroupBy {
            ctx,
            input,
            keys,
            repartition_topic,
        } = step
        else {
            return Err(self.unsupported_what(step.ctx(), step.tag()));
        };
        let schema = input.schema();
        let key_count = schema.keys().count();
        let value_count = schema.columns.len() - key_count;
        let table = is_table(input);
        let mut row_types: Vec<SqlType> = schema.columns.iter().map(|c| c.ty.clone()).collect();
        if table {
            row_types.push(SqlType::Int);
        }
        let key_types: Vec<SqlType> = keys.iter().map(|k| k.ty.clone()).collect();
        let mut grouped = InputLayout::grouped(keys.len(), Grouping::Grouped);
        // A joined input's columns sit in the grouped row after its key columns.
        grouped.joined = super::join::output_layout(input)
            .and_then(|layout| layout.joined)
            .map(|joined| joined.shifted(key_count));
        let topic = |name: &str| format!("{}-{name}-repartition", self.app_id);
        if let Some(name) = repartition_topic.as_deref().filter(|_| ctx != root) {
            let de = GroupedDeserializer {
                key_serde: internal_serde(&key_types).map_err(|e| self.format(ctx, e))?,
                row_serde: internal_serde(&row_types).map_err(|e| self.format(ctx, e))?,
            };
            let id = graph.source(&format!("{ctx}-source"), &topic(name), Box::new(de));
            return Ok(Built {
                at: Attach::Source(id),
                layout: grouped,
                table,
                rekeyed: true,
            });
        }
        let built = self.add(input, root, graph, stores)?;
        let compiled = keys
            .iter()
            .map(|k| self.compile_in(ctx, k, built.layout))
            .collect::<Result<Vec<_>, _>>()?;
        let prior = if table {
            Some(
                stores
                    .key_value(&prior_store(ctx))
                    .map_err(|e| self.state(e))?,
            )
        } else {
            None
        };
        let node = graph.processor(
            ctx,
            Box::new(GroupBy::new(compiled, key_count, value_count, prior)),
        );
        self.connect(graph, built.at, node)?;
        let mut at = Attach::Node(node);
        if let Some(name) = repartition_topic {
            let ser = GroupedSerializer {
                key_serde: internal_serde(&key_types).map_err(|e| self.format(ctx, e))?,
                row_serde: internal_serde(&row_types).map_err(|e| self.format(ctx, e))?,
            };
            let sink = graph.sink(&format!("{ctx}-repartition"), &topic(name), Box::new(ser));
            self.connect(graph, at, sink)?;
            at = Attach::Node(sink);
        }
        Ok(Built {
            at,
            layout: grouped,
            table,
            rekeyed: true,
        })
    }

    /// `suppress/v1` (`EMIT FINAL`): fused into the windowed aggregate below it (with its
    /// `HAVING`, if any), which then emits each window once, when it closes.
    pub(super) fn suppressed(
        &self,
        step: &Step,
        root: &str,
        graph: &mut GraphBuilder,
        stores: &mut dyn StoreProvider,
    ) -> Result<Built, BuildError> {
        let Step::Suppress { input, .. } = step else {
            return Err(self.unsupported_what(step.ctx(), step.tag()));
        };
        match &**input {
            Step::TableFilter {
                input: aggregate,
                predicate,
                ..
            } if matches!(
                **aggregate,
                Step::Aggregate {
                    window: Some(_),
                    ..
                }
            ) =>
            {
                self.aggregate(aggregate, Some(predicate), true, root, graph, stores)
            }
            Step::Aggregate {
                window: Some(_), ..
            } => self.aggregate(input, None, true, root, graph, stores),
            other => {
                Err(self.unsupported_what(step.ctx(), &format!("EMIT FINAL over {}", other.tag())))
            }
        }
    }

    pub(super) fn aggregate(
        &self,
        step: &Step,
        having: Option<&TypedExpr>,
        emit_final: bool,
        root: &str,
        graph: &mut GraphBuilder,
        stores: &mut dyn StoreProvider,
    ) -> Result<Built, BuildError> {
        let Step::Aggregate {
            ctx,
            input,
            aggregates,
            window,
            store,
        } = step
        else {
            return Err(self.unsupported_what(step.ctx(), step.tag()));
        };
        let group_count = match &**input {
            Step::GroupBy { keys, .. } => keys.len(),
            other => {
                return Err(self.unsupported_what(ctx, &format!("aggregate over {}", other.tag())));
            }
        };
        let built = self.add(input, root, graph, stores)?;
        let mut calls = Vec::new();
        for call in aggregates {
            let args = call
                .args
                .iter()
                .map(|a| self.compile_in(ctx, a, built.layout))
                .collect::<Result<Vec<_>, _>>()?;
            let constants: Vec<Value> = args.iter().map(constant).collect();
            let function = extra_aggregate(
                &call.function.name,
                call.function.signature,
                &call.function.params,
                &call.ty,
                &constants,
            )
            .unwrap_or_else(|| {
                aggregate_function(
                    &call.function.name,
                    &call.function.params,
                    &call.ty,
                    &constants,
                )
            })
            .map_err(|e| self.unsupported_what(ctx, &e.to_string()))?;
            calls.push(Call { function, args });
        }
        let calls = Calls {
            calls,
            table: built.table,
        };
        let out_layout = InputLayout::grouped(group_count, Grouping::Aggregated);
        let having = having
            .map(|h| self.compile_in(ctx, h, out_layout).map(Having))
            .transpose()?;
        let processor: Box<dyn crate::topology::Processor> = match window {
            None => {
                let store = stores.key_value(&store.name).map_err(|e| self.state(e))?;
                Box::new(Aggregate::new(calls, having, store, stores.record_cache()))
            }
            Some(w) if w.window_type == WindowType::Session => {
                let store = stores.session(&store.name).map_err(|e| self.state(e))?;
                let op =
                    SessionAggregate::new(calls, having, store, WindowBounds::of(w, emit_final));
                Box::new(if emit_final { op.emit_final() } else { op })
            }
            Some(w) => {
                let store = stores.window(&store.name).map_err(|e| self.state(e))?;
                let bounds = WindowBounds::of(w, emit_final);
                let op = WindowAggregate::new(calls, having, store, bounds, stores.record_cache());
                Box::new(if emit_final { op.emit_final() } else { op })
            }
        };
        let node = graph.processor(ctx, processor);
        self.connect(graph, built.at, node)?;
        Ok(Built {
            at: Attach::Node(node),
            layout: out_layout,
            table: true,
            rekeyed: true,
        })
    }
}

/// The value of a constant argument (a literal), NULL for anything that reads the row.
fn constant(e: &Evaluator) -> Value {
    let row = EvalRow {
        key: &[],
        value: &[],
        timestamp: 0,
        partition: -1,
        offset: -1,
        window: None,
    };
    e.eval(&row).unwrap_or(Value::Null)
}
