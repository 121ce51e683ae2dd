//! PROTOBUF and PROTOBUF_NOSR: rows to and from protobuf messages, with ksqlDB's mapping
//! (through Kafka Connect's `ProtobufData`) of proto3 to SQL types. A [`ProtobufCodec`] is
//! compiled once per (schema, message, columns) into a plan ([`plan`]) that decodes the wire
//! straight into a [`Row`] and encodes one back, with no generic message tree per record.
//!
//! - PROTOBUF carries Confluent's framing: magic byte 0, the schema id (4 bytes, big-endian),
//!   the message indexes (a zigzag varint count, then zigzag varint indexes; the single byte
//!   0 stands for `[0]`, the first message), then the message. [`read_header`] reads it so the
//!   caller can pick (or compile) the codec of that schema id before decoding.
//! - PROTOBUF_NOSR is the bare message, its schema derived from the columns as ksqlDB derives
//!   it ([`columns::schema_for`]); [`ProtobufCodec::nosr`] builds both.
//!
//! Schemas are read by [`schema`] (shared with schema inference). Errors are
//! [`FormatError`] values naming the field path; no input panics (`tests.rs` runs arbitrary
//! bytes through every plan). This module knows nothing of the registry: the caller resolves
//! schema ids to texts.

pub mod columns;
mod decode;
mod encode;
mod parse;
pub mod plan;
pub mod schema;
mod wire;

#[cfg(test)]
mod python_tests;
#[cfg(test)]
mod tests;

pub use columns::NullableRepresentation;
pub use schema::ProtoSchema;

use super::{Format, FormatError, SerdeColumn};
use crate::types::{Row, SqlType, Value};
use plan::{MessagePlan, Planner};

/// The magic byte that starts every Schema Registry framed record.
pub const MAGIC_BYTE: u8 = 0;

/// How a record's bytes wrap the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// Confluent's framing; records are written with this schema id.
    Confluent { schema_id: u32 },
    /// The bare message (PROTOBUF_NOSR).
    Bare,
}

/// The Confluent framing of one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub schema_id: u32,
    /// The message indexes as written (`[]` when the single-0 shortcut was used: the first
    /// message).
    pub indexes: Vec<i32>,
    /// Where the message starts.
    pub payload: usize,
}

/// Reads the Confluent framing at the start of `bytes`.
pub fn read_header(bytes: &[u8]) -> Result<Header, FormatError> {
    let malformed = |offset, reason| FormatError::Malformed {
        format: Format::Protobuf,
        offset,
        reason,
    };
    match bytes.first() {
        None => return Err(malformed(0, "empty record")),
        Some(&MAGIC_BYTE) => {}
        Some(_) => return Err(malformed(0, "unknown magic byte")),
    }
    let id = bytes.get(1..5).ok_or(malformed(1, "truncated schema id"))?;
    let schema_id = u32::from_be_bytes([id[0], id[1], id[2], id[3]]);
    let mut reader = wire::Reader::new(bytes.get(5..).unwrap_or_default(), 5);
    let count = wire::zigzag64(reader.varint().map_err(|e| malformed(e.offset, e.reason))?);
    if !(0..=1024).contains(&count) {
        return Err(malformed(5, "message index count out of range"));
    }
    let mut indexes = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let index = wire::zigzag64(reader.varint().map_err(|e| malformed(e.offset, e.reason))?);
        indexes.push(
            i32::try_from(index)
                .map_err(|_| malformed(reader.offset(), "message index out of range"))?,
        );
    }
    Ok(Header {
        schema_id,
        indexes,
        payload: reader.offset(),
    })
}

/// Writes Confluent's framing for `schema_id` and the message at `indexes`.
pub fn write_header(schema_id: u32, indexes: &[i32], out: &mut Vec<u8>) {
    out.push(MAGIC_BYTE);
    out.extend_from_slice(&schema_id.to_be_bytes());
    if indexes == [0] {
        out.push(0);
    } else {
        wire::put_zigzag64(out, indexes.len() as i64);
        for index in indexes {
            wire::put_zigzag32(out, *index);
        }
    }
}

/// A compiled reader and writer of one message type as a row of columns.
#[derive(Debug, Clone)]
pub struct ProtobufCodec {
    plan: MessagePlan,
    framing: Framing,
    format: Format,
    /// The message's Confluent indexes (`[0]` for the first message).
    indexes: Vec<i32>,
}

