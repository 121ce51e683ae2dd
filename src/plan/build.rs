//! From an analyzed query to its physical steps: sources (tables materialized), joins with the
//! repartitions they need, filter, table functions, `PARTITION BY`, grouping and aggregation
//! (repartitioning only when the grouping is not the current key), `HAVING`, `EMIT FINAL`,
//! projection and sink. Context names are plan paths, from which stores and topics are named.
//! It must not touch Kafka or build processors.

use super::step::{Step, StoreSpec, TopicInfo};
use crate::analyze::query::JoinKind;
use crate::analyze::{AnalyzedQuery, Column, JoinType, QueryInput, Schema, SourceType};
use crate::expr::{ColumnRef, TypedExpr};

fn topic_of(input: &QueryInput) -> TopicInfo {
    TopicInfo {
        topic: input.topic.clone(),
        key_format: input.key_format.clone(),
        value_format: input.value_format.clone(),
    }
}

fn split_schema(schema: &Schema) -> (Schema, Schema) {
    (
        Schema::new(schema.keys().cloned().collect()),
        Schema::new(schema.values().cloned().collect()),
    )
}

/// The key columns of input `side` as expressions.
fn source_key(query: &AnalyzedQuery, side: usize) -> Vec<TypedExpr> {
    query.inputs[side]
        .schema
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| c.is_key())
        .map(|(i, c)| {
            TypedExpr::column(
                ColumnRef::Input {
                    side: side as u16,
                    index: i as u32,
                },
                c.ty.clone(),
            )
        })
        .collect()
}

fn source_step(query: &AnalyzedQuery, side: usize, ctx: String) -> Step {
    let input = &query.inputs[side];
    match input.source_type {
        SourceType::Stream => Step::StreamSource {
            ctx,
            source: input.source.clone(),
            topic: topic_of(input),
            schema: input.schema.clone(),
            timestamp: input.timestamp.clone(),
            window: input.window,
        },
        SourceType::Table => {
            let (key_schema, value_schema) = split_schema(&input.schema);
            Step::TableSource {
                store: StoreSpec {
                    name: format!("{ctx}-Reduce"),
                    key_schema,
                    value_schema,
                    // The source topic is the changelog: nothing extra to create.
                    changelog: false,
                },
                ctx,
                source: input.source.clone(),
                topic: topic_of(input),
                schema: input.schema.clone(),
                timestamp: input.timestamp.clone(),
                window: input.window,
            }
        }
    }
}

/// A step and the expressions its rows are keyed by.
struct Keyed {
    step: Step,
    key: Vec<TypedExpr>,
    partitions: Option<u32>,
}

/// `keyed` re-keyed by `keys` (unchanged when already keyed so). `through_topic`: a stateful
/// step follows, so the rows must move to the partition of their new key.
fn repartitioned(keyed: Keyed, keys: Vec<TypedExpr>, ctx: String, through_topic: bool) -> Keyed {
    if keyed.key == keys {
        return keyed;
    }
    Keyed {
        step: Step::SelectKey {
            repartition_topic: through_topic.then(|| ctx.clone()),
            ctx,
            input: Box::new(keyed.step),
            keys: keys.clone(),
            partitions: keyed.partitions,
        },
        key: keys,
        partitions: keyed.partitions,
    }
}

/// The inputs joined: join `j` (0-based) of `n` has the context `Join` for the last one and
/// `<parent>-Left` for the ones nested on its left.
fn joined(query: &AnalyzedQuery, j: usize, ctx: &str) -> Keyed {
    let join = &query.joins[j];
    let (left_ctx, right_ctx) = if ctx == "Join" {
        (
            "KafkaTopic_Left".to_string(),
            "KafkaTopic_Right".to_string(),
        )
    } else {
        (
            format!("{ctx}-KafkaTopic_Left"),
            format!("{ctx}-KafkaTopic_Right"),
        )
    };
    let left = if j == 0 {
        Keyed {
            step: source_step(query, 0, left_ctx),
            key: source_key(query, 0),
            partitions: query.inputs[0].partitions,
        }
    } else {
        joined(query, j - 1, &format!("{ctx}-Left"))
    };
    let right_side = join.right_side as usize;
    let right = Keyed {
        step: source_step(query, right_side, right_ctx),
        key: source_key(query, right_side),
        partitions: query.inputs[right_side].partitions,
    };
    let left = if join.join_type == JoinType::ForeignKey {
        left
    } else {
        repartitioned(
            left,
            vec![join.left_key.clone()],
            format!("{ctx}-left"),
            true,
        )
    };
    let right = if join.join_type == JoinType::ForeignKey {
        right
    } else {
        repartitioned(
            right,
            vec![join.right_key.clone()],
            format!("{ctx}-right"),
            true,
        )
    };
    let stores = match join.join_type {
        JoinType::StreamStream => ["this", "other"]
            .iter()
            .map(|side| StoreSpec {
                name: format!("{ctx}-{side}-join-store"),
                key_schema: Schema::new(vec![Column::key("KEY", join.left_key.ty.clone())]),
                value_schema: Schema::default(),
                changelog: true,
            })
            .collect(),
        JoinType::ForeignKey => vec![StoreSpec {
            name: format!("{ctx}-subscription-store"),
            key_schema: Schema::new(vec![Column::key("KEY", join.right_key.ty.clone())]),
            value_schema: Schema::default(),
            changelog: true,
        }],
        _ => Vec::new(),
    };
    let partitions = left.partitions.or(right.partitions);
    let key = if join.join_type == JoinType::ForeignKey {
        left.key.clone()
    } else {
        vec![join.left_key.clone()]
    };
    let full = join.kind == JoinKind::Full;
    // Joined rows are keyed by the join expression.
    let mut columns: Vec<Column> = vec![Column::key("KSQL_KEY_0", join.left_key.ty.clone())];
    for side in 0..=right_side {
        let input = &query.inputs[side];
        for column in &input.schema.columns {
            columns.push(Column::value(
                format!("{}_{}", input.alias, column.name),
                column.ty.clone(),
            ));
        }
    }
    let schema = Schema::new(columns);
    Keyed {
        step: Step::Join {
            ctx: ctx.to_string(),
            kind: join.kind,
            join_type: join.join_type,
            left: Box::new(left.step),
            right: Box::new(right.step),
            left_key: join.left_key.clone(),
            right_key: join.right_key.clone(),
            within: join.within,
            stores,
            schema,
        },
        key: if full { Vec::new() } else { key },
        partitions,
    }
}

