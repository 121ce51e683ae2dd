//! The KAFKA format: one column in Kafka's own primitive serializations. INT is 4 bytes and
//! BIGINT 8 bytes big-endian, DOUBLE 8 bytes IEEE 754 big-endian, STRING UTF-8 (invalid
//! sequences replaced, as Java's decoder does), BYTES raw. A NULL column is a Kafka null. Which
//! types are allowed is checked by `format::validate`, not here.

use super::error::FormatError;
use super::{Encoded, SerdeColumn};
use crate::types::{SqlType, Value};

pub(super) fn deserialize(column: &SerdeColumn, bytes: &[u8]) -> Result<Value, FormatError> {
    let wrong_size = |deserializer, expected| FormatError::WrongSize {
        deserializer,
        expected,
        got: bytes.len(),
    };
    Ok(match column.ty {
        SqlType::Int => {
            let raw: [u8; 4] = bytes
                .try_into()
                .map_err(|_| wrong_size("IntegerDeserializer", 4))?;
            Value::Int(i32::from_be_bytes(raw))
        }
        SqlType::Bigint => {
            let raw: [u8; 8] = bytes
                .try_into()
                .map_err(|_| wrong_size("LongDeserializer", 8))?;
            Value::Bigint(i64::from_be_bytes(raw))
        }
        SqlType::Double => {
            let raw: [u8; 8] = bytes
                .try_into()
                .map_err(|_| wrong_size("DoubleDeserializer", 8))?;
            Value::Double(f64::from_be_bytes(raw))
        }
        SqlType::String => Value::string(String::from_utf8_lossy(bytes).as_ref()),
        SqlType::Bytes => Value::bytes(bytes),
        _ => {
            return Err(FormatError::ValueTypeMismatch {
                column: column.name.clone(),
                expected: column.ty.clone(),
            });
        }
    })
}

pub(super) fn serialize(
    column: &SerdeColumn,
    value: &Value,
    out: &mut Vec<u8>,
) -> Result<Encoded, FormatError> {
    match (value, &column.ty) {
        (Value::Null, _) => return Ok(Encoded::Null),
        (Value::Int(v), SqlType::Int) => out.extend_from_slice(&v.to_be_bytes()),
        (Value::Bigint(v), SqlType::Bigint) => out.extend_from_slice(&v.to_be_bytes()),
        (Value::Double(v), SqlType::Double) => out.extend_from_slice(&v.to_be_bytes()),
        (Value::String(s), SqlType::String) => out.extend_from_slice(s.as_bytes()),
        (Value::Bytes(b), SqlType::Bytes) => out.extend_from_slice(b),
        _ => {
            return Err(FormatError::ValueTypeMismatch {
                column: column.name.clone(),
                expected: column.ty.clone(),
            });
        }
    }
    Ok(Encoded::Bytes)
}
