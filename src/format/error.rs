//! [`FormatError`]: every way a format declaration or a payload can be wrong. Declaration errors
//! carry ksqlDB's wording (conformance cases match on it); payload errors say which column or
//! JSON path, what was expected and a truncated excerpt of what was found. No topic or offset
//! here: the runtime adds those.

use thiserror::Error;

use super::Format;
use crate::registry::RegistryError;
use crate::types::{DecimalError, SqlType};

/// Longest excerpt of offending payload text kept in an error.
pub(crate) const EXCERPT_CHARS: usize = 64;

#[derive(Debug, Clone, PartialEq, Error)]
pub enum FormatError {
    #[error("Unknown format: {0}")]
    UnknownFormat(String),
    #[error("The '{0}' format is not supported by weir yet")]
    UnsupportedFormat(Format),
    /// KAFKA's `KafkaSerdeFactory` names the type alone; DELIMITED's deserializer adds the
    /// column.
    #[error("The '{format}' format does not support type '{type_name}'{}", column_suffix(.format, .column))]
    UnsupportedType {
        format: Format,
        type_name: &'static str,
        column: String,
    },
    #[error("The '{format}' format only supports a single field. Got: {columns}")]
    SingleFieldOnly { format: Format, columns: String },
    #[error("The 'NONE' format can only be used when no columns are defined. Got: {columns}")]
    NoneWithColumns { columns: String },
    #[error("Format '{format}' does not support 'WRAP_SINGLE_VALUE' set to 'true'.")]
    WrapSingleValueUnsupported { format: Format },
    #[error("'WRAP_SINGLE_VALUE' is only valid for single-field value schemas")]
    WrapSingleValueNeedsOneField,
    #[error("JSON only supports MAP types with STRING keys")]
    JsonMapKeyNotString,
    #[error(
        "Map keys, including types that contain maps, are not supported as they may lead to \
         unexpected behavior due to inconsistent serialization. Key column name: `{column}`. \
         Column type: {ty}. See https://github.com/confluentinc/ksql/issues/6621 for more."
    )]
    MapInKey { column: String, ty: SqlType },
    #[error("{format} does not support the following configs: [{property}]")]
    UnsupportedProperty {
        format: Format,
        property: &'static str,
    },
    #[error(
        "Delimiter cannot be empty, if you meant to have a tab or space for delimiter, please use \
         the special values 'TAB' or 'SPACE'\nExample valid value: ';'"
    )]
    EmptyDelimiter,
    #[error(
        "Invalid delimiter value: '{0}'. Delimiter must be a single character or TAB,SPACE\n\
         Example valid value: ';'"
    )]
    InvalidDelimiter(String),
    /// A delimiter ksqlDB's CSV library (Commons CSV's `CSVFormat`) refuses to build.
    #[error("Invalid delimiter value: {0}")]
    UnusableDelimiter(&'static str),

    #[error("Invalid {format} payload at byte {offset}: {reason}")]
    Malformed {
        format: Format,
        offset: usize,
        reason: &'static str,
    },
    #[error("Can't convert type. sourceType: {found}, requiredType: {expected}, path: {path}")]
    JsonTypeMismatch {
        path: String,
        found: &'static str,
        expected: SqlType,
    },
    #[error("Can't coerce string to type. targetType: {expected}, path: {path}, text: '{text}'")]
    JsonStringCoercion {
        path: String,
        expected: &'static str,
        text: String,
    },
    #[error("Invalid value for {path}: {reason}")]
    InvalidValue { path: String, reason: String },
    #[error("Column count mismatch on {}. expected: {expected}, got: {got}", direction(.serialization))]
    ColumnCount {
        serialization: bool,
        expected: usize,
        got: usize,
    },
    #[error("No fields in record")]
    NoFields,
    #[error("Invalid {expected} in column `{column}`: '{text}'")]
    InvalidField {
        column: String,
        expected: SqlType,
        text: String,
    },
    #[error("Size of data received by {deserializer} is not {expected}: got {got} bytes")]
    WrongSize {
        deserializer: &'static str,
        expected: usize,
        got: usize,
    },
    #[error("Value of column `{column}` does not match its type {expected}")]
    ValueTypeMismatch { column: String, expected: SqlType },
    #[error("Column `{column}`: {source}")]
    Decimal {
        column: String,
        source: DecimalError,
    },

    #[error("The '{0}' format needs a Schema Registry: set schema_registry.urls in the config")]
    NoRegistry(Format),
    /// The registry could not be reached (or failed) for longer than the codec waits: not the
    /// record's fault, so it must not be skipped (see [`FormatError::is_unavailable`]).
    #[error("{context}: {source}")]
    RegistryUnavailable {
        context: String,
        source: RegistryError,
    },
    /// The registry answered, but not with a usable schema (an unknown id, refused
    /// credentials, a schema the declared columns cannot be read from or written as).
    #[error("{context}: {source}")]
    Registry {
        context: String,
        source: RegistryError,
    },
    #[error("{context}: {reason}")]
    SchemaMismatch { context: String, reason: String },
    #[error("Invalid AVRO payload written with schema id {schema_id}, at byte {offset}: {reason}")]
    Avro {
        schema_id: u32,
        offset: usize,
        reason: String,
    },
    #[error(
        "Unknown magic byte! A {format} payload starts with byte 0 and a 4-byte schema id; got {got} bytes starting {first:#04x}"
    )]
    NotFramed {
        format: Format,
        got: usize,
        first: u8,
    },
}

impl FormatError {
    /// The text ksqlDB gives when a format's serde refuses the declared columns: its
    /// `GenericSerdeFactory` wraps the refusal with the role, the format and the persistence
    /// schema (`features=[]`: neither KAFKA nor DELIMITED, the formats that refuse, take
    /// wrapping features). Other errors keep their own text.
    pub fn schema_refusal(&self, role: super::Role, columns: &[super::SerdeColumn]) -> String {
        let format = match self {
            FormatError::UnsupportedType { format, .. }
            | FormatError::SingleFieldOnly { format, .. } => format,
            _ => return self.to_string(),
        };
        let target = match role {
            super::Role::Key => "Key",
            super::Role::Value => "Value",
        };
        format!(
            "{target} format does not support schema.\nformat: {format}\n\
             schema: Persistence{{columns={}, features=[]}}\nreason: {self}",
            super::list_columns(columns, role)
        )
    }

    /// True when the record itself is fine and a later try can succeed: the runner must retry
    /// it (after restarting the task), never skip it.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, FormatError::RegistryUnavailable { .. })
    }
}

fn column_suffix(format: &Format, column: &str) -> String {
    match format {
        Format::Delimited => format!(", column: `{column}`"),
        _ => String::new(),
    }
}

fn direction(serialization: &bool) -> &'static str {
    if *serialization {
        "serialization"
    } else {
        "deserialization"
    }
}

/// At most [`EXCERPT_CHARS`] characters of `text`, marked when cut.
pub(crate) fn excerpt(text: &str) -> String {
    match text.char_indices().nth(EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}
