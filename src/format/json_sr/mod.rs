//! The JSON_SR format: JSON documents behind Confluent's framing (byte 0, then the schema id
//! as a 4-byte big-endian number), for keys and values, as ksqlDB reads and writes them.
//!
//! Reading follows ksqlDB's `KsqlJsonDeserializer` with `isJsonSchema`: the payload must start
//! with byte 0 (unframed JSON is refused, as ksqlDB refuses it, since JSON never starts with
//! that byte), the id is skipped without asking the registry, and the rest is read by the JSON
//! format's reader with its coercions. So a record never waits for the registry and an id the
//! registry does not know reads like any other.
//!
//! Writing follows ksqlDB's `JsonSchemaConverter` sink: the first record registers the schema
//! ksqlDB would register for the columns ([`schema`]) under `<topic>-key|value`, or, with
//! `*_SCHEMA_ID`, looks that schema up (it must be a JSON schema); every record is then the
//! JSON writer's bytes behind that id. While the registry cannot be reached the record waits,
//! retrying, for `unavailable_wait`, then fails with [`FormatError::RegistryUnavailable`],
//! which runners retry and never log or skip; other registry errors are the record's.

mod schema;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use super::json_write;
use super::{Encoded, Format, FormatError, RegistryBinding, Role, SerdeColumn, json, json_row};
use crate::registry::{self, NewSchema, RegistryError, SchemaKind, SchemaRegistry};
use crate::types::{Row, SqlType, Value};

/// Reads and writes one side of one topic.
#[derive(Debug, Clone)]
pub(super) struct JsonSrCodec {
    registry: Arc<dyn SchemaRegistry>,
    topic: String,
    subject: String,
    unwrapped: bool,
    /// `*_SCHEMA_ID`: write with this registered schema instead of registering one.
    schema_id: Option<u32>,
    unavailable_wait: Duration,
    /// How a wrapped row is read.
    plan: json_row::ReadPlan,
    /// What a wrapped row writes before each column's value.
    members: Vec<Box<[u8]>>,
    /// The declared columns as one type: their STRUCT, or the single unwrapped column's type.
    target: SqlType,
    /// The schema id records are written with, found on the first write.
    writer: Arc<OnceLock<u32>>,
}

impl JsonSrCodec {
    pub(super) fn new(
        role: Role,
        columns: &[SerdeColumn],
        unwrapped: bool,
        binding: &RegistryBinding,
    ) -> JsonSrCodec {
        let target = super::payload_type(columns, unwrapped);
        JsonSrCodec {
            registry: binding.registry.clone(),
            topic: binding.topic.clone(),
            subject: registry::subject(&binding.topic, role == Role::Key),
            unwrapped,
            schema_id: binding.schema_id,
            unavailable_wait: binding.unavailable_wait,
            plan: json_row::ReadPlan::new(columns),
            members: json_write::member_prefixes(columns),
            target,
            writer: Arc::new(OnceLock::new()),
        }
    }

    pub(super) fn deserialize(
        &mut self,
        columns: &[SerdeColumn],
        bytes: &[u8],
    ) -> Result<Option<Row>, FormatError> {
        let body = match bytes {
            [0, _, _, _, _, body @ ..] => body,
            _ => {
                return Err(FormatError::NotFramed {
                    format: Format::JsonSr,
                    got: bytes.len(),
                    first: bytes.first().copied().unwrap_or(0),
                });
            }
        };
        json::deserialize(columns, self.unwrapped, &mut self.plan, body)
    }

    pub(super) fn serialize(
        &self,
        columns: &[SerdeColumn],
        row: &[Value],
        out: &mut Vec<u8>,
    ) -> Result<Encoded, FormatError> {
        // A NULL unwrapped value is a Kafka null, unframed (Connect's converters give null).
        if self.unwrapped && row[0].is_null() {
            return Ok(Encoded::Null);
        }
        let id = match self.writer.get() {
            Some(id) => *id,
            None => {
                let id = self.writer_id()?;
                *self.writer.get_or_init(|| id)
            }
        };
        let start = out.len();
        out.push(0);
        out.extend_from_slice(&id.to_be_bytes());
        let written = json_write::serialize(columns, self.unwrapped, &self.members, row, out);
        if !matches!(written, Ok(Encoded::Bytes)) {
            out.truncate(start);
        }
        written
    }

    /// The id this side writes with: the `*_SCHEMA_ID` schema's, after checking it is a JSON
    /// schema, or the id the columns' schema is registered under.
    fn writer_id(&self) -> Result<u32, FormatError> {
        let context = || format!("subject {} of topic {}", self.subject, self.topic);
        match self.schema_id {
            Some(id) => {
                let schema = self.wait_for(&context, || self.registry.schema_by_id(id))?;
                if schema.kind != SchemaKind::Json {
                    return Err(FormatError::SchemaMismatch {
                        context: format!("schema id {id} for {}", context()),
                        reason: format!(
                            "the registered schema is {}, not JSON",
                            schema.kind.name()
                        ),
                    });
                }
                Ok(id)
            }
            None => {
                let schema = NewSchema {
                    kind: SchemaKind::Json,
                    text: schema::sink_schema(&self.target, !self.unwrapped).to_string(),
                    references: Vec::new(),
                };
                self.wait_for(&context, || self.registry.register(&self.subject, &schema))
            }
        }
    }

    /// Runs a registry call through [`super::registry_wait::wait_for`] with this side's wait.
    fn wait_for<T>(
        &self,
        context: &dyn Fn() -> String,
        call: impl Fn() -> Result<T, RegistryError>,
    ) -> Result<T, FormatError> {
        super::registry_wait::wait_for(self.unavailable_wait, context, call)
    }
}

#[cfg(test)]
mod tests;
