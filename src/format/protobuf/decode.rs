//! Reading a protobuf message into output slots with a [`MessagePlan`]: one pass over the
//! wire, each known field converted straight into a [`Value`], unknown fields skipped, the
//! last occurrence of a non-repeated field winning (protobuf's merge rule for scalars; a
//! repeated nested message is not merged, as ksqlDB never writes one twice). Repeated fields
//! accept packed and unpacked encodings alike; a field whose wire type does not fit its
//! declared type is skipped as an unknown field, as Java's parser does. Maps take the entry
//! order of the Java `HashMap` ksqlDB's `ConnectDataTranslator` builds.

use rust_decimal::Decimal;

use super::plan::{EnumPlan, FieldPlan, Kind, MessagePlan, Scalar, Widen, widen_value};
use super::wire::{self, I32, I64, LEN, Reader, VARINT, WireError};
use crate::types::java_hash_map::{DEFAULT_CAPACITY, hash_map_order};
use crate::types::{Value, decimal};

/// What went wrong, with the field path when known.
#[derive(Debug, Clone, PartialEq)]
pub enum DecodeError {
    Wire(WireError),
    Invalid { path: String, reason: String },
}

impl From<WireError> for DecodeError {
    fn from(e: WireError) -> DecodeError {
        DecodeError::Wire(e)
    }
}

fn invalid(field: &FieldPlan, reason: impl Into<String>) -> DecodeError {
    DecodeError::Invalid {
        path: field.name.clone(),
        reason: reason.into(),
    }
}

/// Reads the message in `reader` into `plan.width` values.
pub fn message(plan: &MessagePlan, mut reader: Reader<'_>) -> Result<Vec<Value>, DecodeError> {
    let mut row = plan.defaults.clone();
    let mut lists: Vec<Vec<Value>> = vec![Vec::new(); plan.lists.len()];
    while !reader.is_empty() {
        let (number, wire_type) = reader.tag()?;
        let Some(field) = plan.field(number) else {
            reader.skip(number, wire_type)?;
            continue;
        };
        let list = plan.lists.iter().position(|slot| *slot == field.out);
        match (list, &field.kind) {
            (Some(list), Kind::Map(key, value)) if wire_type == LEN => {
                let entry = map_entry(field, key, value, reader.delimited()?)?;
                lists[list].push(Value::array(vec![entry.0, entry.1]));
            }
            (Some(list), kind) if field.repeated => {
                if wire_type == LEN && packed_type(kind).is_some() {
                    let mut packed = reader.delimited()?;
                    let element_type = packed_type(kind).unwrap_or(VARINT);
                    while !packed.is_empty() {
                        lists[list].push(single(field, kind, element_type, &mut packed)?);
                    }
                } else if wire_type_of(kind) == wire_type {
                    lists[list].push(single(field, kind, wire_type, &mut reader)?);
                } else {
                    reader.skip(number, wire_type)?;
                }
            }
            (_, _) if field.unread && wire_type == LEN => {
                let mut bytes = reader.delimited()?;
                let start = bytes.offset();
                if std::str::from_utf8(bytes.rest()).is_err() {
                    return Err(invalid(
                        field,
                        format!("string at byte {start} is not valid UTF-8"),
                    ));
                }
            }
            (_, kind) if wire_type_of(kind) == wire_type => {
                let value = single(field, kind, wire_type, &mut reader)?;
                row[field.out] = match field.alternative {
                    Some((index, width)) => {
                        let mut union = vec![Value::Null; width];
                        union[index] = value;
                        Value::structure(union)
                    }
                    None => value,
                };
            }
            _ => reader.skip(number, wire_type)?,
        }
    }
    for (slot, items) in plan.lists.iter().zip(lists) {
        let is_map = plan
            .fields
            .iter()
            .any(|f| f.out == *slot && matches!(f.kind, Kind::Map(..)));
        if is_map {
            let entries = items
                .into_iter()
                .filter_map(|pair| match pair {
                    Value::Array(kv) if kv.len() == 2 => Some((kv[0].clone(), kv[1].clone())),
                    _ => None,
                })
                .collect();
            // A repeated key keeps its last value, then the entries take the order of the
            // Java `HashMap` ksqlDB's `ConnectDataTranslator` builds.
            row[*slot] = match Value::map(entries) {
                Value::Map(unique) => {
                    Value::Map(hash_map_order(unique.to_vec(), DEFAULT_CAPACITY).into())
                }
                other => other,
            };
        } else if !items.is_empty() {
            row[*slot] = Value::array(items);
        }
    }
    Ok(row)
}

