//! The DELIMITED format: one CSV record per payload, as ksqlDB reads and writes it with Apache
//! Commons CSV 1.4 (`CSVFormat.DEFAULT` with a configurable delimiter). Reading: the payload
//! decoded as Java decodes it (invalid UTF-8 becomes U+FFFD), the first non-empty line (later
//! lines must be well-formed too: ksqlDB parses every record), `"`-quoted fields with `""`
//! escapes (Java whitespace may follow the closing quote), an empty field is NULL, the field
//! count must match the columns. Writing: minimal quoting by that library's rules (notably the
//! first field is quoted when it starts with a character other than a letter or digit, so `-1`
//! as the first field is written `"-1"`), NULL as an empty field, no line terminator. Only
//! primitive types; `format::validate` refuses collections before a serde is built.

use std::fmt::Write as _;

use base64::Engine;

use super::error::{FormatError, excerpt};
use super::json::BASE64_LENIENT;
use super::{Encoded, Format, SerdeColumn};
use crate::types::decimal::{self, to_plain_string};
use crate::types::java_text::{
    is_java_whitespace, parse_java_double, parse_java_int, parse_java_long, write_double,
};
use crate::types::time::MILLIS_PER_DAY;
use crate::types::{Row, SqlType, Value};

pub(super) fn deserialize(
    columns: &[SerdeColumn],
    delimiter: u8,
    bytes: &[u8],
) -> Result<Row, FormatError> {
    // ksqlDB decodes the payload with Java's `new String(bytes, UTF_8)`, which turns each
    // malformed sequence into U+FFFD instead of failing.
    let text = String::from_utf8_lossy(bytes);
    let fields = first_record(&text, delimiter)?;
    if fields.is_empty() {
        return Err(FormatError::NoFields);
    }
    if fields.len() != columns.len() {
        return Err(FormatError::ColumnCount {
            serialization: false,
            expected: columns.len(),
            got: fields.len(),
        });
    }
    columns
        .iter()
        .zip(fields)
        .map(|(column, field)| {
            if field.is_empty() {
                Ok(Value::Null)
            } else {
                parse_field(column, &field)
            }
        })
        .collect()
}

/// The fields of the first record (none when the text holds only line breaks). The records
/// after it are read too and dropped: ksqlDB parses them all (`CSVParser.getRecords()`), so
/// a malformed later record fails the payload.
fn first_record(text: &str, delimiter: u8) -> Result<Vec<String>, FormatError> {
    let mut pos = 0;
    let first = record(text, delimiter, &mut pos)?;
    while pos < text.len() {
        record(text, delimiter, &mut pos)?;
    }
    Ok(first)
}

/// The fields of the record at `start`, skipping empty lines before it; `start` is left at
/// the line break after it (or the end). Quoted fields are unescaped.
fn record(text: &str, delimiter: u8, start: &mut usize) -> Result<Vec<String>, FormatError> {
    let bytes = text.as_bytes();
    let malformed = |offset, reason| FormatError::Malformed {
        format: Format::Delimited,
        offset,
        reason,
    };
    let mut pos = *start;
    while pos < bytes.len() && matches!(bytes[pos], b'\n' | b'\r') {
        pos += 1;
    }
    let mut fields = Vec::new();
    if pos == bytes.len() {
        *start = pos;
        return Ok(fields);
    }
    loop {
        let mut field = String::new();
        if bytes.get(pos) == Some(&b'"') {
            pos += 1;
            loop {
                let Some(&byte) = bytes.get(pos) else {
                    return Err(malformed(pos, "end of input inside a quoted field"));
                };
                if byte == b'"' {
                    if bytes.get(pos + 1) == Some(&b'"') {
                        field.push('"');
                        pos += 2;
                        continue;
                    }
                    pos += 1;
                    break;
                }
                let run = pos;
                while pos < bytes.len() && bytes[pos] != b'"' {
                    pos += 1;
                }
                field.push_str(&text[run..pos]);
            }
            // Commons CSV skips Java whitespace (other than the delimiter) after the quote.
            while let Some(c) = text[pos..].chars().next()
                && c != char::from(delimiter)
                && is_java_whitespace(c)
                && !matches!(c, '\n' | '\r')
            {
                pos += c.len_utf8();
            }
            if pos < bytes.len() && !matches!(bytes[pos], b'\n' | b'\r') && bytes[pos] != delimiter
            {
                return Err(malformed(
                    pos,
                    "invalid character between a quoted field and the delimiter",
                ));
            }
        } else {
            let run = pos;
            while pos < bytes.len()
                && bytes[pos] != delimiter
                && !matches!(bytes[pos], b'\n' | b'\r')
            {
                pos += 1;
            }
            field.push_str(&text[run..pos]);
        }
        fields.push(field);
        match bytes.get(pos) {
            Some(&b) if b == delimiter => pos += 1,
            _ => {
                *start = pos;
                return Ok(fields);
            }
        }
    }
}

