//! Foreign-key table-table joins (`INNER`, `LEFT`), as Kafka Streams' `KTable#join(KTable,
//! foreignKeyExtractor)`: the left table's rows name a right row by an expression of their
//! value; results are keyed by the left row's primary key. Both tables are materialized, and
//! a subscription store indexes left keys by the foreign key they name, so a right update
//! finds its subscribers in one prefix scan (in left-key order).
//!
//! - A left update emits, at its time, the row joined with the right row it names; without
//!   one, a `LEFT` join emits NULL right columns, an `INNER` join a tombstone when the left
//!   row existed before (its earlier result must go) and nothing for a new row. A left
//!   delete of an existing row emits a tombstone.
//! - A right update emits, at its time, every subscriber joined with the new row; a right
//!   delete emits each subscriber with NULL right columns (`LEFT`) or a tombstone (`INNER`).

use std::ops::{Bound, ControlFlow};

use crate::state::KeyValueStore;
use crate::state::codec::{decode_row, row_to_bytes};
use crate::topology::{Port, ProcessingError, Processor, ProcessorContext, Record};
use crate::types::{Row, Value};

use super::side::{Side, assemble, decode_entry, entry_bytes, key_bytes, store_error};

/// The three stores of a foreign-key join.
pub struct ForeignKeyStores {
    /// Left primary key → left part and its foreign key (last), with the row's time.
    pub left: Box<dyn KeyValueStore>,
    /// Right primary key → right part, with the row's time.
    pub right: Box<dyn KeyValueStore>,
    /// Foreign key then left primary key → the left primary key.
    pub subscriptions: Box<dyn KeyValueStore>,
}

pub struct ForeignKeyJoin {
    /// Its join key is the foreign-key expression.
    left: Side,
    /// Its join key is the primary key.
    right: Side,
    left_outer: bool,
    stores: ForeignKeyStores,
}

impl ForeignKeyJoin {
    pub fn new(left: Side, right: Side, left_outer: bool, stores: ForeignKeyStores) -> Self {
        ForeignKeyJoin {
            left,
            right,
            left_outer,
            stores,
        }
    }

    fn right_row(&self, key: &[u8]) -> Result<Option<Row>, ProcessingError> {
        let store = &self.stores.right;
        match store.get(key).map_err(store_error)? {
            Some(bytes) => Ok(Some(
                decode_entry(store.name(), &bytes).map_err(store_error)?.0,
            )),
            None => Ok(None),
        }
    }

    /// The stored left part of `key` and the foreign key it names.
    fn left_row(&self, key: &[u8]) -> Result<Option<(Row, Value)>, ProcessingError> {
        let store = &self.stores.left;
        match store.get(key).map_err(store_error)? {
            Some(bytes) => {
                let (mut part, _) = decode_entry(store.name(), &bytes).map_err(store_error)?;
                let fk = part.pop().unwrap_or(Value::Null);
                Ok(Some((part, fk)))
            }
            None => Ok(None),
        }
    }

    fn subscription(fk: &Value, lk_bytes: &[u8]) -> Vec<u8> {
        let mut key = key_bytes(fk);
        key.extend_from_slice(lk_bytes);
        key
    }

    fn update_left(
        &mut self,
        record: Record,
        ctx: &mut ProcessorContext<'_>,
    ) -> Result<(), ProcessingError> {
        let lk: Row = record.key.clone();
        if lk.iter().all(Value::is_null) {
            return Ok(());
        }
        let lk_bytes = row_to_bytes(&lk);
        let old = self.left_row(&lk_bytes)?;
        let new_fk = match record.value {
            Some(_) => self.left.join_key(&record)?,
            None => None,
        };
        let old_fk = old
            .as_ref()
            .map(|(_, fk)| fk.clone())
            .filter(|fk| !fk.is_null());
        if old_fk != new_fk
            && let Some(fk) = &old_fk
        {
            self.stores
                .subscriptions
                .delete(&Self::subscription(fk, &lk_bytes))
                .map_err(store_error)?;
        }
        let Some(_) = record.value else {
            self.stores.left.delete(&lk_bytes).map_err(store_error)?;
            if old.is_some() {
                ctx.forward(record.with_key_value(lk, None));
            }
            return Ok(());
        };
        let part = self.left.part(&record);
        let mut stored = part.clone();
        stored.push(new_fk.clone().unwrap_or(Value::Null));
        self.stores
            .left
            .put(&lk_bytes, &entry_bytes(&stored, record.timestamp))
            .map_err(store_error)?;
        if let Some(fk) = &new_fk {
            self.stores
                .subscriptions
                .put(&Self::subscription(fk, &lk_bytes), &lk_bytes)
                .map_err(store_error)?;
        }
        let right = match &new_fk {
            Some(fk) => self.right_row(&key_bytes(fk))?,
            None => None,
        };
        let right = match right {
            Some(row) => row,
            None if self.left_outer => self.right.null_part(),
            None => {
                if old.is_some() {
                    ctx.forward(record.with_key_value(lk, None));
                }
                return Ok(());
            }
        };
        let (key, value) = assemble(lk, &self.left, part, &self.right, right);
        ctx.forward(record.with_key_value(key, Some(value)));
        Ok(())
    }

