//! Writing rows as Avro binary, and the schema a sink registers. [`sink_schema`] builds the
//! schema ksqlDB registers for declared columns (through Kafka Connect's `AvroData`): every
//! value optional, so each field, array item and map value is `["null", T]` with
//! `"default": null`, except an unwrapped root; the top record is named by the full schema
//! name (default `io.confluent.ksql.avro_schemas.KsqlDataSourceSchema`) and nested records
//! by their path from it joined with `_` (`…KsqlDataSourceSchema_ADDRESS`, map values add
//! `_MapValue`); as Avro writes schema JSON, a nested record whose namespace is the
//! enclosing one does not repeat it. A [`WritePlan`] is compiled once from a writer schema (that one, or the one
//! a `*_SCHEMA_ID` names) against the SQL type, and then writes values with no lookups.

use serde_json::{Value as Json, json};

use super::schema::Avro;
use crate::types::{SqlType, Value};

/// The default full name of the records ksqlDB writes.
pub(crate) const DEFAULT_FULL_NAME: &str = "io.confluent.ksql.avro_schemas.KsqlDataSourceSchema";

/// The schema text for `ty` written at the root (`unwrapped`: a single column's own type,
/// else the record of columns that `ty` is).
pub(crate) fn sink_schema(ty: &SqlType, full_name: &str) -> Json {
    schema_json(ty, full_name, true, "")
}

/// `enclosing`: the namespace of the record around this type (`""` at the root).
fn schema_json(ty: &SqlType, context: &str, root: bool, enclosing: &str) -> Json {
    let inner = match ty {
        SqlType::Boolean => json!("boolean"),
        SqlType::Int => json!("int"),
        SqlType::Bigint => json!("long"),
        SqlType::Double => json!("double"),
        SqlType::String => json!("string"),
        SqlType::Bytes => json!("bytes"),
        SqlType::Decimal { precision, scale } => json!({
            "type": "bytes", "logicalType": "decimal", "precision": precision, "scale": scale,
        }),
        SqlType::Date => json!({"type": "int", "logicalType": "date"}),
        SqlType::Time => json!({"type": "int", "logicalType": "time-millis"}),
        SqlType::Timestamp => json!({"type": "long", "logicalType": "timestamp-millis"}),
        SqlType::Array(element) => {
            json!({"type": "array", "items": schema_json(element, context, false, enclosing)})
        }
        SqlType::Map(_, value) => json!({
            "type": "map",
            "values": schema_json(value, &format!("{context}_MapValue"), false, enclosing),
        }),
        SqlType::Struct(fields) => {
            let (namespace, name) = context.rsplit_once('.').unwrap_or(("", context));
            let fields: Vec<Json> = fields
                .iter()
                .map(|f| {
                    let name = f.name.replace('.', "_");
                    json!({
                        "name": name,
                        "type": schema_json(
                            &f.ty,
                            &format!("{context}_{}", f.name),
                            false,
                            namespace,
                        ),
                        "default": null,
                    })
                })
                .collect();
            let mut record = json!({"type": "record", "name": name, "fields": fields});
            if !namespace.is_empty() && namespace != enclosing {
                record["namespace"] = json!(namespace);
            }
            record["connect.name"] = json!(context);
            record
        }
    };
    if root { inner } else { json!(["null", inner]) }
}

/// How one SQL type is written as one writer schema.
#[derive(Debug, Clone)]
pub(crate) enum WritePlan {
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Bytes,
    String,
    Enum(std::sync::Arc<[String]>),
    Fixed(usize),
    Decimal {
        fixed: Option<usize>,
        scale: u32,
    },
    TimeMicros,
    TimestampMicros,
    Array(Box<WritePlan>),
    Map(Box<WritePlan>),
    /// Writer fields in order: the struct field each comes from (`None`: always null).
    Record(Vec<(Option<usize>, WritePlan)>),
    /// Pre-encoded bytes: a field's default, written for a NULL (or absent) value.
    Default {
        bytes: Box<[u8]>,
        plan: Box<WritePlan>,
    },
    /// A union: the null branch (if any) and the branch values are written as.
    Union {
        null: Option<u32>,
        branch: u32,
        plan: Box<WritePlan>,
    },
}

