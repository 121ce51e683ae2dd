//! Reading Avro binary straight into [`Value`]s: a [`ReadPlan`] is compiled once per writer
//! schema (per schema id) against the declared SQL type, so decoding a record walks the plan
//! and the bytes and nothing else. Resolution follows Avro's rules as ksqlDB sees them through
//! Kafka Connect: record fields match declared fields by name (exactly, else ignoring case),
//! declared fields the writer lacks read as NULL, writer fields nobody declared are skipped;
//! `[null, T]` reads as a nullable T; a union of several types reads into a STRUCT with one
//! field per branch; enums read as STRING; int→BIGINT/DOUBLE, long→DOUBLE, float→DOUBLE and
//! string↔bytes promote; int, long, float, double and boolean read into a STRING column as
//! Java's `String.valueOf` writes them (ksqlDB's `ConnectDataTranslator` accepts those there);
//! maps take the entry order of the Java `HashMap` that translator builds.
//! A mismatch is an error when the plan is compiled, naming the path.

use std::collections::HashMap;
use std::sync::Arc;

pub(crate) use super::binary::Input;
use super::binary::{decimal_from, skip};
use super::schema::Avro;
use crate::types::java_hash_map::{DEFAULT_CAPACITY, hash_map_order};
use crate::types::java_text::{double_to_string, float_to_string};
use crate::types::{SqlType, Value, decimal};

/// How one writer schema is read into one SQL type.
#[derive(Debug, Clone)]
pub(crate) enum ReadPlan {
    Null,
    Boolean,
    IntToInt,
    IntToBigint,
    IntToDouble,
    LongToBigint,
    LongToDouble,
    FloatToDouble,
    Double,
    IntToString,
    LongToString,
    FloatToString,
    DoubleToString,
    BooleanToString,
    BytesToBytes,
    BytesToString,
    StringToString,
    StringToBytes,
    EnumToString(Arc<[String]>),
    Fixed(usize),
    Decimal {
        fixed: Option<usize>,
        scale: u32,
        precision: u32,
        target_scale: u32,
    },
    Date,
    TimeMillis,
    TimeMicros,
    TimestampMillis,
    TimestampMicros,
    Array(Box<ReadPlan>),
    Map(Box<ReadPlan>),
    /// Writer fields in order: where each goes in the struct (`None`: skipped).
    Record {
        fields: Vec<(Option<usize>, ReadPlan)>,
        width: usize,
    },
    /// Per branch: how it reads, and for a STRUCT target the field it fills.
    Union(Vec<(Option<usize>, ReadPlan)>, Option<usize>),
    /// A branch or field that no declared type can hold: fails if a record uses it.
    Refuse(Arc<str>),
    /// Read and drop (a writer field that is not declared).
    Skip(Avro),
    /// A string of a column the query never reads: checked to be UTF-8 as a read one is (so
    /// the same records fail), then dropped instead of copied (see [`ReadPlan::skip_unread`]).
    UnreadString,
}

/// A payload the plan could not read.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DecodeError {
    pub offset: usize,
    pub reason: String,
}

