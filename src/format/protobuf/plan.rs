//! The compiled plan of a PROTOBUF codec: built once per (schema, message, columns), it says
//! for every field number of every message the codec can meet which output slot it fills and
//! how its wire value becomes a [`Value`]. The plan follows the SQL types, not the schema:
//! fields no column asks for are skipped on the wire, so a recursive message costs only as
//! deep as the column's STRUCT goes, and the column type decides how a well-known message is
//! read (`google.protobuf.Int32Value` as INT when the column is INT, `unwrapPrimitives` in
//! ksqlDB's words, or as `STRUCT<value INT>` when it is a STRUCT).
//!
//! Absent fields read as Kafka Connect's `ProtobufData` reads them (the converter ksqlDB
//! uses): scalars without presence as their default (0, "", false, the enum's first value),
//! proto3 `optional` scalars, messages and `oneof`s as NULL, repeated fields and maps as
//! empty. A column matches a field by exact name, else case-insensitively (inferred columns
//! are upper-cased); a column no field matches reads as NULL and is not written.

use std::sync::Arc;

use super::schema::{Field, FieldType, ProtoSchema, Resolved};
use crate::types::java_text::{double_to_string, float_to_string};
use crate::types::{SqlType, Value};

/// Deepest nesting of messages a plan follows (SQL types are finite; this bounds hostile ones).
const MAX_DEPTH: usize = 64;

/// A protobuf scalar type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scalar {
    Int32,
    Int64,
    Uint32,
    Uint64,
    Sint32,
    Sint64,
    Fixed32,
    Fixed64,
    Sfixed32,
    Sfixed64,
    Float,
    Double,
    Bool,
    String,
    Bytes,
}

impl Scalar {
    pub fn from_name(name: &str) -> Option<Scalar> {
        Some(match name {
            "int32" => Scalar::Int32,
            "int64" => Scalar::Int64,
            "uint32" => Scalar::Uint32,
            "uint64" => Scalar::Uint64,
            "sint32" => Scalar::Sint32,
            "sint64" => Scalar::Sint64,
            "fixed32" => Scalar::Fixed32,
            "fixed64" => Scalar::Fixed64,
            "sfixed32" => Scalar::Sfixed32,
            "sfixed64" => Scalar::Sfixed64,
            "float" => Scalar::Float,
            "double" => Scalar::Double,
            "bool" => Scalar::Bool,
            "string" => Scalar::String,
            "bytes" => Scalar::Bytes,
            _ => return None,
        })
    }

    /// The SQL type Kafka Connect gives this scalar (unsigned 32-bit and all 64-bit → BIGINT).
    pub fn natural(self) -> SqlType {
        match self {
            Scalar::Int32 | Scalar::Sint32 | Scalar::Sfixed32 => SqlType::Int,
            Scalar::Int64
            | Scalar::Uint32
            | Scalar::Uint64
            | Scalar::Sint64
            | Scalar::Fixed32
            | Scalar::Fixed64
            | Scalar::Sfixed64 => SqlType::Bigint,
            Scalar::Float | Scalar::Double => SqlType::Double,
            Scalar::Bool => SqlType::Boolean,
            Scalar::String => SqlType::String,
            Scalar::Bytes => SqlType::Bytes,
        }
    }

    /// Whether a repeated field of this type may be packed.
    pub fn packable(self) -> bool {
        !matches!(self, Scalar::String | Scalar::Bytes)
    }

    fn default_value(self) -> Value {
        match self.natural() {
            SqlType::Int => Value::Int(0),
            SqlType::Bigint => Value::Bigint(0),
            SqlType::Double => Value::Double(0.0),
            SqlType::Boolean => Value::Boolean(false),
            SqlType::String => Value::string(""),
            _ => Value::bytes(Vec::new()),
        }
    }
}

/// How a column reads a scalar: as its natural type, widened (INT → BIGINT → DOUBLE), or as
/// text in a STRING column: numbers and booleans as Java's `String.valueOf` writes them
/// (ksqlDB's `ConnectDataTranslator` accepts them there), a `float` by its own digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Widen {
    None,
    ToBigint,
    ToDouble,
    ToString,
    FloatToString,
}

/// What a field's wire value is and what it becomes.
#[derive(Debug, Clone)]
pub enum Kind {
    Scalar(Scalar, Widen),
    /// Values in declaration order; read as the name of the number.
    Enum(Arc<EnumPlan>),
    Message(Arc<MessagePlan>),
    /// A `google.protobuf.*Value` read as its `value` (a nullable scalar).
    Wrapper(Scalar, Widen),
    Timestamp,
    Date,
    Time,
    Decimal {
        precision: u32,
        scale: u32,
    },
    /// Entries are messages of key (field 1) and value (field 2).
    Map(Box<Kind>, Box<Kind>),
}

