//! The AVRO format with Schema Registry: Confluent's wire format (byte 0, the schema id as a
//! 4-byte big-endian number, then the Avro binary body) read into and written from weir's
//! rows, for keys and values.
//!
//! The Avro binary reader and writer are written here by hand, on purpose: a general Avro
//! library decodes into its own value tree, which would then be copied into a `Row` for every
//! record. Instead, the first record with a schema id fetches that writer schema from the
//! registry and compiles a [`decode::ReadPlan`] against the declared columns (field matching,
//! promotions, unions, logical types, all resolved once); every later record with that id
//! walks the plan and the bytes straight into `Value`s. Writing compiles a
//! [`encode::WritePlan`] once, from the schema ksqlDB would register for the columns (or the
//! registered schema `*_SCHEMA_ID` names), and registers it under `<topic>-key|value` on the
//! first record. Schema JSON is parsed by [`schema`] on serde_json, which weir already has.
//!
//! When the registry cannot be reached, a record whose schema id is not known yet waits here,
//! retrying, for `unavailable_wait`; then the codec returns
//! [`FormatError::RegistryUnavailable`], which runners must not treat as the record's fault.
//! An id the registry does not know is the record's fault (ksqlDB sends it to the processing
//! log).

mod binary;
mod decode;
mod default;
mod encode;
mod schema;

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use self::decode::{Input, ReadPlan};
use self::encode::WritePlan;
use self::schema::Avro;
use super::{Encoded, Format, FormatError, RegistryBinding, Role};
use crate::registry::{self, NewSchema, RegistryError, SchemaKind, SchemaRegistry};
use crate::types::{Row, SqlType, Value};

pub(crate) use encode::DEFAULT_FULL_NAME;

/// Schema ids whose failure (unknown to the registry, unreadable as the columns) a codec
/// remembers; past this, a failing id is asked about again by each record that carries it.
const MAX_REMEMBERED_FAILURES: usize = 1024;

/// Reads and writes one side of one topic.
#[derive(Debug, Clone)]
pub(super) struct AvroCodec {
    registry: Arc<dyn SchemaRegistry>,
    topic: String,
    subject: String,
    role: Role,
    /// The declared columns as one type: their STRUCT, or the single unwrapped column's type.
    target: SqlType,
    unwrapped: bool,
    full_name: String,
    /// `*_SCHEMA_ID`: write with this registered schema instead of registering one.
    schema_id: Option<u32>,
    unavailable_wait: Duration,
    /// Compiled read plans by writer schema id (a failure is kept too: it fails every record).
    readers: HashMap<u32, Result<Arc<ReadPlan>, FormatError>>,
    /// Which columns the query reads, when it said so: plans leave unread STRINGs NULL.
    read: Option<Vec<bool>>,
    /// The schema id and plan records are written with, made on the first write.
    writer: Arc<OnceLock<(u32, WritePlan)>>,
}

impl AvroCodec {
    /// `target`: the row's payload type (the single column's type when `unwrapped`).
    pub(super) fn new(
        role: Role,
        target: SqlType,
        unwrapped: bool,
        binding: &RegistryBinding,
    ) -> AvroCodec {
        AvroCodec {
            registry: binding.registry.clone(),
            topic: binding.topic.clone(),
            subject: registry::subject(&binding.topic, role == Role::Key),
            role,
            target,
            unwrapped,
            full_name: binding
                .full_name
                .clone()
                .unwrap_or_else(|| DEFAULT_FULL_NAME.to_string()),
            schema_id: binding.schema_id,
            unavailable_wait: binding.unavailable_wait,
            readers: HashMap::new(),
            read: None,
            writer: Arc::new(OnceLock::new()),
        }
    }

    /// Plans compiled from now on leave the STRING columns `read` marks unread NULL.
    pub(super) fn skip_unread_strings(&mut self, read: &[bool]) {
        if !self.unwrapped {
            self.read = Some(read.to_vec());
            self.readers.clear();
        }
    }

