//! Physical steps: the plan of one query as a tree of plain serde data with versioned tags
//! (`streamSource/v1`, `aggregate/v1`, …), in the spirit of ksqlDB's `ExecutionStep`. Every step
//! carries its context name (its plan path, from which store and topic names derive) and the
//! schema of the rows it emits. Steps hold no runtime objects; the engine's builder turns them
//! into processors.
//!
//! Row layouts: up to the projection, expressions read the *input row*: for each input (`FROM`,
//! then each `JOIN`) its schema's columns and system columns ([`crate::expr::ColumnRef::Input`],
//! [`crate::expr::ColumnRef::System`]); table functions append their columns
//! ([`crate::expr::ColumnRef::TableFunction`]). After `aggregate/v1`, expressions read group
//! keys and aggregate results. The `select/v1` step produces the output schema.

use serde::{Deserialize, Serialize};

use crate::analyze::query::JoinKind;
use crate::analyze::{
    AggregateCall, FormatInfo, JoinType, KeyWindow, ProjectedColumn, Schema, TableFunctionCall,
    TimestampColumn, WindowSpec,
};
use crate::expr::TypedExpr;

/// A Kafka topic a step reads or writes, with its serde formats.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopicInfo {
    pub topic: String,
    pub key_format: FormatInfo,
    pub value_format: FormatInfo,
}

/// A state store: its name (from the plan path) and the schemas of its keys and values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoreSpec {
    pub name: String,
    pub key_schema: Schema,
    pub value_schema: Schema,
    /// Whether its changelog topic exists (`<app_id>-<name>-changelog`).
    pub changelog: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step")]
pub enum Step {
    /// Reads a stream's topic.
    #[serde(rename = "streamSource/v1")]
    StreamSource {
        ctx: String,
        source: String,
        topic: TopicInfo,
        schema: Schema,
        timestamp: Option<TimestampColumn>,
        window: Option<KeyWindow>,
    },
    /// Reads a table's topic and materializes it in `store`.
    #[serde(rename = "tableSource/v1")]
    TableSource {
        ctx: String,
        source: String,
        topic: TopicInfo,
        schema: Schema,
        timestamp: Option<TimestampColumn>,
        window: Option<KeyWindow>,
        store: StoreSpec,
    },
    /// Drops rows for which `predicate` is not true. On a table, a failing row (or a delete)
    /// becomes a tombstone only when the key's previous row passed: ksqlDB's tables are
    /// materialized, so Kafka Streams' `KTable.filter` sees old values and forwards nothing
    /// for a key that was never in its result. `store` holds the keys whose last row passed
    /// (absent on streams).
    #[serde(rename = "filter/v1")]
    Filter {
        ctx: String,
        input: Box<Step>,
        predicate: TypedExpr,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        store: Option<StoreSpec>,
    },
    /// Calls table functions; each input row becomes one row per combination of results.
    #[serde(rename = "flatMap/v1")]
    FlatMap {
        ctx: String,
        input: Box<Step>,
        functions: Vec<TableFunctionCall>,
    },
    /// Re-keys rows by `keys`. When a join or grouping follows, the rows go through
    /// `repartition_topic` (`<app_id>-<ctx>-repartition`) so that every key lands in the task
    /// that holds its state; when nothing stateful follows (`PARTITION BY` straight to the
    /// sink) it is `None`: rows are re-keyed in place and the sink's partitioner places them,
    /// as Kafka Streams does for a `selectKey` followed by `to`.
    #[serde(rename = "selectKey/v1")]
    SelectKey {
        ctx: String,
        input: Box<Step>,
        keys: Vec<TypedExpr>,
        repartition_topic: Option<String>,
        /// The partition count of the repartition topic (the input's).
        partitions: Option<u32>,
    },
    /// Joins the left rows with the right rows on the key.
    #[serde(rename = "join/v1")]
    Join {
        ctx: String,
        kind: JoinKind,
        join_type: JoinType,
        left: Box<Step>,
        right: Box<Step>,
        left_key: TypedExpr,
        right_key: TypedExpr,
        /// Stream-stream: before, after and grace in milliseconds.
        within: Option<(u64, u64, Option<u64>)>,
        /// Stream-stream: the two window stores; foreign-key: the subscription store.
        stores: Vec<StoreSpec>,
        /// The joined row: key `KSQL_KEY_0` (the join expression), then every input's columns,
        /// named `<alias>_<column>`.
        schema: Schema,
    },
    /// Groups rows by `keys` (repartitioning when they are not the current key).
    #[serde(rename = "groupBy/v1")]
    GroupBy {
        ctx: String,
        input: Box<Step>,
        keys: Vec<TypedExpr>,
        repartition_topic: Option<String>,
    },
    /// Folds each group's rows into aggregate results, windowed or not.
    #[serde(rename = "aggregate/v1")]
    Aggregate {
        ctx: String,
        input: Box<Step>,
        aggregates: Vec<AggregateCall>,
        window: Option<WindowSpec>,
        store: StoreSpec,
    },
    /// `HAVING` after an aggregation.
    #[serde(rename = "tableFilter/v1")]
    TableFilter {
        ctx: String,
        input: Box<Step>,
        predicate: TypedExpr,
    },
    /// Holds windowed results until the window closes (`EMIT FINAL`).
    #[serde(rename = "suppress/v1")]
    Suppress {
        ctx: String,
        input: Box<Step>,
        store: StoreSpec,
    },
    /// The projection: key columns first, then value columns; produces the output schema.
    #[serde(rename = "select/v1")]
    Select {
        ctx: String,
        input: Box<Step>,
        columns: Vec<ProjectedColumn>,
        schema: Schema,
    },
    /// Writes rows to the sink topic.
    #[serde(rename = "sink/v1")]
    Sink {
        ctx: String,
        input: Box<Step>,
        sink: String,
        topic: TopicInfo,
        schema: Schema,
        timestamp: Option<TimestampColumn>,
        window: Option<KeyWindow>,
        partitions: Option<u32>,
    },
}

