//! The test UDTFs: `test_udtf` (`TestUdtf`: each kind of parameter rendered as Java's
//! `String.valueOf` would, each kind of element returned as given) and `throwing_udtf`
//! (`ThrowingUdtf`: throws when asked to).

use weir::functions::extra::{CallTypes, ExtraFunction, TableFn};
use weir::types::cast::write_java_string;
use weir::types::decimal::cast_decimal;
use weir::types::{SqlType, Value};

use super::{NULL_POINTER, present};

pub fn functions() -> Vec<ExtraFunction> {
    vec![
        ExtraFunction::table(
            "test_udtf",
            &[
                // `standardParams`, `parameterizedListParams`, `parameterizedMapParams` and
                // `parameterizedMapParams2`: one row per parameter, as text.
                "INT, BIGINT, DOUBLE, BOOLEAN, STRING, DECIMAL, STRUCT<A STRING> -> STRING",
                "ARRAY<INT>, ARRAY<BIGINT>, ARRAY<DOUBLE>, ARRAY<BOOLEAN>, ARRAY<STRING>, \
                 ARRAY<DECIMAL>, ARRAY<STRUCT<A STRING>> -> STRING",
                "MAP<STRING, INT>, MAP<STRING, BIGINT>, MAP<STRING, DOUBLE>, \
                 MAP<STRING, BOOLEAN>, MAP<STRING, STRING>, MAP<STRING, DECIMAL>, \
                 MAP<STRING, STRUCT<A STRING>> -> STRING",
                "MAP<BIGINT, INT>, MAP<STRING, BIGINT>, MAP<STRING, DOUBLE>, \
                 MAP<STRING, BOOLEAN>, MAP<STRING, STRING>, MAP<STRING, DECIMAL>, \
                 MAP<STRING, STRUCT<A STRING>> -> STRING",
                // The `list…Return` methods: the argument as the only row.
                "INT -> INT",
                "BIGINT -> BIGINT",
                "DOUBLE -> DOUBLE",
                "BOOLEAN -> BOOLEAN",
                "STRING -> STRING",
                "DECIMAL -> DECIMAL(30, 10)",
                "STRUCT<A STRING> -> STRUCT<A STRING>",
            ],
            test_udtf,
        ),
        ExtraFunction::table("throwing_udtf", &["BOOLEAN -> BOOLEAN"], |_| {
            Ok(Box::new(|args| {
                let should_throw = present(args.first())?;
                if should_throw.as_bool() == Some(true) {
                    return Err("You asked me to throw...".to_string());
                }
                Ok(vec![should_throw.clone()])
            }))
        }),
    ]
}

fn test_udtf(call: &CallTypes<'_>) -> Result<TableFn, String> {
    let types: Vec<SqlType> = call.args.to_vec();
    Ok(match call.signature {
        0 => Box::new(move |args| render_all(args, &types, |v| Ok(v.clone()))),
        1 => Box::new(move |args| render_all(args, &types, first_element)),
        2 | 3 => Box::new(move |args| render_all(args, &types, first_map_value)),
        9 => {
            let returns = call.returns.clone();
            Box::new(move |args| {
                let value = present(args.first())?;
                match (value, &returns) {
                    (Value::Decimal(d), SqlType::Decimal { precision, scale }) => {
                        let fitted =
                            cast_decimal(*d, *precision, *scale).map_err(|e| e.to_string())?;
                        Ok(vec![Value::Decimal(fitted)])
                    }
                    _ => Ok(vec![value.clone()]),
                }
            })
        }
        // A struct is a reference: NULL is a NULL row. The rest are primitives.
        10 => Box::new(|args| Ok(vec![args.first().cloned().unwrap_or(Value::Null)])),
        _ => Box::new(|args| Ok(vec![present(args.first())?.clone()])),
    })
}

/// The seven parameters of the text-returning overloads, each picked by `pick` (the value,
/// a list's first element, a map's first value) and rendered: the numbers and the boolean
/// as `String.valueOf` (NULL as `null`), the string as it is, the decimal and the struct by
/// their `toString()`. Java's immutable list refuses a NULL string, and `toString()` of a
/// NULL fails, so those are failures.
fn render_all(
    args: &[Value],
    types: &[SqlType],
    pick: fn(&Value) -> Result<Value, String>,
) -> Result<Vec<Value>, String> {
    let mut rows = Vec::with_capacity(args.len());
    for (i, arg) in args.iter().enumerate() {
        let holder = present(Some(arg))?;
        let value = pick(holder)?;
        if i >= 4 && value.is_null() {
            return Err(NULL_POINTER.to_string());
        }
        let element_type = types.get(i).map(element_type).unwrap_or(SqlType::String);
        let mut text = String::new();
        write_java_string(&value, &element_type, &mut text);
        rows.push(Value::string(text));
    }
    Ok(rows)
}

/// A list's `get(0)`: out of bounds when empty.
fn first_element(list: &Value) -> Result<Value, String> {
    list.as_array()
        .and_then(|items| items.first().cloned())
        .ok_or_else(|| "java.lang.IndexOutOfBoundsException: Index 0 out of bounds".to_string())
}

/// A map's `values().iterator().next()`: no such element when empty.
fn first_map_value(map: &Value) -> Result<Value, String> {
    map.as_map()
        .and_then(|entries| entries.first().map(|(_, v)| v.clone()))
        .ok_or_else(|| "java.util.NoSuchElementException".to_string())
}

/// The type of what [`render_all`] picks from a parameter of type `ty`.
fn element_type(ty: &SqlType) -> SqlType {
    match ty {
        SqlType::Array(element) => (**element).clone(),
        SqlType::Map(_, value) => (**value).clone(),
        other => other.clone(),
    }
}