#[derive(Debug)]
pub struct EnumPlan {
    pub name: String,
    pub values: Vec<(Arc<str>, i32)>,
}

impl EnumPlan {
    pub fn name_of(&self, number: i32) -> Value {
        match self.values.iter().find(|(_, n)| *n == number) {
            Some((name, _)) => Value::String(name.clone()),
            // Java's descriptor for an unknown value of an open enum.
            None => Value::string(format!("{}{number}", self.unknown_prefix())),
        }
    }

    /// The number of a value name, or of the name [`EnumPlan::name_of`] gives an unknown
    /// number (so that what was read can be written back).
    pub fn number_of(&self, name: &str) -> Option<i32> {
        match self.values.iter().find(|(n, _)| **n == *name) {
            Some((_, number)) => Some(*number),
            None => name.strip_prefix(&self.unknown_prefix())?.parse().ok(),
        }
    }

    fn unknown_prefix(&self) -> String {
        let short = self.name.rsplit('.').next().unwrap_or_default();
        format!("UNKNOWN_ENUM_VALUE_{short}_")
    }
}

/// One field of a message as the plan reads it.
#[derive(Debug, Clone)]
pub struct FieldPlan {
    pub number: u32,
    /// The field's name, for errors.
    pub name: String,
    /// The output slot (a column, or a field of the enclosing STRUCT).
    pub out: usize,
    /// An alternative of a `oneof`: its position in the union STRUCT and the STRUCT's width.
    pub alternative: Option<(usize, usize)>,
    pub repeated: bool,
    /// Write repeated numbers packed (proto3's default, proto2's `[packed = true]`).
    pub packed: bool,
    /// Written even when it holds its default (presence-tracked or proto2).
    pub explicit: bool,
    pub kind: Kind,
    /// A STRING column the query never reads: its bytes are checked to be UTF-8 (so the
    /// same records fail as before) but not copied out (see [`MessagePlan::skip_unread_strings`]).
    pub unread: bool,
}

/// A message read into `width` output slots.
#[derive(Debug, Clone)]
pub struct MessagePlan {
    pub name: String,
    pub width: usize,
    /// Each slot's value when its field is absent.
    pub defaults: Vec<Value>,
    /// In declaration order.
    pub fields: Vec<FieldPlan>,
    /// Field number → index in `fields` + 1 (0: not read), for numbers below its length.
    small: Vec<u16>,
    /// Slots filled by repeated fields and maps: collected, then frozen into arrays and maps.
    pub lists: Vec<usize>,
}

impl MessagePlan {
    /// Marks the singular STRING fields of the columns `read` says are never read (one entry
    /// per column) as unread: they are left NULL instead of being copied out of every record.
    /// A `read` of the wrong length changes nothing.
    pub fn skip_unread_strings(&mut self, read: &[bool]) {
        if read.len() != self.width {
            return;
        }
        for field in &mut self.fields {
            let string = matches!(field.kind, Kind::Scalar(Scalar::String, _));
            if string && !field.repeated && field.alternative.is_none() && !read[field.out] {
                field.unread = true;
                self.defaults[field.out] = Value::Null;
            }
        }
    }

    pub fn field(&self, number: u32) -> Option<&FieldPlan> {
        match self.small.get(number as usize) {
            Some(0) => None,
            Some(index) => self.fields.get(usize::from(*index) - 1),
            None => self.fields.iter().find(|f| f.number == number),
        }
    }
}

/// Builds plans from a schema; errors are `(path, reason)` pairs.
pub struct Planner<'s> {
    pub schema: &'s ProtoSchema,
}

pub type PlanError = (String, String);

