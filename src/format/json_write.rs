//! Rows to JSON bytes as ksqlDB writes them (Kafka Connect's `JsonConverter`, schemas off,
//! decimals numeric): compact, columns and struct fields in schema order under their exact names,
//! doubles in Java's `Double.toString` form (`1.0`, `1.0E10`, `"NaN"`), decimals plain with their
//! scale (`1.10`), BYTES as base64, DATE/TIME/TIMESTAMP as numbers. Appends to the caller's buffer.

use std::io::Write as _;

use base64::Engine;

use super::error::FormatError;
use super::json_parse::JsonNode;
use super::{Encoded, SerdeColumn};
use crate::types::decimal::to_plain_string;
use crate::types::java_text::write_double;
use crate::types::{SqlType, Value};

/// Write `row` as one JSON document: an object of all columns, or the bare value of an
/// unwrapped single column (no payload when that value is NULL).
/// `members` holds what precedes each column's value ([`member_prefixes`]).
pub(super) fn serialize(
    columns: &[SerdeColumn],
    unwrapped: bool,
    members: &[Box<[u8]>],
    row: &[Value],
    out: &mut Vec<u8>,
) -> Result<Encoded, FormatError> {
    if unwrapped {
        if row[0].is_null() {
            return Ok(Encoded::Null);
        }
        write_value(&row[0], &columns[0].ty, &columns[0].name, out)?;
        return Ok(Encoded::Bytes);
    }
    for ((column, value), prefix) in columns.iter().zip(row).zip(members) {
        out.extend_from_slice(prefix);
        write_value(value, &column.ty, &column.name, out)?;
    }
    out.push(b'}');
    Ok(Encoded::Bytes)
}

/// Per column, the bytes written before its value in a wrapped row, escaped once: `{"A":`
/// for the first, `,"B":` for the others.
pub(super) fn member_prefixes(columns: &[SerdeColumn]) -> Vec<Box<[u8]>> {
    columns
        .iter()
        .enumerate()
        .map(|(index, column)| {
            let mut prefix = vec![if index == 0 { b'{' } else { b',' }];
            write_string(&column.name, &mut prefix);
            prefix.push(b':');
            prefix.into_boxed_slice()
        })
        .collect()
}

fn write_value(
    value: &Value,
    ty: &SqlType,
    column: &str,
    out: &mut Vec<u8>,
) -> Result<(), FormatError> {
    let mismatch = || FormatError::ValueTypeMismatch {
        column: column.to_string(),
        expected: ty.clone(),
    };
    match (value, ty) {
        (Value::Null, _) => out.extend_from_slice(b"null"),
        (Value::Boolean(b), SqlType::Boolean) => {
            out.extend_from_slice(if *b { b"true" } else { b"false" })
        }
        (Value::Int(v), SqlType::Int)
        | (Value::Date(v), SqlType::Date)
        | (Value::Time(v), SqlType::Time) => {
            out.extend_from_slice(itoa::Buffer::new().format(*v).as_bytes());
        }
        (Value::Bigint(v), SqlType::Bigint) | (Value::Timestamp(v), SqlType::Timestamp) => {
            out.extend_from_slice(itoa::Buffer::new().format(*v).as_bytes());
        }
        (Value::Double(v), SqlType::Double) => {
            let mut text = String::with_capacity(24);
            write_double(*v, &mut text);
            if v.is_finite() {
                out.extend_from_slice(text.as_bytes());
            } else {
                write_string(&text, out);
            }
        }
        (Value::Decimal(d), SqlType::Decimal { .. }) => {
            out.extend_from_slice(to_plain_string(d).as_bytes())
        }
        (Value::String(s), SqlType::String) => write_string(s, out),
        (Value::Bytes(b), SqlType::Bytes) => {
            out.push(b'"');
            let mut encoded = String::with_capacity(b.len().div_ceil(3) * 4);
            base64::engine::general_purpose::STANDARD.encode_string(b, &mut encoded);
            out.extend_from_slice(encoded.as_bytes());
            out.push(b'"');
        }
        (Value::Array(items), SqlType::Array(element)) => {
            out.push(b'[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                write_value(item, element, column, out)?;
            }
            out.push(b']');
        }
        (Value::Map(entries), SqlType::Map(key_type, value_type)) => {
            out.push(b'{');
            for (index, (key, entry)) in entries.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                match key {
                    Value::String(k) => write_string(k, out),
                    Value::Null => write_string("null", out),
                    other => {
                        let mut text = Vec::new();
                        write_value(other, key_type, column, &mut text)?;
                        write_string(&String::from_utf8_lossy(&text), out);
                    }
                }
                out.push(b':');
                write_value(entry, value_type, column, out)?;
            }
            out.push(b'}');
        }
        (Value::Struct(values), SqlType::Struct(fields)) => {
            if values.len() != fields.len() {
                return Err(mismatch());
            }
            out.push(b'{');
            for (index, (field, field_value)) in fields.iter().zip(values.iter()).enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                write_string(&field.name, out);
                out.push(b':');
                write_value(field_value, &field.ty, column, out)?;
            }
            out.push(b'}');
        }
        _ => return Err(mismatch()),
    }
    Ok(())
}

/// A JSON string literal with Jackson's escaping: `"` `\` and control characters; everything
/// else (including non-ASCII) is written as UTF-8.
pub(crate) fn write_string(text: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    let bytes = text.as_bytes();
    let mut run_start = 0;
    for (index, &byte) in bytes.iter().enumerate() {
        let escape: Option<&[u8]> = match byte {
            b'"' => Some(b"\\\""),
            b'\\' => Some(b"\\\\"),
            b'\n' => Some(b"\\n"),
            b'\r' => Some(b"\\r"),
            b'\t' => Some(b"\\t"),
            0x08 => Some(b"\\b"),
            0x0c => Some(b"\\f"),
            0..=0x1f => None,
            _ => continue,
        };
        out.extend_from_slice(&bytes[run_start..index]);
        match escape {
            Some(sequence) => out.extend_from_slice(sequence),
            None => {
                let _ = write!(out, "\\u{byte:04X}");
            }
        }
        run_start = index + 1;
    }
    out.extend_from_slice(&bytes[run_start..]);
    out.push(b'"');
}

/// A parsed node back to compact JSON, as Jackson re-serializes an object read into a STRING
/// column (fractional numbers in `BigDecimal.toString()` form).
pub(crate) fn write_node(node: &JsonNode<'_>, out: &mut Vec<u8>) {
    match node {
        JsonNode::Null => out.extend_from_slice(b"null"),
        JsonNode::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        JsonNode::Number(n) => out.extend_from_slice(super::json::number_as_text(n).as_bytes()),
        JsonNode::String(s) => write_string(s, out),
        JsonNode::Array(items) => {
            out.push(b'[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                write_node(item, out);
            }
            out.push(b']');
        }
        JsonNode::Object(members) => {
            out.push(b'{');
            let mut first = true;
            for (name, member) in super::json::object_node(members) {
                if !first {
                    out.push(b',');
                }
                first = false;
                write_string(name, out);
                out.push(b':');
                write_node(member, out);
            }
            out.push(b'}');
        }
    }
}
