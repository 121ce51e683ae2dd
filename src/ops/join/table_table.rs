//! Table-table joins on the primary key (`INNER`, `LEFT`, `RIGHT`, `FULL OUTER`), as Kafka
//! Streams' `KTable#join/leftJoin/outerJoin(KTable)` (ksqlDB runs `RIGHT` as a left join
//! with the sides swapped). Each side is materialized in its own key-value store; an update
//! on one side (put or tombstone) looks up the other side's current row and emits:
//!
//! - other side missing: nothing, unless this side is preserved by the join (the left of
//!   `LEFT`, the right of `RIGHT`, both of `FULL`): then this row with NULLs, or a tombstone
//!   when this update deletes a row that existed (deleting an absent row emits nothing);
//! - other side present: the joined row; for a tombstone, the other side's row with NULLs
//!   when the other side is preserved, else a tombstone.
//!
//! The result timestamp is the larger of the update's and the other row's timestamps.

use crate::analyze::query::JoinKind;
use crate::state::KeyValueStore;
use crate::topology::{Port, Processor, ProcessorContext, Record};
use crate::types::{Row, Value};

use super::side::{Side, assemble, decode_entry, entry_bytes, store_error};

pub struct TableTableJoin {
    /// Left, then right.
    sides: [Side; 2],
    /// Whether each side's rows appear without a match (left, right).
    preserved: [bool; 2],
    stores: [Box<dyn KeyValueStore>; 2],
}

impl TableTableJoin {
    /// `stores` holds the left table, then the right one.
    pub fn new(
        left: Side,
        right: Side,
        kind: JoinKind,
        stores: [Box<dyn KeyValueStore>; 2],
    ) -> TableTableJoin {
        let preserved = match kind {
            JoinKind::Inner => [false, false],
            JoinKind::Left => [true, false],
            JoinKind::Right => [false, true],
            JoinKind::Full => [true, true],
        };
        TableTableJoin {
            sides: [left, right],
            preserved,
            stores,
        }
    }

