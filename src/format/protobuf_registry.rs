//! PROTOBUF with Schema Registry behind [`RowSerde`](super::RowSerde): the registry half of
//! the format, around the registry-free codec of [`protobuf`](super::protobuf).
//!
//! Reading: a record's Confluent header gives its schema id and message indexes. The first
//! record with a given (id, indexes) fetches the schema and its references through the
//! binding's registry (the registry client caches by id, so each id is fetched once), picks the
//! message the indexes name and compiles a [`ProtobufCodec`] for the declared columns; later
//! records with the same pair reuse it. Writing: the first record registers the schema ksqlDB
//! derives from the columns ([`columns::schema_for`], message `ConnectDefault1`) under
//! `<topic>-key|value`, or fetches the `*_SCHEMA_ID` schema and writes its
//! `*_SCHEMA_FULL_NAME` message (the first message when not named).
//!
//! As for AVRO, an unreachable registry makes the record wait, then gives
//! [`FormatError::RegistryUnavailable`] (retried by runners); an id the registry does not know,
//! or a schema that cannot be read as the columns, is the record's fault.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use super::protobuf::{self, Framing, NullableRepresentation, ProtoSchema, ProtobufCodec, columns};
use super::registry_wait::wait_for;
use super::{Encoded, FormatError, RegistryBinding, Role, SerdeColumn};
use crate::registry::{self, NewSchema, Schema, SchemaKind, SchemaRegistry};
use crate::types::{Row, SqlType, Value};

/// (schema id, message indexes) pairs whose failure a codec remembers; past this, a failing
/// pair is asked about again by each record that carries it.
const MAX_REMEMBERED_FAILURES: usize = 1024;

type Reader = Result<Arc<ProtobufCodec>, FormatError>;

/// Reads and writes one side of one topic in PROTOBUF.
#[derive(Debug, Clone)]
pub(super) struct ProtobufRegistryCodec {
    registry: Arc<dyn SchemaRegistry>,
    topic: String,
    subject: String,
    role: Role,
    columns: Vec<SerdeColumn>,
    full_name: Option<String>,
    schema_id: Option<u32>,
    nullable: NullableRepresentation,
    unavailable_wait: Duration,
    /// Compiled readers by (writer schema id, message indexes); failures are kept too.
    readers: HashMap<(u32, Vec<i32>), Reader>,
    /// Which columns the query reads, when it said so: readers leave unread STRINGs NULL.
    read: Option<Vec<bool>>,
    /// The codec records are written with, made on the first write.
    writer: Arc<OnceLock<ProtobufCodec>>,
}

impl ProtobufRegistryCodec {
    pub(super) fn new(
        role: Role,
        columns: &[SerdeColumn],
        nullable: NullableRepresentation,
        binding: &RegistryBinding,
    ) -> ProtobufRegistryCodec {
        ProtobufRegistryCodec {
            registry: binding.registry.clone(),
            topic: binding.topic.clone(),
            subject: registry::subject(&binding.topic, role == Role::Key),
            role,
            columns: columns.to_vec(),
            full_name: binding.full_name.clone(),
            schema_id: binding.schema_id,
            nullable,
            unavailable_wait: binding.unavailable_wait,
            readers: HashMap::new(),
            read: None,
            writer: Arc::new(OnceLock::new()),
        }
    }

    /// Readers compiled from now on leave the STRING columns `read` marks unread NULL.
    pub(super) fn skip_unread_strings(&mut self, read: &[bool]) {
        self.read = Some(read.to_vec());
        self.readers.clear();
    }

