//! `CAST(x AS type)` with ksqlDB's rules (its `CastEvaluator` table): which casts exist
//! ([`can_cast`], for the analyzer) and what they do to a value ([`cast`], for the evaluator).
//! Narrowing wraps or saturates as the JVM does, DECIMAL targets round HALF_UP, STRING sources
//! are trimmed and parsed. Failures are `CastError` values (the evaluator turns them into NULL
//! plus a processing-log entry); nothing here panics or logs.

use std::sync::Arc;

use base64::Engine;
use thiserror::Error;

use super::decimal::{self, DecimalError};
use super::java_text::{double_to_string, parse_java_double, parse_java_int, parse_java_long};
use super::sql_type::SqlType;
use super::time::{self, TimeParseError};
use super::value::Value;

/// Why a cast is not allowed, or failed for one value.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum CastError {
    #[error("Cast of {from} to {to} is not supported")]
    Unsupported { from: SqlType, to: SqlType },
    #[error("Cannot cast '{text}' to {to}: {reason}")]
    InvalidText {
        text: String,
        to: SqlType,
        reason: &'static str,
    },
    #[error(transparent)]
    Decimal(#[from] DecimalError),
    #[error(transparent)]
    Time(#[from] TimeParseError),
    #[error("Value does not match its declared type {declared}")]
    ValueTypeMismatch { declared: SqlType },
}

/// Whether `CAST(<from> AS <to>)` is allowed. Collections are checked element by element;
/// struct fields are matched by name and only fields present in both must be castable.
pub fn can_cast(from: &SqlType, to: &SqlType) -> bool {
    use SqlType::*;
    if from == to {
        return true;
    }
    match (from, to) {
        (_, String) => !matches!(from, Bytes),
        (Int | Bigint | Decimal { .. } | Double, Int | Bigint | Decimal { .. } | Double) => true,
        (
            String,
            Boolean | Int | Bigint | Decimal { .. } | Double | Timestamp | Time | Date | Bytes,
        ) => true,
        (Timestamp, Time | Date) | (Date, Timestamp) => true,
        (Array(a), Array(b)) => can_cast(a, b),
        (Map(k1, v1), Map(k2, v2)) => can_cast(k1, k2) && can_cast(v1, v2),
        (Struct(from_fields), Struct(_)) => {
            from_fields.iter().all(|f| match to.struct_field(&f.name) {
                Some((_, target)) => can_cast(&f.ty, &target.ty),
                None => true,
            })
        }
        _ => false,
    }
}

/// Cast `value` (of type `from`) to `to`. NULL casts to NULL.
pub fn cast(value: &Value, from: &SqlType, to: &SqlType) -> Result<Value, CastError> {
    if value.is_null() || from == to {
        return Ok(value.clone());
    }
    if !can_cast(from, to) {
        return Err(CastError::Unsupported {
            from: from.clone(),
            to: to.clone(),
        });
    }
    let mismatch = || CastError::ValueTypeMismatch {
        declared: from.clone(),
    };
    match to {
        SqlType::String => cast_to_string(value, from).map(Value::string),
        SqlType::Boolean => Ok(Value::Boolean(parse_sql_boolean(
            string_of(value).ok_or_else(mismatch)?.trim(),
        ))),
        SqlType::Int => cast_to_int(value, to),
        SqlType::Bigint => cast_to_bigint(value, to),
        SqlType::Double => cast_to_double(value, to),
        SqlType::Decimal { precision, scale } => cast_to_decimal(value, *precision, *scale),
        SqlType::Bytes => {
            let text = string_of(value).ok_or_else(mismatch)?.trim();
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .map(Value::bytes)
                .map_err(|_| invalid(text, to, "not valid base64"))
        }
        SqlType::Date => match value {
            Value::String(s) => Ok(Value::Date(time::parse_date(s.trim())?)),
            Value::Timestamp(ms) => Ok(Value::Date(time::timestamp_to_date(*ms))),
            _ => Err(mismatch()),
        },
        SqlType::Time => match value {
            Value::String(s) => Ok(Value::Time(time::parse_time(s.trim())?)),
            Value::Timestamp(ms) => Ok(Value::Time(time::timestamp_to_time(*ms))),
            _ => Err(mismatch()),
        },
        SqlType::Timestamp => match value {
            Value::String(s) => Ok(Value::Timestamp(time::parse_timestamp(s.trim())?)),
            Value::Date(days) => Ok(Value::Timestamp(time::date_to_timestamp(*days))),
            _ => Err(mismatch()),
        },
        SqlType::Array(to_element) => {
            let (SqlType::Array(from_element), Value::Array(items)) = (from, value) else {
                return Err(mismatch());
            };
            let cast_items: Result<Vec<Value>, CastError> = items
                .iter()
                .map(|item| cast(item, from_element, to_element))
                .collect();
            Ok(Value::array(cast_items?))
        }
        SqlType::Map(to_key, to_value) => {
            let (SqlType::Map(from_key, from_value), Value::Map(entries)) = (from, value) else {
                return Err(mismatch());
            };
            let cast_entries: Result<Vec<(Value, Value)>, CastError> = entries
                .iter()
                .map(|(k, v)| Ok((cast(k, from_key, to_key)?, cast(v, from_value, to_value)?)))
                .collect();
            Ok(Value::map(cast_entries?))
        }
        SqlType::Struct(to_fields) => {
            let (SqlType::Struct(from_fields), Value::Struct(values)) = (from, value) else {
                return Err(mismatch());
            };
            let mut out = vec![Value::Null; to_fields.len()];
            for (field, field_value) in from_fields.iter().zip(values.iter()) {
                if let Some((index, target)) = to.struct_field(&field.name) {
                    out[index] = cast(field_value, &field.ty, &target.ty)?;
                }
            }
            Ok(Value::structure(out))
        }
    }
}

fn invalid(text: &str, to: &SqlType, reason: &'static str) -> CastError {
    let shown: String = text.chars().take(64).collect();
    CastError::InvalidText {
        text: shown,
        to: to.clone(),
        reason,
    }
}

fn string_of(value: &Value) -> Option<&str> {
    value.as_str()
}

/// ksqlDB's `SqlBooleans.parseBoolean`: true for any case-insensitive prefix of `true` or `yes`,
/// false for everything else (never an error).
pub fn parse_sql_boolean(text: &str) -> bool {
    let prefix_of = |word: &str| {
        !text.is_empty()
            && text.len() <= word.len()
            && word[..text.len()].eq_ignore_ascii_case(text)
    };
    prefix_of("true") || prefix_of("yes")
}

fn cast_to_int(value: &Value, to: &SqlType) -> Result<Value, CastError> {
    Ok(Value::Int(match value {
        Value::Bigint(v) => *v as i32,
        Value::Double(v) => *v as i32,
        Value::Decimal(d) => decimal::to_i64_wrapping(d) as i32,
        Value::String(s) => {
            parse_java_int(s.trim()).ok_or_else(|| invalid(s, to, "not an INTEGER"))?
        }
        _ => {
            return Err(CastError::ValueTypeMismatch {
                declared: to.clone(),
            });
        }
    }))
}

fn cast_to_bigint(value: &Value, to: &SqlType) -> Result<Value, CastError> {
    Ok(Value::Bigint(match value {
        Value::Int(v) => i64::from(*v),
        Value::Double(v) => *v as i64,
        Value::Decimal(d) => decimal::to_i64_wrapping(d),
        Value::String(s) => {
            parse_java_long(s.trim()).ok_or_else(|| invalid(s, to, "not a BIGINT"))?
        }
        _ => {
            return Err(CastError::ValueTypeMismatch {
                declared: to.clone(),
            });
        }
    }))
}

fn cast_to_double(value: &Value, to: &SqlType) -> Result<Value, CastError> {
    match value {
        Value::String(s) => match parse_java_double(s.trim()) {
            Some(d) if d.is_finite() => Ok(Value::Double(d)),
            _ => Err(invalid(s, to, "not a finite DOUBLE")),
        },
        other => other
            .as_f64()
            .map(Value::Double)
            .ok_or(CastError::ValueTypeMismatch {
                declared: to.clone(),
            }),
    }
}

fn cast_to_decimal(value: &Value, precision: u32, scale: u32) -> Result<Value, CastError> {
    let fitted = match value {
        Value::Int(v) => decimal::cast_integer(i64::from(*v), precision, scale)?,
        Value::Bigint(v) => decimal::cast_integer(*v, precision, scale)?,
        Value::Double(v) => decimal::cast_double(*v, precision, scale)?,
        Value::Decimal(d) => decimal::cast_decimal(*d, precision, scale)?,
        Value::String(s) => {
            decimal::cast_decimal(decimal::parse_decimal(s.trim())?, precision, scale)?
        }
        _ => {
            return Err(CastError::ValueTypeMismatch {
                declared: SqlType::Decimal { precision, scale },
            });
        }
    };
    Ok(Value::Decimal(fitted))
}

/// `CAST(x AS STRING)` text: ISO forms for DATE/TIME/TIMESTAMP, plain decimals, Java
/// `toString` for numbers and collections (`[1, 3]`, `{k=v}`, `Struct{F0=1,f1=3}`).
fn cast_to_string(value: &Value, from: &SqlType) -> Result<Arc<str>, CastError> {
    let text = match value {
        Value::Boolean(b) => b.to_string(),
        Value::Int(v) => v.to_string(),
        Value::Bigint(v) => v.to_string(),
        Value::Double(v) => double_to_string(*v),
        Value::Decimal(d) => decimal::to_plain_string(d),
        Value::String(s) => return Ok(s.clone()),
        Value::Date(days) => time::format_date(*days),
        Value::Time(ms) => time::format_time(*ms),
        Value::Timestamp(ms) => time::format_timestamp(*ms),
        Value::Array(_) | Value::Map(_) | Value::Struct(_) => {
            let mut out = String::new();
            write_java_string(value, from, &mut out);
            out
        }
        Value::Null | Value::Bytes(_) => {
            return Err(CastError::Unsupported {
                from: from.clone(),
                to: SqlType::String,
            });
        }
    };
    Ok(text.into())
}

/// Java's `String.valueOf` of the value ksqlDB would hold: what a collection prints inside
/// `CAST(… AS STRING)`. `ty` supplies struct field names.
pub fn write_java_string(value: &Value, ty: &SqlType, out: &mut String) {
    use std::fmt::Write;
    match value {
        Value::Null => out.push_str("null"),
        Value::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(v) => {
            let _ = write!(out, "{v}");
        }
        Value::Bigint(v) => {
            let _ = write!(out, "{v}");
        }
        Value::Double(v) => super::java_text::write_double(*v, out),
        Value::Decimal(d) => out.push_str(&decimal::to_java_string(d)),
        Value::String(s) => out.push_str(s),
        Value::Bytes(b) => {
            let _ = write!(
                out,
                "java.nio.HeapByteBuffer[pos=0 lim={0} cap={0}]",
                b.len()
            );
        }
        Value::Date(days) => out.push_str(&time::format_date(*days)),
        Value::Time(ms) => {
            let seconds = i64::from(*ms).rem_euclid(time::MILLIS_PER_DAY) / 1000;
            let _ = write!(
                out,
                "{:02}:{:02}:{:02}",
                seconds / 3600,
                seconds / 60 % 60,
                seconds % 60
            );
        }
        Value::Timestamp(ms) => out.push_str(&time::format_timestamp_sql(*ms)),
        Value::Array(items) => {
            let element = match ty {
                SqlType::Array(element) => element.as_ref(),
                other => other,
            };
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_java_string(item, element, out);
            }
            out.push(']');
        }
        Value::Map(entries) => {
            let (key_ty, value_ty) = match ty {
                SqlType::Map(k, v) => (k.as_ref(), v.as_ref()),
                other => (other, other),
            };
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_java_string(k, key_ty, out);
                out.push('=');
                write_java_string(v, value_ty, out);
            }
            out.push('}');
        }
        Value::Struct(values) => {
            out.push_str("Struct{");
            let fields: &[super::sql_type::StructField] = match ty {
                SqlType::Struct(fields) => fields,
                _ => &[],
            };
            let mut first = true;
            for (field, field_value) in fields.iter().zip(values.iter()) {
                if field_value.is_null() {
                    continue;
                }
                if !first {
                    out.push(',');
                }
                first = false;
                out.push_str(&field.name);
                out.push('=');
                write_java_string(field_value, &field.ty, out);
            }
            out.push('}');
        }
    }
}

#[cfg(test)]
#[path = "cast_tests.rs"]
mod tests;