fn map_entry(
    field: &FieldPlan,
    key: &Kind,
    value: &Kind,
    mut reader: Reader<'_>,
) -> Result<(Value, Value), DecodeError> {
    let mut out = (default_of(key), default_of(value));
    while !reader.is_empty() {
        let (number, wire_type) = reader.tag()?;
        let (kind, slot) = match number {
            1 => (key, &mut out.0),
            2 => (value, &mut out.1),
            _ => {
                reader.skip(number, wire_type)?;
                continue;
            }
        };
        if wire_type_of(kind) == wire_type {
            *slot = single(field, kind, wire_type, &mut reader)?;
        } else {
            reader.skip(number, wire_type)?;
        }
    }
    Ok(out)
}

/// A map entry's key or value when the entry leaves it out.
fn default_of(kind: &Kind) -> Value {
    match kind {
        Kind::Scalar(scalar, widen) => {
            let zero = match scalar.natural() {
                crate::types::SqlType::Int => Value::Int(0),
                crate::types::SqlType::Bigint => Value::Bigint(0),
                crate::types::SqlType::Double => Value::Double(0.0),
                crate::types::SqlType::Boolean => Value::Boolean(false),
                crate::types::SqlType::String => Value::string(""),
                _ => Value::bytes(Vec::new()),
            };
            widen_value(zero, *widen)
        }
        Kind::Enum(e) => e.name_of(e.values.first().map_or(0, |(_, n)| *n)),
        _ => Value::Null,
    }
}