fn parse_field(column: &SerdeColumn, text: &str) -> Result<Value, FormatError> {
    let invalid = || FormatError::InvalidField {
        column: column.name.clone(),
        expected: column.ty.clone(),
        text: excerpt(text),
    };
    Ok(match &column.ty {
        SqlType::Boolean => Value::Boolean(text.eq_ignore_ascii_case("true")),
        SqlType::Int => Value::Int(parse_java_int(text).ok_or_else(invalid)?),
        SqlType::Bigint => Value::Bigint(parse_java_long(text).ok_or_else(invalid)?),
        SqlType::Double => Value::Double(parse_java_double(text).ok_or_else(invalid)?),
        SqlType::String => Value::string(text),
        SqlType::Bytes => Value::bytes(BASE64_LENIENT.decode(text).map_err(|_| invalid())?),
        SqlType::Decimal { precision, scale } => {
            let parsed = decimal::parse_decimal(text).map_err(|_| invalid())?;
            let fitted = decimal::ensure_fit(parsed, *precision, *scale).map_err(|source| {
                FormatError::Decimal {
                    column: column.name.clone(),
                    source,
                }
            })?;
            Value::Decimal(fitted)
        }
        SqlType::Time => match parse_java_long(text) {
            Some(ms) if (0..=MILLIS_PER_DAY).contains(&ms) => Value::Time(ms as i32),
            _ => return Err(invalid()),
        },
        SqlType::Date => Value::Date(parse_java_int(text).ok_or_else(invalid)?),
        SqlType::Timestamp => Value::Timestamp(parse_java_long(text).ok_or_else(invalid)?),
        SqlType::Array(_) | SqlType::Map(..) | SqlType::Struct(_) => return Err(invalid()),
    })
}

pub(super) fn serialize(
    columns: &[SerdeColumn],
    delimiter: u8,
    row: &[Value],
    out: &mut Vec<u8>,
) -> Result<Encoded, FormatError> {
    let mut text = String::new();
    for (index, (column, value)) in columns.iter().zip(row).enumerate() {
        if index > 0 {
            out.push(delimiter);
        }
        if value.is_null() {
            continue;
        }
        text.clear();
        field_text(column, value, &mut text)?;
        if needs_quotes(&text, index == 0, delimiter) {
            out.push(b'"');
            for piece in text.split_inclusive('"') {
                out.extend_from_slice(piece.as_bytes());
                if piece.ends_with('"') {
                    out.push(b'"');
                }
            }
            out.push(b'"');
        } else {
            out.extend_from_slice(text.as_bytes());
        }
    }
    Ok(Encoded::Bytes)
}

fn field_text(column: &SerdeColumn, value: &Value, out: &mut String) -> Result<(), FormatError> {
    match (value, &column.ty) {
        (Value::Boolean(b), SqlType::Boolean) => out.push_str(if *b { "true" } else { "false" }),
        (Value::Int(v), SqlType::Int)
        | (Value::Date(v), SqlType::Date)
        | (Value::Time(v), SqlType::Time) => {
            let _ = write!(out, "{v}");
        }
        (Value::Bigint(v), SqlType::Bigint) | (Value::Timestamp(v), SqlType::Timestamp) => {
            let _ = write!(out, "{v}");
        }
        (Value::Double(v), SqlType::Double) => write_double(*v, out),
        (Value::Decimal(d), SqlType::Decimal { .. }) => out.push_str(&to_plain_string(d)),
        (Value::String(s), SqlType::String) => out.push_str(s),
        (Value::Bytes(b), SqlType::Bytes) => {
            base64::engine::general_purpose::STANDARD.encode_string(b, out)
        }
        _ => {
            return Err(FormatError::ValueTypeMismatch {
                column: column.name.clone(),
                expected: column.ty.clone(),
            });
        }
    }
    Ok(())
}

/// Commons CSV 1.4's minimal quoting: an empty first field; a first field not starting with a
/// letter or digit; any field starting at or below `#`, containing a line break, the delimiter
/// or a quote, or ending at or below a space.
fn needs_quotes(text: &str, first_field: bool, delimiter: u8) -> bool {
    let bytes = text.as_bytes();
    let (Some(&head), Some(&tail)) = (bytes.first(), bytes.last()) else {
        return first_field;
    };
    (first_field && !head.is_ascii_alphanumeric())
        || head <= b'#'
        || bytes
            .iter()
            .any(|&b| matches!(b, b'\n' | b'\r' | b'"') || b == delimiter)
        || tail <= b' '
}

#[cfg(test)]
#[path = "delimited_tests.rs"]
mod tests;
