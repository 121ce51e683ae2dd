//! How an expected QTT record matches the record weir wrote, by the rules of ksqlDB's own
//! harness rather than plain JSON equality.
//!
//! ksqlDB's `TestExecutor` reads each output record through the sink's deserializer, which
//! hands every STRUCT (and the row itself) over as a Java map, and its
//! `ExpectedRecordComparator.compareStruct` then looks up each expected field by its exact
//! name and, when that gives nothing, by the name upper-cased. So an expectation may write
//! an unquoted (upper-cased) column or field name in lower case, while a name that is really
//! lower case (quoted) must still be written as it is: the fallback only ever upper-cases
//! the expected side. The runner applies that fallback to the fields of a STRUCT, as the
//! sink schema says which objects are structs; MAP keys are compared exactly (ksqlDB's
//! harness would upper-case a map's expected keys too, since it cannot tell a map from a
//! struct; keeping them exact is the stricter reading). Field counts must agree either way,
//! and a name found neither way reads as null, as a missing map entry does in Java.
//!
//! `TestExecutor.coerceRecordFields` also reads a zero-length BYTES field at the top of a
//! record decoded through Kafka Connect (every format but JSON, KAFKA, DELIMITED and NONE)
//! as null; [`blank_empty_bytes`] does the same to weir's decoded record.
//!
//! Scalars compare as before: numbers by value (`1` = `1.0`), and an expected number written
//! as text matches an actual number of that value (the cases write DECIMAL results either
//! way, and ksqlDB's comparator compares a text expectation with a decimal by value).

use serde_json::{Map, Value as Json};
use weir::types::{SqlType, StructField};

/// Whether the expected `want` matches the actual `got`, whose SQL type is `ty` when known
/// (the columns as a STRUCT for a record written as an object).
pub fn matches(want: &Json, got: &Json, ty: Option<&SqlType>) -> bool {
    match (want, got, ty) {
        (Json::Object(want), Json::Object(got), Some(SqlType::Struct(fields))) => {
            struct_matches(want, got, fields)
        }
        (Json::Object(want), Json::Object(got), Some(SqlType::Map(_, value_ty))) => {
            want.len() == got.len()
                && want
                    .iter()
                    .all(|(k, w)| got.get(k).is_some_and(|g| matches(w, g, Some(value_ty))))
        }
        (Json::Array(want), Json::Array(got), Some(SqlType::Array(element_ty))) => {
            want.len() == got.len()
                && want
                    .iter()
                    .zip(got)
                    .all(|(w, g)| matches(w, g, Some(element_ty)))
        }
        _ => same(want, got),
    }
}

/// The fields of a STRUCT: each expected name exactly, else upper-cased, with the field's
/// own type for what lies below.
fn struct_matches(
    want: &Map<String, Json>,
    got: &Map<String, Json>,
    fields: &[StructField],
) -> bool {
    want.len() == got.len()
        && want.iter().all(|(name, w)| {
            let upper = name.to_uppercase();
            let used = if got.contains_key(name) {
                name.as_str()
            } else {
                upper.as_str()
            };
            let field_ty = fields.iter().find(|f| f.name == used).map(|f| &f.ty);
            let null = Json::Null;
            matches(w, got.get(used).unwrap_or(&null), field_ty)
        })
}

/// `got` with each top-level BYTES field that is empty (written as `""` in base64) made null,
/// as ksqlDB's harness reads a record decoded through Kafka Connect. `ty` is the record's type;
/// only a STRUCT has top-level fields.
pub fn blank_empty_bytes(got: Json, ty: Option<&SqlType>) -> Json {
    match (got, ty) {
        (Json::Object(mut members), Some(SqlType::Struct(fields))) => {
            for field in fields.iter().filter(|f| f.ty == SqlType::Bytes) {
                if let Some(value) = members.get_mut(&field.name)
                    && value.as_str() == Some("")
                {
                    *value = Json::Null;
                }
            }
            Json::Object(members)
        }
        (other, _) => other,
    }
}

/// JSON equality where numbers compare by value (`1` = `1.0`), and an expected number
/// written as text matches an actual number of that value (`"005.40"` = `5.4`). `a` is the
/// expected side. Objects compare with exact keys: without a type, nothing says which are
/// structs.
pub fn same(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::String(text), Json::Number(y)) => text.parse::<f64>().is_ok_and(|x| {
            text.chars()
                .all(|c| c.is_ascii_digit() || ".-+".contains(c))
                && Some(x) == y.as_f64()
        }),
        (Json::Number(x), Json::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(i), Some(j)) => i == j,
            _ => x.as_f64() == y.as_f64(),
        },
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}