impl Planner<'_> {
    /// The plan of message `full_name` read into the slots `targets` (name, type) describe.
    pub fn message(
        &self,
        full_name: &str,
        targets: &[(&str, &SqlType)],
        path: &str,
        depth: usize,
    ) -> Result<MessagePlan, PlanError> {
        if depth > MAX_DEPTH {
            return Err((path.to_string(), "nests too deeply".to_string()));
        }
        let def = self.schema.message(full_name).ok_or_else(|| {
            (
                path.to_string(),
                format!("unknown PROTOBUF message `{full_name}`"),
            )
        })?;
        let mut plan = MessagePlan {
            name: full_name.to_string(),
            width: targets.len(),
            defaults: vec![Value::Null; targets.len()],
            fields: Vec::new(),
            small: Vec::new(),
            lists: Vec::new(),
        };
        for (out, (column, ty)) in targets.iter().enumerate() {
            let Some(field) = find_field(&def.fields, column) else {
                continue;
            };
            let here = join(path, column);
            if let FieldType::OneOf(alternatives) = &field.ty {
                let SqlType::Struct(members) = ty else {
                    return Err((here, format!("a `oneof` needs a STRUCT column, not {ty}")));
                };
                for (index, member) in members.iter().enumerate() {
                    let Some(alt) = find_field(alternatives, &member.name) else {
                        continue;
                    };
                    let mut f = self.field(alt, &member.ty, full_name, def.proto3, &here, depth)?;
                    f.out = out;
                    f.alternative = Some((index, members.len()));
                    f.explicit = true;
                    plan.fields.push(f);
                }
                continue;
            }
            let mut f = self.field(field, ty, full_name, def.proto3, &here, depth)?;
            f.out = out;
            plan.defaults[out] = default_of(&f, field);
            if f.repeated || matches!(f.kind, Kind::Map(..)) {
                plan.lists.push(out);
            }
            plan.fields.push(f);
        }
        plan.fields.sort_by_key(|f| f.number);
        let limit = plan
            .fields
            .iter()
            .map(|f| f.number)
            .max()
            .unwrap_or(0)
            .min(256) as usize;
        plan.small = vec![0; limit + 1];
        for (index, f) in plan.fields.iter().enumerate() {
            if let Some(slot) = plan.small.get_mut(f.number as usize)
                && *slot == 0
            {
                *slot = u16::try_from(index + 1).unwrap_or(0);
            }
        }
        Ok(plan)
    }

    fn field(
        &self,
        field: &Field,
        ty: &SqlType,
        scope: &str,
        proto3: bool,
        path: &str,
        depth: usize,
    ) -> Result<FieldPlan, PlanError> {
        let (kind, repeated) = match (&field.ty, field.repeated, ty) {
            (FieldType::Map(key, value), _, SqlType::Map(key_ty, value_ty)) => {
                let key = self.kind(named(key, path)?, key_ty, scope, path, depth)?;
                let value = self.kind(named(value, path)?, value_ty, scope, path, depth)?;
                (Kind::Map(Box::new(key), Box::new(value)), false)
            }
            (FieldType::Named(name), true, SqlType::Array(element)) => {
                (self.kind(name, element, scope, path, depth)?, true)
            }
            (FieldType::Named(name), false, ty) => {
                (self.kind(name, ty, scope, path, depth)?, false)
            }
            _ => {
                return Err((
                    path.to_string(),
                    format!("field `{}` cannot be read as {ty}", field.name),
                ));
            }
        };
        let packed = match &kind {
            Kind::Scalar(s, _) => s.packable(),
            Kind::Enum(_) => true,
            _ => false,
        } && if proto3 {
            !field.options.contains("packed = false")
        } else {
            field.options.contains("packed = true")
        };
        Ok(FieldPlan {
            number: field.number,
            name: field.name.clone(),
            out: 0,
            alternative: None,
            repeated,
            packed,
            explicit: field.optional || !proto3,
            kind,
            unread: false,
        })
    }

    fn kind(
        &self,
        name: &str,
        ty: &SqlType,
        scope: &str,
        path: &str,
        depth: usize,
    ) -> Result<Kind, PlanError> {
        let mismatch = |what: &str| (path.to_string(), format!("{what} cannot be read as {ty}"));
        if let Some(scalar) = Scalar::from_name(name) {
            return Ok(Kind::Scalar(
                scalar,
                widen(scalar, ty).ok_or_else(|| mismatch(name))?,
            ));
        }
        let resolved = self
            .schema
            .resolve(name, scope)
            .ok_or_else(|| (path.to_string(), format!("unknown PROTOBUF type `{name}`")))?;
        let full = match resolved {
            Resolved::Enum(full) => {
                if *ty != SqlType::String {
                    return Err(mismatch(&format!("enum `{full}`")));
                }
                let def = self.schema.enumeration(&full).map(|e| e.values.clone());
                return Ok(Kind::Enum(Arc::new(EnumPlan {
                    values: def
                        .unwrap_or_default()
                        .into_iter()
                        .map(|(n, v)| (Arc::from(n), v))
                        .collect(),
                    name: full,
                })));
            }
            Resolved::Message(full) => full,
        };
        let well_known = match (full.as_str(), ty) {
            ("google.protobuf.Timestamp", SqlType::Timestamp) => Some(Kind::Timestamp),
            ("google.type.Date", SqlType::Date) => Some(Kind::Date),
            ("google.type.TimeOfDay", SqlType::Time) => Some(Kind::Time),
            ("confluent.type.Decimal", SqlType::Decimal { precision, scale }) => {
                Some(Kind::Decimal {
                    precision: *precision,
                    scale: *scale,
                })
            }
            (wrapper, ty) if !matches!(ty, SqlType::Struct(_)) => {
                match wrapper.strip_prefix("google.protobuf.") {
                    Some(w) if w.ends_with("Value") => {
                        let scalar = Scalar::from_name(&w[..w.len() - 5].to_ascii_lowercase())
                            .ok_or_else(|| mismatch(wrapper))?;
                        Some(Kind::Wrapper(
                            scalar,
                            widen(scalar, ty).ok_or_else(|| mismatch(wrapper))?,
                        ))
                    }
                    _ => return Err(mismatch(&format!("message `{full}`"))),
                }
            }
            _ => None,
        };
        if let Some(kind) = well_known {
            return Ok(kind);
        }
        let SqlType::Struct(members) = ty else {
            return Err(mismatch(&format!("message `{full}`")));
        };
        let targets: Vec<(&str, &SqlType)> =
            members.iter().map(|m| (m.name.as_str(), &m.ty)).collect();
        Ok(Kind::Message(Arc::new(self.message(
            &full,
            &targets,
            path,
            depth + 1,
        )?)))
    }
}

