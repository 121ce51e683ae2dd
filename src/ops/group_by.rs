//! `groupBy/v1`: keys each row by its grouping expressions for the aggregate that follows,
//! directly or through a repartition topic. The output record's key is the grouping values and
//! its value the whole input row (key columns, then value columns: [`Grouping::Grouped`]).
//! A row whose grouping values include a NULL is dropped, as ksqlDB excludes it from the table.
//!
//! Over a stream, tombstones are dropped. Over a table, an update must also withdraw the row's
//! previous contribution (its previous group may differ): the operator remembers, per source
//! key, the row it last grouped in its own store, and emits the withdrawal of that row first,
//! then the new row (Kafka Streams' `KTableRepartitionMap` order). Table rows carry a trailing
//! INT [`Change`] flag so the aggregate knows to undo; when the row stays in its group the
//! withdrawal is marked silent, so the group emits once for the update (as ksqlDB does). It
//! must not aggregate.
//!
//! [`Grouping::Grouped`]: super::layout::Grouping::Grouped

use std::sync::Arc;

use crate::expr::compile::Evaluator;
use crate::format::{Encoded, RowSerde};
use crate::state::KeyValueStore;
use crate::state::codec::{decode_row, encode_row};
use crate::topology::{
    ProcessingError, ProcessingErrorKind, Processor, ProcessorContext, RawRecord, Record,
    RecordDeserializer, RecordSerializer, Serialized,
};
use crate::types::{Row, Value};

use super::layout::eval_row;

/// The trailing flag of a table row after `groupBy/v1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Add = 0,
    Retract = 1,
    /// A retraction immediately followed by an add to the same group: emit after the add only.
    RetractSilently = 2,
}

impl Change {
    pub fn of(value: &Value) -> Change {
        match value {
            Value::Int(1) => Change::Retract,
            Value::Int(2) => Change::RetractSilently,
            _ => Change::Add,
        }
    }

    pub fn value(self) -> Value {
        Value::Int(self as i32)
    }
}

/// The suffix of the store a table `groupBy/v1` keeps previous rows in (`<ctx>-prior`).
pub const PRIOR_STORE_SUFFIX: &str = "-prior";

pub struct GroupBy {
    keys: Vec<Evaluator>,
    /// Key columns of the input row.
    key_count: usize,
    /// Value columns of the input row (header columns included).
    value_count: usize,
    /// Table input: the store of previous rows per source key.
    prior: Option<Box<dyn KeyValueStore>>,
}

impl GroupBy {
    pub fn new(
        keys: Vec<Evaluator>,
        key_count: usize,
        value_count: usize,
        prior: Option<Box<dyn KeyValueStore>>,
    ) -> GroupBy {
        GroupBy {
            keys,
            key_count,
            value_count,
            prior,
        }
    }

    /// The grouping values of `record`, or `None` when one is NULL or fails.
    fn group_key(&self, record: &Record, ctx: &mut ProcessorContext<'_>) -> Option<Row> {
        let row = eval_row(record);
        let mut key = Vec::with_capacity(self.keys.len());
        for (i, k) in self.keys.iter().enumerate() {
            match k.eval(&row) {
                Ok(Value::Null) => return None,
                Ok(v) => key.push(v),
                Err(e) => {
                    ctx.report(ProcessingError::processing(format!(
                        "Error evaluating group-by expression {i}: {e}"
                    )));
                    return None;
                }
            }
        }
        Some(key)
    }

    /// The whole input row: key columns (NULL for a null key), then value columns.
    fn full_row(&self, record: &Record) -> Row {
        let mut full = record.key.clone();
        full.resize(self.key_count, Value::Null);
        if let Some(v) = &record.value {
            full.extend(v.iter().cloned());
        }
        full.resize(self.key_count + self.value_count, Value::Null);
        full
    }

    fn table(&mut self, record: Record, ctx: &mut ProcessorContext<'_>) {
        // The input row's identity is its key columns; a joined record's key also carries
        // each input's system columns, which change with every update of the row.
        let mut source_key = Vec::new();
        encode_row(
            &record.key[..self.key_count.min(record.key.len())],
            &mut source_key,
        );
        let new = if record.value.is_some() {
            self.group_key(&record, ctx)
                .map(|k| (k, self.full_row(&record)))
        } else {
            None
        };
        let Some(store) = self.prior.as_mut() else {
            return;
        };
        let old = match store.get(&source_key) {
            Ok(Some(bytes)) => match decode_row(&bytes) {
                Ok(mut row) => {
                    let key_len = match row.pop() {
                        Some(Value::Bigint(n)) => usize::try_from(n).unwrap_or(0),
                        _ => 0,
                    };
                    let value = row.split_off(key_len.min(row.len()));
                    Some((row, value))
                }
                Err(e) => {
                    ctx.report(ProcessingError::processing(format!(
                        "group-by store {}: {e}",
                        store.name()
                    )));
                    None
                }
            },
            Ok(None) => None,
            Err(e) => {
                ctx.report(ProcessingError::state("group-by store", e));
                None
            }
        };
        let written = match &new {
            Some((key, row)) => {
                let mut stored: Row = key.clone();
                stored.extend(row.iter().cloned());
                stored.push(Value::Bigint(key.len() as i64));
                let mut bytes = Vec::new();
                encode_row(&stored, &mut bytes);
                store.put(&source_key, &bytes)
            }
            None if old.is_some() => store.delete(&source_key),
            None => Ok(()),
        };
        if let Err(e) = written {
            ctx.report(ProcessingError::state("group-by store", e));
        }
        if let Some((key, mut row)) = old {
            let same_group = new.as_ref().is_some_and(|(k, _)| *k == key);
            row.push(if same_group {
                Change::RetractSilently.value()
            } else {
                Change::Retract.value()
            });
            ctx.forward(record.clone().with_key_value(key, Some(row)));
        }
        if let Some((key, mut row)) = new {
            row.push(Change::Add.value());
            ctx.forward(record.with_key_value(key, Some(row)));
        }
    }
}

