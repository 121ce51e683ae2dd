//! What weir must read from a document serde_json accepted: the value of each column, derived
//! from serde_json's tree ([`Doc`]) under ksqlDB's coercion rules where the tree holds enough
//! to decide (a number's exact text is lost to f64, so e.g. a fraction read into an INT is
//! [`Exp::Unknown`]). Name rules are ksqlDB's: a column or struct field takes the last member
//! with exactly its name, else the last whose upper-cased name equals it; a MAP, like
//! Jackson's `ObjectNode`, keeps a repeated key's first position and last value, and iterates
//! in the order of the Java `HashMap` ksqlDB reads it into.
//! [`mirror_type`] derives a schema from a document itself, so a whole tree is compared.

use weir::types::java_hash_map::hash_map_order;
use weir::types::{SqlType, StructField, Value};

use super::json_oracle::Doc;

/// The expected outcome for one value.
#[derive(Debug, Clone)]
pub enum Exp {
    Null,
    Bool(bool),
    Int(i32),
    Bigint(i64),
    Date(i32),
    Time(i32),
    Timestamp(i64),
    /// Within a relative 1e-14 (see `json_oracle`, deviation 5).
    Double(f64),
    Str(String),
    /// A STRING holding a number's text, which must read back as this f64.
    StrNumber(f64),
    /// A STRING holding compact JSON that reads back as this document.
    StrJson(Doc),
    Arr(Vec<Exp>),
    Map(Vec<(String, Exp)>),
    Struct(Vec<Exp>),
    /// Succeeds with some value of the type that the tree cannot predict.
    Any,
    /// The coercion must fail.
    Fail,
    /// May fail or succeed.
    Unknown,
}

impl Exp {
    /// A container of `items`: failing if one fails.
    fn container(items: Vec<Exp>, make: impl FnOnce(Vec<Exp>) -> Exp) -> Exp {
        if items.iter().any(|e| matches!(e, Exp::Fail)) {
            Exp::Fail
        } else {
            make(items)
        }
    }

    /// Whether some part of this may fail.
    pub fn uncertain(&self) -> bool {
        match self {
            Exp::Unknown => true,
            Exp::Arr(items) | Exp::Struct(items) => items.iter().any(Exp::uncertain),
            Exp::Map(entries) => entries.iter().any(|(_, e)| e.uncertain()),
            _ => false,
        }
    }
}

/// ksqlDB's member lookup: the last member named exactly `name`, else the last whose
/// upper-cased name is `name`.
pub fn find_member<'d>(members: &'d [(String, Doc)], name: &str) -> Option<&'d Doc> {
    let exact = members.iter().rev().find(|(k, _)| k == name);
    exact
        .or_else(|| members.iter().rev().find(|(k, _)| k.to_uppercase() == name))
        .map(|(_, v)| v)
}

/// JVM `longValue()` of an integer: its low 64 bits.
fn low64(n: i128) -> i64 {
    n as i64
}