    /// The stored row of side `side` under `key`, with its timestamp.
    fn read(&self, side: usize, key: &[u8]) -> Result<Option<(Row, i64)>, String> {
        let store = &self.stores[side];
        match store.get(key) {
            Ok(Some(bytes)) => decode_entry(store.name(), &bytes)
                .map(Some)
                .map_err(|e| e.to_string()),
            Ok(None) => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }

    fn update(&mut self, this: usize, record: Record, ctx: &mut ProcessorContext<'_>) {
        let other = 1 - this;
        let key = match self.sides[this].join_key(&record) {
            Ok(Some(key)) => key,
            Ok(None) => return,
            Err(e) => return ctx.report(e),
        };
        let key_bytes = self.sides[this].store_key(&key, &record);
        let existed = match self.stores[this].get(&key_bytes) {
            Ok(old) => old.is_some(),
            Err(e) => return ctx.report(store_error(e)),
        };
        let new = record
            .value
            .as_ref()
            .map(|_| self.sides[this].part(&record));
        let written = match &new {
            Some(columns) => {
                self.stores[this].put(&key_bytes, &entry_bytes(columns, record.timestamp))
            }
            None => self.stores[this].delete(&key_bytes),
        };
        if let Err(e) = written {
            return ctx.report(store_error(e));
        }
        let found = match self.read(other, &key_bytes) {
            Ok(found) => found,
            Err(e) => {
                return ctx.report(crate::topology::ProcessingError::state(
                    "join state store",
                    e,
                ));
            }
        };
        let (parts, timestamp) = match (found, new) {
            (None, _) if !self.preserved[this] => return,
            (None, None) if !existed => return,
            (None, new) => (
                new.map(|part| (part, self.sides[other].null_part())),
                record.timestamp,
            ),
            (Some((other_part, other_ts)), new) => {
                let timestamp = record.timestamp.max(other_ts);
                let parts = match new {
                    Some(part) => Some((part, other_part)),
                    None if self.preserved[other] => {
                        Some((self.sides[this].null_part(), other_part))
                    }
                    None => None,
                };
                (parts, timestamp)
            }
        };
        let mut out = match parts {
            Some((this_part, other_part)) => {
                let (key, value) = self.assemble(this, key, this_part, other_part);
                record.with_key_value(key, Some(value))
            }
            None => record.with_key_value(vec![key], None),
        };
        out.timestamp = timestamp;
        ctx.forward(out);
    }

    /// The joined key and value of this side's and the other side's parts, left first.
    fn assemble(&self, this: usize, key: Value, this_part: Row, other_part: Row) -> (Row, Row) {
        let [left, right] = &self.sides;
        if this == 0 {
            assemble(vec![key], left, this_part, right, other_part)
        } else {
            assemble(vec![key], left, other_part, right, this_part)
        }
    }
}

impl Processor for TableTableJoin {
    fn process(&mut self, port: Port, record: Record, ctx: &mut ProcessorContext<'_>) {
        let this = if port == Port::RIGHT { 1 } else { 0 };
        self.update(this, record, ctx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::join::test_support::{int_side, run_join};
    use crate::state::MemoryKeyValueStore;

    fn join(kind: JoinKind) -> Box<dyn Processor> {
        Box::new(TableTableJoin::new(
            int_side(2),
            int_side(2),
            kind,
            [
                Box::new(MemoryKeyValueStore::new("l")),
                Box::new(MemoryKeyValueStore::new("r")),
            ],
        ))
    }

    fn rec(key: i32, value: Option<i32>, ts: i64) -> Record {
        Record::new(
            vec![Value::Int(key)],
            value.map(|v| vec![Value::Int(v)]),
            ts,
        )
    }

    fn values(out: &[Record]) -> Vec<(Option<Vec<Value>>, i64)> {
        out.iter().map(|r| (r.value.clone(), r.timestamp)).collect()
    }

    const N: Value = Value::Null;

    #[test]
    fn inner_join_emits_matches_and_tombstones() {
        let i = Value::Int;
        let out = run_join(
            join(JoinKind::Inner),
            vec![
                (Port::LEFT, rec(1, Some(10), 1)),
                (Port::RIGHT, rec(1, Some(20), 3)),
                (Port::LEFT, rec(1, Some(11), 2)),
                (Port::RIGHT, rec(1, None, 4)),
                (Port::LEFT, rec(1, None, 5)),
            ],
        );
        assert_eq!(
            values(&out),
            vec![
                (Some(vec![i(1), i(10), i(1), i(20)]), 3),
                (Some(vec![i(1), i(11), i(1), i(20)]), 3),
                (None, 4),
            ]
        );
    }

    #[test]
    fn outer_joins_emit_unmatched_rows_and_deletes() {
        let i = Value::Int;
        let out = run_join(
            join(JoinKind::Full),
            vec![
                (Port::LEFT, rec(1, Some(10), 1)),
                (Port::RIGHT, rec(1, Some(20), 3)),
                (Port::LEFT, rec(1, None, 4)),
                (Port::RIGHT, rec(1, None, 5)),
                (Port::RIGHT, rec(1, None, 6)),
            ],
        );
        assert_eq!(
            values(&out),
            vec![
                (Some(vec![i(1), i(10), N, N]), 1),
                (Some(vec![i(1), i(10), i(1), i(20)]), 3),
                (Some(vec![N, N, i(1), i(20)]), 4),
                (None, 5),
            ]
        );
        let right = run_join(
            join(JoinKind::Right),
            vec![
                (Port::LEFT, rec(2, Some(10), 1)),
                (Port::RIGHT, rec(2, Some(20), 2)),
                (Port::LEFT, rec(2, None, 3)),
            ],
        );
        assert_eq!(
            values(&right),
            vec![
                (Some(vec![i(2), i(10), i(2), i(20)]), 2),
                (Some(vec![N, N, i(2), i(20)]), 3),
            ]
        );
    }
}
