//! Key and value serdes: KAFKA, JSON, DELIMITED and NONE, with ksqlDB's byte-level behaviour,
//! AVRO, PROTOBUF and JSON_SR through a Schema Registry ([`RegistryBinding`], [`avro`],
//! [`protobuf_registry`], [`json_sr`]) and PROTOBUF_NOSR from the columns alone ([`protobuf`]).
//! A [`RowSerde`] is built once per query and topic side from the format, the columns and the
//! options, validating everything ksqlDB validates; then it turns bytes into [`Row`]s and back
//! without name lookups or per-record setup. Errors are values the runtime routes
//! to the processing log (except [`FormatError::is_unavailable`] ones, which it retries); this
//! layer never panics, logs or touches Kafka. The registry formats make blocking HTTP calls
//! to the registry when they meet a schema id for the first time.

mod avro;
mod delimited;
mod error;
mod json;
pub(crate) mod json_parse;
mod json_row;
mod json_scan;
mod json_sr;
pub(crate) mod json_write;
mod kafka;
mod options;
pub mod protobuf;
mod protobuf_registry;
mod registry_wait;

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

pub use error::FormatError;
pub use options::{Delimiter, SerdeOptions};

use crate::registry::SchemaRegistry;
use crate::types::{Row, SqlType, Value};

/// A serialization format named in `KEY_FORMAT`, `VALUE_FORMAT` or `FORMAT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Format {
    Kafka,
    Json,
    Delimited,
    None,
    /// Avro with Schema Registry (needs a [`RegistryBinding`]).
    Avro,
    /// Protobuf with Schema Registry (needs a [`RegistryBinding`]).
    Protobuf,
    /// Protobuf without a registry: the schema ksqlDB derives from the columns.
    ProtobufNoSr,
    /// JSON with Schema Registry framing (needs a [`RegistryBinding`]).
    JsonSr,
}

impl Format {
    /// The upper-case name ksqlDB uses in messages.
    pub fn name(self) -> &'static str {
        match self {
            Format::Kafka => "KAFKA",
            Format::Json => "JSON",
            Format::Delimited => "DELIMITED",
            Format::None => "NONE",
            Format::Avro => "AVRO",
            Format::Protobuf => "PROTOBUF",
            Format::ProtobufNoSr => "PROTOBUF_NOSR",
            Format::JsonSr => "JSON_SR",
        }
    }

    /// Whether this format is checked by [`validate`] (the formats without a schema
    /// language). The schema formats (AVRO, PROTOBUF, PROTOBUF_NOSR, JSON_SR) are checked by
    /// the analyzer's schema translators instead; [`RowSerde::with_registry`] builds them.
    pub fn is_supported(self) -> bool {
        matches!(
            self,
            Format::Kafka | Format::Json | Format::Delimited | Format::None
        )
    }

    /// Whether a single key column (or a value with `WRAP_SINGLE_VALUE=false`) is written
    /// bare. PROTOBUF cannot: its schemas are messages, so one column is still a message
    /// with one field.
    pub fn unwraps_single_column(self) -> bool {
        !matches!(self, Format::Protobuf | Format::ProtobufNoSr)
    }

    /// Whether this format reads and writes through a Schema Registry.
    pub fn needs_registry(self) -> bool {
        matches!(self, Format::Avro | Format::Protobuf | Format::JsonSr)
    }

    /// Whether a column of this type can be carried by this format (ksqlDB's per-format rules:
    /// KAFKA takes INT, BIGINT, DOUBLE, STRING and BYTES; DELIMITED takes no collections).
    pub fn supports_type(self, ty: &SqlType) -> bool {
        match self {
            Format::Kafka => {
                matches!(
                    ty,
                    SqlType::Int
                        | SqlType::Bigint
                        | SqlType::Double
                        | SqlType::String
                        | SqlType::Bytes
                )
            }
            Format::Delimited => !ty.is_collection(),
            _ => true,
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = FormatError;

    /// Case-insensitive, surrounding whitespace ignored; unknown names give `Unknown format: FOO`.
    fn from_str(text: &str) -> Result<Format, FormatError> {
        let upper = text.trim().to_ascii_uppercase();
        Ok(match upper.as_str() {
            "KAFKA" => Format::Kafka,
            "JSON" => Format::Json,
            "DELIMITED" => Format::Delimited,
            "NONE" => Format::None,
            "AVRO" => Format::Avro,
            "PROTOBUF" => Format::Protobuf,
            "PROTOBUF_NOSR" => Format::ProtobufNoSr,
            "JSON_SR" => Format::JsonSr,
            _ => return Err(FormatError::UnknownFormat(upper)),
        })
    }
}

/// Which side of a record a serde handles. Keys with one column are always unwrapped; values
/// with one column are wrapped unless `WRAP_SINGLE_VALUE=false`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Key,
    Value,
}

