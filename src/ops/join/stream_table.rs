//! Stream-table joins (`INNER`, `LEFT`), as Kafka Streams' `KStream#join(KTable)`: the table
//! side (right port) is materialized in a key-value store owned by this processor (updates
//! put, tombstones delete, nothing is emitted); each stream record (left port) looks its join
//! key up and emits the joined row at its own timestamp, or, for a `LEFT` join without a
//! match, its columns with NULLs for the table's. A stream record with a NULL join key never
//! matches (an inner join drops it, a left join emits it unmatched); one with a NULL value is
//! dropped.

use crate::state::KeyValueStore;
use crate::topology::{Port, Processor, ProcessorContext, Record};
use crate::types::Value;

use super::side::{Side, assemble, decode_entry, entry_bytes, store_error};

pub struct StreamTableJoin {
    stream: Side,
    table_side: Side,
    /// `LEFT`: stream records without a match are emitted with NULL table columns.
    left_outer: bool,
    table: Box<dyn KeyValueStore>,
}

impl StreamTableJoin {
    pub fn new(
        stream: Side,
        table_side: Side,
        left_outer: bool,
        table: Box<dyn KeyValueStore>,
    ) -> StreamTableJoin {
        StreamTableJoin {
            stream,
            table_side,
            left_outer,
            table,
        }
    }

    fn update_table(&mut self, record: Record, ctx: &mut ProcessorContext<'_>) {
        let key = match self.table_side.join_key(&record) {
            Ok(Some(key)) => key,
            Ok(None) => return,
            Err(e) => return ctx.report(e),
        };
        let bytes = self.table_side.store_key(&key, &record);
        let written = match record.value {
            Some(_) => {
                let part = self.table_side.part(&record);
                self.table
                    .put(&bytes, &entry_bytes(&part, record.timestamp))
            }
            None => self.table.delete(&bytes),
        };
        if let Err(e) = written {
            ctx.report(store_error(e));
        }
    }

    fn join_stream(&mut self, record: Record, ctx: &mut ProcessorContext<'_>) {
        if record.value.is_none() {
            return;
        }
        let key = match self.stream.join_key(&record) {
            Ok(key) => key,
            Err(e) => return ctx.report(e),
        };
        let found = match &key {
            Some(key) => match self.table.get(&self.stream.store_key(key, &record)) {
                Ok(found) => found,
                Err(e) => return ctx.report(store_error(e)),
            },
            None => None,
        };
        let right = match found {
            Some(bytes) => match decode_entry(self.table.name(), &bytes) {
                Ok((columns, _)) => columns,
                Err(e) => return ctx.report(store_error(e)),
            },
            None if self.left_outer => self.table_side.null_part(),
            None => return,
        };
        let (key, value) = assemble(
            vec![key.unwrap_or(Value::Null)],
            &self.stream,
            self.stream.part(&record),
            &self.table_side,
            right,
        );
        ctx.forward(record.with_key_value(key, Some(value)));
    }
}

impl Processor for StreamTableJoin {
    fn process(&mut self, port: Port, record: Record, ctx: &mut ProcessorContext<'_>) {
        if port == Port::RIGHT {
            self.update_table(record, ctx);
        } else {
            self.join_stream(record, ctx);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::join::test_support::{int_side, run_join};
    use crate::state::MemoryKeyValueStore;

    fn join(left_outer: bool) -> Box<dyn Processor> {
        Box::new(StreamTableJoin::new(
            int_side(2),
            int_side(2),
            left_outer,
            Box::new(MemoryKeyValueStore::new("t")),
        ))
    }

    fn rec(key: i32, value: Option<i32>, ts: i64) -> Record {
        Record::new(
            vec![Value::Int(key)],
            value.map(|v| vec![Value::Int(v)]),
            ts,
        )
    }

    #[test]
    fn inner_join_looks_up_the_table_and_drops_misses() {
        let out = run_join(
            join(false),
            vec![
                (Port::RIGHT, rec(1, Some(10), 1)),
                (Port::LEFT, rec(1, Some(100), 5)),
                (Port::LEFT, rec(2, Some(200), 6)),
                (Port::RIGHT, rec(1, None, 7)),
                (Port::LEFT, rec(1, Some(101), 8)),
            ],
        );
        let i = Value::Int;
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].key[0], i(1));
        // Each input's ROWTIME, ROWPARTITION, ROWOFFSET and window bounds follow the join key.
        assert_eq!(out[0].key[1], Value::Bigint(5));
        assert_eq!(out[0].key[6], Value::Bigint(1));
        assert_eq!(out[0].key[4..6], [Value::Null, Value::Null]);
        assert_eq!(out[0].value, Some(vec![i(1), i(100), i(1), i(10)]));
        assert_eq!(out[0].timestamp, 5);
    }

    #[test]
    fn left_join_emits_misses_with_nulls() {
        let out = run_join(
            join(true),
            vec![
                (Port::LEFT, rec(2, Some(200), 6)),
                (Port::RIGHT, rec(2, Some(20), 7)),
                (Port::LEFT, rec(2, Some(201), 8)),
            ],
        );
        let i = Value::Int;
        let n = Value::Null;
        assert_eq!(out[0].value, Some(vec![i(2), i(200), n.clone(), n]));
        assert_eq!(out[1].value, Some(vec![i(2), i(201), i(2), i(20)]));
        assert_eq!(out.len(), 2);
    }
}