impl Step {
    pub fn ctx(&self) -> &str {
        match self {
            Step::StreamSource { ctx, .. }
            | Step::TableSource { ctx, .. }
            | Step::Filter { ctx, .. }
            | Step::FlatMap { ctx, .. }
            | Step::SelectKey { ctx, .. }
            | Step::Join { ctx, .. }
            | Step::GroupBy { ctx, .. }
            | Step::Aggregate { ctx, .. }
            | Step::TableFilter { ctx, .. }
            | Step::Suppress { ctx, .. }
            | Step::Select { ctx, .. }
            | Step::Sink { ctx, .. } => ctx,
        }
    }

    /// The schema of the rows this step emits. Re-keying steps name their new key columns
    /// `KSQL_KEY_<i>`; table functions add `KSQL_SYNTH_<i>`; aggregates emit their group key and
    /// `KSQL_AGG_VARIABLE_<i>` columns.
    pub fn schema(&self) -> Schema {
        use crate::analyze::Column;
        let rekeyed = |input: &Step, keys: &[TypedExpr]| {
            let mut columns: Vec<Column> = keys
                .iter()
                .enumerate()
                .map(|(i, k)| Column::key(format!("KSQL_KEY_{i}"), k.ty.clone()))
                .collect();
            columns.extend(input.schema().columns.into_iter().map(|mut c| {
                c.namespace = crate::analyze::Namespace::Value;
                c
            }));
            Schema::new(columns)
        };
        match self {
            Step::StreamSource { schema, .. }
            | Step::TableSource { schema, .. }
            | Step::Join { schema, .. }
            | Step::Select { schema, .. }
            | Step::Sink { schema, .. } => schema.clone(),
            Step::Filter { input, .. }
            | Step::TableFilter { input, .. }
            | Step::Suppress { input, .. } => input.schema(),
            Step::FlatMap {
                input, functions, ..
            } => {
                let mut schema = input.schema();
                for (i, f) in functions.iter().enumerate() {
                    schema
                        .columns
                        .push(Column::value(format!("KSQL_SYNTH_{i}"), f.ty.clone()));
                }
                schema
            }
            Step::SelectKey { input, keys, .. } | Step::GroupBy { input, keys, .. } => {
                rekeyed(input, keys)
            }
            Step::Aggregate { store, .. } => {
                let mut columns = store.key_schema.columns.clone();
                columns.extend(store.value_schema.columns.iter().cloned());
                Schema::new(columns)
            }
        }
    }