/// Compiles the plan that reads `writer` as `target`; `path` names the place in errors.
pub(crate) fn compile(writer: &Avro, target: &SqlType, path: &str) -> Result<ReadPlan, String> {
    use SqlType as T;
    let mismatch = || {
        format!(
            "{path}: the writer's AVRO schema has {}, which cannot be read as {target}",
            describe(writer)
        )
    };
    Ok(match (writer, target) {
        (Avro::Union(branches), _) => return union(branches, target, path),
        (Avro::Null, _) => ReadPlan::Null,
        (Avro::Boolean, T::Boolean) => ReadPlan::Boolean,
        (Avro::Int, T::Int) => ReadPlan::IntToInt,
        (Avro::Int, T::Bigint) => ReadPlan::IntToBigint,
        (Avro::Int, T::Double) => ReadPlan::IntToDouble,
        (Avro::Long, T::Bigint) => ReadPlan::LongToBigint,
        (Avro::Long, T::Double) => ReadPlan::LongToDouble,
        (Avro::Float, T::Double) => ReadPlan::FloatToDouble,
        (Avro::Double, T::Double) => ReadPlan::Double,
        (Avro::Int, T::String) => ReadPlan::IntToString,
        (Avro::Long, T::String) => ReadPlan::LongToString,
        (Avro::Float, T::String) => ReadPlan::FloatToString,
        (Avro::Double, T::String) => ReadPlan::DoubleToString,
        (Avro::Boolean, T::String) => ReadPlan::BooleanToString,
        (Avro::Bytes, T::Bytes) => ReadPlan::BytesToBytes,
        (Avro::Bytes, T::String) => ReadPlan::BytesToString,
        (Avro::String, T::String) => ReadPlan::StringToString,
        (Avro::String, T::Bytes) => ReadPlan::StringToBytes,
        (Avro::Enum(symbols), T::String) => ReadPlan::EnumToString(symbols.clone()),
        (Avro::Fixed(size), T::Bytes) => ReadPlan::Fixed(*size),
        // Values are fitted to the declared DECIMAL; one that does not fit fails its record.
        (
            Avro::Decimal { fixed, scale, .. },
            T::Decimal {
                precision: target_precision,
                scale: target_scale,
            },
        ) => ReadPlan::Decimal {
            fixed: *fixed,
            scale: *scale,
            precision: *target_precision,
            target_scale: *target_scale,
        },
        (Avro::Date, T::Date) => ReadPlan::Date,
        (Avro::TimeMillis, T::Time) => ReadPlan::TimeMillis,
        (Avro::TimeMicros, T::Time) => ReadPlan::TimeMicros,
        (Avro::TimestampMillis, T::Timestamp) => ReadPlan::TimestampMillis,
        (Avro::TimestampMicros, T::Timestamp) => ReadPlan::TimestampMicros,
        // Logical types read as their base type where that is what was declared.
        (Avro::Date | Avro::TimeMillis, T::Int) => ReadPlan::IntToInt,
        (Avro::TimeMicros | Avro::TimestampMillis | Avro::TimestampMicros, T::Bigint) => {
            ReadPlan::LongToBigint
        }
        (Avro::Array(items), T::Array(element)) => {
            ReadPlan::Array(Box::new(compile(items, element, &format!("{path}[]"))?))
        }
        (Avro::Map(values), T::Map(key, value)) if **key == T::String => {
            ReadPlan::Map(Box::new(compile(values, value, &format!("{path}{{}}"))?))
        }
        (Avro::Record(record), T::Struct(declared)) => {
            let mut fields = Vec::with_capacity(record.fields.len());
            for field in &record.fields {
                let slot = declared
                    .iter()
                    .position(|d| d.name == field.name)
                    .or_else(|| {
                        declared
                            .iter()
                            .position(|d| d.name.eq_ignore_ascii_case(&field.name))
                    });
                fields.push(match slot {
                    Some(i) => (
                        Some(i),
                        compile(
                            &field.schema,
                            &declared[i].ty,
                            &format!("{path}.{}", field.name),
                        )?,
                    ),
                    None => (None, ReadPlan::Skip(field.schema.clone())),
                });
            }
            ReadPlan::Record {
                fields,
                width: declared.len(),
            }
        }
        _ => return Err(mismatch()),
    })
}

fn union(branches: &[Avro], target: &SqlType, path: &str) -> Result<ReadPlan, String> {
    let non_null: Vec<usize> = (0..branches.len())
        .filter(|i| branches[*i] != Avro::Null)
        .collect();
    match (non_null.as_slice(), target) {
        // ["null", T] (or [T]): a nullable T.
        ([_] | [], _) => {
            let plans = branches
                .iter()
                .map(|b| compile(b, target, path).map(|p| (None, p)))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(ReadPlan::Union(plans, None))
        }
        // Several types: a STRUCT with one field per non-null branch, in order.
        (many, SqlType::Struct(fields)) if fields.len() == many.len() => {
            let mut plans = Vec::with_capacity(branches.len());
            for (i, branch) in branches.iter().enumerate() {
                match many.iter().position(|b| *b == i) {
                    Some(slot) => plans.push((
                        Some(slot),
                        compile(
                            branch,
                            &fields[slot].ty,
                            &format!("{path}.{}", fields[slot].name),
                        )
                        .unwrap_or_else(|e| ReadPlan::Refuse(e.into())),
                    )),
                    None => plans.push((None, ReadPlan::Null)),
                }
            }
            Ok(ReadPlan::Union(plans, Some(fields.len())))
        }
        _ => Err(format!(
            "{path}: the writer's AVRO union of {} types cannot be read as {target}",
            branches.len()
        )),
    }
}