/// The wire type a non-packed value of this kind has.
fn wire_type_of(kind: &Kind) -> u8 {
    match kind {
        Kind::Scalar(s, _) => scalar_wire_type(*s),
        Kind::Enum(_) => VARINT,
        _ => LEN,
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

/// The element wire type when this kind may come packed.
fn packed_type(kind: &Kind) -> Option<u8> {
    match kind {
        Kind::Scalar(s, _) if s.packable() => Some(scalar_wire_type(*s)),
        Kind::Enum(_) => Some(VARINT),
        _ => None,
    }
}

/// One value of `kind` whose tag (of `wire_type`) was just read.
fn single(
    field: &FieldPlan,
    kind: &Kind,
    wire_type: u8,
    reader: &mut Reader<'_>,
) -> Result<Value, DecodeError> {
    Ok(match kind {
        Kind::Scalar(scalar, widen) => widen_value(scalar_value(field, *scalar, reader)?, *widen),
        Kind::Enum(e) => enum_value(e, reader.varint()?),
        Kind::Message(plan) => Value::structure(message(plan, reader.delimited()?)?),
        Kind::Wrapper(scalar, widen) => {
            let mut inner = reader.delimited()?;
            let mut value = widen_value(scalar.natural_default(), *widen);
            while !inner.is_empty() {
                let (number, inner_type) = inner.tag()?;
                if number == 1 && inner_type == scalar_wire_type(*scalar) {
                    value = widen_value(scalar_value(field, *scalar, &mut inner)?, *widen);
                } else {
                    inner.skip(number, inner_type)?;
                }
            }
            value
        }
        Kind::Timestamp => timestamp(field, ints(reader.delimited()?)?)?,
        Kind::Date => date(field, ints(reader.delimited()?)?)?,
        Kind::Time => time(field, ints(reader.delimited()?)?)?,
        Kind::Decimal { precision, scale } => {
            decimal_value(field, reader.delimited()?, *precision, *scale)?
        }
        Kind::Map(..) => {
            debug_assert!(wire_type == LEN);
            return Err(invalid(field, "a map outside a message"));
        }
    })
}

fn enum_value(plan: &EnumPlan, raw: u64) -> Value {
    plan.name_of(raw as i32)
}

fn scalar_value(
    field: &FieldPlan,
    scalar: Scalar,
    reader: &mut Reader<'_>,
) -> Result<Value, DecodeError> {
    Ok(match scalar {
        Scalar::Int32 => Value::Int(reader.varint()? as i32),
        Scalar::Int64 | Scalar::Uint64 => Value::Bigint(reader.varint()? as i64),
        Scalar::Uint32 => Value::Bigint(i64::from(reader.varint()? as u32)),
        Scalar::Sint32 => Value::Int(wire::zigzag32(reader.varint()?)),
        Scalar::Sint64 => Value::Bigint(wire::zigzag64(reader.varint()?)),
        Scalar::Fixed32 => Value::Bigint(i64::from(reader.fixed32()?)),
        Scalar::Sfixed32 => Value::Int(reader.fixed32()? as i32),
        Scalar::Fixed64 | Scalar::Sfixed64 => Value::Bigint(reader.fixed64()? as i64),
        Scalar::Float => Value::Double(f64::from(f32::from_bits(reader.fixed32()?))),
        Scalar::Double => Value::Double(f64::from_bits(reader.fixed64()?)),
        Scalar::Bool => Value::Boolean(reader.varint()? != 0),
        Scalar::String => {
            let mut bytes = reader.delimited()?;
            let start = bytes.offset();
            let data = bytes.rest();
            let text = std::str::from_utf8(data).map_err(|_| {
                invalid(field, format!("string at byte {start} is not valid UTF-8"))
            })?;
            Value::string(text)
        }
        Scalar::Bytes => Value::bytes(reader.delimited()?.rest()),
    })
}

/// The varint and fixed fields 1–4 of a small well-known message, as i64 (absent: 0).
fn ints(mut reader: Reader<'_>) -> Result<[i64; 4], DecodeError> {
    let mut out = [0i64; 4];
    while !reader.is_empty() {
        let (number, wire_type) = reader.tag()?;
        match (number, wire_type) {
            (1..=4, VARINT) => out[number as usize - 1] = reader.varint()? as i64,
            _ => reader.skip(number, wire_type)?,
        }
    }
    Ok(out)
}

fn timestamp(field: &FieldPlan, [seconds, nanos, ..]: [i64; 4]) -> Result<Value, DecodeError> {
    let nanos = nanos as i32;
    if !(0..1_000_000_000).contains(&nanos) {
        return Err(invalid(
            field,
            format!("timestamp nanos {nanos} out of range"),
        ));
    }
    seconds
        .checked_mul(1000)
        .and_then(|ms| ms.checked_add(i64::from(nanos / 1_000_000)))
        .map(Value::Timestamp)
        .ok_or_else(|| invalid(field, "timestamp out of range"))
}

fn date(field: &FieldPlan, [year, month, day, _]: [i64; 4]) -> Result<Value, DecodeError> {
    let (year, month, day) = (year as i32, month as i32, day as i32);
    let date = u32::try_from(month)
        .ok()
        .zip(u32::try_from(day).ok())
        .and_then(|(m, d)| chrono::NaiveDate::from_ymd_opt(year, m, d))
        .ok_or_else(|| invalid(field, format!("invalid date {year}-{month}-{day}")))?;
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    let days = (date - epoch).num_days();
    i32::try_from(days)
        .map(Value::Date)
        .map_err(|_| invalid(field, "date out of range"))
}

fn time(field: &FieldPlan, [h, m, s, nanos]: [i64; 4]) -> Result<Value, DecodeError> {
    let (h, m, s, nanos) = (h as i32, m as i32, s as i32, nanos as i32);
    if !(0..24).contains(&h)
        || !(0..60).contains(&m)
        || !(0..60).contains(&s)
        || !(0..1_000_000_000).contains(&nanos)
    {
        return Err(invalid(
            field,
            format!("invalid time of day {h}:{m}:{s}.{nanos:09}"),
        ));
    }
    Ok(Value::Time(
        ((h * 60 + m) * 60 + s) * 1000 + nanos / 1_000_000,
    ))
}

/// `confluent.type.Decimal`: big-endian two's-complement unscaled `value` (field 1) and
/// `scale` (field 3), fitted to the column's precision and scale.
fn decimal_value(
    field: &FieldPlan,
    mut reader: Reader<'_>,
    precision: u32,
    scale: u32,
) -> Result<Value, DecodeError> {
    let mut unscaled: i128 = 0;
    let mut value_scale: i64 = 0;
    while !reader.is_empty() {
        let (number, wire_type) = reader.tag()?;
        match (number, wire_type) {
            (1, LEN) => {
                let data = reader.delimited()?.rest();
                if data.len() > 12 {
                    return Err(invalid(field, "decimal wider than 96 bits"));
                }
                unscaled = match data.first() {
                    Some(first) if *first & 0x80 != 0 => -1,
                    _ => 0,
                };
                for byte in data {
                    unscaled = (unscaled << 8) | i128::from(*byte);
                }
            }
            (3, VARINT) => value_scale = i64::from(reader.varint()? as i32),
            _ => reader.skip(number, wire_type)?,
        }
    }
    // A negative scale (Java's `1E+2`) multiplies the unscaled value.
    if value_scale < 0 {
        let factor = u32::try_from(-value_scale)
            .ok()
            .and_then(|e| 10i128.checked_pow(e))
            .ok_or_else(|| invalid(field, format!("decimal scale {value_scale} out of range")))?;
        unscaled = unscaled
            .checked_mul(factor)
            .ok_or_else(|| invalid(field, "decimal out of range"))?;
        value_scale = 0;
    }
    let value_scale = u32::try_from(value_scale)
        .ok()
        .filter(|s| *s <= 28)
        .ok_or_else(|| invalid(field, format!("decimal scale {value_scale} out of range")))?;
    let value = Decimal::try_from_i128_with_scale(unscaled, value_scale)
        .map_err(|e| invalid(field, e.to_string()))?;
    decimal::cast_decimal(value, precision, scale)
        .map(Value::Decimal)
        .map_err(|e| invalid(field, e.to_string()))
}

impl Scalar {
    fn natural_default(self) -> Value {
        default_of(&Kind::Scalar(self, Widen::None))
    }
}
