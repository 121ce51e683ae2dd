//! Row layouts: which [`Slot`] of a [`Record`] each [`ColumnRef`] of an expression reads, and
//! the [`EvalRow`] view of a record that compiled expressions evaluate against. A layout is
//! decided at build time from a step's input schema; it must not look at record contents.

use crate::expr::compile::{EvalRow, Slot};
use crate::expr::{ColumnRef, SystemColumn};
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
    /// After `join/v1`: where each input's columns start in the joined value.
    pub joined: Option<JoinedSides>,
}

/// Where a row stands with respect to `GROUP BY`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    /// Before grouping: key columns are the key, the rest the value.
    None,
    /// After `groupBy/v1`: the key holds the grouping values; the value holds the whole input
    /// row (its key columns, then its value columns), so `Input { index }` is value `index`.
    /// Over a joined input, the joined value follows the input's key columns, and an
    /// input's columns are found through [`InputLayout::joined`], its offsets shifted by them.
    Grouped,
    /// After `aggregate/v1`: the key holds the grouping values, the value the aggregate
    /// results.
    Aggregated,
}

/// The most inputs one query can join (the FROM source and its JOINs).
pub const MAX_JOINED: usize = 16;

/// A joined row's value: every input's columns (keys, then values, as its schema declares
/// them), input after input; `offsets[side]` is where input `side` starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JoinedSides {
    pub offsets: [u32; MAX_JOINED],
    pub count: usize,
    /// Key columns before the system columns: the join key, or a foreign-key join's left
    /// primary key.
    pub key_width: usize,
    /// Input columns (side, index) equal to the join key (the join columns): a later join
    /// whose key is one of them reads the record key.
    pub keyed: [(u16, u32); MAX_JOINED],
    pub keyed_count: usize,
}

impl InputLayout {
    /// The layout of a row with `key_count` key columns and no table function outputs.
    pub fn keys(key_count: usize) -> InputLayout {
        InputLayout {
            key_count,
            table_functions: None,
            grouping: Grouping::None,
            joined: None,
        }
    }

    /// The layout after `groupBy/v1` or `aggregate/v1` with `key_count` grouping values.
    pub fn grouped(key_count: usize, grouping: Grouping) -> InputLayout {
        InputLayout {
            key_count,
            table_functions: None,
            grouping,
            joined: None,
        }
    }

    /// Resolves the input's columns and system columns. Before a join only one input flows,
    /// so any `side` is this record (a join's right branch reads side 1); anything else is
    /// unavailable.
    pub fn resolve(&self, column: ColumnRef) -> Option<Slot> {
        match (self.grouping, column) {
            (Grouping::Grouped, ColumnRef::Input { side, index }) => {
                let start = match self.joined {
                    Some(joined) if (side as usize) < joined.count => {
                        joined.offsets[side as usize] as usize
                    }
                    _ => 0,
                };
                Some(Slot::Value(start + index as usize))
            }
            // The grouped record's own timestamp, partition and offset: its key is the
            // grouping values, not a joined record's key with each input's system columns.
            (Grouping::Grouped, ColumnRef::System { column, .. }) => Some(Slot::System(column)),
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
        if let Some(joined) = self.joined {
            return joined.resolve(column, self.table_functions);
        }
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

/// The system columns a joined record carries per input after its join key: `ROWTIME`,
/// `ROWPARTITION`, `ROWOFFSET`, `WINDOWSTART`, `WINDOWEND` (NULL for an input that is not
/// windowed).
pub const SYSTEM_COLUMNS: usize = 5;

impl JoinedSides {
    /// A joined row's columns: input columns from the value, each input's
    /// [`SYSTEM_COLUMNS`] from the key after the join key. Key column `j` of the result
    /// (side `u16::MAX - j`, which the projection's key columns read) is record key column `j`.
    fn resolve(&self, column: ColumnRef, table_functions: Option<usize>) -> Option<Slot> {
        match column {
            ColumnRef::Input { side, index } if (side as usize) < self.count => Some(Slot::Value(
                self.offsets[side as usize] as usize + index as usize,
            )),
            ColumnRef::System { side, .. } if side > u16::MAX - MAX_JOINED as u16 => {
                Some(Slot::Key((u16::MAX - side) as usize))
            }
            ColumnRef::System { side, column } if (side as usize) < self.count => {
                let at = match column {
                    SystemColumn::Rowtime => 0,
                    SystemColumn::Rowpartition => 1,
                    SystemColumn::Rowoffset => 2,
                    SystemColumn::Windowstart => 3,
                    SystemColumn::Windowend => 4,
                };
                Some(Slot::Key(
                    self.key_width + SYSTEM_COLUMNS * side as usize + at,
                ))
            }
            ColumnRef::System { column, .. } => Some(Slot::System(column)),
            ColumnRef::TableFunction { index } => {
                Some(Slot::Value(table_functions? + index as usize))
            }
            _ => None,
        }
    }
}

impl JoinedSides {
    /// These sides inside a row where `by` columns come before the joined value (a grouped
    /// row starts with its input's key columns).
    pub fn shifted(mut self, by: usize) -> JoinedSides {
        let by = u32::try_from(by).unwrap_or(0);
        for offset in &mut self.offsets[..self.count.min(MAX_JOINED)] {
            *offset += by;
        }
        self
    }

    /// Makes column `index` of input `side` read the join key (ignored beyond
    /// [`MAX_JOINED`] columns: they then read their own value).
    pub fn push_keyed(&mut self, side: u16, index: u32) {
        if self.keyed_count < MAX_JOINED {
            self.keyed[self.keyed_count] = (side, index);
            self.keyed_count += 1;
        }
    }

    pub fn clear_keyed(&mut self) {
        self.keyed_count = 0;
    }

    pub fn is_keyed(&self, column: ColumnRef) -> bool {
        match column {
            ColumnRef::Input { side, index } => {
                self.keyed[..self.keyed_count].contains(&(side, index))
            }
            _ => false,
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
