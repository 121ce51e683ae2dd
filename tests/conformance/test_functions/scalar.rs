//! The scalar test UDFs: `test_udf` (`TestUdf`: overloads that name themselves, a struct
//! field read, a struct returned through a schema provider), `bad_udf` (`BadUdf`: throws,
//! throws on demand, NULL every other call), `WhenCondition` and `WhenResult` (which fail
//! when evaluated although their CASE branch was not taken), and `udf-example.jar`'s
//! `tostruct`.

use std::sync::atomic::{AtomicU64, Ordering};

use weir::functions::extra::{CallTypes, ExtraFunction, ScalarFn};
use weir::types::Value;

use super::{NULL_POINTER, present};

pub fn functions() -> Vec<ExtraFunction> {
    vec![
        ExtraFunction::scalar(
            "test_udf",
            &[
                "INT, STRING -> STRING",
                "BIGINT, STRING -> STRING",
                "BIGINT, BIGINT, STRING -> STRING",
                // Before the variadic one: weir takes the first declared of two overloads
                // that fit a call exactly, ksqlDB's `UdfIndex` a fixed arity over a variadic
                // one, so a call without arguments is this one in both.
                " -> STRUCT<A STRING>",
                "BIGINT... -> STRING",
                "STRUCT<A STRING> -> STRING",
            ],
            test_udf,
        ),
        ExtraFunction::scalar(
            "bad_udf",
            &["INT -> STRING", "BOOLEAN -> INT", "STRING -> STRING"],
            bad_udf,
        ),
        ExtraFunction::scalar("WhenCondition", &["BOOLEAN, BOOLEAN -> BOOLEAN"], |_| {
            Ok(lazy_check("When condition in case is not running lazily!"))
        }),
        ExtraFunction::scalar("WhenResult", &["INT, BOOLEAN -> INT"], |_| {
            Ok(lazy_check("Then expression in case is not running lazily!"))
        }),
        ExtraFunction::scalar("tostruct", &["STRING -> STRUCT<A STRING>"], |_| {
            Ok(Box::new(|args| {
                Ok(Value::structure(vec![
                    args.first().cloned().unwrap_or(Value::Null),
                ]))
            }))
        }),
    ]
}

/// `TestUdf`: the four overloads of primitive and string parameters return the name of the
/// Java method that was chosen, so a case sees which overload resolution picked.
fn test_udf(call: &CallTypes<'_>) -> Result<ScalarFn, String> {
    let method = match call.signature {
        0 => "doStuffIntString",
        1 => "doStuffLongString",
        2 => "doStuffLongLongString",
        // `returnStructStuff`: a constant struct.
        3 => {
            return Ok(Box::new(|_| {
                Ok(Value::structure(vec![Value::string("foo")]))
            }));
        }
        4 => "doStuffLongVarargs",
        // `doStuffStruct`: the struct's field A.
        _ => {
            return Ok(Box::new(|args| {
                let fields = present(args.first())?.as_struct().unwrap_or(&[]);
                Ok(fields.first().cloned().unwrap_or(Value::Null))
            }));
        }
    };
    // A NULL for a primitive parameter (all but the STRING ones) fails the Java call.
    let primitive: Vec<bool> = call
        .args
        .iter()
        .map(|ty| *ty != weir::types::SqlType::String)
        .collect();
    Ok(Box::new(move |args| {
        if args
            .iter()
            .zip(&primitive)
            .any(|(value, primitive)| *primitive && value.is_null())
        {
            return Err(NULL_POINTER.to_string());
        }
        Ok(Value::string(method))
    }))
}

/// `BadUdf`: `blowUp(int)` always throws, `mightThrow(boolean)` throws when asked to and is
/// 0 otherwise, `returnNull(String)` is NULL on every other call of one instance (the first
/// included) and its argument on the rest.
fn bad_udf(call: &CallTypes<'_>) -> Result<ScalarFn, String> {
    Ok(match call.signature {
        0 => Box::new(|args| {
            present(args.first())?;
            Err("boom!".to_string())
        }),
        1 => Box::new(|args| match present(args.first())?.as_bool() {
            Some(true) => Err("You asked me to throw...".to_string()),
            _ => Ok(Value::Int(0)),
        }),
        _ => {
            let calls = AtomicU64::new(0);
            Box::new(move |args| {
                if calls.fetch_add(1, Ordering::Relaxed).is_multiple_of(2) {
                    Ok(Value::Null)
                } else {
                    Ok(args.first().cloned().unwrap_or(Value::Null))
                }
            })
        }
    })
}

/// `WhenCondition` and `WhenResult`: the first argument, when the second says the call was
/// meant to be evaluated; a failure with `message` otherwise.
fn lazy_check(message: &'static str) -> ScalarFn {
    Box::new(move |args| {
        let value = present(args.first())?.clone();
        match present(args.get(1))?.as_bool() {
            Some(true) => Ok(value),
            _ => Err(message.to_string()),
        }
    })
}