    fn update_right(
        &mut self,
        record: Record,
        ctx: &mut ProcessorContext<'_>,
    ) -> Result<(), ProcessingError> {
        let Some(rk) = self.right.join_key(&record)? else {
            return Ok(());
        };
        let rk_bytes = key_bytes(&rk);
        let existed = self
            .stores
            .right
            .get(&rk_bytes)
            .map_err(store_error)?
            .is_some();
        let new = record.value.as_ref().map(|_| self.right.part(&record));
        match &new {
            Some(part) => self
                .stores
                .right
                .put(&rk_bytes, &entry_bytes(part, record.timestamp)),
            None => self.stores.right.delete(&rk_bytes),
        }
        .map_err(store_error)?;
        if new.is_none() && !existed {
            return Ok(());
        }
        let mut subscribers: Vec<Vec<u8>> = Vec::new();
        self.stores
            .subscriptions
            .range(Bound::Included(&rk_bytes), Bound::Unbounded, &mut |k, v| {
                if !k.starts_with(&rk_bytes) {
                    return ControlFlow::Break(());
                }
                subscribers.push(v.to_vec());
                ControlFlow::Continue(())
            })
            .map_err(store_error)?;
        for lk_bytes in subscribers {
            let Some((left_part, _)) = self.left_row(&lk_bytes)? else {
                continue;
            };
            let lk = decode_row(&lk_bytes).map_err(|e| {
                ProcessingError::processing(format!(
                    "join state store {}: {e}",
                    self.stores.subscriptions.name()
                ))
            })?;
            let right_part = match &new {
                Some(part) => part.clone(),
                None if self.left_outer => self.right.null_part(),
                None => {
                    ctx.forward(record.clone().with_key_value(lk, None));
                    continue;
                }
            };
            let (key, value) = assemble(lk, &self.left, left_part, &self.right, right_part);
            ctx.forward(record.clone().with_key_value(key, Some(value)));
        }
        Ok(())
    }
}

impl Processor for ForeignKeyJoin {
    fn process(&mut self, port: Port, record: Record, ctx: &mut ProcessorContext<'_>) {
        let result = if port == Port::RIGHT {
            self.update_right(record, ctx)
        } else {
            self.update_left(record, ctx)
        };
        if let Err(e) = result {
            ctx.report(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::compile::{Evaluator, Slot};
    use crate::expr::{ColumnRef, TypedExpr};
    use crate::ops::join::test_support::{int_side, run_join};
    use crate::ops::layout::InputLayout;
    use crate::state::MemoryKeyValueStore;
    use crate::types::SqlType;

    /// Left rows: key, foreign key (the join key).
    fn join(left_outer: bool) -> Box<dyn Processor> {
        let e = TypedExpr::column(ColumnRef::Input { side: 0, index: 1 }, SqlType::Int);
        let fk = Evaluator::compile(&e, &|_| Some(Slot::Value(0))).unwrap();
        let left = Side::new(fk, InputLayout::keys(1), 2);
        let memory = |name: &str| Box::new(MemoryKeyValueStore::new(name));
        Box::new(ForeignKeyJoin::new(
            left,
            int_side(2),
            left_outer,
            ForeignKeyStores {
                left: memory("l"),
                right: memory("r"),
                subscriptions: memory("s"),
            },
        ))
    }

    fn rec(key: i32, value: Option<i32>, ts: i64) -> Record {
        Record::new(
            vec![Value::Int(key)],
            value.map(|v| vec![Value::Int(v)]),
            ts,
        )
    }

    fn keyed(out: &[Record]) -> Vec<(Value, Option<Vec<Value>>, i64)> {
        out.iter()
            .map(|r| (r.key[0].clone(), r.value.clone(), r.timestamp))
            .collect()
    }

    #[test]
    fn inner_join_follows_both_tables() {
        let i = Value::Int;
        let out = run_join(
            join(false),
            vec![
                (Port::RIGHT, rec(0, Some(5), 0)),
                (Port::LEFT, rec(1, Some(0), 10)),
                (Port::LEFT, rec(2, Some(7), 11)),
                (Port::LEFT, rec(3, Some(0), 12)),
                (Port::RIGHT, rec(0, None, 13)),
                (Port::LEFT, rec(1, None, 14)),
            ],
        );
        assert_eq!(
            keyed(&out),
            vec![
                (i(1), Some(vec![i(1), i(0), i(0), i(5)]), 10),
                (i(3), Some(vec![i(3), i(0), i(0), i(5)]), 12),
                (i(1), None, 13),
                (i(3), None, 13),
                (i(1), None, 14),
            ]
        );
    }

    #[test]
    fn left_join_keeps_rows_without_a_match() {
        let (i, n) = (Value::Int, Value::Null);
        let out = run_join(
            join(true),
            vec![
                (Port::LEFT, rec(1, Some(0), 1)),
                (Port::RIGHT, rec(0, Some(5), 2)),
                (Port::LEFT, rec(1, Some(9), 3)),
                (Port::RIGHT, rec(0, Some(6), 4)),
            ],
        );
        assert_eq!(
            keyed(&out),
            vec![
                (i(1), Some(vec![i(1), i(0), n.clone(), n.clone()]), 1),
                (i(1), Some(vec![i(1), i(0), i(0), i(5)]), 2),
                (i(1), Some(vec![i(1), i(9), n.clone(), n]), 3),
            ]
        );
    }
}
