//! Implementations of ksqlDB's scalar functions, looked up once per call site by the resolved
//! function name and result type ([`function_impl`]) when an expression is compiled; never per
//! record. NULL handling, overflow and rounding follow ksqlDB's UDFs. Functions with no entry
//! here are a compile-time error naming them. Meant to move beside the descriptors in
//! `functions/` once that module attaches implementations to its entries.

use std::cmp::Ordering;
use std::sync::Arc;

use super::compile::EvalError;
use crate::types::{SqlType, Value, decimal};

type FnImpl = Arc<dyn Fn(&[Value]) -> Result<Value, EvalError> + Send + Sync>;

/// The implementation of scalar function `name` returning `returns`, if there is one yet.
pub fn function_impl(name: &str, returns: &SqlType) -> Option<FnImpl> {
    let returns = returns.clone();
    let f: FnImpl = match name {
        "UCASE" => Arc::new(|a| Ok(str_map(a, |s| s.to_uppercase()))),
        "LCASE" => Arc::new(|a| Ok(str_map(a, |s| s.to_lowercase()))),
        "LEN" => Arc::new(|a| {
            Ok(match a.first() {
                Some(Value::String(s)) => Value::Int(s.encode_utf16().count() as i32),
                Some(Value::Bytes(b)) => Value::Int(b.len() as i32),
                _ => Value::Null,
            })
        }),
        "CONCAT" if returns == SqlType::String => Arc::new(|a| {
            let mut out = String::new();
            a.iter()
                .filter_map(Value::as_str)
                .for_each(|s| out.push_str(s));
            Ok(Value::string(out))
        }),
        "SUBSTRING" if returns == SqlType::String => Arc::new(substring),
        "ABS" => Arc::new(|a| {
            Ok(match a.first() {
                Some(Value::Int(i)) => Value::Int(i.wrapping_abs()),
                Some(Value::Bigint(i)) => Value::Bigint(i.wrapping_abs()),
                Some(Value::Double(d)) => Value::Double(d.abs()),
                Some(Value::Decimal(d)) => Value::Decimal(d.abs()),
                _ => Value::Null,
            })
        }),
        "ROUND" => Arc::new(move |a| round(a, &returns)),
        "NULLIF" => Arc::new(|a| {
            let (x, y) = (a.first().cloned().unwrap_or(Value::Null), a.get(1));
            Ok(match y {
                Some(y) if x.sql_equals(y) == Some(true) => Value::Null,
                _ => x,
            })
        }),
        "POWER" => Arc::new(|a| Ok(doubles2(a, f64::powf))),
        "LOG" if returns == SqlType::Double => Arc::new(|a| {
            Ok(if a.len() == 2 {
                doubles2(a, |base, x| x.ln() / base.ln())
            } else {
                double1(a, f64::ln)
            })
        }),
        name if returns == SqlType::Double && unary_double(name).is_some() => {
            let f = unary_double(name)?;
            Arc::new(move |a| Ok(double1(a, f)))
        }
        "AS_VALUE" => Arc::new(|a| Ok(a.first().cloned().unwrap_or(Value::Null))),
        "GREATEST" => Arc::new(|a| Ok(extreme(a, Ordering::Greater))),
        "LEAST" => Arc::new(|a| Ok(extreme(a, Ordering::Less))),
        "ARRAY_LENGTH" => Arc::new(|a| {
            Ok(a.first()
                .and_then(Value::as_array)
                .map_or(Value::Null, |items| Value::Int(items.len() as i32)))
        }),
        "ARRAY_CONTAINS" => Arc::new(|a| {
            let (Some(items), Some(needle)) = (a.first().and_then(Value::as_array), a.get(1))
            else {
                return Ok(Value::Boolean(false));
            };
            // Java's List.contains: NULL finds NULL.
            Ok(Value::Boolean(items.iter().any(|v| {
                (v.is_null() && needle.is_null()) || v.sql_equals(needle) == Some(true)
            })))
        }),
        "LPAD" if returns == SqlType::String => Arc::new(|a| Ok(pad(a, true))),
        "RPAD" if returns == SqlType::String => Arc::new(|a| Ok(pad(a, false))),
        "CONCAT_WS" if returns == SqlType::String => Arc::new(|a| {
            let Some(sep) = a.first().and_then(Value::as_str) else {
                return Ok(Value::Null);
            };
            let parts: Vec<&str> = a[1..].iter().filter_map(Value::as_str).collect();
            Ok(Value::string(parts.join(sep)))
        }),
        "SPLIT" if returns == SqlType::array(SqlType::String) => Arc::new(|a| {
            let (Some(s), Some(d)) = (
                a.first().and_then(Value::as_str),
                a.get(1).and_then(Value::as_str),
            ) else {
                return Ok(Value::Null);
            };
            let parts: Vec<Value> = if d.is_empty() {
                s.chars().map(|c| Value::string(c.to_string())).collect()
            } else {
                s.split(d).map(Value::string).collect()
            };
            Ok(Value::array(parts))
        }),
        "ELT" => Arc::new(|a| {
            let n = a.first().and_then(Value::as_i64).unwrap_or(0);
            Ok(if n >= 1 {
                a.get(n as usize).cloned().unwrap_or(Value::Null)
            } else {
                Value::Null
            })
        }),
        "IFNULL" | "COALESCE" => Arc::new(|a| {
            Ok(a.iter()
                .find(|v| !v.is_null())
                .cloned()
                .unwrap_or(Value::Null))
        }),
        _ => return None,
    };
    Some(f)
}

