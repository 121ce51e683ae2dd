//! Array functions: ARRAY_CONTAINS, ARRAY_LENGTH, the set operations (ARRAY_DISTINCT, _EXCEPT,
//! _INTERSECT, _UNION, which keep first-occurrence order like Java's `LinkedHashSet`),
//! ARRAY_CONCAT, ARRAY_REMOVE, ARRAY_MAX/MIN, ARRAY_SORT (NULLs last), ARRAY_JOIN, SLICE and
//! GENERATE_SERIES. Element equality is Java's `equals` ([`Value::java_equals`]: grouping
//! equality, with maps equal in any entry order).

use std::cmp::Ordering;

use super::{CallSite, FnImpl, array_arg, f, int_arg, str_arg, try_f};
use crate::expr::compile::EvalError;
use crate::types::{SqlType, Value, cast::write_java_string};

pub fn lookup(site: &CallSite<'_>) -> Option<FnImpl> {
    match site.name {
        "ARRAY_LENGTH" => {
            f(|a| array_arg(a, 0).map_or(Value::Null, |x| Value::Int(x.len() as i32)))
        }
        "ARRAY_CONTAINS" => {
            f(|a| {
                let (Some(items), Some(needle)) = (array_arg(a, 0), a.get(1)) else {
                    return Value::Boolean(false);
                };
                // Java's List.contains: NULL finds NULL.
                Value::Boolean(items.iter().any(|v| {
                    (v.is_null() && needle.is_null()) || v.sql_equals(needle) == Some(true)
                }))
            })
        }
        "ARRAY_DISTINCT" => {
            f(|a| array_arg(a, 0).map_or(Value::Null, |x| Value::array(distinct(x.iter()))))
        }
        "ARRAY_EXCEPT" => f(|a| match (array_arg(a, 0), array_arg(a, 1)) {
            (Some(x), Some(y)) => Value::array(distinct(x.iter().filter(|v| !java_contains(y, v)))),
            _ => Value::Null,
        }),
        "ARRAY_INTERSECT" => f(|a| match (array_arg(a, 0), array_arg(a, 1)) {
            (Some(x), Some(y)) => Value::array(distinct(x.iter().filter(|v| java_contains(y, v)))),
            _ => Value::Null,
        }),
        "ARRAY_UNION" => f(|a| match (array_arg(a, 0), array_arg(a, 1)) {
            (Some(x), Some(y)) => Value::array(distinct(x.iter().chain(y.iter()))),
            _ => Value::Null,
        }),
        "ARRAY_CONCAT" => f(|a| match (array_arg(a, 0), array_arg(a, 1)) {
            (None, None) => Value::Null,
            (x, y) => Value::array(
                x.unwrap_or_default()
                    .iter()
                    .chain(y.unwrap_or_default())
                    .cloned()
                    .collect(),
            ),
        }),
        "ARRAY_REMOVE" => f(|a| {
            let Some(x) = array_arg(a, 0) else {
                return Value::Null;
            };
            let victim = a.get(1).cloned().unwrap_or(Value::Null);
            Value::array(
                x.iter()
                    .filter(|v| !v.java_equals(&victim))
                    .cloned()
                    .collect(),
            )
        }),
        "ARRAY_MAX" => f(|a| extreme(a, Ordering::Greater)),
        "ARRAY_MIN" => f(|a| extreme(a, Ordering::Less)),
        "ARRAY_SORT" => f(|a| {
            let Some(x) = array_arg(a, 0) else {
                return Value::Null;
            };
            let descending = match a.get(1) {
                None => false,
                Some(d) => match d.as_str().map(str::to_ascii_uppercase).as_deref() {
                    Some("ASC" | "ASCENDING") => false,
                    Some("DESC" | "DESCENDING") => true,
                    _ => return Value::Null,
                },
            };
            let mut sorted = x.to_vec();
            sorted.sort_by(|l, r| match (l.is_null(), r.is_null()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                _ => {
                    let o = element_cmp(l, r);
                    if descending { o.reverse() } else { o }
                }
            });
            Value::array(sorted)
        }),
        "ARRAY_JOIN" => {
            let element = match site.arg_ty(0) {
                SqlType::Array(e) => (**e).clone(),
                other => other.clone(),
            };
            // Only ksqlDB's primitive element types can be joined.
            let joinable = matches!(
                element,
                SqlType::Boolean
                    | SqlType::Int
                    | SqlType::Bigint
                    | SqlType::Double
                    | SqlType::Decimal { .. }
                    | SqlType::String
            );
            try_f(move |a| {
                let Some(x) = array_arg(a, 0) else {
                    return Ok(Value::Null);
                };
                if !joinable && x.iter().any(|v| !v.is_null()) {
                    return Err(EvalError::Function(format!(
                        "error: hit element of type {element} which is currently not supported"
                    )));
                }
                let delimiter = if a.len() > 1 {
                    str_arg(a, 1).unwrap_or("")
                } else {
                    ","
                };
                let mut out = String::new();
                for (i, v) in x.iter().enumerate() {
                    if i > 0 {
                        out.push_str(delimiter);
                    }
                    write_java_string(v, &element, &mut out);
                }
                Ok(Value::string(out))
            })
        }
        "SLICE" => f(|a| {
            let Some(x) = array_arg(a, 0) else {
                return Value::Null;
            };
            let start = if a.get(1).is_none_or(Value::is_null) {
                0
            } else {
                int_arg(a, 1).unwrap_or(0) - 1
            };
            let end = if a.get(2).is_none_or(Value::is_null) {
                x.len() as i64
            } else {
                int_arg(a, 2).unwrap_or(0)
            };
            if start < 0 || end > x.len() as i64 || start > end {
                return Value::Null;
            }
            Value::array(x[start as usize..end as usize].to_vec())
        }),
        "GENERATE_SERIES" => {
            let bigint = *site.returns == SqlType::array(SqlType::Bigint);
            try_f(move |a| generate_series(a, bigint))
        }
        _ => None,
    }
}