/// The steps of `query`, from its sources to its sink.
pub fn build(query: &AnalyzedQuery) -> Step {
    let mut current = if query.joins.is_empty() {
        Keyed {
            step: source_step(query, 0, "KsqlTopic".to_string()),
            key: source_key(query, 0),
            partitions: query.inputs[0].partitions,
        }
    } else {
        joined(query, query.joins.len() - 1, "Join")
    };
    if let Some(predicate) = &query.filter {
        // A table's filter remembers which keys passed (see `filter/v1`).
        let store = current.step.is_table().then(|| StoreSpec {
            name: "WhereFilter-Passed".to_string(),
            key_schema: Schema::new(current.step.schema().keys().cloned().collect()),
            value_schema: Schema::default(),
            changelog: true,
        });
        current.step = Step::Filter {
            ctx: "WhereFilter".to_string(),
            input: Box::new(current.step),
            predicate: predicate.clone(),
            store,
        };
    }
    if !query.table_functions.is_empty() {
        current.step = Step::FlatMap {
            ctx: "FlatMap".to_string(),
            input: Box::new(current.step),
            functions: query.table_functions.clone(),
        };
    }
    if !query.partition_by.is_empty() {
        // Nothing stateful follows `PARTITION BY` (joins come before it, and ksqlDB rejects
        // it with `GROUP BY`): the rows are re-keyed in place and go straight to the sink.
        current = repartitioned(
            current,
            query.partition_by.clone(),
            "PartitionBy".to_string(),
            false,
        );
    }
    if !query.group_by.is_empty() {
        let repartition = (current.key != query.group_by).then(|| "Aggregate-GroupBy".to_string());
        let key_columns: Vec<Column> = query
            .projection
            .iter()
            .filter(|c| c.key)
            .map(|c| Column::key(c.name.clone(), c.expr.ty.clone()))
            .collect();
        let value_columns: Vec<Column> = query
            .aggregates
            .iter()
            .enumerate()
            .map(|(i, a)| Column::value(format!("KSQL_AGG_VARIABLE_{i}"), a.ty.clone()))
            .collect();
        current.step = Step::Aggregate {
            ctx: "Aggregate-Aggregate".to_string(),
            input: Box::new(Step::GroupBy {
                ctx: "Aggregate-GroupBy".to_string(),
                input: Box::new(current.step),
                keys: query.group_by.clone(),
                repartition_topic: repartition,
            }),
            aggregates: query.aggregates.clone(),
            window: query.window,
            store: StoreSpec {
                name: "Aggregate-Aggregate-Materialize".to_string(),
                key_schema: Schema::new(key_columns.clone()),
                value_schema: Schema::new(value_columns.clone()),
                changelog: true,
            },
        };
        if let Some(having) = &query.having {
            current.step = Step::TableFilter {
                ctx: "Aggregate-HavingFilter".to_string(),
                input: Box::new(current.step),
                predicate: having.clone(),
            };
        }
        if query.emit_final {
            current.step = Step::Suppress {
                ctx: "Suppress".to_string(),
                input: Box::new(current.step),
                store: StoreSpec {
                    name: "Suppress-Suppress".to_string(),
                    key_schema: Schema::new(key_columns),
                    value_schema: Schema::new(value_columns),
                    changelog: true,
                },
            };
        }
    }
    let select = Step::Select {
        ctx: "Project".to_string(),
        input: Box::new(current.step),
        columns: query.projection.clone(),
        schema: query.output.clone(),
    };
    Step::Sink {
        ctx: "Sink".to_string(),
        input: Box::new(select),
        sink: query.sink.clone(),
        topic: TopicInfo {
            topic: query.sink_topic.clone(),
            key_format: query.key_format.clone(),
            value_format: query.value_format.clone(),
        },
        schema: query.output.clone(),
        timestamp: query.sink_timestamp.clone(),
        window: query.output_window,
        partitions: query.partitions,
    }
}
