//! `join/v1`: the join operators, one per file — [`stream_table`], [`table_table`],
//! [`stream_stream`], [`foreign_key`] — and what they share: the [`Side`] of a join (how a side's record becomes
//! its columns of the joined row and which join key it carries), the stores a join declares
//! ([`store_specs`]), the row layout of a joined record ([`output_layout`]) and the builder
//! entry [`build_join`]. A join is one processor with two parents told apart by
//! [`crate::topology::Port`]; it owns the stores of both sides.
//!
//! A joined record's key is the join key (`KSQL_KEY_0`) followed by every input's `ROWTIME`,
//! `ROWPARTITION`, `ROWOFFSET`, `WINDOWSTART` and `WINDOWEND` (each input's own window);
//! its value is every input's columns (keys then values, as each input's schema declares
//! them), input after input, the missing side of an outer join as NULLs. The projection's key
//! columns read the join key (the analyzer points them at it), so they hold it even when
//! their side is missing or the record is a tombstone, as in ksqlDB.
//!
//! It must not do I/O beyond its own stores, and never panics on a record: undecodable
//! store entries and failing key expressions are reported and the record is dropped.

pub mod foreign_key;
pub mod side;
pub mod stream_stream;
pub mod stream_table;
pub mod table_table;

#[cfg(test)]
pub(crate) mod test_support;

use crate::analyze::query::JoinKind;
use crate::analyze::{JoinType, WindowType};
use crate::expr::compile::{CompileError, Evaluator, Slot};
use crate::expr::{ColumnRef, ExprKind, TypedExpr};
use crate::plan::Step;
use crate::state::{StateError, StoreKind, StoreProvider, StoreSpec};
use crate::topology::{Processor, TopologyError};
use crate::types::SqlType;

use super::build::BuildError;
use super::layout::{InputLayout, JoinedSides, MAX_JOINED};
use side::Side;

/// The stores of a `join/v1` step (none for any other step), as the topology declares them:
/// stream-stream joins buffer each side in a window store (and unmatched outer records in a
/// key-value store when a grace period is set); stream-table and table-table joins
/// materialize each table side in a key-value store, foreign-key joins add a subscription
/// store. Every store is change-logged to
/// `<app_id>-<store>-changelog`.
pub fn store_specs(app_id: &str, step: &Step) -> Vec<StoreSpec> {
    store_names(step)
        .into_iter()
        .map(|(name, kind)| StoreSpec {
            changelog: Some(format!("{app_id}-{name}-changelog")),
            name,
            kind,
        })
        .collect()
}

/// The names and kinds of a join step's stores.
fn store_names(step: &Step) -> Vec<(String, StoreKind)> {
    let Step::Join {
        ctx,
        kind,
        join_type,
        within,
        ..
    } = step
    else {
        return Vec::new();
    };
    match join_type {
        JoinType::StreamStream => {
            let mut names = vec![
                (format!("{ctx}-this-join-store"), StoreKind::Window),
                (format!("{ctx}-other-join-store"), StoreKind::Window),
            ];
            let grace = within.and_then(|(_, _, grace)| grace).is_some();
            if grace && *kind != JoinKind::Inner {
                names.push((format!("{ctx}-outer-join-store"), StoreKind::KeyValue));
            }
            names
        }
        JoinType::StreamTable => vec![(format!("{ctx}-right-table-store"), StoreKind::KeyValue)],
        JoinType::TableTable => vec![
            (format!("{ctx}-left-table-store"), StoreKind::KeyValue),
            (format!("{ctx}-right-table-store"), StoreKind::KeyValue),
        ],
        JoinType::ForeignKey => vec![
            (format!("{ctx}-left-table-store"), StoreKind::KeyValue),
            (format!("{ctx}-right-table-store"), StoreKind::KeyValue),
            (format!("{ctx}-subscription-store"), StoreKind::KeyValue),
        ],
    }
}