    fn side(&self) -> &'static str {
        self.role.word()
    }

    pub(super) fn deserialize(&mut self, bytes: &[u8]) -> Result<Option<Row>, FormatError> {
        let header = protobuf::read_header(bytes)?;
        let key = (header.schema_id, header.indexes);
        let codec = match self.readers.get(&key) {
            Some(codec) => codec.clone()?,
            None => {
                let compiled = self.compile_reader(key.0, &key.1);
                // An unreachable registry is not remembered: the next record asks again.
                let keep = match &compiled {
                    Ok(_) => true,
                    Err(e) => !e.is_unavailable() && self.readers.len() < MAX_REMEMBERED_FAILURES,
                };
                if keep {
                    self.readers.insert(key, compiled.clone());
                }
                compiled?
            }
        };
        let message = bytes.get(header.payload..).unwrap_or_default();
        codec.decode_message(message, header.payload).map(Some)
    }

    fn compile_reader(&self, id: u32, indexes: &[i32]) -> Reader {
        let context = || {
            format!(
                "schema id {id} of a {} on topic {}",
                self.side(),
                self.topic
            )
        };
        let schema = wait_for(self.unavailable_wait, &context, || {
            self.registry.schema_by_id(id)
        })?;
        let parsed = parse(&schema, &context)?;
        let name = parsed
            .message_at(indexes)
            .ok_or_else(|| FormatError::SchemaMismatch {
                context: context(),
                reason: format!("the schema has no message at indexes {indexes:?}"),
            })?
            .to_string();
        let framing = Framing::Confluent { schema_id: id };
        let mut codec =
            ProtobufCodec::new(&parsed, Some(&name), &self.columns, framing).map_err(|e| {
                FormatError::SchemaMismatch {
                    context: context(),
                    reason: e.to_string(),
                }
            })?;
        if let Some(read) = &self.read {
            codec.skip_unread_strings(read);
        }
        Ok(Arc::new(codec))
    }

    pub(super) fn serialize(
        &self,
        row: &[Value],
        out: &mut Vec<u8>,
    ) -> Result<Encoded, FormatError> {
        let codec = match self.writer.get() {
            Some(codec) => codec,
            None => {
                let made = self.make_writer()?;
                self.writer.get_or_init(|| made)
            }
        };
        codec.encode(row, out)?;
        Ok(Encoded::Bytes)
    }

    /// The codec this side writes with: the `*_SCHEMA_ID` schema's message, or the schema of
    /// the columns, registered under the topic's subject.
    fn make_writer(&self) -> Result<ProtobufCodec, FormatError> {
        let context = || format!("subject {} of topic {}", self.subject, self.topic);
        let mismatch = |reason: String| FormatError::SchemaMismatch {
            context: context(),
            reason,
        };
        let (id, parsed, name) = match self.schema_id {
            Some(id) => {
                let schema = wait_for(self.unavailable_wait, &context, || {
                    self.registry.schema_by_id(id)
                })?;
                (id, parse(&schema, &context)?, self.full_name.clone())
            }
            None => {
                let targets: Vec<(&str, &SqlType)> = self
                    .columns
                    .iter()
                    .map(|c| (c.name.as_str(), &c.ty))
                    .collect();
                let text = columns::schema_for(&targets, self.nullable).map_err(mismatch)?;
                let parsed = ProtoSchema::parse(&text, []).map_err(mismatch)?;
                let schema = NewSchema {
                    kind: SchemaKind::Protobuf,
                    text,
                    references: Vec::new(),
                };
                let id = wait_for(self.unavailable_wait, &context, || {
                    self.registry.register(&self.subject, &schema)
                })?;
                (id, parsed, Some(columns::ROOT.to_string()))
            }
        };
        let framing = Framing::Confluent { schema_id: id };
        ProtobufCodec::new(&parsed, name.as_deref(), &self.columns, framing)
            .map_err(|e| mismatch(format!("schema id {id}: {e}")))
    }
}

/// A registered schema as `.proto` files: the main text and its references' texts.
fn parse(schema: &Schema, context: &dyn Fn() -> String) -> Result<ProtoSchema, FormatError> {
    let mismatch = |reason: String| FormatError::SchemaMismatch {
        context: context(),
        reason,
    };
    if schema.kind != SchemaKind::Protobuf {
        return Err(mismatch(format!(
            "the registered schema is {}, not PROTOBUF",
            schema.kind.name()
        )));
    }
    let references = schema.resolved.iter().map(|(_, text)| text.as_str());
    ProtoSchema::parse(&schema.text, references).map_err(mismatch)
}
