//! `selectKey/v1` (`PARTITION BY`, join re-keying): the edges of a repartition topic. The
//! writer evaluates the new key expressions into the record key (which the partitioner
//! hashes) and writes the whole input row (key and value columns, in schema order) as the
//! value; the reader restores exactly that row, so the steps after the repartition read the
//! same layout as the steps before it. Both sides use an internal JSON encoding: the topic is
//! private to the query. A key expression that fails is NULL. It must not filter rows.

use std::sync::Arc;

use crate::analyze::Schema;
use crate::expr::compile::Evaluator;
use crate::format::{Encoded, Format, Role, RowSerde, SerdeColumn, SerdeOptions};
use crate::topology::{
    ProcessingError, ProcessingErrorKind, RawRecord, Record, RecordDeserializer, RecordSerializer,
    Serialized,
};
use crate::types::{SqlType, Value};

use super::layout::eval_row;

/// The internal serde of a list of typed columns (`C0`, `C1`, … in a JSON object).
pub fn internal_serde(types: &[SqlType]) -> Result<RowSerde, crate::format::FormatError> {
    let columns = types
        .iter()
        .enumerate()
        .map(|(i, ty)| SerdeColumn::new(format!("C{i}"), ty.clone()))
        .collect();
    RowSerde::new(Format::Json, Role::Value, columns, &SerdeOptions::default())
}

/// The types of a row schema's columns, keys first, then a BOOLEAN tombstone marker.
pub fn row_types(schema: &Schema) -> Vec<SqlType> {
    let mut types: Vec<SqlType> = schema.columns.iter().map(|c| c.ty.clone()).collect();
    types.push(SqlType::Boolean);
    types
}

pub struct RepartitionSerializer {
    pub keys: Vec<Evaluator>,
    /// Key columns of the input row (a null input key is written as NULLs).
    pub key_count: usize,
    pub key_serde: RowSerde,
    pub row_serde: RowSerde,
}

fn serialization(message: String) -> ProcessingError {
    ProcessingError::new(ProcessingErrorKind::Serialization, message)
}

impl RecordSerializer for RepartitionSerializer {
    fn serialize(
        &mut self,
        record: &Record,
        key: &mut Vec<u8>,
        value: &mut Vec<u8>,
    ) -> Result<Serialized, ProcessingError> {
        let row = eval_row(record);
        let new_key: Vec<Value> = self
            .keys
            .iter()
            .map(|k| k.eval(&row).unwrap_or(Value::Null))
            .collect();
        let key_out = self
            .key_serde
            .serialize(&new_key, key)
            .map_err(|e| serialization(format!("repartition key: {e}")))?;
        let width = self.row_serde.columns().len().saturating_sub(1);
        let mut full = record.key.clone();
        full.resize(self.key_count, Value::Null);
        if let Some(v) = &record.value {
            full.extend(v.iter().cloned());
        }
        full.resize(width, Value::Null);
        full.push(Value::Boolean(record.value.is_none()));
        let value_out = self
            .row_serde
            .serialize(&full, value)
            .map_err(|e| serialization(format!("repartition value: {e}")))?;
        Ok(Serialized {
            key: key_out == Encoded::Bytes,
            value: value_out == Encoded::Bytes,
            partition_key_len: None,
        })
    }
}

pub struct RepartitionDeserializer {
    pub row_serde: RowSerde,
    pub key_count: usize,
}

impl RecordDeserializer for RepartitionDeserializer {
    fn deserialize(&mut self, raw: &RawRecord<'_>) -> Result<Record, ProcessingError> {
        let row = self.row_serde.deserialize(raw.value).map_err(|e| {
            ProcessingError::new(
                ProcessingErrorKind::Deserialization,
                format!("repartition topic {}: {e}", raw.topic),
            )
        })?;
        let Some(mut row) = row else {
            return Err(ProcessingError::new(
                ProcessingErrorKind::Deserialization,
                format!("repartition topic {}: unexpected tombstone", raw.topic),
            ));
        };
        let tombstone = row.pop() == Some(Value::Boolean(true));
        let value = row.split_off(self.key_count.min(row.len()));
        let value = (!tombstone).then_some(value);
        let mut record = Record::new(row, value, raw.timestamp);
        record.partition = raw.partition;
        record.offset = raw.offset;
        if !raw.headers.is_empty() {
            record.headers = Some(Arc::from(raw.headers));
        }
        Ok(record)
    }
}
