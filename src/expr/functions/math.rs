//! Math functions: ABS, CEIL, FLOOR, ROUND, TRUNC, SIGN, the DOUBLE functions of Java's `Math`
//! (SQRT, EXP, LN, LOG, POWER, trigonometry…), RANDOM, PI, GREATEST/LEAST and GEO_DISTANCE.
//! Integers keep their value (ROUND and TRUNC give INT arguments back as BIGINT, as ksqlDB's
//! `round(int)` does); DECIMAL results are rescaled to the call's result type; NULL in gives
//! NULL out (GREATEST/LEAST skip NULL arguments).

use std::cmp::Ordering;

use rust_decimal::Decimal;
use rust_decimal::RoundingStrategy;

use super::{CallSite, FnImpl, f, try_f};
use crate::expr::compile::EvalError;
use crate::types::{SqlType, Value, decimal};

pub fn lookup(site: &CallSite<'_>) -> Option<FnImpl> {
    let returns = site.returns.clone();
    match site.name {
        "ABS" => f(|a| match a.first() {
            Some(Value::Int(i)) => Value::Int(i.wrapping_abs()),
            Some(Value::Bigint(i)) => Value::Bigint(i.wrapping_abs()),
            Some(Value::Double(d)) => Value::Double(d.abs()),
            Some(Value::Decimal(d)) => Value::Decimal(d.abs()),
            _ => Value::Null,
        }),
        "CEIL" => round_with(returns, f64::ceil, RoundingStrategy::ToPositiveInfinity),
        "FLOOR" => round_with(returns, f64::floor, RoundingStrategy::ToNegativeInfinity),
        "ROUND" => try_f(move |a| round(a, &returns)),
        "TRUNC" => try_f(move |a| trunc(a, &returns)),
        "SIGN" => f(|a| match a.first() {
            Some(Value::Int(i)) => Value::Int(i.signum()),
            Some(Value::Bigint(i)) => Value::Int(i.signum() as i32),
            Some(Value::Double(d)) if d.is_nan() => Value::Int(0),
            Some(Value::Double(d)) if *d == 0.0 => Value::Int(0),
            Some(Value::Double(d)) => Value::Int(d.signum() as i32),
            _ => Value::Null,
        }),
        "POWER" => f(|a| doubles2(a, f64::powf)),
        "ATAN2" => f(|a| doubles2(a, f64::atan2)),
        "LOG" if site.args.len() == 2 => f(|a| doubles2(a, log_base)),
        "LOG" => f(|a| double1(a, f64::ln)),
        // Java's `Math.random()`: uniform in [0, 1), 53 random bits, from a generator seeded
        // by the operating system (not the clock).
        "RANDOM" => f(|_| Value::Double(rand::random::<f64>())),
        "PI" => f(|_| Value::Double(std::f64::consts::PI)),
        "GREATEST" => f(|a| extreme(a, Ordering::Greater)),
        "LEAST" => f(|a| extreme(a, Ordering::Less)),
        "GEO_DISTANCE" => try_f(geo_distance),
        name => {
            let op = unary_double(name)?;
            f(move |a| double1(a, op))
        }
    }
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
        "SINH" => java_sinh,
        "COSH" => f64::cosh,
        "TANH" => f64::tanh,
        "DEGREES" => f64::to_degrees,
        "RADIANS" => f64::to_radians,
        _ => return None,
    })
}

/// ksqlDB's LOG(base, x): NaN for a base that is not positive or is 1, or a negative x.
fn log_base(base: f64, x: f64) -> f64 {
    if base <= 0.0 || base == 1.0 || x < 0.0 {
        return f64::NAN;
    }
    if x == 0.0 {
        return f64::NEG_INFINITY;
    }
    x.ln() / base.ln()
}

