//! JSON payloads to rows, with ksqlDB's coercions (its `KsqlJsonDeserializer`): numbers narrow
//! like the JVM (`intValue()` wraps, fractions truncate), numeric text parses into numeric
//! columns, any scalar reads into a STRING column (objects as compact JSON, arrays as `[a, b]`),
//! DECIMAL must fit exactly, BYTES are base64, DATE/TIME/TIMESTAMP are numbers. Struct fields
//! and wrapped columns match by exact name first, then case-insensitively. Missing fields are
//! NULL. Writing lives in `json_write`.

use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use super::error::{FormatError, excerpt};
use super::json_parse::{self, JsonNode};
use super::{Format, SerdeColumn};
use crate::types::decimal::{self, to_java_string};
use crate::types::java_text::{parse_java_double, parse_java_int, parse_java_long};
use crate::types::time::MILLIS_PER_DAY;
use crate::types::{Row, SqlType, StructField, Value};

/// Base64 as Jackson reads it: standard alphabet, padding optional.
pub(crate) const BASE64_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Read one record. Wrapped rows are JSON objects keyed by column name; an unwrapped single
/// column is the bare JSON value. A JSON `null` is a NULL row when wrapped.
pub(super) fn deserialize(
    columns: &[SerdeColumn],
    unwrapped: bool,
    bytes: &[u8],
) -> Result<Option<Row>, FormatError> {
    let text = std::str::from_utf8(bytes).map_err(|e| FormatError::Malformed {
        format: Format::Json,
        offset: e.valid_up_to(),
        reason: "invalid UTF-8",
    })?;
    let node = json_parse::parse(text).map_err(|e| FormatError::Malformed {
        format: Format::Json,
        offset: e.offset,
        reason: e.reason,
    })?;
    if unwrapped {
        let column = &columns[0];
        return Ok(Some(vec![coerce(&node, &column.ty, &mut Path::root())?]));
    }
    match &node {
        JsonNode::Null => Ok(None),
        JsonNode::Object(members) => {
            let mut row = Vec::with_capacity(columns.len());
            let mut path = Path::root();
            for column in columns {
                let found = find_member(members, &column.name);
                let mark = path.push_field(&column.name);
                row.push(match found {
                    Some(member) => coerce(member, &column.ty, &mut path)?,
                    None => Value::Null,
                });
                path.restore(mark);
            }
            Ok(Some(row))
        }
        other => Err(FormatError::JsonTypeMismatch {
            path: "$".into(),
            found: other.jackson_kind(),
            expected: SqlType::Struct(
                columns
                    .iter()
                    .map(|c| StructField {
                        name: c.name.clone(),
                        ty: c.ty.clone(),
                    })
                    .collect(),
            ),
        }),
    }
}

/// The member for a field: the last one with exactly this name, else the last whose
/// upper-cased name equals it (ksqlDB upper-cases JSON names to match unquoted columns).
fn find_member<'n, 'a>(
    members: &'n [(std::borrow::Cow<'a, str>, JsonNode<'a>)],
    name: &str,
) -> Option<&'n JsonNode<'a>> {
    members
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .or_else(|| members.iter().rev().find(|(k, _)| upper_equals(k, name)))
        .map(|(_, v)| v)
}

/// `key.to_uppercase() == name`, allocation-free for ASCII names.
fn upper_equals(key: &str, name: &str) -> bool {
    if key.is_ascii() {
        key.len() == name.len()
            && key
                .bytes()
                .zip(name.bytes())
                .all(|(k, n)| k.to_ascii_uppercase() == n)
    } else {
        key.to_uppercase() == name
    }
}

/// A JSON path for messages (`$.A[3].B`), grown and shrunk while walking.
pub(crate) struct Path(String);