impl ProtobufCodec {
    /// Compiles the codec of message `full_name` (the first message of the main file when
    /// `None`) of `schema`, read into and written from `columns`.
    pub fn new(
        schema: &ProtoSchema,
        full_name: Option<&str>,
        columns: &[SerdeColumn],
        framing: Framing,
    ) -> Result<ProtobufCodec, FormatError> {
        let format = match framing {
            Framing::Confluent { .. } => Format::Protobuf,
            Framing::Bare => Format::ProtobufNoSr,
        };
        let schema_error = |reason: String| FormatError::InvalidValue {
            path: format!("{format} schema"),
            reason,
        };
        let name = match full_name {
            Some(name) => schema
                .find_message(name)
                .ok_or_else(|| schema_error(format!("the schema has no message named `{name}`")))?,
            None => schema
                .first_message()
                .ok_or_else(|| schema_error("the schema declares no message".into()))?
                .to_string(),
        };
        let indexes = schema.message_indexes(&name).unwrap_or_else(|| vec![0]);
        let targets: Vec<(&str, &SqlType)> =
            columns.iter().map(|c| (c.name.as_str(), &c.ty)).collect();
        let plan =
            Planner { schema }
                .message(&name, &targets, "", 0)
                .map_err(|(path, reason)| FormatError::InvalidValue {
                    path: if path.is_empty() {
                        format!("{format} schema")
                    } else {
                        path
                    },
                    reason,
                })?;
        Ok(ProtobufCodec {
            plan,
            framing,
            format,
            indexes,
        })
    }

    /// The PROTOBUF_NOSR codec of `columns`: the schema ksqlDB derives from them, bare bytes.
    pub fn nosr(
        columns: &[SerdeColumn],
        nullable: NullableRepresentation,
    ) -> Result<ProtobufCodec, FormatError> {
        let targets: Vec<(&str, &SqlType)> =
            columns.iter().map(|c| (c.name.as_str(), &c.ty)).collect();
        let invalid = |reason: String| FormatError::InvalidValue {
            path: "PROTOBUF_NOSR schema".into(),
            reason,
        };
        let text = columns::schema_for(&targets, nullable).map_err(invalid)?;
        let schema = ProtoSchema::parse(&text, []).map_err(invalid)?;
        ProtobufCodec::new(&schema, Some(columns::ROOT), columns, Framing::Bare)
    }

    /// The message indexes this codec's records carry.
    pub fn indexes(&self) -> &[i32] {
        &self.indexes
    }

    /// Reads one record (framed as the codec's [`Framing`]) into a row of its columns. A
    /// framed record must name this codec's message; pick the codec by [`read_header`] first.
    pub fn decode(&self, bytes: &[u8]) -> Result<Row, FormatError> {
        match self.framing {
            Framing::Bare => self.decode_message(bytes, 0),
            Framing::Confluent { .. } => {
                let header = read_header(bytes)?;
                let same = header.indexes == self.indexes
                    || (header.indexes.is_empty() && self.indexes == [0]);
                if !same {
                    return Err(FormatError::InvalidValue {
                        path: "PROTOBUF message indexes".into(),
                        reason: format!(
                            "the record names message {:?}, this reader reads {:?} ({})",
                            header.indexes, self.indexes, self.plan.name
                        ),
                    });
                }
                self.decode_message(
                    bytes.get(header.payload..).unwrap_or_default(),
                    header.payload,
                )
            }
        }
    }

    /// Reads a bare message that starts at byte `offset` of the record.
    /// Leaves the STRING columns `read` marks unread NULL when decoding (one entry per
    /// column; see [`plan::MessagePlan::skip_unread_strings`]).
    pub fn skip_unread_strings(&mut self, read: &[bool]) {
        self.plan.skip_unread_strings(read);
    }

    pub fn decode_message(&self, message: &[u8], offset: usize) -> Result<Row, FormatError> {
        decode::message(&self.plan, wire::Reader::new(message, offset)).map_err(|e| match e {
            decode::DecodeError::Wire(w) => FormatError::Malformed {
                format: self.format,
                offset: w.offset,
                reason: w.reason,
            },
            decode::DecodeError::Invalid { path, reason } => {
                FormatError::InvalidValue { path, reason }
            }
        })
    }

    /// Writes `row` (one value per column) as a record, framed as the codec's [`Framing`].
    pub fn encode(&self, row: &[Value], out: &mut Vec<u8>) -> Result<(), FormatError> {
        if row.len() != self.plan.width {
            return Err(FormatError::ColumnCount {
                serialization: true,
                expected: self.plan.width,
                got: row.len(),
            });
        }
        if let Framing::Confluent { schema_id } = self.framing {
            write_header(schema_id, &self.indexes, out);
        }
        encode::message(&self.plan, row, out).map_err(|e| FormatError::InvalidValue {
            path: e.path,
            reason: e.reason,
        })
    }
}