fn describe(schema: &Avro) -> String {
    match schema {
        Avro::Record(record) => format!("record `{}`", record.name),
        Avro::Decimal {
            precision, scale, ..
        } => format!("decimal({precision}, {scale})"),
        other => format!("{other:?}").to_lowercase(),
    }
}

impl ReadPlan {
    /// In a top-level record's plan, turns the reads of STRING columns `read` marks unread
    /// (one entry per column) into [`ReadPlan::UnreadString`]; they are left NULL. Other
    /// plans, and a `read` of the wrong width, are left as they are.
    pub(crate) fn skip_unread(&mut self, read: &[bool]) {
        let ReadPlan::Record { fields, width } = self else {
            return;
        };
        if read.len() != *width {
            return;
        }
        for (slot, plan) in fields {
            if let Some(column) = slot
                && !read[*column]
                && matches!(plan, ReadPlan::StringToString)
            {
                *plan = ReadPlan::UnreadString;
            }
        }
    }

    /// Reads a top-level record straight into a row (no STRUCT value in between); `None`
    /// when the plan is not a record's.
    pub(crate) fn read_row(
        &self,
        input: &mut Input<'_>,
    ) -> Option<Result<Vec<Value>, DecodeError>> {
        let ReadPlan::Record { fields, width } = self else {
            return None;
        };
        let mut out = vec![Value::Null; *width];
        for (slot, plan) in fields {
            match plan.read(input) {
                Ok(value) => {
                    if let Some(slot) = slot {
                        out[*slot] = value;
                    }
                }
                Err(e) => return Some(Err(e)),
            }
        }
        Some(Ok(out))
    }

