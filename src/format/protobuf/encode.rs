//! Writing output slots as a protobuf message with a [`MessagePlan`], as Kafka Connect's
//! `ProtobufData.fromConnectData` and Java's serializer do: fields in number order, NULLs and
//! empty arrays left out, proto3 fields without presence left out when they hold their
//! default, repeated numbers packed unless the schema says otherwise, a `oneof` written as the
//! first non-NULL alternative of its STRUCT. Nested messages are written in place and
//! prefixed with their length afterwards, so encoding allocates only for those prefixes.

use rust_decimal::Decimal;

use super::plan::{FieldPlan, Kind, MessagePlan, Scalar};
use super::wire::{self, I32, I64, LEN, VARINT};
use crate::types::Value;

/// A value that does not fit its field: the field path and why.
#[derive(Debug, Clone, PartialEq)]
pub struct EncodeError {
    pub path: String,
    pub reason: String,
}

fn error(field: &FieldPlan, reason: impl Into<String>) -> EncodeError {
    EncodeError {
        path: field.name.clone(),
        reason: reason.into(),
    }
}

/// Writes `values` (one per slot of `plan`) as the message's fields.
pub fn message(plan: &MessagePlan, values: &[Value], out: &mut Vec<u8>) -> Result<(), EncodeError> {
    for field in &plan.fields {
        let Some(value) = values.get(field.out) else {
            continue;
        };
        let value = match (field.alternative, value) {
            (_, Value::Null) => continue,
            (Some((index, _)), Value::Struct(union)) => {
                // The first non-NULL alternative is the one written.
                if union.iter().take(index).any(|v| !v.is_null()) {
                    continue;
                }
                match union.get(index) {
                    Some(Value::Null) | None => continue,
                    Some(v) => v,
                }
            }
            (Some(_), _) => return Err(error(field, "a oneof needs a STRUCT value")),
            (None, v) => v,
        };
        match (&field.kind, value) {
            (Kind::Map(key, val), Value::Map(entries)) => {
                for (k, v) in entries.iter() {
                    wire::put_tag(out, field.number, LEN);
                    let start = out.len();
                    single_field(field, key, 1, k, true, out)?;
                    single_field(field, val, 2, v, true, out)?;
                    wire::prefix_length(out, start);
                }
            }
            (kind, Value::Array(items)) if field.repeated => {
                if items.iter().any(Value::is_null) {
                    return Err(error(field, "a repeated field cannot hold NULL"));
                }
                if field.packed && !items.is_empty() {
                    wire::put_tag(out, field.number, LEN);
                    let start = out.len();
                    for item in items.iter() {
                        bare(field, kind, item, out)?;
                    }
                    wire::prefix_length(out, start);
                } else {
                    for item in items.iter() {
                        single_field(field, kind, field.number, item, true, out)?;
                    }
                }
            }
            (kind, value) if !field.repeated && !matches!(kind, Kind::Map(..)) => {
                single_field(field, kind, field.number, value, field.explicit, out)?;
            }
            _ => return Err(error(field, "value does not match the field's type")),
        }
    }
    Ok(())
}

/// Tag and value; a default value without `explicit` presence is left out.
fn single_field(
    field: &FieldPlan,
    kind: &Kind,
    number: u32,
    value: &Value,
    explicit: bool,
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    if value.is_null() {
        return Ok(());
    }
    if !explicit && is_default(kind, value) {
        return Ok(());
    }
    let wire_type = match kind {
        Kind::Scalar(s, _) => scalar_wire_type(*s),
        Kind::Enum(_) => VARINT,
        _ => LEN,
    };
    wire::put_tag(out, number, wire_type);
    bare(field, kind, value, out)
}

fn is_default(kind: &Kind, value: &Value) -> bool {
    match (kind, value) {
        (Kind::Scalar(..), Value::Int(0) | Value::Bigint(0) | Value::Boolean(false)) => true,
        (Kind::Scalar(..), Value::Double(d)) => d.to_bits() == 0,
        (Kind::Scalar(..), Value::String(s)) => s.is_empty(),
        (Kind::Scalar(..), Value::Bytes(b)) => b.is_empty(),
        (Kind::Enum(e), Value::String(s)) => {
            e.values.first().is_some_and(|(n, v)| **n == **s && *v == 0)
        }
        _ => false,
    }
}

fn scalar_wire_type(scalar: Scalar) -> u8 {
    match scalar {
        Scalar::Fixed32 | Scalar::Sfixed32 | Scalar::Float => I32,
        Scalar::Fixed64 | Scalar::Sfixed64 | Scalar::Double => I64,
        Scalar::String | Scalar::Bytes => LEN,
        _ => VARINT,
    }
}

