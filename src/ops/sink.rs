//! The sink edge of `sink/v1`: a [`Record`] to key and value bytes with the sink topic's
//! [`RowSerde`]s; a tombstone is a Kafka null value. The output timestamp is the record's, or
//! the sink's `TIMESTAMP` column when declared. A row the format cannot hold is a
//! serialization error (logged, skipped). It must not evaluate SQL or change rows.

use crate::format::{Encoded, RowSerde};
use crate::topology::{ProcessingError, ProcessingErrorKind, Record, RecordSerializer, Serialized};
use crate::types::Value;

pub struct SinkSerializer {
    pub key: RowSerde,
    pub value: RowSerde,
}

impl RecordSerializer for SinkSerializer {
    fn serialize(
        &mut self,
        record: &Record,
        key: &mut Vec<u8>,
        value: &mut Vec<u8>,
    ) -> Result<Serialized, ProcessingError> {
        let fail = |side: &str, e: crate::format::FormatError| {
            super::source::format_error(
                ProcessingErrorKind::Serialization,
                &e,
                format!("Error serializing {side}: {e}"),
            )
        };
        // An empty key row (read from a null key, passed through) is written as a null key.
        let key_out = if record.key.is_empty() {
            Encoded::Null
        } else {
            self.key
                .serialize(&record.key, key)
                .map_err(|e| fail("key", e))?
        };
        let value_out = match &record.value {
            None => Encoded::Null,
            Some(row) => self
                .value
                .serialize(row, value)
                .map_err(|e| fail("value", e))?,
        };
        Ok(Serialized {
            key: key_out == Encoded::Bytes,
            value: value_out == Encoded::Bytes,
            partition_key_len: None,
        })
    }
}

/// Sets the output timestamp from a value column (the sink's `TIMESTAMP` property). A record
/// whose column is NULL or negative cannot be produced: it is logged and dropped.
pub struct SetTimestamp {
    /// Position in the record value.
    pub column: usize,
}

impl crate::topology::Processor for SetTimestamp {
    fn process(
        &mut self,
        _port: crate::topology::Port,
        mut record: Record,
        ctx: &mut crate::topology::ProcessorContext<'_>,
    ) {
        let time = record.value.as_ref().and_then(|v| v.get(self.column));
        match time {
            Some(Value::Bigint(t) | Value::Timestamp(t)) if *t >= 0 => {
                record.timestamp = *t;
                ctx.forward(record);
            }
            None => ctx.forward(record),
            Some(other) => ctx.report(ProcessingError::new(
                ProcessingErrorKind::Serialization,
                format!("Invalid output timestamp {other:?}: must be a non-negative time"),
            )),
        }
    }
}
