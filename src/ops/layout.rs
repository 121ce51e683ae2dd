//! Row layouts: which [`Slot`] of a [`Record`] each [`ColumnRef`] of an expression reads, and
//! the [`EvalRow`] view of a record that compiled expressions evaluate against. A layout is
//! decided at build time from a step's input schema; it must not look at record contents.

use crate::expr::ColumnRef;
use crate::expr::compile::{EvalRow, Slot};
use crate::topology::Record;
use crate::types::Value;

/// The row shape of a single input up to the projection: the schema's key columns are the
/// record key, the remaining (value and header) columns the record value, in schema order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputLayout {
    pub key_count: usize,
}

impl InputLayout {
    /// Resolves input 0's columns and system columns; anything else is unavailable.
    pub fn resolve(&self, column: ColumnRef) -> Option<Slot> {
        match column {
            ColumnRef::Input { side: 0, index } => {
                let index = index as usize;
                Some(if index < self.key_count {
                    Slot::Key(index)
                } else {
                    Slot::Value(index - self.key_count)
                })
            }
            ColumnRef::System { side: 0, column } => Some(Slot::System(column)),
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