impl Role {
    /// `key` or `value`, as error messages name the side.
    pub fn word(self) -> &'static str {
        match self {
            Role::Key => "key",
            Role::Value => "value",
        }
    }
}

/// The SQL type a registry codec reads into and writes from: the single column's own type
/// when unwrapped, else a STRUCT of the columns.
fn payload_type(columns: &[SerdeColumn], unwrapped: bool) -> SqlType {
    match columns {
        [only] if unwrapped => only.ty.clone(),
        _ => SqlType::Struct(
            columns
                .iter()
                .map(|c| crate::types::StructField {
                    name: c.name.clone(),
                    ty: c.ty.clone(),
                })
                .collect(),
        ),
    }
}

/// A column as the serde sees it: its name in the payload and its type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SerdeColumn {
    pub name: String,
    pub ty: SqlType,
}

impl SerdeColumn {
    pub fn new(name: impl Into<String>, ty: SqlType) -> SerdeColumn {
        SerdeColumn {
            name: name.into(),
            ty,
        }
    }
}

/// What a registry format needs to read or write one side of one topic.
#[derive(Debug, Clone)]
pub struct RegistryBinding {
    pub registry: Arc<dyn SchemaRegistry>,
    pub topic: String,
    /// `KEY_SCHEMA_ID` / `VALUE_SCHEMA_ID`: write with this registered schema.
    pub schema_id: Option<u32>,
    /// `*_SCHEMA_FULL_NAME`: the record name written schemas get.
    pub full_name: Option<String>,
    /// How long a record waits for an unreachable registry before the codec gives up with
    /// [`FormatError::RegistryUnavailable`].
    pub unavailable_wait: Duration,
}

/// What [`RowSerde::serialize`] produced: no payload at all (Kafka `null`) or bytes in the buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoded {
    Null,
    Bytes,
}

/// A serde for one side of one topic, built once and used for every record.
#[derive(Debug, Clone)]
pub struct RowSerde {
    format: Format,
    columns: Vec<SerdeColumn>,
    codec: Codec,
}

#[derive(Debug, Clone)]
enum Codec {
    /// No columns: nothing is read or written (NONE, or a keyless key).
    Empty,
    Kafka,
    Json {
        unwrapped: bool,
        /// How a wrapped row is read (see [`RowSerde::skip_unread_strings`]).
        plan: json_row::ReadPlan,
        /// What a wrapped row writes before each column's value.
        members: Vec<Box<[u8]>>,
    },
    Delimited {
        delimiter: u8,
    },
    Avro(Box<avro::AvroCodec>),
    Protobuf(Box<protobuf_registry::ProtobufRegistryCodec>),
    ProtobufNoSr(Box<protobuf::ProtobufCodec>),
    JsonSr(Box<json_sr::JsonSrCodec>),
}

impl RowSerde {
    /// Validate the columns and options for this format and side, and build the serde.
    pub fn new(
        format: Format,
        role: Role,
        columns: Vec<SerdeColumn>,
        options: &SerdeOptions,
    ) -> Result<RowSerde, FormatError> {
        RowSerde::with_registry(format, role, columns, options, None)
    }

    /// [`RowSerde::new`] for any format: the registry formats need `registry`.
    pub fn with_registry(
        format: Format,
        role: Role,
        columns: Vec<SerdeColumn>,
        options: &SerdeOptions,
        registry: Option<&RegistryBinding>,
    ) -> Result<RowSerde, FormatError> {
        let single = columns.len() == 1;
        if format.needs_registry() || format == Format::ProtobufNoSr {
            validate_registry_format(format, role, &columns, options)?;
            let unwrapped =
                single && (role == Role::Key || options.wrap_single_value == Some(false));
            let nullable = options.nullable.unwrap_or_default();
            let codec = match (format, registry) {
                _ if columns.is_empty() => Codec::Empty,
                (Format::ProtobufNoSr, _) => Codec::ProtobufNoSr(Box::new(
                    protobuf::ProtobufCodec::nosr(&columns, nullable)?,
                )),
                (_, None) => return Err(FormatError::NoRegistry(format)),
                (Format::Avro, Some(binding)) => Codec::Avro(Box::new(avro::AvroCodec::new(
                    role,
                    payload_type(&columns, unwrapped),
                    unwrapped,
                    binding,
                ))),
                (Format::JsonSr, Some(binding)) => Codec::JsonSr(Box::new(
                    json_sr::JsonSrCodec::new(role, &columns, unwrapped, binding),
                )),
                (_, Some(binding)) => {
                    Codec::Protobuf(Box::new(protobuf_registry::ProtobufRegistryCodec::new(
                        role, &columns, nullable, binding,
                    )))
                }
            };
            return Ok(RowSerde {
                format,
                columns,
                codec,
            });
        }
        validate(format, role, &columns, options)?;
        let codec = match format {
            _ if columns.is_empty() => Codec::Empty,
            Format::Kafka => Codec::Kafka,
            Format::Json => Codec::Json {
                unwrapped: single
                    && (role == Role::Key || options.wrap_single_value == Some(false)),
                plan: json_row::ReadPlan::new(&columns),
                members: json_write::member_prefixes(&columns),
            },
            Format::Delimited => Codec::Delimited {
                delimiter: options.delimiter.unwrap_or_default().byte(),
            },
            _ => return Err(FormatError::UnsupportedFormat(format)),
        };
        Ok(RowSerde {
            format,
            columns,
            codec,
        })
    }