/// The DOUBLE -> DOUBLE math functions, as Java's `Math` computes them.
fn unary_double(name: &str) -> Option<fn(f64) -> f64> {
    Some(match name {
        "EXP" => f64::exp,
        "LN" => f64::ln,
        "SQRT" => f64::sqrt,
        "CBRT" => f64::cbrt,
        "SIN" => f64::sin,
        "COS" => f64::cos,
        "TAN" => f64::tan,
        "ASIN" => f64::asin,
        "ACOS" => f64::acos,
        "ATAN" => f64::atan,
        "COT" => |x: f64| 1.0 / x.tan(),
        "SINH" => f64::sinh,
        "COSH" => f64::cosh,
        "TANH" => f64::tanh,
        "DEGREES" => f64::to_degrees,
        "RADIANS" => f64::to_radians,
        _ => return None,
    })
}

fn double1(args: &[Value], f: impl Fn(f64) -> f64) -> Value {
    args.first()
        .and_then(Value::as_f64)
        .map_or(Value::Null, |x| Value::Double(f(x)))
}

fn doubles2(args: &[Value], f: impl Fn(f64, f64) -> f64) -> Value {
    match (
        args.first().and_then(Value::as_f64),
        args.get(1).and_then(Value::as_f64),
    ) {
        (Some(x), Some(y)) => Value::Double(f(x, y)),
        _ => Value::Null,
    }
}

/// GREATEST/LEAST: NULL arguments are ignored; all NULL gives NULL.
fn extreme(args: &[Value], want: Ordering) -> Value {
    let mut best: Option<&Value> = None;
    for v in args.iter().filter(|v| !v.is_null()) {
        if best.is_none_or(|b| v.sql_cmp(b) == Some(want)) {
            best = Some(v);
        }
    }
    best.cloned().unwrap_or(Value::Null)
}

/// LPAD/RPAD(str, len, padding): NULL for any NULL, a negative length or empty padding; the
/// result is exactly `len` characters (the input truncated when longer).
fn pad(args: &[Value], left: bool) -> Value {
    let (Some(s), Some(len), Some(padding)) = (
        args.first().and_then(Value::as_str),
        args.get(1).and_then(Value::as_i64),
        args.get(2).and_then(Value::as_str),
    ) else {
        return Value::Null;
    };
    if len < 0 || (padding.is_empty() && (s.chars().count() as i64) < len) {
        return Value::Null;
    }
    let len = len as usize;
    let chars: Vec<char> = s.chars().collect();
    if chars.len() >= len {
        return Value::string(chars[..len].iter().collect::<String>());
    }
    let fill: String = padding.chars().cycle().take(len - chars.len()).collect();
    Value::string(if left {
        format!("{fill}{s}")
    } else {
        format!("{s}{fill}")
    })
}

fn str_map(args: &[Value], f: impl Fn(&str) -> String) -> Value {
    args.first()
        .and_then(Value::as_str)
        .map_or(Value::Null, |s| Value::string(f(s)))
}

/// ksqlDB `SUBSTRING(str, pos [, len])`: 1-based, negative positions count from the end.
fn substring(args: &[Value]) -> Result<Value, EvalError> {
    let (Some(s), Some(pos)) = (
        args.first().and_then(Value::as_str),
        args.get(1).and_then(Value::as_i64),
    ) else {
        return Ok(Value::Null);
    };
    if args.get(2).is_some_and(Value::is_null) {
        return Ok(Value::Null);
    }
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len() as i64;
    let start = if pos > 0 {
        pos - 1
    } else if pos < 0 {
        n + pos
    } else {
        0
    }
    .clamp(0, n);
    let end = match args.get(2).and_then(Value::as_i64) {
        Some(len) => (start + len.max(0)).min(n),
        None => n,
    };
    Ok(Value::string(
        chars[start as usize..end.max(start) as usize]
            .iter()
            .collect::<String>(),
    ))
}

fn round(args: &[Value], returns: &SqlType) -> Result<Value, EvalError> {
    let digits = args.get(1).map(Value::as_i64);
    if matches!(digits, Some(None)) {
        return Ok(Value::Null);
    }
    let digits = digits.flatten().unwrap_or(0);
    Ok(match (args.first(), returns) {
        (Some(Value::Int(i)), _) => Value::Int(*i),
        (Some(Value::Bigint(i)), _) => Value::Bigint(*i),
        (Some(Value::Double(d)), SqlType::Bigint) => Value::Bigint((d + 0.5).floor() as i64),
        (Some(Value::Double(d)), _) => {
            let factor = 10f64.powi(digits as i32);
            Value::Double((d * factor + 0.5).floor() / factor)
        }
        (Some(Value::Decimal(d)), SqlType::Decimal { scale, .. }) => {
            let rounded = round_decimal(*d, digits)?;
            Value::Decimal(decimal::set_scale_half_up(rounded, *scale)?)
        }
        _ => Value::Null,
    })
}

/// HALF_UP rounding to `digits` places; negative digits round to tens, hundreds, ….
fn round_decimal(
    d: rust_decimal::Decimal,
    digits: i64,
) -> Result<rust_decimal::Decimal, EvalError> {
    use rust_decimal::RoundingStrategy::MidpointAwayFromZero;
    if digits >= 0 {
        return Ok(d.round_dp_with_strategy(digits.min(28) as u32, MidpointAwayFromZero));
    }
    let factor =
        rust_decimal::Decimal::from_i128_with_scale(10i128.pow((-digits).min(27) as u32), 0);
    let overflow = || EvalError::Function(format!("ROUND({d}, {digits}) overflows"));
    let scaled = d.checked_div(factor).ok_or_else(overflow)?;
    scaled
        .round_dp_with_strategy(0, MidpointAwayFromZero)
        .checked_mul(factor)
        .ok_or_else(overflow)
}
