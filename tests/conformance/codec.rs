//! Test-side encoding of QTT `inputs` into topic bytes and decoding of our output bytes back
//! into the JSON shape QTT `outputs` use, per the topic's formats; and JSON comparison where
//! numbers compare by value.
//!
//! KAFKA, JSON and DELIMITED sides map QTT JSON to bytes directly. Every other format (the
//! Schema Registry formats) goes through a row, as ksqlDB's harness serializes JSON-given
//! records into AVRO and the like: QTT JSON is read into a row by weir's JSON serde for the
//! same columns, and that row is written by the side's own serde with the case's registry;
//! outputs come back the same way. The runner knows no registry format by name. How the
//! decoded JSON is compared with the expected records is `expected.rs`'s business.

use std::sync::Arc;

use weir::analyze::{FormatInfo, Schema};
use weir::format::{Format, RegistryBinding, Role, RowSerde, SerdeColumn, SerdeOptions};
use weir::registry::SchemaRegistry;
use weir::types::{SqlType, StructField, Value};

use serde_json::Value as Json;

/// One side of a topic as a source or sink declares it.
pub struct Side {
    pub format: FormatInfo,
    pub columns: Vec<SerdeColumn>,
    pub role: Role,
    /// The case's registry, for the formats that read and write through one.
    pub registry: Option<RegistryBinding>,
}

impl Side {
    pub fn of(schema: &Schema, format: &FormatInfo, role: Role) -> Side {
        let columns = schema
            .columns
            .iter()
            .filter(|c| match role {
                Role::Key => c.is_key(),
                Role::Value => c.namespace == weir::analyze::Namespace::Value,
            })
            .map(|c| SerdeColumn::new(c.name.clone(), c.ty.clone()))
            .collect();
        Side {
            format: format.clone(),
            columns,
            role,
            registry: None,
        }
    }

    /// This side of `topic`, reading and writing registry formats through `registry`.
    /// Inputs are written with the schema registered for the topic's subject, when there is
    /// one (as ksqlDB's harness writes with the case's topic schema), else with a schema of
    /// the declared columns that the serde registers.
    pub fn with_registry(mut self, topic: &str, registry: Arc<dyn SchemaRegistry>) -> Side {
        let subject = weir::registry::subject(topic, self.role == Role::Key);
        let registered = registry.latest(&subject).ok().map(|(id, _)| id);
        self.registry = Some(RegistryBinding {
            registry,
            topic: topic.to_owned(),
            schema_id: self.format.schema_id.or(registered),
            full_name: self.format.full_name.clone(),
            unavailable_wait: std::time::Duration::ZERO,
        });
        self
    }

    fn serde(&self) -> Result<RowSerde, String> {
        self.serde_as(self.format.format, self.role)
    }

    /// The JSON serde QTT records pass through. A key of a format that cannot write one
    /// column bare is a message in QTT too (`{"F1": 1}`), so its JSON is an object, as a
    /// value's is.
    fn json_serde(&self) -> Result<RowSerde, String> {
        let role = if self.format.format.unwraps_single_column() {
            self.role
        } else {
            Role::Value
        };
        self.serde_as(Format::Json, role)
    }

    fn serde_as(&self, format: Format, role: Role) -> Result<RowSerde, String> {
        let options = SerdeOptions {
            wrap_single_value: self.format.wrap_single_value,
            delimiter: self
                .format
                .delimiter
                .as_deref()
                .map(weir::format::Delimiter::parse)
                .transpose()
                .map_err(|e| e.to_string())?,
            nullable: self.format.nullable,
        };
        RowSerde::with_registry(
            format,
            role,
            self.columns.clone(),
            &options,
            self.registry.as_ref(),
        )
        .map_err(|e| e.to_string())
    }