    /// Tells a wrapped JSON, AVRO or PROTOBUF reader which columns the query reads (`read`,
    /// one per column): unread STRING columns are then left NULL instead of being copied out
    /// of every record. Any JSON value reads into a STRING, and an unread AVRO or PROTOBUF
    /// string is still checked to be UTF-8, so no record that failed before passes now, or the reverse; unread
    /// columns of other types are still read and checked. Other formats, and a `read` of the
    /// wrong length, are left as they are.
    pub fn skip_unread_strings(&mut self, read: &[bool]) {
        if read.len() != self.columns.len() {
            return;
        }
        match &mut self.codec {
            Codec::Json {
                unwrapped: false,
                plan,
                ..
            } => plan.skip_unread_strings(&self.columns, read),
            Codec::Avro(codec) => codec.skip_unread_strings(read),
            Codec::Protobuf(codec) => codec.skip_unread_strings(read),
            Codec::ProtobufNoSr(codec) => codec.skip_unread_strings(read),
            _ => {}
        }
    }

    pub fn format(&self) -> Format {
        self.format
    }

    /// Registers the schema this side writes with, as ksqlDB does when a statement creates a
    /// source or sink, instead of with the first record; returns its id. `None` for formats
    /// without a registry and for a side with no columns.
    pub fn register_schema(&self) -> Result<Option<u32>, FormatError> {
        match &self.codec {
            Codec::Avro(codec) => codec.register_schema().map(Some),
            _ => Ok(None),
        }
    }

    pub fn columns(&self) -> &[SerdeColumn] {
        &self.columns
    }

    /// Bytes to a row. `None` in (a Kafka null) gives `None` out: a tombstone for values, all-NULL
    /// columns for keys. A JSON `null` payload is also `None` unless the single column is unwrapped.
    /// Takes `&mut self` because a JSON reader learns the member names its records use.
    pub fn deserialize(&mut self, bytes: Option<&[u8]>) -> Result<Option<Row>, FormatError> {
        let Some(bytes) = bytes else {
            return Ok(None);
        };
        match &mut self.codec {
            Codec::Empty => Ok(Some(Row::new())),
            Codec::Kafka => kafka::deserialize(&self.columns[0], bytes).map(|v| Some(vec![v])),
            Codec::Json {
                unwrapped, plan, ..
            } => json::deserialize(&self.columns, *unwrapped, plan, bytes),
            Codec::Delimited { delimiter } => {
                delimited::deserialize(&self.columns, *delimiter, bytes).map(Some)
            }
            Codec::Avro(codec) => codec.deserialize(bytes),
            Codec::Protobuf(codec) => codec.deserialize(bytes),
            Codec::ProtobufNoSr(codec) => codec.decode(bytes).map(Some),
            Codec::JsonSr(codec) => codec.deserialize(&self.columns, bytes),
        }
    }