/// The expected value of `doc` (absent when `None`) read as `ty`.
pub fn expect(ty: &SqlType, doc: Option<&Doc>) -> Exp {
    let Some(doc) = doc else { return Exp::Null };
    if let Doc::Null = doc {
        return Exp::Null;
    }
    match ty {
        SqlType::Boolean => match doc {
            Doc::Bool(b) => Exp::Bool(*b),
            _ => Exp::Fail,
        },
        SqlType::Int | SqlType::Bigint | SqlType::Date | SqlType::Time | SqlType::Timestamp => {
            match doc {
                Doc::Int(n) => {
                    let long = low64(*n);
                    match ty {
                        SqlType::Int => Exp::Int(long as i32),
                        SqlType::Bigint => Exp::Bigint(long),
                        SqlType::Date => Exp::Date(long as i32),
                        SqlType::Timestamp => Exp::Timestamp(long),
                        _ if (0..=86_400_000).contains(&long) => Exp::Time(long as i32),
                        _ => Exp::Fail,
                    }
                }
                // The exact text decides: fractions truncate, text parses like Java.
                Doc::Float(_) | Doc::Str(_) => Exp::Unknown,
                _ => Exp::Fail,
            }
        }
        SqlType::Double => match doc {
            Doc::Int(n) => Exp::Double(*n as f64),
            Doc::Float(f) => Exp::Double(*f),
            Doc::Str(_) => Exp::Unknown,
            _ => Exp::Fail,
        },
        SqlType::Decimal { .. } | SqlType::Bytes => match doc {
            Doc::Int(_) | Doc::Float(_) if matches!(ty, SqlType::Decimal { .. }) => Exp::Unknown,
            Doc::Str(_) => Exp::Unknown,
            _ => Exp::Fail,
        },
        SqlType::String => match doc {
            Doc::Str(s) => Exp::Str(s.clone()),
            Doc::Bool(b) => Exp::Str(b.to_string()),
            Doc::Int(n) => Exp::Str(n.to_string()),
            Doc::Float(f) => Exp::StrNumber(*f),
            Doc::Obj(_) => Exp::StrJson(object_node(doc)),
            Doc::Arr(_) => render_array(doc).map_or(Exp::Any, Exp::Str),
            Doc::Null => Exp::Null,
        },
        SqlType::Array(element) => match doc {
            Doc::Arr(items) => Exp::container(
                items.iter().map(|i| expect(element, Some(i))).collect(),
                Exp::Arr,
            ),
            _ => Exp::Fail,
        },
        SqlType::Map(_, value) => match doc {
            Doc::Obj(members) => {
                let mut entries: Vec<(String, &Doc)> = Vec::new();
                for (key, member) in members {
                    match entries.iter_mut().find(|(k, _)| k == key) {
                        Some(entry) => entry.1 = member,
                        None => entries.push((key.clone(), member)),
                    }
                }
                // ksqlDB reads the object into a `new HashMap<>(size)`: its iteration order
                // (weir's model of it is checked against a JVM in its unit tests).
                let indexed: Vec<(Value, Value)> = (entries.iter().enumerate())
                    .map(|(i, (k, _))| (Value::string(k.as_str()), Value::Int(i as i32)))
                    .collect();
                let size = entries.len();
                let mut slots: Vec<Option<(String, &Doc)>> =
                    entries.into_iter().map(Some).collect();
                let (keys, values): (Vec<String>, Vec<Exp>) = hash_map_order(indexed, size)
                    .into_iter()
                    .filter_map(|(_, i)| match i {
                        Value::Int(i) => slots[i as usize].take(),
                        _ => None,
                    })
                    .map(|(k, v)| (k, expect(value, Some(v))))
                    .unzip();
                Exp::container(values, |values| {
                    Exp::Map(keys.into_iter().zip(values).collect())
                })
            }
            _ => Exp::Fail,
        },
        SqlType::Struct(fields) => match doc {
            Doc::Obj(members) => Exp::container(
                fields
                    .iter()
                    .map(|f| expect(&f.ty, find_member(members, &f.name)))
                    .collect(),
                Exp::Struct,
            ),
            _ => Exp::Fail,
        },
    }
}

/// The tree as Jackson's `ObjectNode` holds it (what ksqlDB writes back as text): a repeated
/// member name keeps its first position and its last value.
fn object_node(doc: &Doc) -> Doc {
    match doc {
        Doc::Arr(items) => Doc::Arr(items.iter().map(object_node).collect()),
        Doc::Obj(members) => {
            let mut unique: Vec<(String, Doc)> = Vec::new();
            for (key, value) in members {
                let value = object_node(value);
                match unique.iter_mut().find(|(k, _)| k == key) {
                    Some(entry) => entry.1 = value,
                    None => unique.push((key.clone(), value)),
                }
            }
            Doc::Obj(unique)
        }
        other => other.clone(),
    }
}

/// Jackson's `asText()`-like `[a, b]` rendering of an array weir reads into a STRING, when
/// the tree holds enough to write it (no fractions, no objects).
fn render_array(doc: &Doc) -> Option<String> {
    Some(match doc {
        Doc::Null => "null".to_string(),
        Doc::Bool(b) => b.to_string(),
        Doc::Int(n) => n.to_string(),
        Doc::Str(s) => s.clone(),
        Doc::Arr(items) => {
            let parts: Option<Vec<String>> = items.iter().map(render_array).collect();
            format!("[{}]", parts?.join(", "))
        }
        Doc::Float(_) | Doc::Obj(_) => return None,
    })
}

/// A schema for `doc` itself: objects as STRUCTs of their member names, arrays of the
/// common element type (STRING when the elements disagree), integers BIGINT, other numbers
/// DOUBLE, and NULL as STRING.
pub fn mirror_type(doc: &Doc) -> SqlType {
    match doc {
        Doc::Null | Doc::Str(_) => SqlType::String,
        Doc::Bool(_) => SqlType::Boolean,
        Doc::Int(_) => SqlType::Bigint,
        Doc::Float(_) => SqlType::Double,
        Doc::Arr(items) => SqlType::Array(Box::new(
            items
                .iter()
                .filter(|i| !matches!(i, Doc::Null))
                .map(mirror_type)
                .reduce(|a, b| unify(&a, &b))
                .unwrap_or(SqlType::String),
        )),
        Doc::Obj(members) => SqlType::Struct(
            member_names(members)
                .into_iter()
                .map(|name| StructField {
                    ty: find_member(members, &name).map_or(SqlType::String, mirror_type),
                    name,
                })
                .collect(),
        ),
    }
}