    pub(crate) fn read(&self, input: &mut Input<'_>) -> Result<Value, DecodeError> {
        Ok(match self {
            ReadPlan::Null => Value::Null,
            ReadPlan::Boolean => match input.take(1)?[0] {
                0 => Value::Boolean(false),
                1 => Value::Boolean(true),
                other => return input.fail(format!("a boolean byte of {other}")),
            },
            ReadPlan::IntToInt => Value::Int(input.int()?),
            ReadPlan::IntToBigint => Value::Bigint(i64::from(input.int()?)),
            ReadPlan::IntToDouble => Value::Double(f64::from(input.int()?)),
            ReadPlan::LongToBigint => Value::Bigint(input.long()?),
            ReadPlan::LongToDouble => Value::Double(input.long()? as f64),
            ReadPlan::FloatToDouble => Value::Double(f64::from(read_float(input)?)),
            ReadPlan::Double => Value::Double(read_double(input)?),
            ReadPlan::IntToString => Value::string(input.int()?.to_string()),
            ReadPlan::LongToString => Value::string(input.long()?.to_string()),
            ReadPlan::FloatToString => Value::string(float_to_string(read_float(input)?)),
            ReadPlan::DoubleToString => Value::string(double_to_string(read_double(input)?)),
            ReadPlan::BooleanToString => match ReadPlan::Boolean.read(input)? {
                Value::Boolean(b) => Value::string(b.to_string()),
                other => other,
            },
            ReadPlan::BytesToBytes => Value::bytes(input.blob()?),
            ReadPlan::StringToBytes => Value::bytes(input.text()?.as_bytes()),
            ReadPlan::StringToString | ReadPlan::BytesToString => Value::string(input.text()?),
            ReadPlan::EnumToString(symbols) => {
                let index = input.int()?;
                match usize::try_from(index).ok().and_then(|i| symbols.get(i)) {
                    Some(symbol) => Value::string(symbol.as_str()),
                    None => return input.fail(format!("enum index {index} out of range")),
                }
            }
            ReadPlan::Fixed(size) => Value::bytes(input.take(*size)?),
            ReadPlan::Decimal {
                fixed,
                scale,
                precision,
                target_scale,
            } => {
                let start = input.pos;
                let bytes = match fixed {
                    Some(size) => input.take(*size)?,
                    None => input.blob()?,
                };
                let value = decimal_from(bytes, *scale).ok_or_else(|| DecodeError {
                    offset: start,
                    reason: "a decimal too large for 28 digits".into(),
                })?;
                let value =
                    decimal::cast_decimal(value, *precision, *target_scale).map_err(|e| {
                        DecodeError {
                            offset: start,
                            reason: e.to_string(),
                        }
                    })?;
                Value::Decimal(value)
            }
            ReadPlan::Date => Value::Date(input.int()?),
            ReadPlan::TimeMillis => Value::Time(input.int()?),
            ReadPlan::TimeMicros => {
                let micros = input.long()?;
                match i32::try_from(micros.div_euclid(1000)) {
                    Ok(millis) => Value::Time(millis),
                    Err(_) => return input.fail(format!("time-micros out of range: {micros}")),
                }
            }
            ReadPlan::TimestampMillis => Value::Timestamp(input.long()?),
            ReadPlan::TimestampMicros => Value::Timestamp(input.long()?.div_euclid(1000)),
            ReadPlan::Array(items) => {
                let mut out = Vec::new();
                loop {
                    let count = input.block()?;
                    if count == 0 {
                        break;
                    }
                    out.reserve(count.min(4096));
                    for _ in 0..count {
                        out.push(items.read(input)?);
                    }
                }
                Value::array(out)
            }
            ReadPlan::Map(values) => {
                // A repeated key keeps its first position and takes the last value (as
                // `Value::map`), found through an index so a hostile map costs linear time.
                let mut out: Vec<(Value, Value)> = Vec::new();
                let mut index: HashMap<&str, usize> = HashMap::new();
                loop {
                    let count = input.block()?;
                    if count == 0 {
                        break;
                    }
                    for _ in 0..count {
                        let key = input.text()?;
                        let value = values.read(input)?;
                        match index.get(key) {
                            Some(&at) => out[at].1 = value,
                            None => {
                                index.insert(key, out.len());
                                out.push((Value::string(key), value));
                            }
                        }
                    }
                }
                Value::Map(hash_map_order(out, DEFAULT_CAPACITY).into())
            }
            ReadPlan::Record { fields, width } => {
                let mut out = vec![Value::Null; *width];
                for (slot, plan) in fields {
                    let value = plan.read(input)?;
                    if let Some(slot) = slot {
                        out[*slot] = value;
                    }
                }
                Value::Struct(out.into())
            }
            ReadPlan::Union(branches, width) => {
                let index = input.long()?;
                let Some((slot, plan)) = usize::try_from(index).ok().and_then(|i| branches.get(i))
                else {
                    return input.fail(format!("union branch {index} out of range"));
                };
                let value = plan.read(input)?;
                match (width, slot) {
                    (Some(width), Some(slot)) => {
                        let mut out = vec![Value::Null; *width];
                        out[*slot] = value;
                        Value::Struct(out.into())
                    }
                    (Some(_), None) => Value::Null,
                    (None, _) => value,
                }
            }
            ReadPlan::Refuse(reason) => return input.fail(reason.to_string()),
            ReadPlan::Skip(schema) => {
                skip(schema, input, 0)?;
                Value::Null
            }
            ReadPlan::UnreadString => {
                input.text()?;
                Value::Null
            }
        })
    }
}

fn read_float(input: &mut Input<'_>) -> Result<f32, DecodeError> {
    let bytes = input.take(4)?;
    Ok(f32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
}

fn read_double(input: &mut Input<'_>) -> Result<f64, DecodeError> {
    let bytes = input.take(8)?;
    let mut array = [0u8; 8];
    array.copy_from_slice(bytes);
    Ok(f64::from_le_bytes(array))
}

#[cfg(test)]
#[path = "decode_tests.rs"]
mod tests;
