//! What the Schema Registry formats (AVRO, PROTOBUF, JSON_SR) cannot carry, checked before a
//! source or sink is accepted, with ksqlDB's messages: maps anywhere in a key, maps with
//! non-STRING keys, and for AVRO, field names that are not AVRO names.

use crate::format::{Format, FormatError, Role};
use crate::types::SqlType;

/// Checks the columns of one side of a source or sink written in a Schema Registry format.
pub fn check_columns(
    format: Format,
    role: Role,
    columns: &[(&str, &SqlType)],
) -> Result<(), String> {
    for (name, ty) in columns {
        if role == Role::Key && ty.contains_map() {
            return Err(FormatError::MapInKey {
                column: name.to_string(),
                ty: (*ty).clone(),
            }
            .to_string());
        }
        if has_non_string_map_key(ty) {
            return Err(match format {
                Format::Avro => "Avro only supports MAPs with STRING keys".to_string(),
                Format::JsonSr => FormatError::JsonMapKeyNotString.to_string(),
                _ => format!("{format} format only supports MAP types with STRING keys"),
            });
        }
        if format == Format::Avro {
            avro_name(name)?;
            avro_field_names(ty)?;
        }
    }
    Ok(())
}

fn has_non_string_map_key(ty: &SqlType) -> bool {
    match ty {
        SqlType::Map(key, value) => {
            **key != SqlType::String || has_non_string_map_key(key) || has_non_string_map_key(value)
        }
        SqlType::Array(element) => has_non_string_map_key(element),
        SqlType::Struct(fields) => fields.iter().any(|f| has_non_string_map_key(&f.ty)),
        _ => false,
    }
}

fn avro_field_names(ty: &SqlType) -> Result<(), String> {
    match ty {
        SqlType::Struct(fields) => fields.iter().try_for_each(|f| {
            avro_name(&f.name)?;
            avro_field_names(&f.ty)
        }),
        SqlType::Array(element) => avro_field_names(element),
        SqlType::Map(key, value) => {
            avro_field_names(key)?;
            avro_field_names(value)
        }
        _ => Ok(()),
    }
}

/// AVRO names start with a letter or `_` and go on with letters, digits and `_`.
fn avro_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' => {}
        _ => {
            return Err(format!(
                "Schema is not compatible with Avro: Illegal initial character: {name}"
            ));
        }
    }
    if chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        Ok(())
    } else {
        Err(format!(
            "Schema is not compatible with Avro: Illegal character in: {name}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_in_keys_are_refused() {
        let ty = SqlType::array(SqlType::map(SqlType::Int, SqlType::Double));
        let err = check_columns(Format::Avro, Role::Key, &[("K", &ty)]).unwrap_err();
        assert!(err.starts_with("Map keys, including types that contain maps, are not supported"));
        assert!(err.contains("Key column name: `K`. Column type: ARRAY<MAP<INTEGER, DOUBLE>>."));
    }

    #[test]
    fn map_keys_must_be_strings() {
        let ty = SqlType::map(SqlType::Int, SqlType::Double);
        for (format, message) in [
            (Format::Avro, "Avro only supports MAPs with STRING keys"),
            (
                Format::JsonSr,
                "JSON only supports MAP types with STRING keys",
            ),
            (
                Format::Protobuf,
                "PROTOBUF format only supports MAP types with STRING keys",
            ),
        ] {
            assert_eq!(
                check_columns(format, Role::Value, &[("M", &ty)]),
                Err(message.to_string())
            );
        }
        let fine = SqlType::map(SqlType::String, SqlType::Double);
        assert_eq!(
            check_columns(Format::Avro, Role::Value, &[("M", &fine)]),
            Ok(())
        );
    }

    #[test]
    fn avro_names() {
        assert_eq!(
            check_columns(Format::Avro, Role::Value, &[("1A", &SqlType::Int)]),
            Err("Schema is not compatible with Avro: Illegal initial character: 1A".to_string())
        );
        let nested = SqlType::structure([("a-b", SqlType::Int)]);
        assert_eq!(
            check_columns(Format::Avro, Role::Value, &[("S", &nested)]),
            Err("Schema is not compatible with Avro: Illegal character in: a-b".to_string())
        );
        assert_eq!(
            check_columns(Format::Protobuf, Role::Value, &[("1A", &SqlType::Int)]),
            Ok(())
        );
    }
}
