//! Overload resolution when untyped `NULL` arguments leave several overloads matching: the
//! ranking of ksqlDB's `UdfIndex` and its "ambiguous method parameters" error.

use super::*;
use crate::functions::{FunctionKind, Registry};

fn builtin(name: &str) -> &'static FunctionDescriptor {
    Registry::builtin()
        .get(name)
        .unwrap_or_else(|| panic!("no builtin {name}"))
}

fn nulls(n: usize) -> Vec<ArgType> {
    vec![ArgType::Null; n]
}

fn message(function: &FunctionDescriptor, args: &[ArgType]) -> String {
    match resolve(function, args) {
        Ok(r) => panic!("resolved to signature {}", r.signature),
        Err(e) => e.to_string(),
    }
}

fn declared(signatures: &[&str]) -> FunctionDescriptor {
    FunctionDescriptor {
        name: "F",
        kind: FunctionKind::Scalar,
        signatures: signatures
            .iter()
            .map(|s| Signature::parse(s).unwrap_or_else(|e| panic!("{e}")))
            .collect(),
    }
}

#[test]
fn only_nulls_to_a_variadic_family_are_ambiguous() {
    for (name, declared) in [("LEAST", "least"), ("GREATEST", "greatest")] {
        for n in [1, 2, 4] {
            let text = message(builtin(name), &nulls(n));
            let listed = vec!["null"; n].join(", ");
            assert_eq!(
                text,
                format!(
                    "Function '{declared}' cannot be resolved due to ambiguous method parameters \
                     ({listed})."
                )
            );
        }
    }
}

#[test]
fn only_nulls_to_fixed_overloads_of_one_arity_are_ambiguous() {
    for name in ["ABS", "ROUND", "CEIL", "SIGN", "LEN"] {
        if Registry::builtin().get(name).is_none() {
            continue;
        }
        assert!(
            message(builtin(name), &nulls(1)).contains("ambiguous method parameters (null)"),
            "{name}"
        );
    }
    // Two overloads of two parameters that differ only where the NULL is.
    let substring = builtin("SUBSTRING");
    let text = message(substring, &[ArgType::Null, ArgType::Type(SqlType::Int)]);
    assert!(text.ends_with("ambiguous method parameters (null, INTEGER)."));
}

#[test]
fn a_typed_argument_beside_the_nulls_picks_the_overload() {
    let least = builtin("LEAST");
    let r = resolve(least, &[ArgType::Null, ArgType::Type(SqlType::Int)]).unwrap();
    assert_eq!(r.returns, SqlType::Int);
    let r = resolve(
        least,
        &[ArgType::Type(SqlType::String), ArgType::Null, ArgType::Null],
    )
    .unwrap();
    assert_eq!(r.returns, SqlType::String);
    let substring = builtin("SUBSTRING");
    let r = resolve(
        substring,
        &[ArgType::Type(SqlType::Bytes), ArgType::Null, ArgType::Null],
    )
    .unwrap();
    assert_eq!(r.returns, SqlType::Bytes);
}

#[test]
fn a_single_overload_takes_nulls_without_ambiguity() {
    for name in ["IFNULL", "COALESCE", "UCASE", "REPLACE"] {
        let function = builtin(name);
        let arity = function.signatures[0].params.len();
        assert!(resolve(function, &nulls(arity)).is_ok(), "{name}");
    }
}

#[test]
fn a_fixed_arity_beats_a_variadic_overload() {
    let f = declared(&["STRING... -> STRING", "STRING, STRING -> BIGINT"]);
    assert_eq!(resolve(&f, &nulls(2)).unwrap().returns, SqlType::Bigint);
    // With three arguments only the variadic one is left.
    assert_eq!(resolve(&f, &nulls(3)).unwrap().returns, SqlType::String);
}

#[test]
fn more_declared_parameters_win_among_variadic_overloads() {
    let f = declared(&["STRING... -> STRING", "INT, STRING... -> INT"]);
    assert_eq!(resolve(&f, &nulls(2)).unwrap().returns, SqlType::Int);
}

