//! JSON payloads to rows, with ksqlDB's coercions (its `KsqlJsonDeserializer`): numbers narrow
//! like the JVM (`intValue()` wraps, fractions truncate), numeric text parses into numeric
//! columns, any scalar reads into a STRING column (objects as compact JSON, arrays as `[a, b]`),
//! DECIMAL must fit exactly, BYTES are base64, DATE/TIME/TIMESTAMP are numbers. Struct fields
//! and wrapped columns match by exact name first, then case-insensitively. Missing fields are
//! NULL. A repeated name counts with its last value, as in Jackson's `ObjectNode`. Writing
//! lives in `json_write`.

use std::borrow::Cow;

use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use super::error::{FormatError, excerpt};
use super::json_parse::{self, JsonNode, TopLevel};
use super::json_row::{ReadPlan, UNSET, name_match, read_row};
use super::{Format, SerdeColumn};
use crate::types::decimal;
use crate::types::java_hash_map::hash_map_order;
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
///
/// A wrapped object is read member by member, each value coerced straight into its column,
/// so no object tree is built and nothing is looked up by name afterwards.
pub(super) fn deserialize(
    columns: &[SerdeColumn],
    unwrapped: bool,
    plan: &mut ReadPlan,
    bytes: &[u8],
) -> Result<Option<Row>, FormatError> {
    if unwrapped {
        let node = json_parse::parse(bytes).map_err(malformed)?;
        let column = &columns[0];
        return coerce_logged(&node, &column.ty, None).map(|v| Some(vec![v]));
    }
    match json_parse::parse_members(bytes).map_err(malformed)? {
        TopLevel::Object(members) => read_row(columns, plan, members).map(Some),
        TopLevel::Other(JsonNode::Null) => Ok(None),
        TopLevel::Other(other) => Err(FormatError::JsonTypeMismatch {
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

/// A syntax error as the malformed-record error it is.
pub(super) fn malformed(e: json_parse::SyntaxError) -> FormatError {
    FormatError::Malformed {
        format: Format::Json,
        offset: e.offset,
        reason: e.reason,
    }
}

/// Coerces without tracking a path; on failure coerces again with the path of `field` (or
/// the root) so the error says where.
pub(super) fn coerce_logged(
    node: &JsonNode<'_>,
    ty: &SqlType,
    field: Option<&str>,
) -> Result<Value, FormatError> {
    coerce(node, ty, &mut Path::untracked()).map_err(|untracked| {
        let mut path = Path::root();
        if let Some(name) = field {
            path.push_field(name);
        }
        coerce(node, ty, &mut path).err().unwrap_or(untracked)
    })
}

/// The member for a struct field: the last one with exactly this name, else the last whose
/// upper-cased name equals it (the same rule as top-level columns).
fn find_member<'n, 'a>(
    members: &'n [(Cow<'a, str>, JsonNode<'a>)],
    name: &str,
) -> Option<&'n JsonNode<'a>> {
    members
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        // No member has exactly this name here, so any match is an upper-cased one.
        .or_else(|| {
            members
                .iter()
                .rev()
                .find(|(k, _)| name_match(k, k.is_ascii(), name) != UNSET)
        })
        .map(|(_, v)| v)
}

/// A JSON path for messages (`$.A[3].B`), grown and shrunk while walking. An untracked path
/// records nothing (the fast first attempt; a failure is redone with a tracked one).
pub(crate) struct Path(Option<String>);

impl Path {
    pub(crate) fn root() -> Path {
        Path(Some(String::from("$")))
    }
    fn untracked() -> Path {
        Path(None)
    }
    /// Append `.name`; returns the mark to [`Path::restore`] afterwards.
    fn push_field(&mut self, name: &str) -> usize {
        let Some(path) = &mut self.0 else { return 0 };
        let mark = path.len();
        path.push('.');
        path.push_str(name);
        mark
    }
    /// Append `[index]`; returns the mark to [`Path::restore`] afterwards.
    fn push_index(&mut self, index: usize) -> usize {
        use std::fmt::Write;
        let Some(path) = &mut self.0 else { return 0 };
        let mark = path.len();
        let _ = write!(path, "[{index}]");
        mark
    }
    fn restore(&mut self, mark: usize) {
        if let Some(path) = &mut self.0 {
            path.truncate(mark);
        }
    }
    fn text(&self) -> String {
        self.0.clone().unwrap_or_default()
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
        SqlType::String => Ok(match node {
            // Straight into the shared string: no intermediate `String`.
            JsonNode::String(s) => Value::string(s.as_ref()),
            other => Value::string(string_of(other)),
        }),
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
            // Only the value a repeated key had last is read, as ksqlDB reads its ObjectNode,
            // into a `new HashMap<>(size)`, whose order the entries take.
            let unique = super::json_write::unique_members(members);
            let size = unique.len();
            let mut entries = Vec::with_capacity(size);
            for (key, member) in unique {
                let mark = path.push_field(key);
                entries.push((Value::string(key), coerce(member, value_type, path)?));
                path.restore(mark);
            }
            Ok(Value::Map(hash_map_order(entries, size).into()))
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
    // The common case: a plain integer of at most 18 digits cannot overflow.
    let digits = number.strip_prefix('-').unwrap_or(number);
    if digits.len() <= 18 {
        let mut magnitude = 0i64;
        let plain = digits.bytes().all(|b| {
            let digit = b.wrapping_sub(b'0');
            magnitude = magnitude * 10 + i64::from(digit);
            digit <= 9
        });
        if plain {
            return if digits.len() == number.len() {
                magnitude
            } else {
                -magnitude
            };
        }
    }
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
            super::json_write::write_node(node, super::json_write::Decimals::Java, &mut out);
            String::from_utf8(out).unwrap_or_default()
        }
    }
}

/// An integer's canonical digits, or a fractional number as Java's `BigDecimal.toString()`
/// (ksqlDB reads fractions as exact `BigDecimal`s: `1e3` is `1E+3`, `1.0` stays `1.0`).
pub(crate) fn number_as_text(number: &str) -> String {
    if !number.contains(['.', 'e', 'E']) {
        return if number == "-0" {
            "0".to_string()
        } else {
            number.to_string()
        };
    }
    decimal::big_decimal_text(number).unwrap_or_else(|| number.to_string())
}

/// An integer's canonical digits, or a fractional number as Java's
/// `BigDecimal.toPlainString()` (what Jackson writes with `WRITE_BIGDECIMAL_AS_PLAIN`).
pub(crate) fn number_as_plain_text(number: &str) -> String {
    if !number.contains(['.', 'e', 'E']) {
        return number_as_text(number);
    }
    match decimal::parse_decimal(number) {
        Ok(d) => decimal::to_plain_string(&d),
        Err(_) => number.to_string(),
    }
}

#[cfg(test)]
#[path = "json_tests.rs"]
mod tests;