/// The number of columns a step's rows contribute to a joined row: a join's value, or a
/// single input's key and value columns.
fn row_width(step: &Step) -> Option<usize> {
    match step {
        Step::Join { schema, .. } => Some(schema.columns.len().saturating_sub(1)),
        Step::StreamSource { schema, .. } | Step::TableSource { schema, .. } => {
            Some(schema.columns.len())
        }
        Step::Filter { input, .. }
        | Step::TableFilter { input, .. }
        | Step::SelectKey { input, .. } => row_width(input),
        _ => None,
    }
}

/// The row layout of the records `step` emits, for the steps a join reads and the steps
/// after a join (also after a repartition of a joined row, whose reader restores the row).
/// `None` for steps whose layout the builder decides itself.
pub fn output_layout(step: &Step) -> Option<InputLayout> {
    match step {
        Step::StreamSource { schema, .. } | Step::TableSource { schema, .. } => {
            Some(InputLayout::keys(schema.keys().count()))
        }
        Step::Filter { input, .. }
        | Step::TableFilter { input, .. }
        | Step::SelectKey { input, .. } => output_layout(input),
        Step::FlatMap { input, .. } => {
            let mut layout = output_layout(input)?;
            let (schema, _) = super::segment::shape(input)?;
            layout.table_functions = Some(schema.columns.len() - layout.key_count);
            Some(layout)
        }
        Step::Join {
            kind,
            join_type,
            left,
            left_key,
            right_key,
            ..
        } => {
            let l = output_layout(left)?;
            let mut sides = match l.joined {
                Some(joined) => joined,
                None => JoinedSides {
                    offsets: [0; MAX_JOINED],
                    count: 1,
                    key_width: 1,
                    keyed: [(0, 0); MAX_JOINED],
                    keyed_count: 0,
                },
            };
            if sides.count >= MAX_JOINED {
                return None;
            }
            sides.offsets[sides.count] = u32::try_from(row_width(left)?).ok()?;
            sides.count += 1;
            // The join columns equal the join key, except in FULL OUTER joins.
            let left_keyed = column_of(left_key).is_some_and(|c| match l.joined {
                Some(joined) => joined.is_keyed(c),
                None => matches!(l.resolve(c), Some(Slot::Key(0))),
            });
            // A foreign-key join is keyed by the left primary key, not the join columns.
            let keyed_by_join = *kind != JoinKind::Full && *join_type != JoinType::ForeignKey;
            if !left_keyed || !keyed_by_join {
                sides.clear_keyed();
            }
            sides.key_width = 1;
            if *join_type == JoinType::ForeignKey && l.joined.is_none() {
                // Keyed by the left table's primary key.
                sides.key_width = l.key_count.max(1);
                if l.key_count == 1 {
                    sides.push_keyed(0, 0);
                }
            }
            if keyed_by_join {
                for expr in [left_key, right_key] {
                    if let Some(ColumnRef::Input { side, index }) = column_of(expr) {
                        sides.push_keyed(side, index);
                    }
                }
            }
            Some(InputLayout {
                key_count: 1,
                table_functions: None,
                grouping: crate::ops::layout::Grouping::None,
                joined: Some(sides),
            })
        }
        _ => None,
    }
}

/// For a step that emits joined rows: the key columns (join key, then each input's system
/// columns) and the column types a repartition topic carries so that its reader restores the
/// whole joined record, system columns included. `None` for other rows (and for a
/// foreign-key join's multi-column key, whose system columns are then not carried).
pub fn repartitioned_row(step: &Step) -> Option<(usize, Vec<SqlType>)> {
    let joined = output_layout(step)?.joined?;
    let (schema, _) = super::segment::shape(step)?;
    if joined.key_width != 1 || schema.keys().count() != 1 {
        return None;
    }
    let mut types: Vec<SqlType> = schema.keys().map(|c| c.ty.clone()).collect();
    for _ in 0..joined.count {
        types.extend([
            SqlType::Bigint,
            SqlType::Int,
            SqlType::Bigint,
            SqlType::Bigint,
            SqlType::Bigint,
        ]);
    }
    types.extend(schema.values().map(|c| c.ty.clone()));
    // The tombstone marker, as `repartition::row_types` ends.
    types.push(SqlType::Boolean);
    Some((1 + side::SYSTEM_COLUMNS * joined.count, types))
}

