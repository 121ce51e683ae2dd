//! The extension point: a list of extra functions installed once for the whole test process
//! ([`install_test_extras`], shared with the driver tests), resolved like built-ins, and the
//! lists [`install`] refuses.

use super::*;
use crate::functions::resolve::resolve;
use crate::functions::{ArgType, ResolveError};

/// Sums the lengths of a STRING column, starting from a constant.
struct SumLengths {
    start: i64,
}

impl ExtraAggregate for SumLengths {
    fn init(&self) -> Value {
        Value::Bigint(self.start)
    }

    fn add(&self, acc: Value, args: &[Value]) -> Result<Value, String> {
        let length = args.first().and_then(Value::as_str).map_or(0, str::len) as i64;
        Ok(Value::Bigint(acc.as_i64().unwrap_or(0) + length))
    }

    fn undo(&self, acc: Value, args: &[Value]) -> Option<Value> {
        let length = args.first().and_then(Value::as_str).map_or(0, str::len) as i64;
        Some(Value::Bigint(acc.as_i64().unwrap_or(0) - length))
    }

    fn result(&self, acc: &Value) -> Value {
        acc.clone()
    }

    fn merge(&self, earlier: Value, later: Value) -> Value {
        Value::Bigint(earlier.as_i64().unwrap_or(0) + later.as_i64().unwrap_or(0))
    }
}

/// The extra functions of weir's own tests: `Xt_Pick` (scalar), `XT_SUM_LEN` (aggregate),
/// `xt_repeat` (table).
fn test_extras() -> Vec<ExtraFunction> {
    vec![
        ExtraFunction::scalar(
            "Xt_Pick",
            &[
                "INT, STRING -> STRING",
                "BIGINT, STRING -> STRING",
                "BIGINT... -> STRING",
                "STRUCT<A STRING> -> STRING",
                "T, ARRAY<T> -> T",
            ],
            |call| {
                let chosen = format!("{}", call.args.len());
                Ok(Box::new(move |_| Ok(Value::string(chosen.as_str()))))
            },
        ),
        ExtraFunction::aggregate("XT_SUM_LEN", &[("STRING, INT -> BIGINT", 1)], |call| {
            let start = call
                .literals
                .get(1)
                .cloned()
                .flatten()
                .and_then(|v| v.as_i64())
                .ok_or("the start must be a literal INT")?;
            Ok(Box::new(SumLengths { start }))
        }),
        ExtraFunction::table("xt_repeat", &["STRING, INT -> STRING"], |_| {
            Ok(Box::new(|args| {
                let times = args.get(1).and_then(Value::as_i64).unwrap_or(0);
                if times < 0 {
                    return Err("xt_repeat: a negative count".to_string());
                }
                Ok(vec![args[0].clone(); times as usize])
            }))
        }),
    ]
}

/// Installs [`test_extras`] once for the test process; every test that needs them calls it.
pub(crate) fn install_test_extras() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| install(test_extras()).expect("the test extras install"));
}

fn t(ty: SqlType) -> ArgType {
    ArgType::Type(ty)
}

#[test]
fn an_extra_function_resolves_like_a_builtin() {
    install_test_extras();
    let registry = Registry::builtin();
    let pick = registry.get("xt_pick").expect("installed");
    assert_eq!(pick.kind, FunctionKind::Scalar);
    assert!(registry.names().any(|n| n == "XT_PICK"));
    // Exact match first; an INT widens to the BIGINT overload only when nothing else fits.
    let exact = resolve(pick, &[t(SqlType::Int), t(SqlType::String)]).unwrap();
    assert_eq!(exact.signature, 0);
    let long = resolve(pick, &[t(SqlType::Bigint), ArgType::Null]).unwrap();
    assert_eq!(long.signature, 1, "a fixed arity beats the variadic one");
    let variadic = resolve(
        pick,
        &[t(SqlType::Int), t(SqlType::Bigint), t(SqlType::Int)],
    );
    assert_eq!(variadic.unwrap().params, vec![Some(SqlType::Bigint); 3]);
    let structure = SqlType::structure([("A", SqlType::String)]);
    assert_eq!(resolve(pick, &[t(structure)]).unwrap().signature, 3);
    let generic = resolve(
        pick,
        &[t(SqlType::Double), t(SqlType::array(SqlType::Double))],
    );
    assert_eq!(generic.unwrap().returns, SqlType::Double);
    // Messages spell the name as declared.
    assert_eq!(
        resolve(pick, &[t(SqlType::Boolean)]),
        Err(ResolveError::NoMatch {
            name: "Xt_Pick".into(),
            args: "BOOLEAN".into()
        })
    );
    let sum = registry.get("XT_SUM_LEN").expect("installed");
    assert!(registry.is_aggregate("xt_sum_len") && registry.is_table("XT_REPEAT"));
    let resolved = resolve(sum, &[t(SqlType::String), t(SqlType::Int)]).unwrap();
    assert_eq!(resolved.returns, SqlType::Bigint);
    assert_eq!(
        aggregate_constants("xt_sum_len", 0, 2),
        Some(vec![false, true])
    );
    assert_eq!(aggregate_constants("xt_pick", 0, 2), None);
}

#[test]
fn an_extra_function_never_shadows_a_builtin() {
    let shadow = ExtraFunction::scalar("abs", &["INT -> INT"], |_| {
        Ok(Box::new(|_| Ok(Value::Null)))
    });
    assert_eq!(
        install(vec![shadow]),
        Err(ExtensionError::ShadowsBuiltin { name: "ABS".into() })
    );
    // Refused lists install nothing: the built-in is still the one found.
    assert!(descriptor("ABS").is_none());
    assert_eq!(Registry::builtin().get("abs").map(|f| f.name), Some("ABS"));
}

#[test]
fn a_bad_list_is_refused_whole() {
    let scalar = |name: &'static str, signature: &'static str| {
        ExtraFunction::scalar(name, &[signature], |_| Ok(Box::new(|_| Ok(Value::Null))))
    };
    assert_eq!(
        check(vec![
            scalar("xt_a", "INT -> INT"),
            scalar("XT_A", "INT -> INT")
        ])
        .err(),
        Some(ExtensionError::Duplicate {
            name: "XT_A".into()
        })
    );
    assert!(matches!(
        check(vec![scalar("xt_b", "INT")]),
        Err(ExtensionError::BadSignature { .. })
    ));
    let counted = ExtraFunction::aggregate("xt_c", &[("INT -> INT", 2)], |_| {
        Err("never built".to_string())
    });
    assert_eq!(
        check(vec![counted]).err(),
        Some(ExtensionError::BadColumns {
            name: "XT_C".into()
        })
    );
}

#[test]
fn a_second_installation_is_refused() {
    install_test_extras();
    assert_eq!(install(Vec::new()), Err(ExtensionError::AlreadyInstalled));
}