#[test]
fn fewer_generic_parameters_win() {
    let f = declared(&["T, T -> T", "STRING, STRING -> STRING"]);
    assert_eq!(resolve(&f, &nulls(2)).unwrap().returns, SqlType::String);
}

#[test]
fn a_variadic_any_loses_to_a_variadic_type() {
    let f = declared(&["ANY... -> BIGINT", "STRING... -> STRING"]);
    assert_eq!(resolve(&f, &nulls(2)).unwrap().returns, SqlType::String);
}

#[test]
fn typed_arguments_alone_keep_the_widening_rules() {
    // No NULL: the ranking is not consulted, the fewest widenings win as before.
    let abs = builtin("ABS");
    assert_eq!(
        resolve(abs, &[ArgType::Type(SqlType::Int)])
            .unwrap()
            .returns,
        SqlType::Int
    );
    let least = builtin("LEAST");
    assert!(
        message(
            least,
            &[ArgType::Type(SqlType::Int), ArgType::Type(SqlType::Bigint)]
        )
        .contains("ambiguous method parameters (INTEGER, BIGINT)")
    );
}

#[test]
fn topk_takes_other_columns_between_the_sort_column_and_k() {
    let topk = builtin("TOPK");
    let t = ArgType::Type;
    let plain = resolve(topk, &[t(SqlType::Int), t(SqlType::Int)]).unwrap();
    assert_eq!(plain.returns, SqlType::array(SqlType::Int));
    let r = resolve(
        topk,
        &[
            t(SqlType::Bigint),
            t(SqlType::String),
            t(SqlType::array(SqlType::Int)),
            t(SqlType::Int),
        ],
    )
    .unwrap();
    let row = SqlType::structure([
        ("sort_col", SqlType::Bigint),
        ("col0", SqlType::String),
        ("col1", SqlType::array(SqlType::Int)),
    ]);
    assert_eq!(r.returns, SqlType::array(row));
    // An INT sort column widens to no other overload when it has its own.
    let r = resolve(topk, &[t(SqlType::Int), ArgType::Null, t(SqlType::Int)]).unwrap();
    assert_eq!(
        r.returns,
        SqlType::array(SqlType::structure([
            ("sort_col", SqlType::Int),
            ("col0", SqlType::String)
        ]))
    );
    // `k` is an INT, and a DATE is no sort column of this form.
    assert!(
        resolve(
            topk,
            &[t(SqlType::Int), t(SqlType::String), t(SqlType::String)]
        )
        .is_err()
    );
    assert!(
        resolve(
            topk,
            &[t(SqlType::Date), t(SqlType::String), t(SqlType::Int)]
        )
        .is_err()
    );
}

/// Both messages name the function as ksqlDB declares it (`UdfIndex` prints the declared
/// name): lower case for most, the declaration's own spelling for the others.
#[test]
fn messages_name_the_function_as_ksqldb_declares_it() {
    let t = |ty: SqlType| ArgType::Type(ty);
    let cases = [
        (
            "ROUND",
            vec![t(SqlType::String)],
            "Function 'Round' does not accept parameters (STRING).",
        ),
        (
            "ucase",
            vec![t(SqlType::Int)],
            "Function 'ucase' does not accept parameters (INTEGER).",
        ),
        (
            "ARRAY_LENGTH",
            vec![t(SqlType::Boolean)],
            "Function 'ARRAY_LENGTH' does not accept parameters (BOOLEAN).",
        ),
        (
            "SUM",
            vec![t(SqlType::String)],
            "Function 'SUM' does not accept parameters (STRING).",
        ),
        (
            "LATEST_BY_OFFSET",
            vec![],
            "Function 'LATEST_BY_OFFSET' does not accept parameters ().",
        ),
        (
            "CONCAT",
            vec![t(SqlType::Int), t(SqlType::Boolean)],
            "Function 'concat' does not accept parameters (INTEGER, BOOLEAN).",
        ),
    ];
    for (name, args, expected) in cases {
        assert_eq!(message(builtin(name), &args), expected, "{name}");
    }
    assert!(
        message(builtin("FLOOR"), &nulls(1)).starts_with("Function 'Floor' cannot be resolved")
    );
}