impl Path {
    pub(crate) fn root() -> Path {
        Path(String::from("$"))
    }
    /// Append `.name`; returns the mark to [`Path::restore`] afterwards.
    fn push_field(&mut self, name: &str) -> usize {
        let mark = self.0.len();
        self.0.push('.');
        self.0.push_str(name);
        mark
    }
    /// Append `[index]`; returns the mark to [`Path::restore`] afterwards.
    fn push_index(&mut self, index: usize) -> usize {
        use std::fmt::Write;
        let mark = self.0.len();
        let _ = write!(self.0, "[{index}]");
        mark
    }
    fn restore(&mut self, mark: usize) {
        self.0.truncate(mark);
    }
    fn text(&self) -> String {
        self.0.clone()
    }
}

fn mismatch(node: &JsonNode<'_>, expected: &SqlType, path: &Path) -> FormatError {
    FormatError::JsonTypeMismatch {
        path: path.text(),
        found: node.jackson_kind(),
        expected: expected.clone(),
    }
}

fn bad_string(expected: &SqlType, text: &str, path: &Path) -> FormatError {
    FormatError::JsonStringCoercion {
        path: path.text(),
        expected: expected.base_name(),
        text: excerpt(text),
    }
}

/// Convert one JSON node to a value of `ty`.
fn coerce(node: &JsonNode<'_>, ty: &SqlType, path: &mut Path) -> Result<Value, FormatError> {
    if let JsonNode::Null = node {
        return Ok(Value::Null);
    }
    match ty {
        SqlType::Boolean => match node {
            JsonNode::Bool(b) => Ok(Value::Boolean(*b)),
            _ => Err(mismatch(node, ty, path)),
        },
        SqlType::Int => match node {
            JsonNode::Number(n) => Ok(Value::Int(jvm_long_value(n) as i32)),
            JsonNode::String(s) => parse_java_int(s)
                .map(Value::Int)
                .ok_or_else(|| bad_string(ty, s, path)),
            _ => Err(mismatch(node, ty, path)),
        },
        SqlType::Bigint => integer_like(node, ty, path).map(Value::Bigint),
        SqlType::Timestamp => integer_like(node, ty, path).map(Value::Timestamp),
        SqlType::Date => integer_like(node, ty, path).map(|days| Value::Date(days as i32)),
        SqlType::Time => {
            let millis = integer_like(node, ty, path)?;
            if !(0..=MILLIS_PER_DAY).contains(&millis) {
                return Err(FormatError::InvalidValue {
                    path: path.text(),
                    reason: format!(
                        "Time values must use number of milliseconds greater than 0 and less than {MILLIS_PER_DAY}."
                    ),
                });
            }
            Ok(Value::Time(millis as i32))
        }
        SqlType::Double => match node {
            JsonNode::Number(n) => Ok(Value::Double(n.parse().unwrap_or(f64::NAN))),
            JsonNode::String(s) => parse_java_double(s)
                .map(Value::Double)
                .ok_or_else(|| bad_string(ty, s, path)),
            _ => Err(mismatch(node, ty, path)),
        },
        SqlType::Decimal { precision, scale } => {
            let text = match node {
                JsonNode::Number(n) => *n,
                JsonNode::String(s) => s.as_ref(),
                _ => return Err(mismatch(node, ty, path)),
            };
            let invalid = |reason: String| FormatError::InvalidValue {
                path: path.text(),
                reason,
            };
            let parsed = decimal::parse_decimal(text).map_err(|e| invalid(e.to_string()))?;
            decimal::ensure_fit(parsed, *precision, *scale)
                .map(Value::Decimal)
                .map_err(|e| invalid(e.to_string()))
        }
        SqlType::String => Ok(Value::string(string_of(node))),
        SqlType::Bytes => match node {
            JsonNode::String(s) => BASE64_LENIENT
                .decode(s.as_bytes())
                .map(Value::bytes)
                .map_err(|_| FormatError::InvalidValue {
                    path: path.text(),
                    reason: format!("Value is not a valid Base64 encoded string: {}", excerpt(s)),
                }),
            _ => Err(mismatch(node, ty, path)),
        },
        SqlType::Array(element) => {
            let JsonNode::Array(items) = node else {
                return Err(mismatch(node, ty, path));
            };
            let mut values = Vec::with_capacity(items.len());
            for (index, item) in items.iter().enumerate() {
                let mark = path.push_index(index);
                values.push(coerce(item, element, path)?);
                path.restore(mark);
            }
            Ok(Value::array(values))
        }
        SqlType::Map(_, value_type) => {
            let JsonNode::Object(members) = node else {
                return Err(mismatch(node, ty, path));
            };
            let mut entries = Vec::with_capacity(members.len());
            for (key, member) in members {
                let mark = path.push_field(key);
                entries.push((
                    Value::string(key.as_ref()),
                    coerce(member, value_type, path)?,
                ));
                path.restore(mark);
            }
            Ok(Value::map(entries))
        }
        SqlType::Struct(fields) => {
            let JsonNode::Object(members) = node else {
                return Err(mismatch(node, ty, path));
            };
            let mut values = Vec::with_capacity(fields.len());
            for field in fields {
                let mark = path.push_field(&field.name);
                values.push(match find_member(members, &field.name) {
                    Some(member) => coerce(member, &field.ty, path)?,
                    None => Value::Null,
                });
                path.restore(mark);
            }
            Ok(Value::structure(values))
        }
    }
}