/// `Math.sinh` as Java's fdlibm computes it (the C library's differs in the last bit).
fn java_sinh(x: f64) -> f64 {
    let h = if x < 0.0 { -0.5 } else { 0.5 };
    let ax = x.abs();
    if !x.is_finite() || ax >= 22.0 {
        return x.sinh();
    }
    if ax < 1e-300 {
        return x;
    }
    let t = ax.exp_m1();
    if ax < 1.0 {
        h * (2.0 * t - t * t / (t + 1.0))
    } else {
        h * (t + t / (t + 1.0))
    }
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

/// CEIL/FLOOR: integers unchanged, doubles by `Math`, decimals to a whole number kept at the
/// input's type (ksqlDB's `ceilDecimalProvider` returns the argument's precision and scale).
fn round_with(
    returns: SqlType,
    double: fn(f64) -> f64,
    strategy: RoundingStrategy,
) -> Option<FnImpl> {
    try_f(move |a| {
        Ok(match a.first() {
            Some(Value::Int(i)) => Value::Int(*i),
            Some(Value::Bigint(i)) => Value::Bigint(*i),
            Some(Value::Double(d)) => Value::Double(double(*d)),
            Some(Value::Decimal(d)) => {
                let whole = d.round_dp_with_strategy(0, strategy);
                Value::Decimal(fit_scale(whole, &returns)?)
            }
            _ => Value::Null,
        })
    })
}

/// A decimal at the scale of the result type.
fn fit_scale(value: Decimal, returns: &SqlType) -> Result<Decimal, EvalError> {
    match returns {
        SqlType::Decimal { scale, .. } => Ok(decimal::set_scale_half_up(value, *scale)?),
        _ => Ok(value),
    }
}

fn round(args: &[Value], returns: &SqlType) -> Result<Value, EvalError> {
    let digits = args.get(1).map(Value::as_i64);
    if matches!(digits, Some(None)) {
        return Ok(Value::Null);
    }
    let digits = digits.flatten().unwrap_or(0);
    Ok(match (args.first(), returns) {
        (Some(Value::Int(i)), SqlType::Int) => Value::Int(*i),
        (Some(Value::Int(i)), _) => Value::Bigint(i64::from(*i)),
        (Some(Value::Bigint(i)), _) => Value::Bigint(*i),
        (Some(Value::Double(d)), SqlType::Bigint) => Value::Bigint((d + 0.5).floor() as i64),
        (Some(Value::Double(d)), _) => {
            // BigDecimal.valueOf(d), rounded half towards positive infinity, back to double.
            match d.to_string().parse::<Decimal>() {
                Ok(exact) => {
                    let rounded = scale_decimal(exact, digits, half_up_strategy(&exact))?;
                    Value::Double(rounded.to_string().parse().unwrap_or(*d))
                }
                Err(_) => Value::Double(*d),
            }
        }
        (Some(Value::Decimal(d)), _) => {
            let rounded = scale_decimal(*d, digits, half_up_strategy(d))?;
            Value::Decimal(fit_scale(rounded, returns)?)
        }
        _ => Value::Null,
    })
}

/// ksqlDB rounds positive values HALF_UP and the others HALF_DOWN: halves go towards
/// positive infinity.
fn half_up_strategy(d: &Decimal) -> RoundingStrategy {
    if d.is_sign_positive() && !d.is_zero() {
        RoundingStrategy::MidpointAwayFromZero
    } else {
        RoundingStrategy::MidpointTowardZero
    }
}

/// TRUNC: towards zero, to `digits` places (0 without the argument); a DOUBLE without places
/// becomes a BIGINT.
fn trunc(args: &[Value], returns: &SqlType) -> Result<Value, EvalError> {
    let digits = args.get(1).map(Value::as_i64);
    if matches!(digits, Some(None)) {
        return Ok(Value::Null);
    }
    let digits = digits.flatten().unwrap_or(0);
    Ok(match (args.first(), returns) {
        (Some(Value::Int(i)), SqlType::Int) => Value::Int(*i),
        (Some(Value::Int(i)), _) => Value::Bigint(i64::from(*i)),
        (Some(Value::Bigint(i)), _) => Value::Bigint(*i),
        (Some(Value::Double(d)), SqlType::Bigint) => Value::Bigint(d.trunc() as i64),
        (Some(Value::Double(d)), _) => {
            // BigDecimal.valueOf(d): the shortest decimal text of the double.
            match d.to_string().parse::<Decimal>() {
                Ok(exact) => {
                    let cut = scale_decimal(exact, digits, RoundingStrategy::ToZero)?;
                    Value::Double(cut.to_string().parse().unwrap_or(*d))
                }
                Err(_) => Value::Double(*d),
            }
        }
        (Some(Value::Decimal(d)), _) => {
            let cut = scale_decimal(*d, digits, RoundingStrategy::ToZero)?;
            Value::Decimal(fit_scale(cut, returns)?)
        }
        _ => Value::Null,
    })
}

/// Rounds to `digits` places with `strategy`; negative digits round to tens, hundreds, ….
fn scale_decimal(
    d: Decimal,
    digits: i64,
    strategy: RoundingStrategy,
) -> Result<Decimal, EvalError> {
    if digits >= 0 {
        return Ok(d.round_dp_with_strategy(digits.min(28) as u32, strategy));
    }
    let factor = Decimal::from_i128_with_scale(10i128.pow(digits.unsigned_abs().min(27) as u32), 0);
    let overflow = || EvalError::Function(format!("rounding {d} to {digits} places overflows"));
    let scaled = d.checked_div(factor).ok_or_else(overflow)?;
    scaled
        .round_dp_with_strategy(0, strategy)
        .checked_mul(factor)
        .ok_or_else(overflow)
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

/// GEO_DISTANCE(lat1, lon1, lat2, lon2 [, unit]): great-circle distance by the haversine
/// formula, in kilometres or miles.
fn geo_distance(a: &[Value]) -> Result<Value, EvalError> {
    let coords: Option<Vec<f64>> = a.iter().take(4).map(Value::as_f64).collect();
    let Some(c) = coords.filter(|c| c.len() == 4) else {
        return Ok(Value::Null);
    };
    let (lat1, lon1, lat2, lon2) = (c[0], c[1], c[2], c[3]);
    if [lat1, lat2].iter().any(|l| !(-90.0..=90.0).contains(l)) {
        return Err(EvalError::Function(
            "valid latitude values for GeoDistance function are in the range of -90 to 90 decimal degrees".into(),
        ));
    }
    if [lon1, lon2].iter().any(|l| !(-180.0..=180.0).contains(l)) {
        return Err(EvalError::Function(
            "valid longitude values for GeoDistance function are in the range of -180 to +180 decimal degrees".into(),
        ));
    }
    let radius = match a
        .get(4)
        .and_then(Value::as_str)
        .map(|u| u.trim().to_lowercase())
    {
        None => 6371.0,
        Some(u) if u.is_empty() => 6371.0,
        Some(u) if ["mi", "mile", "miles"].contains(&u.as_str()) => 3959.0,
        Some(u)
            if ["km", "kilometer", "kilometers", "kilometre", "kilometres"]
                .contains(&u.as_str()) =>
        {
            6371.0
        }
        Some(_) => {
            return Err(EvalError::Function(
                "GeoDistance function units parameter must be one of mi, mile, miles, km, kilometer, kilometers, kilometre or kilometres. Values are case-insensitive.".into(),
            ));
        }
    };
    let haversin = |x: f64| (x / 2.0).sin().powi(2);
    let h = haversin((lat2 - lat1).to_radians())
        + haversin((lon2 - lon1).to_radians()) * lat1.to_radians().cos() * lat2.to_radians().cos();
    Ok(Value::Double(2.0 * h.sqrt().asin() * radius))
}

#[cfg(test)]
#[path = "math_tests.rs"]
mod tests;