/// Whether `items` holds `value` by Java's `equals` (maps in any entry order).
fn java_contains(items: &[Value], value: &Value) -> bool {
    items.iter().any(|item| item.java_equals(value))
}

/// Distinct values (by Java's `equals`) in first-occurrence order.
fn distinct<'a>(values: impl Iterator<Item = &'a Value>) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for v in values {
        if !java_contains(&out, v) {
            out.push(v.clone());
        }
    }
    out
}

/// Java's `compareTo` on two non-NULL elements of one type.
fn element_cmp(l: &Value, r: &Value) -> Ordering {
    match (l, r) {
        (Value::String(x), Value::String(y)) => x.encode_utf16().cmp(y.encode_utf16()),
        _ => l.sql_cmp(r).unwrap_or_else(|| l.cmp(r)),
    }
}

/// ARRAY_MAX/MIN: NULL elements ignored; NULL for a NULL or all-NULL array.
fn extreme(a: &[Value], want: Ordering) -> Value {
    let Some(x) = array_arg(a, 0) else {
        return Value::Null;
    };
    let mut best: Option<&Value> = None;
    for v in x.iter().filter(|v| !v.is_null()) {
        if best.is_none_or(|b| element_cmp(v, b) == want) {
            best = Some(v);
        }
    }
    best.cloned().unwrap_or(Value::Null)
}

/// The longest series GENERATE_SERIES builds (a guard against exhausting memory).
const MAX_SERIES: i64 = 10_000_000;