/// The window of the keys a join input's rows carry: its source's, through filters and
/// (for a joined input) its left input, whose window the joined record keeps.
fn key_window(step: &Step) -> Option<WindowType> {
    match step {
        Step::StreamSource { window, .. } | Step::TableSource { window, .. } => {
            window.map(|w| w.window_type)
        }
        Step::Filter { input, .. } | Step::TableFilter { input, .. } => key_window(input),
        Step::Join { left, .. } => key_window(left),
        _ => None,
    }
}

/// The column an expression is, when it is a bare column.
fn column_of(expr: &TypedExpr) -> Option<ColumnRef> {
    match expr.kind {
        ExprKind::Column { column } => Some(column),
        _ => None,
    }
}

/// A built join: its processor, the layout of the records it emits, and its stores' names.
pub struct BuiltJoin {
    pub processor: Box<dyn Processor>,
    pub layout: InputLayout,
    pub stores: Vec<String>,
}

/// Builds the processor of the `join/v1` step `step`, whose left and right inputs emit rows
/// of `left` and `right` layouts, opening its stores through `stores`.
pub fn build_join(
    query: &str,
    step: &Step,
    left: InputLayout,
    right: InputLayout,
    stores: &mut dyn StoreProvider,
) -> Result<BuiltJoin, BuildError> {
    let Step::Join {
        ctx,
        kind,
        join_type,
        left: left_step,
        right: right_step,
        left_key,
        right_key,
        within,
        ..
    } = step
    else {
        return Err(unsupported(query, step.ctx(), step.tag()));
    };
    let layout = output_layout(step)
        .ok_or_else(|| unsupported(query, ctx, "a join of this shape or this many inputs"))?;
    // A join key equal to the input's join key reads the record key.
    let compile = |e: &TypedExpr, layout: InputLayout| {
        let resolve = |c: ColumnRef| match layout.joined {
            Some(joined) if joined.is_keyed(c) => Some(Slot::Key(0)),
            _ => layout.resolve(c),
        };
        Evaluator::compile(e, &resolve).map_err(|source| compile_error(query, ctx, source))
    };
    let side = |step: &Step, key: &TypedExpr, layout: InputLayout| {
        let width =
            row_width(step).ok_or_else(|| unsupported(query, ctx, "a join input of this shape"))?;
        Ok::<Side, BuildError>(
            Side::new(compile(key, layout)?, layout, width).windowed(key_window(step)),
        )
    };
    let l = side(left_step, left_key, left)?;
    let r = side(right_step, right_key, right)?;
    let names: Vec<(String, StoreKind)> = store_names(step);
    let state = |e: StateError| BuildError::Topology {
        query: query.to_owned(),
        source: Box::new(TopologyError::State(e)),
    };
    let processor: Box<dyn Processor> = match join_type {
        JoinType::StreamTable => {
            let table = stores.key_value(&names[0].0).map_err(state)?;
            Box::new(stream_table::StreamTableJoin::new(
                l,
                r,
                *kind == JoinKind::Left,
                table,
            ))
        }
        JoinType::TableTable => {
            let left_store = stores.key_value(&names[0].0).map_err(state)?;
            let right_store = stores.key_value(&names[1].0).map_err(state)?;
            Box::new(table_table::TableTableJoin::new(
                l,
                r,
                *kind,
                [left_store, right_store],
            ))
        }
        JoinType::StreamStream => {
            let Some((before, after, grace)) = *within else {
                return Err(unsupported(
                    query,
                    ctx,
                    "a stream-stream join without WITHIN",
                ));
            };
            let this = stores.window(&names[0].0).map_err(state)?;
            let other = stores.window(&names[1].0).map_err(state)?;
            let outer = match names.get(2) {
                Some((name, _)) => Some(stores.key_value(name).map_err(state)?),
                None => None,
            };
            let windows = stream_stream::JoinWindows {
                before: before as i64,
                after: after as i64,
                grace: grace.map(|g| g as i64),
            };
            Box::new(stream_stream::StreamStreamJoin::new(
                l,
                r,
                *kind,
                windows,
                [this, other],
                outer,
            ))
        }
        JoinType::ForeignKey => Box::new(foreign_key::ForeignKeyJoin::new(
            l,
            r,
            *kind == JoinKind::Left,
            foreign_key::ForeignKeyStores {
                left: stores.key_value(&names[0].0).map_err(state)?,
                right: stores.key_value(&names[1].0).map_err(state)?,
                subscriptions: stores.key_value(&names[2].0).map_err(state)?,
            },
        )),
    };
    Ok(BuiltJoin {
        processor,
        layout,
        stores: names.into_iter().map(|(n, _)| n).collect(),
    })
}