    /// Registers the schema this side writes with, as ksqlDB does for a created source.
    pub fn register_schema(&self) -> Result<(), String> {
        self.serde()?
            .register_schema()
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// The SQL type of this side's QTT JSON: the columns as a STRUCT when the side writes an
    /// object, the one column's type when it writes it bare, and none for the text formats
    /// (DELIMITED, NONE), whose records QTT gives as strings.
    pub fn json_shape(&self) -> Option<SqlType> {
        let single = self.columns.len() == 1;
        let bare = match self.format.format {
            Format::Delimited | Format::None => return None,
            Format::Kafka => single,
            format => {
                single
                    && format.unwraps_single_column()
                    && (self.role == Role::Key || self.format.wrap_single_value == Some(false))
            }
        };
        if bare {
            return self.columns.first().map(|c| c.ty.clone());
        }
        let fields = self
            .columns
            .iter()
            .map(|c| StructField {
                name: c.name.clone(),
                ty: c.ty.clone(),
            })
            .collect();
        Some(SqlType::Struct(fields))
    }

    /// Whether ksqlDB's harness reads this side through Kafka Connect (every format but JSON,
    /// KAFKA, DELIMITED and NONE), which gives BYTES as buffers rather than text.
    pub fn read_through_connect(&self) -> bool {
        !self.direct()
    }

    /// Whether this side's records are JSON text written as the case gives them (the JSON
    /// format), so that an input may be written from its text as written (`raw.rs`).
    pub fn writes_json_text(&self) -> bool {
        self.format.format == Format::Json
    }

    /// Whether this side is mapped to bytes directly rather than through a row.
    fn direct(&self) -> bool {
        matches!(
            self.format.format,
            Format::Kafka | Format::Json | Format::Delimited | Format::None
        )
    }

    /// QTT JSON through a row: read by the JSON serde, written by this side's serde.
    fn encode_via_row(&self, json: &Json) -> Result<Option<Vec<u8>>, String> {
        match self.input_side() {
            Some(side) => side.encode_declared(json),
            None => self.encode_declared(json),
        }
    }

    fn encode_declared(&self, json: &Json) -> Result<Option<Vec<u8>>, String> {
        let text = json.to_string();
        let row = self
            .json_serde()?
            .deserialize(Some(text.as_bytes()))
            .map_err(|e| format!("input {text} as the columns: {e}"))?;
        let Some(row) = row else {
            return Ok(None);
        };
        let mut out = Vec::new();
        match self.serde()?.serialize(&row, &mut out) {
            Ok(weir::format::Encoded::Null) => Ok(None),
            Ok(_) => Ok(Some(out)),
            Err(e) => Err(format!("input {text}: {e}")),
        }
    }

    /// The side ksqlDB's harness reads `bytes` through. Its registry deserializers return
    /// every field of the writer's schema, so a sink written with a declared `*_SCHEMA_ID`
    /// shows the fields no column supplies too (with the default the writer filled in): such
    /// a record is read with the columns of the schema its header names. Otherwise, and when
    /// that schema is one unwrapped column, this side as declared.
    fn writer_side(&self, bytes: &[u8]) -> Option<Side> {
        self.format.schema_id?;
        let id = u32::from_be_bytes(bytes.get(1..5)?.try_into().ok()?);
        self.schema_side(id)
            .filter(|side| !(side.columns.len() == 1 && is_unwrapped_name(&side.columns[0].name)))
    }

    /// This side with the columns of the registered schema `id` (its own field names and
    /// types), or `None` when the registry or the inference has none.
    fn schema_side(&self, id: u32) -> Option<Side> {
        use weir::analyze::registry::{self as inference, InferOptions, RegisteredSchema};
        let binding = self.registry.as_ref()?;
        let schema = binding.registry.schema_by_id(id).ok()?;
        let registered = RegisteredSchema {
            text: schema.text.clone(),
            references: schema
                .resolved
                .iter()
                .map(|(name, text)| inference::SchemaReference {
                    name: name.clone(),
                    text: text.clone(),
                })
                .collect(),
        };
        let side = match self.role {
            Role::Key => inference::SchemaSide::Key,
            Role::Value => inference::SchemaSide::Value,
        };
        let options = InferOptions {
            schema_id: true,
            full_name: self.format.full_name.clone(),
            unwrap_single: self.format.wrap_single_value == Some(false),
        };
        let columns =
            inference::infer_columns(self.format.format, side, &registered, &options).ok()?;
        Some(Side {
            format: self.format.clone(),
            columns: columns
                .into_iter()
                .map(|(name, ty)| SerdeColumn::new(name, ty))
                .collect(),
            role: self.role,
            registry: self.registry.clone(),
        })
    }

    /// The side ksqlDB's harness writes an input through: its serializers write the case's
    /// JSON with the topic's registered schema itself, not with the columns a statement
    /// declares, so a record whose schema type differs from its column's (an AVRO `int`
    /// read as a STRING column, which the reader then coerces) is written as the schema
    /// says. The schema's columns are used when they are the declared ones by name (or one
    /// unwrapped value, whose JSON is that value either way) and some column is a primitive
    /// of another primitive type than the schema's (the coercions ksqlDB's readers make);
    /// otherwise the two write the same (or the declared columns say better how to read the
    /// case's JSON), and this side is used.
    fn input_side(&self) -> Option<Side> {
        let id = self.registry.as_ref()?.schema_id?;
        let side = self.schema_side(id)?;
        if side.columns.len() != self.columns.len() {
            return None;
        }
        let pairs = || side.columns.iter().zip(&self.columns);
        let unwrapped = side.columns.len() == 1 && is_unwrapped_name(&side.columns[0].name);
        let same_names = pairs().all(|(a, b)| a.name.eq_ignore_ascii_case(&b.name));
        let primitive = |ty: &SqlType| {
            matches!(
                ty,
                SqlType::Boolean
                    | SqlType::Int
                    | SqlType::Bigint
                    | SqlType::Double
                    | SqlType::String
            )
        };
        let coerced = pairs().any(|(a, b)| a.ty != b.ty && primitive(&a.ty) && primitive(&b.ty));
        let only_coerced =
            pairs().all(|(a, b)| a.ty == b.ty || (primitive(&a.ty) && primitive(&b.ty)));
        ((unwrapped || same_names) && coerced && only_coerced).then_some(side)
    }

    /// Our bytes through a row: read by this side's serde (or the writer schema's, see
    /// [`Side::writer_side`]), written by the JSON serde.
    fn decode_via_row(&self, bytes: &[u8]) -> Result<Json, String> {
        if let Some(writer) = self.writer_side(bytes) {
            return writer.decode_declared(bytes);
        }
        self.decode_declared(bytes)
    }

    fn decode_declared(&self, bytes: &[u8]) -> Result<Json, String> {
        let row = self
            .serde()?
            .deserialize(Some(bytes))
            .map_err(|e| e.to_string())?;
        let Some(row) = row else {
            return Ok(Json::Null);
        };
        let mut out = Vec::new();
        match self.json_serde()?.serialize(&row, &mut out) {
            Ok(weir::format::Encoded::Null) => Ok(Json::Null),
            Ok(_) => serde_json::from_slice(&out).map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        }
    }

    /// QTT JSON to bytes: JSON formats as JSON text, DELIMITED as the string, KAFKA through
    /// the primitive serde.
    pub fn encode(&self, json: &Json) -> Result<Option<Vec<u8>>, String> {
        if json.is_null() {
            return Ok(None);
        }
        if !self.direct() {
            return self.encode_via_row(json);
        }
        match (self.format.format, json) {
            (Format::Kafka, _) if self.columns.len() == 1 => {
                let value = json_to_value(json, &self.columns[0].ty);
                let mut out = Vec::new();
                match self.serde()?.serialize(&[value], &mut out) {
                    Ok(weir::format::Encoded::Null) => Ok(None),
                    Ok(_) => Ok(Some(out)),
                    Err(e) => Err(e.to_string()),
                }
            }
            (_, Json::String(s)) if self.format.format != Format::Json => {
                Ok(Some(s.as_bytes().to_vec()))
            }
            (Format::Json, _) => Ok(Some(json.to_string().into_bytes())),
            (_, other) => Ok(Some(plain_text(other).into_bytes())),
        }
    }

    /// Our bytes to QTT JSON.
    pub fn decode(&self, bytes: Option<&[u8]>) -> Json {
        let Some(bytes) = bytes else {
            return Json::Null;
        };
        if !self.direct() {
            return self
                .decode_via_row(bytes)
                .unwrap_or_else(|e| Json::String(format!("<undecodable: {e}>")));
        }
        match self.format.format {
            Format::Json => serde_json::from_slice(bytes)
                .unwrap_or_else(|_| Json::String(String::from_utf8_lossy(bytes).into_owned())),
            Format::Kafka if self.columns.len() == 1 => match self.serde() {
                Ok(mut serde) => match serde.deserialize(Some(bytes)) {
                    Ok(Some(row)) => row.first().map_or(Json::Null, value_to_json),
                    _ => Json::String(String::from_utf8_lossy(bytes).into_owned()),
                },
                Err(_) => Json::String(String::from_utf8_lossy(bytes).into_owned()),
            },
            _ => Json::String(String::from_utf8_lossy(bytes).into_owned()),
        }
    }
}

/// The name inference gives a side read as one unwrapped column.
fn is_unwrapped_name(name: &str) -> bool {
    name == "ROWKEY" || name == "ROWVAL"
}

fn plain_text(json: &Json) -> String {
    match json {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A QTT JSON primitive as a value of `ty` (for KAFKA-format sides).
fn json_to_value(json: &Json, ty: &SqlType) -> Value {
    match (ty, json) {
        (_, Json::Null) => Value::Null,
        (SqlType::Int, j) => j
            .as_i64()
            .or_else(|| plain_text(j).parse().ok())
            .map_or(Value::Null, |i| Value::Int(i as i32)),
        (SqlType::Bigint, j) => j
            .as_i64()
            .or_else(|| plain_text(j).parse().ok())
            .map_or(Value::Null, Value::Bigint),
        (SqlType::Double, j) => j
            .as_f64()
            .or_else(|| plain_text(j).parse().ok())
            .map_or(Value::Null, Value::Double),
        (SqlType::Boolean, Json::Bool(b)) => Value::Boolean(*b),
        // ksqlDB's harness writes a KAFKA BYTES record as the UTF-8 bytes of its text
        // (`KafkaSerdeSupplier.TestByteBufferSerializer`), and reads it back the same way.
        (SqlType::Bytes, j) => Value::bytes(plain_text(j).into_bytes()),
        (_, j) => Value::string(plain_text(j)),
    }
}

fn value_to_json(value: &Value) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Boolean(b) => Json::Bool(*b),
        Value::Int(i) => Json::from(*i),
        Value::Bigint(i) => Json::from(*i),
        Value::Double(d) => serde_json::Number::from_f64(*d).map_or(Json::Null, Json::Number),
        Value::String(s) => Json::String(s.to_string()),
        Value::Bytes(b) => Json::String(String::from_utf8_lossy(b).into_owned()),
        other => Json::String(format!("{other:?}")),
    }
}