fn named<'f>(ty: &'f FieldType, path: &str) -> Result<&'f str, PlanError> {
    match ty {
        FieldType::Named(name) => Ok(name),
        _ => Err((
            path.to_string(),
            "a map key or value must be a named type".into(),
        )),
    }
}

fn widen(scalar: Scalar, ty: &SqlType) -> Option<Widen> {
    let natural = scalar.natural();
    if natural == *ty {
        return Some(Widen::None);
    }
    match (natural, ty) {
        (SqlType::Int, SqlType::Bigint) => Some(Widen::ToBigint),
        (SqlType::Int | SqlType::Bigint, SqlType::Double) => Some(Widen::ToDouble),
        (SqlType::Double, SqlType::String) if scalar == Scalar::Float => Some(Widen::FloatToString),
        (SqlType::Int | SqlType::Bigint | SqlType::Double | SqlType::Boolean, SqlType::String) => {
            Some(Widen::ToString)
        }
        _ => None,
    }
}

/// The slot's value when the field is absent (see the module doc).
fn default_of(plan: &FieldPlan, field: &Field) -> Value {
    if plan.repeated {
        return Value::array(Vec::new());
    }
    match &plan.kind {
        Kind::Map(..) => Value::map(Vec::new()),
        _ if field.optional => Value::Null,
        Kind::Scalar(scalar, widen) => widen_value(scalar.default_value(), *widen),
        // proto3 requires the first value to be 0, the default; proto2 defaults to the first.
        Kind::Enum(e) => match e.values.first() {
            Some((name, _)) => Value::String(name.clone()),
            None => Value::Null,
        },
        _ => Value::Null,
    }
}

pub fn widen_value(value: Value, widen: Widen) -> Value {
    match (widen, value) {
        (Widen::None, v) => v,
        (Widen::ToBigint, Value::Int(i)) => Value::Bigint(i64::from(i)),
        (Widen::ToDouble, Value::Int(i)) => Value::Double(f64::from(i)),
        (Widen::ToDouble, Value::Bigint(i)) => Value::Double(i as f64),
        (Widen::ToString, Value::Int(i)) => Value::string(i.to_string()),
        (Widen::ToString, Value::Bigint(i)) => Value::string(i.to_string()),
        (Widen::ToString, Value::Double(d)) => Value::string(double_to_string(d)),
        (Widen::ToString, Value::Boolean(b)) => Value::string(b.to_string()),
        // The double a `float` was read into holds it exactly.
        (Widen::FloatToString, Value::Double(d)) => Value::string(float_to_string(d as f32)),
        (_, v) => v,
    }
}

fn find_field<'f>(fields: &'f [Field], name: &str) -> Option<&'f Field> {
    fields
        .iter()
        .find(|f| f.name == name)
        .or_else(|| fields.iter().find(|f| f.name.eq_ignore_ascii_case(name)))
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}
