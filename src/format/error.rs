//! [`FormatError`]: every way a format declaration or a payload can be wrong. Declaration errors
//! carry ksqlDB's wording (conformance cases match on it); payload errors say which column or
//! JSON path, what was expected and a truncated excerpt of what was found. No topic or offset
//! here: the runtime adds those.

use thiserror::Error;

use super::Format;
use crate::types::{DecimalError, SqlType};

/// Longest excerpt of offending payload text kept in an error.
pub(crate) const EXCERPT_CHARS: usize = 64;

#[derive(Debug, Clone, PartialEq, Error)]
pub enum FormatError {
    #[error("Unknown format: {0}")]
    UnknownFormat(String),
    #[error("The '{0}' format is not supported by weir yet")]
    UnsupportedFormat(Format),
    #[error("The '{format}' format does not support type '{type_name}', column: `{column}`")]
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