/// GENERATE_SERIES(start, end [, step]): inclusive; the default step is 1 or -1 towards `end`.
fn generate_series(a: &[Value], bigint: bool) -> Result<Value, EvalError> {
    let (Some(start), Some(end)) = (int_arg(a, 0), int_arg(a, 1)) else {
        return Ok(Value::Null);
    };
    let step = match a.get(2) {
        None => {
            if end > start {
                1
            } else {
                -1
            }
        }
        Some(s) => match s.as_i64() {
            Some(s) => s,
            None => return Ok(Value::Null),
        },
    };
    if step == 0 {
        return Err(EvalError::Function(
            "GENERATE_SERIES step cannot be zero".into(),
        ));
    }
    let (start, diff, step) = (
        i128::from(start),
        i128::from(end) - i128::from(start),
        i128::from(step),
    );
    if (diff > 0 && step < 0) || (diff < 0 && step > 0) {
        return Err(EvalError::Function(
            "GENERATE_SERIES step has wrong sign".into(),
        ));
    }
    let size = 1 + diff / step;
    if size > i128::from(MAX_SERIES) {
        return Err(EvalError::Function(format!(
            "GENERATE_SERIES would produce {size} values; at most {MAX_SERIES} are allowed"
        )));
    }
    let values = (0..size)
        .map(|i| {
            let v = (start + i * step) as i64;
            if bigint {
                Value::Bigint(v)
            } else {
                Value::Int(v as i32)
            }
        })
        .collect();
    Ok(Value::array(values))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    fn ints(v: &[Option<i32>]) -> Value {
        Value::array(
            v.iter()
                .map(|x| x.map_or(Value::Null, Value::Int))
                .collect(),
        )
    }

    fn arr(v: &[Option<i32>]) -> (Value, SqlType) {
        (ints(v), SqlType::array(SqlType::Int))
    }

    #[test]
    fn maps_are_one_element_whatever_their_entry_order() {
        let entry = |k: &str, v: i64| (Value::string(k), Value::Bigint(v));
        let ab = Value::map(vec![entry("a", 1), entry("b", 2)]);
        let ba = Value::map(vec![entry("b", 2), entry("a", 1)]);
        let c = Value::map(vec![entry("c", 3)]);
        let t = SqlType::array(SqlType::map(SqlType::String, SqlType::Bigint));
        let list = |items: &[&Value]| {
            let items = items.iter().map(|v| (*v).clone()).collect();
            (Value::array(items), t.clone())
        };
        assert_eq!(
            call("ARRAY_DISTINCT", t.clone(), &[list(&[&ab, &c, &ba])]),
            Ok(Value::array(vec![ab.clone(), c.clone()]))
        );
        assert_eq!(
            call("ARRAY_EXCEPT", t.clone(), &[list(&[&ab, &c]), list(&[&ba])]),
            Ok(Value::array(vec![c.clone()]))
        );
        assert_eq!(
            call(
                "ARRAY_INTERSECT",
                t.clone(),
                &[list(&[&ab, &c]), list(&[&ba])]
            ),
            Ok(Value::array(vec![ab.clone()]))
        );
        let element = SqlType::map(SqlType::String, SqlType::Bigint);
        assert_eq!(
            call(
                "ARRAY_REMOVE",
                t.clone(),
                &[list(&[&ab, &c]), (ba.clone(), element)]
            ),
            Ok(Value::array(vec![c.clone()]))
        );
    }

    #[test]
    fn set_operations_keep_first_occurrence_order() {
        let t = SqlType::array(SqlType::Int);
        let x = arr(&[Some(3), Some(1), Some(3), None, Some(2), None]);
        let y = arr(&[Some(2), Some(4)]);
        assert_eq!(
            call("ARRAY_DISTINCT", t.clone(), std::slice::from_ref(&x)),
            Ok(ints(&[Some(3), Some(1), None, Some(2)]))
        );
        assert_eq!(
            call("ARRAY_EXCEPT", t.clone(), &[x.clone(), y.clone()]),
            Ok(ints(&[Some(3), Some(1), None]))
        );
        assert_eq!(
            call("ARRAY_INTERSECT", t.clone(), &[x.clone(), y.clone()]),
            Ok(ints(&[Some(2)]))
        );
        assert_eq!(
            call("ARRAY_UNION", t.clone(), &[x.clone(), y.clone()]),
            Ok(ints(&[Some(3), Some(1), None, Some(2), Some(4)]))
        );
        assert_eq!(
            call("ARRAY_UNION", t.clone(), &[x.clone(), null(t.clone())]),
            Ok(Value::Null)
        );
        assert_eq!(
            call("ARRAY_CONCAT", t.clone(), &[null(t.clone()), y]),
            Ok(ints(&[Some(2), Some(4)]))
        );
        assert_eq!(
            call("ARRAY_REMOVE", t, &[x, i(3)]),
            Ok(ints(&[Some(1), None, Some(2), None]))
        );
    }

    #[test]
    fn sort_extremes_join_slice_series() {
        let t = SqlType::array(SqlType::Int);
        let x = arr(&[Some(3), None, Some(1)]);
        assert_eq!(
            call("ARRAY_SORT", t.clone(), std::slice::from_ref(&x)),
            Ok(ints(&[Some(1), Some(3), None]))
        );
        assert_eq!(
            call("ARRAY_SORT", t.clone(), &[x.clone(), s("desc")]),
            Ok(ints(&[Some(3), Some(1), None]))
        );
        assert_eq!(
            call("ARRAY_SORT", t.clone(), &[x.clone(), s("Descending")]),
            Ok(ints(&[Some(3), Some(1), None]))
        );
        let nested = (
            Value::array(vec![ints(&[Some(1)])]),
            SqlType::array(SqlType::array(SqlType::Int)),
        );
        assert!(call("ARRAY_JOIN", SqlType::String, &[nested]).is_err());
        assert_eq!(
            call("ARRAY_MAX", SqlType::Int, std::slice::from_ref(&x)),
            Ok(Value::Int(3))
        );
        assert_eq!(
            call("ARRAY_MIN", SqlType::Int, &[arr(&[])]),
            Ok(Value::Null)
        );
        assert_eq!(
            call("ARRAY_JOIN", SqlType::String, std::slice::from_ref(&x)),
            Ok(sv("3,null,1"))
        );
        assert_eq!(
            call(
                "ARRAY_JOIN",
                SqlType::String,
                &[x.clone(), null(SqlType::String)]
            ),
            Ok(sv("3null1"))
        );
        assert_eq!(
            call("SLICE", t.clone(), &[x.clone(), i(2), i(3)]),
            Ok(ints(&[None, Some(1)]))
        );
        assert_eq!(call("SLICE", t.clone(), &[x, i(2), i(5)]), Ok(Value::Null));
        assert_eq!(
            call("GENERATE_SERIES", t.clone(), &[i(3), i(1)]),
            Ok(ints(&[Some(3), Some(2), Some(1)]))
        );
        assert_eq!(
            call("GENERATE_SERIES", t.clone(), &[i(1), i(6), i(2)]),
            Ok(ints(&[Some(1), Some(3), Some(5)]))
        );
        assert!(call("GENERATE_SERIES", t.clone(), &[i(1), i(6), i(-2)]).is_err());
        let big = |n: i64| (Value::Bigint(n), SqlType::Bigint);
        assert!(call("GENERATE_SERIES", t, &[big(0), big(i64::MAX)]).is_err());
    }
}