    fn side(&self) -> &'static str {
        self.role.word()
    }

    pub(super) fn deserialize(&mut self, bytes: &[u8]) -> Result<Option<Row>, FormatError> {
        let id = match bytes {
            [0, a, b, c, d, ..] => u32::from_be_bytes([*a, *b, *c, *d]),
            _ => {
                return Err(FormatError::NotFramed {
                    format: Format::Avro,
                    got: bytes.len(),
                    first: bytes.first().copied().unwrap_or(0),
                });
            }
        };
        let plan = match self.readers.get(&id) {
            Some(plan) => plan.clone()?,
            None => {
                let compiled = self.compile_reader(id);
                // An unreachable registry is not remembered: the next record asks again.
                // Failures are remembered only while few, so garbage ids cannot grow the map.
                let keep = match &compiled {
                    Ok(_) => true,
                    Err(e) => !e.is_unavailable() && self.readers.len() < MAX_REMEMBERED_FAILURES,
                };
                if keep {
                    self.readers.insert(id, compiled.clone());
                }
                compiled?
            }
        };
        let mut input = Input { bytes, pos: 5 };
        let payload = |e: decode::DecodeError| FormatError::Avro {
            schema_id: id,
            offset: e.offset,
            reason: e.reason,
        };
        if !self.unwrapped
            && let Some(row) = plan.read_row(&mut input)
        {
            return row.map(Some).map_err(payload);
        }
        let value = plan.read(&mut input).map_err(payload)?;
        if self.unwrapped {
            return Ok(Some(vec![value]));
        }
        match value {
            // A writer schema of ["null", record]: a null is no row.
            Value::Struct(fields) => Ok(Some(fields.to_vec())),
            Value::Null => Ok(None),
            _ => Err(FormatError::SchemaMismatch {
                context: format!("schema id {id}"),
                reason: "the record is not an AVRO record".into(),
            }),
        }
    }

    fn compile_reader(&self, id: u32) -> Result<Arc<ReadPlan>, FormatError> {
        let context = || {
            format!(
                "schema id {id} of a {} on topic {}",
                self.side(),
                self.topic
            )
        };
        let schema = self.wait_for(&context, || self.registry.schema_by_id(id))?;
        if schema.kind != SchemaKind::Avro {
            return Err(FormatError::SchemaMismatch {
                context: context(),
                reason: format!("the registered schema is {}, not AVRO", schema.kind.name()),
            });
        }
        let writer = Avro::parse(&schema.text, &schema.resolved).map_err(|reason| {
            FormatError::SchemaMismatch {
                context: context(),
                reason,
            }
        })?;
        let mut plan = decode::compile(&writer, &self.target, self.side()).map_err(|reason| {
            FormatError::SchemaMismatch {
                context: context(),
                reason,
            }
        })?;
        if let Some(read) = &self.read {
            plan.skip_unread(read);
        }
        Ok(Arc::new(plan))
    }

    /// Runs a registry call through [`super::registry_wait::wait_for`] with this side's wait.
    fn wait_for<T>(
        &self,
        context: &dyn Fn() -> String,
        call: impl Fn() -> Result<T, RegistryError>,
    ) -> Result<T, FormatError> {
        super::registry_wait::wait_for(self.unavailable_wait, context, call)
    }

    pub(super) fn serialize(
        &self,
        row: &[Value],
        out: &mut Vec<u8>,
    ) -> Result<Encoded, FormatError> {
        if self.unwrapped && row[0].is_null() {
            return Ok(Encoded::Null);
        }
        let (id, plan) = match self.writer.get() {
            Some(writer) => writer,
            None => {
                let made = self.make_writer()?;
                self.writer.get_or_init(|| made)
            }
        };
        out.extend_from_slice(&[0]);
        out.extend_from_slice(&id.to_be_bytes());
        let result = if self.unwrapped {
            plan.write(&row[0], out)
        } else {
            plan.write_row(row, out)
        };
        result.map_err(|reason| FormatError::SchemaMismatch {
            context: format!(
                "writing a {} to topic {} with schema id {id}",
                self.side(),
                self.topic
            ),
            reason,
        })?;
        Ok(Encoded::Bytes)
    }

    /// Registers the schema this side writes with now rather than at the first record (the
    /// `*_SCHEMA_ID` schema is only looked up), and returns its id.
    pub(super) fn register_schema(&self) -> Result<u32, FormatError> {
        let (id, _) = match self.writer.get() {
            Some(writer) => writer,
            None => {
                let made = self.make_writer()?;
                self.writer.get_or_init(|| made)
            }
        };
        Ok(*id)
    }

    /// The schema id and plan this side writes with: the `*_SCHEMA_ID` schema, or the schema
    /// of the columns, registered under the topic's subject.
    fn make_writer(&self) -> Result<(u32, WritePlan), FormatError> {
        let context = || format!("subject {} of topic {}", self.subject, self.topic);
        let (id, writer) = match self.schema_id {
            Some(id) => {
                let schema = self.wait_for(&context, || self.registry.schema_by_id(id))?;
                let parsed = Avro::parse(&schema.text, &schema.resolved).map_err(|reason| {
                    FormatError::SchemaMismatch {
                        context: format!("schema id {id}"),
                        reason,
                    }
                })?;
                (id, parsed)
            }
            None => {
                let text = encode::sink_schema(&self.target, &self.full_name).to_string();
                let parsed =
                    Avro::parse(&text, &[]).map_err(|reason| FormatError::SchemaMismatch {
                        context: context(),
                        reason,
                    })?;
                let schema = NewSchema {
                    kind: SchemaKind::Avro,
                    text,
                    references: Vec::new(),
                };
                let id =
                    self.wait_for(&context, || self.registry.register(&self.subject, &schema))?;
                (id, parsed)
            }
        };
        let plan = encode::compile(&writer, &self.target, self.side()).map_err(|reason| {
            FormatError::SchemaMismatch {
                context: format!("schema id {id} for {}", context()),
                reason,
            }
        })?;
        Ok((id, plan))
    }
}

#[cfg(test)]
mod tests;
