//! Row layouts: which [`Slot`] of a [`Record`] each [`ColumnRef`] of an expression reads, and
//! the [`EvalRow`] view of a record that compiled expressions evaluate against. A layout is
//! decided at build time from a step's input schema; it must not look at record contents.

use crate::expr::ColumnRef;
use crate::expr::compile::{EvalRow, Slot};
use crate::topology::Record;
use crate::types::Value;

/// The row shape of a single input up to the projection: the schema's key columns are the
/// record key, the remaining (value and header) columns the record value, in schema order.
/// A record read from a null Kafka key has an empty key row: its key columns read as NULL
/// and, passed through, it is written as a null key again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputLayout {
    pub key_count: usize,
    /// After `flatMap/v1`: the value position of the first table function output.
    pub table_functions: Option<usize>,
    /// The grouping stage this row is in (see [`Grouping`]).
    pub grouping: Grouping,
}

/// Where a row stands with respect to `GROUP BY`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    /// Before grouping: key columns are the key, the rest the value.
    None,
    /// After `groupBy/v1`: the key holds the grouping values; the value holds the whole input
    /// row (its key columns, then its value columns), so `Input { index }` is value `index`.
    Grouped,
    /// After `aggregate/v1`: the key holds the grouping values, the value the aggregate
    /// results.
    Aggregated,
}

impl InputLayout {
    /// The layout of a row with `key_count` key columns and no table function outputs.
    pub fn keys(key_count: usize) -> InputLayout {
        InputLayout {
            key_count,
            table_functions: None,
            grouping: Grouping::None,
        }
    }

    /// The layout after `groupBy/v1` or `aggregate/v1` with `key_count` grouping values.
    pub fn grouped(key_count: usize, grouping: Grouping) -> InputLayout {
        InputLayout {
            key_count,
            table_functions: None,
            grouping,
        }
    }

    /// Resolves the input's columns and system columns. Before a join only one input flows,
    /// so any `side` is this record (a join's right branch reads side 1); anything else is
    /// unavailable.
    pub fn resolve(&self, column: ColumnRef) -> Option<Slot> {
        match (self.grouping, column) {
            (Grouping::Grouped, ColumnRef::Input { index, .. }) => {
                Some(Slot::Value(index as usize))
            }
            (Grouping::Grouped | Grouping::Aggregated, ColumnRef::GroupKey { index }) => {
                Some(Slot::Key(index as usize))
            }
            (Grouping::Aggregated, ColumnRef::Aggregate { index }) => {
                Some(Slot::Value(index as usize))
            }
            (Grouping::Aggregated, ColumnRef::Input { .. }) => None,
            _ => self.resolve_ungrouped(column),
        }
    }

    fn resolve_ungrouped(&self, column: ColumnRef) -> Option<Slot> {
        match column {
            ColumnRef::Input { index, .. } => {
                let index = index as usize;
                Some(if index < self.key_count {
                    Slot::Key(index)
                } else {
                    Slot::Value(index - self.key_count)
                })
            }
            ColumnRef::System { column, .. } => Some(Slot::System(column)),
            ColumnRef::TableFunction { index } => {
                Some(Slot::Value(self.table_functions? + index as usize))
            }
            _ => None,
        }
    }
}

/// The evaluation view of `record` (a tombstone reads as all-NULL value columns).
pub fn eval_row(record: &Record) -> EvalRow<'_> {
    const EMPTY: &[Value] = &[];
    EvalRow {
        key: &record.key,
        value: record.value.as_deref().unwrap_or(EMPTY),
        timestamp: record.timestamp,
        partition: record.partition,
        offset: record.offset,
        window: record.window.map(|w| (w.start, w.end)),
    }
}
