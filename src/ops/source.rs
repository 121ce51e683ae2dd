//! The source edge of `streamSource/v1` and `tableSource/v1`: key and value bytes to a
//! [`Record`] with the topic's [`RowSerde`]s, header columns filled from the record headers,
//! and the event time taken from the `TIMESTAMP` column when there is one. Null values
//! flow on (a stream's filter drops them, its projection keeps them null); a table drops (and
//! logs) records with a null key. A record
//! that cannot be read is a deserialization error (logged, skipped). It must not evaluate SQL.

use std::sync::Arc;

use crate::analyze::catalog::Namespace;
use crate::format::RowSerde;
use crate::topology::{
    Header, ProcessingError, ProcessingErrorKind, RawRecord, Record, RecordDeserializer,
};
use crate::types::{Row, Value, time};

/// How one value-side column is filled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueColumn {
    /// The next column of the deserialized value.
    Payload,
    /// `HEADERS`: every header as `STRUCT<KEY STRING, VALUE BYTES>`.
    AllHeaders,
    /// `HEADER('key')`: the last header with this key, as BYTES.
    Header(String),
}

/// Where event time comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventTime {
    /// The Kafka record timestamp.
    Record,
    /// Value column at this position of the record value (BIGINT or TIMESTAMP).
    Column(usize),
    /// A STRING value column parsed as a timestamp.
    TextColumn(usize),
}

pub struct SourceDeserializer {
    pub key: RowSerde,
    pub value: RowSerde,
    /// One entry per value-side schema column, in schema order.
    pub columns: Vec<ValueColumn>,
    pub time: EventTime,
    /// Tables forward tombstones; streams drop them.
    pub table: bool,
    /// The number of key columns (a null key reads as this many NULLs).
    pub key_count: usize,
}

/// A serde failure as a record error: [`ProcessingErrorKind::Unavailable`] when the format
/// could not reach its registry (the record is then retried, never skipped), else `kind`.
pub(crate) fn format_error(
    kind: ProcessingErrorKind,
    error: &crate::format::FormatError,
    message: String,
) -> ProcessingError {
    let kind = match error.is_unavailable() {
        true => ProcessingErrorKind::Unavailable,
        false => kind,
    };
    ProcessingError::new(kind, message)
}

fn error(kind: ProcessingErrorKind, message: String) -> ProcessingError {
    ProcessingError::new(kind, message)
}

impl SourceDeserializer {
    fn value_row(&self, payload: Row, headers: &[Header]) -> Row {
        // Header columns are the only ones not in the payload: none, nothing to add.
        if payload.len() == self.columns.len() {
            return payload;
        }
        let mut payload = payload.into_iter();
        self.columns
            .iter()
            .map(|c| match c {
                ValueColumn::Payload => payload.next().unwrap_or(Value::Null),
                ValueColumn::AllHeaders => Value::array(
                    headers
                        .iter()
                        .map(|h| {
                            Value::structure(vec![
                                Value::string(h.key.as_str()),
                                h.value.clone().map_or(Value::Null, Value::bytes),
                            ])
                        })
                        .collect(),
                ),
                ValueColumn::Header(key) => headers
                    .iter()
                    .rev()
                    .find(|h| h.key == *key)
                    .and_then(|h| h.value.clone())
                    .map_or(Value::Null, Value::bytes),
            })
            .collect()
    }
}

impl RecordDeserializer for SourceDeserializer {
    fn deserialize(&mut self, raw: &RawRecord<'_>) -> Result<Record, ProcessingError> {
        let key = match self.key.deserialize(raw.key) {
            Ok(Some(row)) => row,
            // A null key stays an empty row (see `layout`).
            Ok(None) => Vec::new(),
            Err(e) => {
                return Err(format_error(
                    ProcessingErrorKind::Deserialization,
                    &e,
                    format!("Failed to deserialize key from topic: {}. {e}", raw.topic),
                ));
            }
        };
        let value = self.value.deserialize(raw.value).map_err(|e| {
            format_error(
                ProcessingErrorKind::Deserialization,
                &e,
                format!("Failed to deserialize value from topic: {}. {e}", raw.topic),
            )
        })?;
        if self.table && self.key_count > 0 && key.iter().all(Value::is_null) {
            return Err(error(
                ProcessingErrorKind::Deserialization,
                format!(
                    "Skipping a record with a null key from table topic {}",
                    raw.topic
                ),
            ));
        }
        let value = value.map(|payload| self.value_row(payload, raw.headers));
        let timestamp = match (&self.time, &value) {
            (EventTime::Record, _) | (_, None) => raw.timestamp,
            (EventTime::Column(i), Some(row)) => match row.get(*i) {
                Some(Value::Bigint(t) | Value::Timestamp(t)) => *t,
                _ => {
                    return Err(error(
                        ProcessingErrorKind::Deserialization,
                        "Timestamp column is NULL or not a timestamp".into(),
                    ));
                }
            },
            (EventTime::TextColumn(i), Some(row)) => row
                .get(*i)
                .and_then(Value::as_str)
                .and_then(|s| time::parse_timestamp(s).ok())
                .ok_or_else(|| {
                    error(
                        ProcessingErrorKind::Deserialization,
                        "Timestamp column cannot be parsed".into(),
                    )
                })?,
        };
        if timestamp < 0 {
            return Err(error(
                ProcessingErrorKind::Deserialization,
                format!("Invalid (negative) timestamp {timestamp}"),
            ));
        }
        let mut record = Record::new(key, value, timestamp);
        record.partition = raw.partition;
        record.offset = raw.offset;
        if !raw.headers.is_empty() {
            record.headers = Some(Arc::from(raw.headers));
        }
        Ok(record)
    }
}

/// Which value-side columns of a schema come from headers.
pub fn value_columns(schema: &crate::analyze::Schema) -> Vec<ValueColumn> {
    schema
        .columns
        .iter()
        .filter(|c| !c.is_key())
        .map(|c| match &c.namespace {
            Namespace::Header { key: None } => ValueColumn::AllHeaders,
            Namespace::Header { key: Some(k) } => ValueColumn::Header(k.clone()),
            _ => ValueColumn::Payload,
        })
        .collect()
}