fn unsupported(query: &str, ctx: &str, what: &str) -> BuildError {
    BuildError::Unsupported {
        query: query.to_owned(),
        step: what.to_owned(),
        ctx: ctx.to_owned(),
    }
}

fn compile_error(query: &str, ctx: &str, source: CompileError) -> BuildError {
    BuildError::Compile {
        query: query.to_owned(),
        ctx: ctx.to_owned(),
        source: Box::new(source),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::SystemColumn;
    use crate::plan::plan_file;

    /// The `join/v1` step of the query planned from `sql`.
    fn join_step(sql: &str) -> Step {
        let planned = plan_file(sql, "test").expect("plans");
        let query = planned.queries.first().expect("one query");
        query
            .steps
            .walk()
            .into_iter()
            .find(|s| matches!(s, Step::Join { .. }))
            .expect("a join")
            .clone()
    }

    #[test]
    fn joined_rows_read_columns_by_input_and_system_columns_from_the_key() {
        let step = join_step(
            "CREATE STREAM S (ID INT KEY, A INT, B INT) WITH (kafka_topic='s', value_format='JSON');
             CREATE TABLE T (ID INT PRIMARY KEY, C INT) WITH (kafka_topic='t', value_format='JSON');
             CREATE STREAM O AS SELECT S.ID, A, C FROM S LEFT JOIN T ON S.ID = T.ID;",
        );
        let layout = output_layout(&step).expect("a join layout");
        let input = |side, index| ColumnRef::Input { side, index };
        // S's three columns, then T's two.
        assert_eq!(layout.resolve(input(0, 2)), Some(Slot::Value(2)));
        assert_eq!(layout.resolve(input(1, 1)), Some(Slot::Value(4)));
        let system = |side, column| ColumnRef::System { side, column };
        assert_eq!(
            layout.resolve(system(1, SystemColumn::Rowtime)),
            Some(Slot::Key(6))
        );
        // Each input's own window bounds follow its offset.
        assert_eq!(
            layout.resolve(system(0, SystemColumn::Windowend)),
            Some(Slot::Key(5))
        );
        assert_eq!(
            layout.resolve(system(1, SystemColumn::Windowstart)),
            Some(Slot::Key(9))
        );
        assert_eq!(
            layout.resolve(system(0, SystemColumn::Rowoffset)),
            Some(Slot::Key(3))
        );
        // The projection's key column reads the join key.
        assert_eq!(
            layout.resolve(system(u16::MAX, SystemColumn::Rowtime)),
            Some(Slot::Key(0))
        );
        let names: Vec<String> = store_specs("app", &step)
            .into_iter()
            .map(|s| format!("{} {:?}", s.name, s.changelog))
            .collect();
        assert_eq!(
            names,
            ["Join-right-table-store Some(\"app-Join-right-table-store-changelog\")"]
        );
        // Repartitioning the joined row carries the key, 2 x 5 system columns and 5 columns.
        let (key_count, types) = repartitioned_row(&step).expect("joined rows");
        assert_eq!((key_count, types.len()), (11, 17));
    }
}