    /// The versioned tag, e.g. `aggregate/v1`.
    pub fn tag(&self) -> &'static str {
        match self {
            Step::StreamSource { .. } => "streamSource/v1",
            Step::TableSource { .. } => "tableSource/v1",
            Step::Filter { .. } => "filter/v1",
            Step::FlatMap { .. } => "flatMap/v1",
            Step::SelectKey { .. } => "selectKey/v1",
            Step::Join { .. } => "join/v1",
            Step::GroupBy { .. } => "groupBy/v1",
            Step::Aggregate { .. } => "aggregate/v1",
            Step::TableFilter { .. } => "tableFilter/v1",
            Step::Suppress { .. } => "suppress/v1",
            Step::Select { .. } => "select/v1",
            Step::Sink { .. } => "sink/v1",
        }
    }

    /// The steps this one reads, left to right.
    pub fn inputs(&self) -> Vec<&Step> {
        match self {
            Step::StreamSource { .. } | Step::TableSource { .. } => Vec::new(),
            Step::Join { left, right, .. } => vec![left, right],
            Step::Filter { input, .. }
            | Step::FlatMap { input, .. }
            | Step::SelectKey { input, .. }
            | Step::GroupBy { input, .. }
            | Step::Aggregate { input, .. }
            | Step::TableFilter { input, .. }
            | Step::Suppress { input, .. }
            | Step::Select { input, .. }
            | Step::Sink { input, .. } => vec![input],
        }
    }

    /// Whether this step emits a table (a changelog of rows per key) rather than a stream.
    pub fn is_table(&self) -> bool {
        match self {
            Step::TableSource { .. } | Step::Aggregate { .. } => true,
            Step::StreamSource { .. } | Step::GroupBy { .. } => false,
            Step::Join { left, right, .. } => left.is_table() && right.is_table(),
            Step::Filter { input, .. }
            | Step::FlatMap { input, .. }
            | Step::SelectKey { input, .. }
            | Step::TableFilter { input, .. }
            | Step::Suppress { input, .. }
            | Step::Select { input, .. }
            | Step::Sink { input, .. } => input.is_table(),
        }
    }

    /// The state stores of this step (not of its inputs).
    pub fn stores(&self) -> Vec<&StoreSpec> {
        match self {
            Step::Filter {
                store: Some(store), ..
            } => vec![store],
            Step::TableSource { store, .. }
            | Step::Aggregate { store, .. }
            | Step::Suppress { store, .. } => vec![store],
            Step::Join { stores, .. } => stores.iter().collect(),
            _ => Vec::new(),
        }
    }

    /// The repartition topic of this step, if any (relative name, without the app id).
    pub fn repartition(&self) -> Option<&str> {
        match self {
            Step::SelectKey {
                repartition_topic, ..
            }
            | Step::GroupBy {
                repartition_topic, ..
            } => repartition_topic.as_deref(),
            _ => None,
        }
    }

    /// Every step of the tree, inputs before the steps that read them.
    pub fn walk(&self) -> Vec<&Step> {
        let mut out = Vec::new();
        for input in self.inputs() {
            out.extend(input.walk());
        }
        out.push(self);
        out
    }
}