/// BIGINT-backed types: a number's `asLong()`, or text parsed as a long.
fn integer_like(node: &JsonNode<'_>, ty: &SqlType, path: &Path) -> Result<i64, FormatError> {
    match node {
        JsonNode::Number(n) => Ok(jvm_long_value(n)),
        JsonNode::String(s) => parse_java_long(s).ok_or_else(|| bad_string(ty, s, path)),
        _ => Err(mismatch(node, ty, path)),
    }
}

/// Jackson's `asLong()` on an exact JSON number: the integer part (fraction dropped, exponent
/// applied), reduced to its low 64 bits as Java's `BigInteger.longValue()` does.
pub(crate) fn jvm_long_value(number: &str) -> i64 {
    let (negative, unsigned) = match number.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, number),
    };
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (
            &unsigned[..at],
            unsigned[at + 1..].parse::<i64>().unwrap_or(0),
        ),
        None => (unsigned, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = int_part.bytes().chain(frac_part.bytes());
    let int_len = int_part.len() as i64 + exponent;
    let mut result: i64 = 0;
    let mut taken: i64 = 0;
    for digit in digits {
        if taken >= int_len {
            break;
        }
        result = result
            .wrapping_mul(10)
            .wrapping_add(i64::from(digit - b'0'));
        taken += 1;
    }
    // Exponent beyond the written digits appends zeros; after 64 of them the low bits are 0.
    let mut zeros = (int_len - taken).max(0);
    while zeros > 0 && result != 0 {
        result = result.wrapping_mul(10);
        zeros -= 1;
    }
    if negative {
        result.wrapping_neg()
    } else {
        result
    }
}

/// Jackson's `asText()` of a scalar, compact JSON of an object, `[a, b]` of an array.
fn string_of(node: &JsonNode<'_>) -> String {
    match node {
        JsonNode::Null => "null".to_string(),
        JsonNode::Bool(b) => b.to_string(),
        JsonNode::String(s) => s.to_string(),
        JsonNode::Number(n) => number_as_text(n),
        JsonNode::Array(items) => {
            let parts: Vec<String> = items.iter().map(string_of).collect();
            format!("[{}]", parts.join(", "))
        }
        JsonNode::Object(_) => {
            let mut out = Vec::new();
            super::json_write::write_node(node, &mut out);
            String::from_utf8(out).unwrap_or_default()
        }
    }
}

/// An integer's canonical digits, or a fractional number as Java's `BigDecimal.toString()`.
pub(crate) fn number_as_text(number: &str) -> String {
    if !number.contains(['.', 'e', 'E']) {
        return if number == "-0" {
            "0".to_string()
        } else {
            number.to_string()
        };
    }
    match decimal::parse_decimal(number) {
        Ok(d) => to_java_string(&d),
        Err(_) => number.to_string(),
    }
}

#[cfg(test)]
#[path = "json_tests.rs"]
mod tests;