/// Compiles how `ty` is written as `writer`; fails, naming `path`, where it cannot be.
pub(crate) fn compile(writer: &Avro, ty: &SqlType, path: &str) -> Result<WritePlan, String> {
    use SqlType as T;
    Ok(match (writer, ty) {
        (Avro::Union(branches), _) => {
            let null = branches.iter().position(|b| *b == Avro::Null);
            let mut last = None;
            for (i, branch) in branches.iter().enumerate() {
                if *branch == Avro::Null {
                    continue;
                }
                match compile(branch, ty, path) {
                    Ok(plan) => {
                        return Ok(WritePlan::Union {
                            null: null.map(|n| n as u32),
                            branch: i as u32,
                            plan: Box::new(plan),
                        });
                    }
                    Err(e) => last = Some(e),
                }
            }
            return Err(last.unwrap_or_else(|| format!("{path}: a union of only null")));
        }
        (Avro::Boolean, T::Boolean) => WritePlan::Boolean,
        (Avro::Int, T::Int) | (Avro::Date, T::Date) | (Avro::TimeMillis, T::Time) => WritePlan::Int,
        (Avro::Long, T::Int | T::Bigint) | (Avro::TimestampMillis, T::Timestamp) => WritePlan::Long,
        (Avro::Float, T::Double) => WritePlan::Float,
        (Avro::Double, T::Double | T::Int | T::Bigint) => WritePlan::Double,
        (Avro::Bytes, T::Bytes) => WritePlan::Bytes,
        (Avro::String, T::String) => WritePlan::String,
        (Avro::Enum(symbols), T::String) => WritePlan::Enum(symbols.clone()),
        (Avro::Fixed(size), T::Bytes) => WritePlan::Fixed(*size),
        (Avro::Decimal { fixed, scale, .. }, T::Decimal { .. }) => WritePlan::Decimal {
            fixed: *fixed,
            scale: *scale,
        },
        (Avro::TimeMicros, T::Time) => WritePlan::TimeMicros,
        (Avro::TimestampMicros, T::Timestamp) => WritePlan::TimestampMicros,
        (Avro::Array(items), T::Array(element)) => {
            WritePlan::Array(Box::new(compile(items, element, &format!("{path}[]"))?))
        }
        (Avro::Map(values), T::Map(key, value)) if **key == T::String => {
            WritePlan::Map(Box::new(compile(values, value, &format!("{path}{{}}"))?))
        }
        (Avro::Record(record), T::Struct(fields)) => {
            let mut plans = Vec::with_capacity(record.fields.len());
            for field in &record.fields {
                let path = format!("{path}.{}", field.name);
                let slot = fields
                    .iter()
                    .position(|f| f.name == field.name || f.name.replace('.', "_") == field.name)
                    .or_else(|| {
                        fields
                            .iter()
                            .position(|f| f.name.eq_ignore_ascii_case(&field.name))
                    });
                // A NULL (or no column) writes the field's default where the field cannot
                // hold a null, as Kafka Connect's AvroData does.
                let default = match &field.default {
                    Some(default) if !nullable(&field.schema) => Some(
                        super::default::encode(&field.schema, default)
                            .map_err(|e| format!("{path}: {e}"))?,
                    ),
                    _ => None,
                };
                let with_default = |plan: WritePlan| match &default {
                    Some(bytes) => WritePlan::Default {
                        bytes: bytes.clone().into(),
                        plan: Box::new(plan),
                    },
                    None => plan,
                };
                match slot {
                    Some(i) => plans.push((
                        Some(i),
                        with_default(compile(&field.schema, &fields[i].ty, &path)?),
                    )),
                    None if nullable(&field.schema) => plans.push((None, null_plan(&field.schema))),
                    None if default.is_some() => plans.push((None, with_default(WritePlan::Null))),
                    None => {
                        return Err(format!(
                            "{path}: the writer schema's field is not optional and no column \
                             supplies it"
                        ));
                    }
                }
            }
            WritePlan::Record(plans)
        }
        (writer, _) => {
            return Err(format!(
                "{path}: {ty} cannot be written as the AVRO schema's {}",
                format!("{writer:?}").to_lowercase()
            ));
        }
    })
}

fn nullable(schema: &Avro) -> bool {
    matches!(schema, Avro::Null) || matches!(schema, Avro::Union(b) if b.contains(&Avro::Null))
}

fn null_plan(schema: &Avro) -> WritePlan {
    match schema {
        Avro::Union(branches) => {
            let null = branches.iter().position(|b| *b == Avro::Null).unwrap_or(0) as u32;
            WritePlan::Union {
                null: Some(null),
                branch: null,
                plan: Box::new(WritePlan::Null),
            }
        }
        _ => WritePlan::Null,
    }
}