impl Processor for GroupBy {
    fn process(
        &mut self,
        _port: crate::topology::Port,
        record: Record,
        ctx: &mut ProcessorContext<'_>,
    ) {
        if self.prior.is_some() {
            return self.table(record, ctx);
        }
        if record.value.is_none() {
            return;
        }
        if let Some(key) = self.group_key(&record, ctx) {
            let row = self.full_row(&record);
            ctx.forward(record.with_key_value(key, Some(row)));
        }
    }
}

fn serialization(message: String) -> ProcessingError {
    ProcessingError::new(ProcessingErrorKind::Serialization, message)
}

/// Writes grouped records to the repartition topic: the grouping values as the key (which the
/// partitioner hashes), the grouped row as the value, both in the internal encoding.
pub struct GroupedSerializer {
    pub key_serde: RowSerde,
    pub row_serde: RowSerde,
}

impl RecordSerializer for GroupedSerializer {
    fn serialize(
        &mut self,
        record: &Record,
        key: &mut Vec<u8>,
        value: &mut Vec<u8>,
    ) -> Result<Serialized, ProcessingError> {
        let key_out = self
            .key_serde
            .serialize(&record.key, key)
            .map_err(|e| serialization(format!("group-by repartition key: {e}")))?;
        let empty = Vec::new();
        let row = record.value.as_ref().unwrap_or(&empty);
        let value_out = self
            .row_serde
            .serialize(row, value)
            .map_err(|e| serialization(format!("group-by repartition value: {e}")))?;
        Ok(Serialized {
            key: key_out == Encoded::Bytes,
            value: value_out == Encoded::Bytes,
            partition_key_len: None,
        })
    }
}

/// Reads grouped records back from the repartition topic.
pub struct GroupedDeserializer {
    pub key_serde: RowSerde,
    pub row_serde: RowSerde,
}

impl RecordDeserializer for GroupedDeserializer {
    fn deserialize(&mut self, raw: &RawRecord<'_>) -> Result<Record, ProcessingError> {
        let error = |what: &str, e: String| {
            ProcessingError::new(
                ProcessingErrorKind::Deserialization,
                format!("repartition topic {} {what}: {e}", raw.topic),
            )
        };
        let key = self
            .key_serde
            .deserialize(raw.key)
            .map_err(|e| error("key", e.to_string()))?
            .unwrap_or_default();
        let value = self
            .row_serde
            .deserialize(raw.value)
            .map_err(|e| error("value", e.to_string()))?;
        let mut record = Record::new(key, value, raw.timestamp);
        record.partition = raw.partition;
        record.offset = raw.offset;
        if !raw.headers.is_empty() {
            record.headers = Some(Arc::from(raw.headers));
        }
        Ok(record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::compile::Slot;
    use crate::expr::{ColumnRef, TypedExpr};
    use crate::ops::test_support::run;
    use crate::state::MemoryKeyValueStore;
    use crate::types::SqlType;

    /// Groups by the first value column of a row with one key column.
    fn by_first_value() -> Evaluator {
        let e = TypedExpr::column(ColumnRef::Input { side: 0, index: 1 }, SqlType::String);
        Evaluator::compile(&e, &|_| Some(Slot::Value(0))).unwrap()
    }

    fn row(key: i32, group: Option<&str>, ts: i64) -> Record {
        let g = group.map_or(Value::Null, Value::string);
        Record::new(vec![Value::Int(key)], Some(vec![g]), ts)
    }

    #[test]
    fn stream_rows_are_keyed_by_group_and_null_groups_dropped() {
        let op = GroupBy::new(vec![by_first_value()], 1, 1, None);
        let out = run(Box::new(op), vec![row(1, Some("a"), 1), row(2, None, 2)]);
        assert_eq!(
            out,
            vec![Record::new(
                vec![Value::string("a")],
                Some(vec![Value::Int(1), Value::string("a")]),
                1
            )]
        );
    }

    #[test]
    fn table_updates_withdraw_the_previous_row_first() {
        let store = Box::new(MemoryKeyValueStore::new("prior"));
        let op = GroupBy::new(vec![by_first_value()], 1, 1, Some(store));
        let tombstone = Record::new(vec![Value::Int(1)], None, 4);
        let out = run(
            Box::new(op),
            vec![
                row(1, Some("a"), 1),
                row(1, Some("a"), 2),
                row(1, Some("b"), 3),
                tombstone,
            ],
        );
        let flagged = |group: &str, change: Change| {
            (
                vec![Value::string(group)],
                vec![Value::Int(1), Value::string(group), change.value()],
            )
        };
        let got: Vec<(Row, Row)> = out
            .into_iter()
            .map(|r| (r.key, r.value.unwrap_or_default()))
            .collect();
        assert_eq!(
            got,
            vec![
                flagged("a", Change::Add),
                flagged("a", Change::RetractSilently),
                flagged("a", Change::Add),
                flagged("a", Change::Retract),
                flagged("b", Change::Add),
                flagged("b", Change::Retract),
            ]
        );
    }
}