/// Distinct member names in order of first appearance.
pub fn member_names(members: &[(String, Doc)]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for (key, _) in members {
        if !names.contains(key) {
            names.push(key.clone());
        }
    }
    names
}

/// A type both can be read as: equal types, BIGINT widened to DOUBLE, STRUCTs merged by
/// field, arrays by element; STRING otherwise (anything reads into a STRING).
fn unify(a: &SqlType, b: &SqlType) -> SqlType {
    match (a, b) {
        _ if a == b => a.clone(),
        (SqlType::Bigint, SqlType::Double) | (SqlType::Double, SqlType::Bigint) => SqlType::Double,
        (SqlType::Array(x), SqlType::Array(y)) => SqlType::Array(Box::new(unify(x, y))),
        (SqlType::Struct(x), SqlType::Struct(y)) => {
            let mut fields = x.clone();
            for field in y {
                match fields.iter_mut().find(|f| f.name == field.name) {
                    Some(existing) => existing.ty = unify(&existing.ty, &field.ty),
                    None => fields.push(field.clone()),
                }
            }
            SqlType::Struct(fields)
        }
        _ => SqlType::String,
    }
}

/// Whether `got` is what `exp` says; the reason when not.
pub fn matches(got: &Value, exp: &Exp) -> Result<(), String> {
    let ok = match (exp, got) {
        (Exp::Any | Exp::Unknown, _) => true,
        (Exp::Fail, _) => false,
        (Exp::Null, Value::Null) => true,
        (Exp::Bool(a), Value::Boolean(b)) => a == b,
        (Exp::Int(a), Value::Int(b)) | (Exp::Date(a), Value::Date(b)) => a == b,
        (Exp::Time(a), Value::Time(b)) => a == b,
        (Exp::Bigint(a), Value::Bigint(b)) | (Exp::Timestamp(a), Value::Timestamp(b)) => a == b,
        (Exp::Double(a), Value::Double(b)) => close(*a, *b),
        (Exp::Str(a), Value::String(b)) => a.as_str() == &**b,
        (Exp::StrNumber(a), Value::String(b)) => b.parse::<f64>().is_ok_and(|b| close(*a, b)),
        (Exp::StrJson(a), Value::String(b)) => {
            let mut de = serde_json::Deserializer::from_str(b);
            de.disable_recursion_limit();
            serde::Deserialize::deserialize(&mut de)
                .is_ok_and(|b: Doc| same_tree(a, &object_node(&b)))
        }
        (Exp::Arr(items), Value::Array(values)) | (Exp::Struct(items), Value::Struct(values)) => {
            if items.len() != values.len() {
                return Err(format!("{} items expected, got {got:?}", items.len()));
            }
            for (exp, got) in items.iter().zip(values.iter()) {
                matches(got, exp)?;
            }
            true
        }
        (Exp::Map(entries), Value::Map(values)) => {
            if entries.len() != values.len() {
                return Err(format!("{} entries expected, got {got:?}", entries.len()));
            }
            for ((key, exp), (got_key, got)) in entries.iter().zip(values.iter()) {
                if !matches!(got_key, Value::String(k) if **k == **key) {
                    return Err(format!("key {key:?} expected, got {got_key:?}"));
                }
                matches(got, exp)?;
            }
            true
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("expected {exp:?}, got {got:?}"))
    }
}

/// Equal trees, numbers compared by value (see [`close`]): Jackson reads
/// `-0` as the integer 0, which serde_json reads as the float -0.0, and weir rewrites
/// fractions in `BigDecimal` form (`1E+3`).
fn same_tree(a: &Doc, b: &Doc) -> bool {
    match (a, b) {
        (Doc::Int(x), Doc::Float(y)) | (Doc::Float(y), Doc::Int(x)) => *x as f64 == *y,
        (Doc::Float(x), Doc::Float(y)) => close(*x, *y),
        (Doc::Arr(x), Doc::Arr(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_tree(x, y))
        }
        (Doc::Obj(x), Doc::Obj(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((kx, x), (ky, y))| kx == ky && same_tree(x, y))
        }
        _ => a == b,
    }
}

/// Equal, or within a relative 1e-14 (see `json_oracle`, deviation 5).
fn close(a: f64, b: f64) -> bool {
    a == b
        || (a.is_nan() && b.is_nan())
        || (a.is_finite() && b.is_finite() && (a - b).abs() <= 1e-14 * a.abs().max(b.abs()))
}