/// Zig-zag varint, as Avro writes `int` and `long`.
pub(crate) fn write_long(out: &mut Vec<u8>, value: i64) {
    let mut n = ((value << 1) ^ (value >> 63)) as u64;
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn write_blob(out: &mut Vec<u8>, bytes: &[u8]) {
    write_long(out, bytes.len() as i64);
    out.extend_from_slice(bytes);
}

impl WritePlan {
    /// Writes a row as a top-level record (no STRUCT value built for it).
    pub(crate) fn write_row(&self, row: &[Value], out: &mut Vec<u8>) -> Result<(), String> {
        match self {
            WritePlan::Record(fields) => {
                for (slot, plan) in fields {
                    let value = slot.and_then(|i| row.get(i)).unwrap_or(&Value::Null);
                    plan.write(value, out)?;
                }
                Ok(())
            }
            _ => Err("the writer schema is not a record".into()),
        }
    }

    /// Writes `value`; `path` only names the place in errors.
    pub(crate) fn write(&self, value: &Value, out: &mut Vec<u8>) -> Result<(), String> {
        let mismatch = || {
            Err(format!(
                "value {value:?} does not fit the AVRO schema's {self:?}"
            ))
        };
        match (self, value) {
            (WritePlan::Default { bytes, .. }, Value::Null) => out.extend_from_slice(bytes),
            (WritePlan::Default { plan, .. }, value) => plan.write(value, out)?,
            (WritePlan::Union { null, branch, plan }, value) => match (value, null) {
                (Value::Null, Some(null)) => write_long(out, i64::from(*null)),
                (Value::Null, None) => return Err("NULL for a field that is not optional".into()),
                _ => {
                    write_long(out, i64::from(*branch));
                    plan.write(value, out)?;
                }
            },
            (WritePlan::Null, _) => {}
            (_, Value::Null) => return Err("NULL for a field that is not optional".into()),
            (WritePlan::Boolean, Value::Boolean(b)) => out.push(u8::from(*b)),
            (WritePlan::Int | WritePlan::Long, Value::Int(n) | Value::Date(n) | Value::Time(n)) => {
                write_long(out, i64::from(*n))
            }
            (WritePlan::Long, Value::Bigint(n) | Value::Timestamp(n)) => write_long(out, *n),
            (WritePlan::Float, Value::Double(d)) => {
                out.extend_from_slice(&(*d as f32).to_le_bytes())
            }
            (WritePlan::Double, Value::Double(d)) => out.extend_from_slice(&d.to_le_bytes()),
            (WritePlan::Double, Value::Int(n)) => {
                out.extend_from_slice(&f64::from(*n).to_le_bytes())
            }
            (WritePlan::Double, Value::Bigint(n)) => {
                out.extend_from_slice(&(*n as f64).to_le_bytes())
            }
            (WritePlan::Bytes, Value::Bytes(b)) => write_blob(out, b),
            (WritePlan::String, Value::String(s)) => write_blob(out, s.as_bytes()),
            (WritePlan::Enum(symbols), Value::String(s)) => {
                match symbols.iter().position(|symbol| **symbol == **s) {
                    Some(i) => write_long(out, i as i64),
                    None => return Err(format!("'{s}' is not a symbol of the AVRO enum")),
                }
            }
            (WritePlan::Fixed(size), Value::Bytes(b)) if b.len() == *size => {
                out.extend_from_slice(b)
            }
            (WritePlan::Decimal { fixed, scale }, Value::Decimal(d)) => {
                let mut d = *d;
                d.rescale(*scale);
                if d.scale() != *scale {
                    return Err(format!("decimal {d} does not fit scale {scale}"));
                }
                let bytes = d.mantissa().to_be_bytes();
                let negative = d.mantissa() < 0;
                // Shortest two's-complement form: drop sign bytes the next byte repeats.
                let mut start = 0;
                while start < 15 {
                    let (byte, next) = (bytes[start], bytes[start + 1]);
                    if (byte == 0 && !negative && next & 0x80 == 0)
                        || (byte == 0xff && negative && next & 0x80 != 0)
                    {
                        start += 1;
                    } else {
                        break;
                    }
                }
                match fixed {
                    None => write_blob(out, &bytes[start..]),
                    Some(size) if 16 - start <= *size => {
                        let fill = if negative { 0xff } else { 0 };
                        out.extend(std::iter::repeat_n(fill, size - (16 - start)));
                        out.extend_from_slice(&bytes[start..]);
                    }
                    Some(size) => return Err(format!("decimal {d} does not fit fixed({size})")),
                }
            }
            (WritePlan::TimeMicros, Value::Time(n)) => write_long(out, i64::from(*n) * 1000),
            (WritePlan::TimestampMicros, Value::Timestamp(n)) => {
                write_long(out, n.saturating_mul(1000))
            }
            (WritePlan::Array(items), Value::Array(values)) => {
                if !values.is_empty() {
                    write_long(out, values.len() as i64);
                    for value in values.iter() {
                        items.write(value, out)?;
                    }
                }
                out.push(0);
            }
            (WritePlan::Map(plan), Value::Map(entries)) => {
                if !entries.is_empty() {
                    write_long(out, entries.len() as i64);
                    for (key, value) in entries.iter() {
                        let Value::String(key) = key else {
                            return Err("an AVRO map key that is not a STRING".into());
                        };
                        write_blob(out, key.as_bytes());
                        plan.write(value, out)?;
                    }
                }
                out.push(0);
            }
            (WritePlan::Record(fields), Value::Struct(values)) => {
                for (slot, plan) in fields {
                    let value = slot.and_then(|i| values.get(i)).unwrap_or(&Value::Null);
                    plan.write(value, out)?;
                }
            }
            _ => return mismatch(),
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "encode_tests.rs"]
mod tests;