    /// A row to bytes, appended to `out` (which the caller clears and reuses). Returns
    /// [`Encoded::Null`] when the record must carry no payload: no columns, or a single
    /// unwrapped / KAFKA column that is NULL. A NULL row is the caller's business: it is a
    /// Kafka null and never reaches the serde.
    pub fn serialize(&self, row: &[Value], out: &mut Vec<u8>) -> Result<Encoded, FormatError> {
        if matches!(self.codec, Codec::Empty) {
            return Ok(Encoded::Null);
        }
        if row.len() != self.columns.len() {
            return Err(FormatError::ColumnCount {
                serialization: true,
                expected: self.columns.len(),
                got: row.len(),
            });
        }
        match &self.codec {
            Codec::Empty => Ok(Encoded::Null),
            Codec::Kafka => kafka::serialize(&self.columns[0], &row[0], out),
            Codec::Json {
                unwrapped, members, ..
            } => json_write::serialize(&self.columns, *unwrapped, members, row, out),
            Codec::Delimited { delimiter } => {
                delimited::serialize(&self.columns, *delimiter, row, out)
            }
            Codec::Avro(codec) => codec.serialize(row, out),
            Codec::Protobuf(codec) => codec.serialize(row, out),
            Codec::ProtobufNoSr(codec) => codec.encode(row, out).map(|()| Encoded::Bytes),
            Codec::JsonSr(codec) => codec.serialize(&self.columns, row, out),
        }
    }
}

/// Everything ksqlDB checks when a source or sink is declared with this format.
pub fn validate(
    format: Format,
    role: Role,
    columns: &[SerdeColumn],
    options: &SerdeOptions,
) -> Result<(), FormatError> {
    if !format.is_supported() {
        return Err(FormatError::UnsupportedFormat(format));
    }
    if format == Format::None && !columns.is_empty() {
        return Err(FormatError::NoneWithColumns {
            columns: list_columns(columns, role),
        });
    }
    if role == Role::Key
        && let Some(column) = columns.iter().find(|c| c.ty.contains_map())
    {
        return Err(FormatError::MapInKey {
            column: column.name.clone(),
            ty: column.ty.clone(),
        });
    }
    if let Some(wrap) = options.wrap_single_value {
        if matches!(format, Format::Kafka | Format::Delimited) && wrap {
            return Err(FormatError::WrapSingleValueUnsupported { format });
        }
        if role == Role::Value && columns.len() != 1 {
            return Err(FormatError::WrapSingleValueNeedsOneField);
        }
    }
    if format == Format::Kafka && columns.len() > 1 {
        return Err(FormatError::SingleFieldOnly {
            format,
            columns: list_columns(columns, role),
        });
    }
    for column in columns {
        if let Some(bad) = first_unsupported(format, &column.ty) {
            return Err(FormatError::UnsupportedType {
                format,
                type_name: bad,
                column: column.name.clone(),
            });
        }
        if format == Format::Json && has_non_string_map_key(&column.ty) {
            return Err(FormatError::JsonMapKeyNotString);
        }
    }
    if options.delimiter.is_some() && format != Format::Delimited {
        return Err(FormatError::UnsupportedProperty {
            format,
            property: "delimiter",
        });
    }
    Ok(())
}

/// What [`validate`] checks that applies to a registry format: the schema translators
/// (`analyze::registry::checks`) have already checked its types and names.
fn validate_registry_format(
    format: Format,
    role: Role,
    columns: &[SerdeColumn],
    options: &SerdeOptions,
) -> Result<(), FormatError> {
    if role == Role::Key
        && let Some(column) = columns.iter().find(|c| c.ty.contains_map())
    {
        return Err(FormatError::MapInKey {
            column: column.name.clone(),
            ty: column.ty.clone(),
        });
    }
    if options.wrap_single_value.is_some() && role == Role::Value && columns.len() != 1 {
        return Err(FormatError::WrapSingleValueNeedsOneField);
    }
    if options.delimiter.is_some() {
        return Err(FormatError::UnsupportedProperty {
            format,
            property: "delimiter",
        });
    }
    Ok(())
}

fn first_unsupported(format: Format, ty: &SqlType) -> Option<&'static str> {
    if !format.supports_type(ty) {
        return Some(ty.base_name());
    }
    None
}

fn has_non_string_map_key(ty: &SqlType) -> bool {
    match ty {
        SqlType::Map(key, value) => **key != SqlType::String || has_non_string_map_key(value),
        SqlType::Array(element) => has_non_string_map_key(element),
        SqlType::Struct(fields) => fields.iter().any(|f| has_non_string_map_key(&f.ty)),
        _ => false,
    }
}

/// ksqlDB's rendering of a column list in messages: ``[`K` STRING KEY, `V` INTEGER]``.
fn list_columns(columns: &[SerdeColumn], role: Role) -> String {
    let suffix = if role == Role::Key { " KEY" } else { "" };
    let items: Vec<String> = columns
        .iter()
        .map(|c| format!("`{}` {}{}", c.name, c.ty, suffix))
        .collect();
    format!("[{}]", items.join(", "))
}

#[cfg(test)]
mod protobuf_registry_tests;
#[cfg(test)]
mod tests;