/// The value without its tag (a packed element, or after a tag already written).
fn bare(
    field: &FieldPlan,
    kind: &Kind,
    value: &Value,
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    match (kind, value) {
        (Kind::Scalar(scalar, _), value) => scalar_bare(field, *scalar, value, out),
        (Kind::Enum(e), Value::String(name)) => {
            let number = e.number_of(name).ok_or_else(|| {
                error(
                    field,
                    format!("`{name}` is not a value of enum `{}`", e.name),
                )
            })?;
            wire::put_varint(out, i64::from(number) as u64);
            Ok(())
        }
        (Kind::Message(plan), Value::Struct(fields)) => {
            nested(out, |out| message(plan, fields, out))
        }
        (Kind::Wrapper(scalar, _), value) => nested(out, |out| {
            wire::put_tag(out, 1, scalar_wire_type(*scalar));
            scalar_bare(field, *scalar, value, out)
        }),
        (Kind::Timestamp, Value::Timestamp(ms)) => {
            let (seconds, millis) = (ms.div_euclid(1000), ms.rem_euclid(1000));
            nested(out, |out| {
                ints(out, &[seconds, millis * 1_000_000]);
                Ok(())
            })
        }
        (Kind::Date, Value::Date(days)) => {
            let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
            let date = epoch
                .checked_add_signed(chrono::TimeDelta::days(i64::from(*days)))
                .ok_or_else(|| error(field, "date out of range"))?;
            use chrono::Datelike;
            nested(out, |out| {
                ints(
                    out,
                    &[date.year().into(), date.month().into(), date.day().into()],
                );
                Ok(())
            })
        }
        (Kind::Time, Value::Time(ms)) => {
            if !(0..86_400_000).contains(ms) {
                return Err(error(field, format!("time of day {ms} ms out of range")));
            }
            let ms = i64::from(*ms);
            nested(out, |out| {
                ints(
                    out,
                    &[
                        ms / 3_600_000,
                        ms / 60_000 % 60,
                        ms / 1000 % 60,
                        ms % 1000 * 1_000_000,
                    ],
                );
                Ok(())
            })
        }
        (Kind::Decimal { .. }, Value::Decimal(d)) => nested(out, |out| {
            decimal(out, d);
            Ok(())
        }),
        _ => Err(error(field, "value does not match the field's type")),
    }
}

/// Writes a nested message's bytes and then its length prefix.
fn nested(
    out: &mut Vec<u8>,
    body: impl FnOnce(&mut Vec<u8>) -> Result<(), EncodeError>,
) -> Result<(), EncodeError> {
    let start = out.len();
    body(out)?;
    wire::prefix_length(out, start);
    Ok(())
}

/// Varint fields 1.. of a small well-known message; zeros left out as proto3 does.
fn ints(out: &mut Vec<u8>, values: &[i64]) {
    for (number, value) in (1u32..).zip(values) {
        if *value != 0 {
            wire::put_tag(out, number, VARINT);
            wire::put_varint(out, *value as u64);
        }
    }
}

/// `confluent.type.Decimal`: the unscaled value as minimal big-endian two's complement (Java's
/// `BigInteger.toByteArray`), precision and scale.
fn decimal(out: &mut Vec<u8>, value: &Decimal) {
    let unscaled = value.mantissa();
    let bytes = unscaled.to_be_bytes();
    let mut skip = 0;
    while skip < 15 {
        let (this, next) = (bytes[skip], bytes[skip + 1]);
        if (this == 0 && next & 0x80 == 0) || (this == 0xff && next & 0x80 != 0) {
            skip += 1;
        } else {
            break;
        }
    }
    wire::put_tag(out, 1, LEN);
    wire::put_varint(out, (16 - skip) as u64);
    out.extend_from_slice(&bytes[skip..]);
    let precision = crate::types::decimal::precision_of(value);
    wire::put_tag(out, 2, VARINT);
    wire::put_varint(out, u64::from(precision));
    if value.scale() != 0 {
        wire::put_tag(out, 3, VARINT);
        wire::put_varint(out, u64::from(value.scale()));
    }
}

fn scalar_bare(
    field: &FieldPlan,
    scalar: Scalar,
    value: &Value,
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    let int = || -> Result<i64, EncodeError> {
        match value {
            Value::Int(i) => Ok(i64::from(*i)),
            Value::Bigint(i) => Ok(*i),
            _ => Err(error(field, "expected an integer")),
        }
    };
    let int32 = || -> Result<i32, EncodeError> {
        i32::try_from(int()?).map_err(|_| error(field, "value out of the field's 32-bit range"))
    };
    let uint32 = || -> Result<u32, EncodeError> {
        u32::try_from(int()?)
            .map_err(|_| error(field, "value out of the field's unsigned 32-bit range"))
    };
    match scalar {
        Scalar::Int32 => wire::put_varint(out, i64::from(int32()?) as u64),
        Scalar::Int64 | Scalar::Uint64 => wire::put_varint(out, int()? as u64),
        Scalar::Uint32 => wire::put_varint(out, u64::from(uint32()?)),
        Scalar::Sint32 => wire::put_zigzag32(out, int32()?),
        Scalar::Sint64 => wire::put_zigzag64(out, int()?),
        Scalar::Fixed32 => out.extend_from_slice(&uint32()?.to_le_bytes()),
        Scalar::Sfixed32 => out.extend_from_slice(&int32()?.to_le_bytes()),
        Scalar::Fixed64 | Scalar::Sfixed64 => out.extend_from_slice(&int()?.to_le_bytes()),
        Scalar::Float | Scalar::Double => {
            let number = value
                .as_f64()
                .filter(|_| !matches!(value, Value::Decimal(_)))
                .ok_or_else(|| error(field, "expected a number"))?;
            if scalar == Scalar::Float {
                out.extend_from_slice(&(number as f32).to_le_bytes());
            } else {
                out.extend_from_slice(&number.to_le_bytes());
            }
        }
        Scalar::Bool => {
            let b = value
                .as_bool()
                .ok_or_else(|| error(field, "expected a BOOLEAN"))?;
            out.push(u8::from(b));
        }
        Scalar::String => {
            let s = value
                .as_str()
                .ok_or_else(|| error(field, "expected a STRING"))?;
            wire::put_varint(out, s.len() as u64);
            out.extend_from_slice(s.as_bytes());
        }
        Scalar::Bytes => {
            let b = value
                .as_bytes()
                .ok_or_else(|| error(field, "expected BYTES"))?;
            wire::put_varint(out, b.len() as u64);
            out.extend_from_slice(b);
        }
    }
    Ok(())
}
