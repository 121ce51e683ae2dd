//! DECIMAL values: parsing Java-style decimal text, fitting a value into `DECIMAL(p, s)` the way
//! ksqlDB's `DecimalUtil` does (exact fit for serdes, HALF_UP rounding for casts) and plain
//! rendering. Values are `rust_decimal::Decimal`, so at most 28 digits after the point and about
//! 28 significant digits; wider values are reported as unrepresentable, never truncated silently.
//! Knows nothing of columns or formats.

use rust_decimal::{Decimal, RoundingStrategy};
use thiserror::Error;

/// Largest scale a `rust_decimal::Decimal` holds.
pub const MAX_SCALE: u32 = 28;

/// Why a number does not fit a DECIMAL type.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecimalError {
    #[error(
        "Numeric field overflow: A field with precision {precision} and scale {scale} must round \
         to an absolute value less than 10^{digits}. Got {value}"
    )]
    Overflow {
        precision: u32,
        scale: u32,
        digits: u32,
        value: String,
    },
    #[error(
        "Cannot fit decimal '{value}' into DECIMAL({precision}, {scale}) without rounding. \
         (Requires {value_precision},{value_scale})"
    )]
    NeedsRounding {
        value: String,
        precision: u32,
        scale: u32,
        value_precision: u32,
        value_scale: u32,
    },
    #[error("Invalid decimal text: '{0}'")]
    InvalidText(String),
    #[error("Decimal value '{0}' needs more digits than weir supports (28 significant, scale 28)")]
    Unrepresentable(String),
}

/// Parse decimal text as Java's `new BigDecimal(String)` does: optional sign, digits with an
/// optional point (`.12` and `12.` are valid) and an optional `e`/`E` exponent. The scale of the
/// text is kept (`1.10` has scale 2). No surrounding whitespace is allowed.
pub fn parse_decimal(text: &str) -> Result<Decimal, DecimalError> {
    let invalid = || DecimalError::InvalidText(truncate(text));
    let bytes = text.as_bytes();
    let mut pos = 0;
    let negative = match bytes.first() {
        Some(b'-') => {
            pos += 1;
            true
        }
        Some(b'+') => {
            pos += 1;
            false
        }
        _ => false,
    };
    let mut digits = String::with_capacity(text.len());
    let mut scale: i64 = 0;
    let mut seen_point = false;
    let mut seen_digit = false;
    while pos < bytes.len() {
        match bytes[pos] {
            b @ b'0'..=b'9' => {
                seen_digit = true;
                if !(digits.is_empty() && b == b'0') {
                    digits.push(b as char);
                }
                if seen_point {
                    scale += 1;
                }
            }
            b'.' if !seen_point => seen_point = true,
            b'e' | b'E' => break,
            _ => return Err(invalid()),
        }
        pos += 1;
    }
    if !seen_digit {
        return Err(invalid());
    }
    if pos < bytes.len() {
        let exponent: i64 = text[pos + 1..].parse().map_err(|_| invalid())?;
        if !(-1000..=1000).contains(&exponent) {
            return Err(DecimalError::Unrepresentable(truncate(text)));
        }
        scale -= exponent;
    }
    build_decimal(negative, digits, scale)
        .ok_or_else(|| DecimalError::Unrepresentable(truncate(text)))
}

/// A decimal from significant digits (no leading zeros) and a scale that may be negative or
/// beyond 28, dropping only trailing fractional zeros when they do not fit.
fn build_decimal(negative: bool, mut digits: String, mut scale: i64) -> Option<Decimal> {
    if digits.is_empty() {
        digits.push('0');
    }
    while scale < 0 {
        digits.push('0');
        scale += 1;
    }
    while (scale > i64::from(MAX_SCALE) || digits.len() > 29) && scale > 0 && digits.ends_with('0')
    {
        digits.pop();
        scale -= 1;
    }
    if scale > i64::from(MAX_SCALE) || digits.len() > 29 {
        return None;
    }
    let mantissa: i128 = digits.parse().ok()?;
    let mantissa = if negative { -mantissa } else { mantissa };
    Decimal::try_from_i128_with_scale(mantissa, scale as u32).ok()
}

/// Number of significant digits of the unscaled value (Java `BigDecimal.precision()`; zero has 1).
pub fn precision_of(value: &Decimal) -> u32 {
    let mut mantissa = value.mantissa().unsigned_abs();
    let mut digits = 1;
    while mantissa >= 10 {
        mantissa /= 10;
        digits += 1;
    }
    digits
}

/// Render without exponent, keeping the scale's trailing zeros (`toPlainString`); never `-0`.
pub fn to_plain_string(value: &Decimal) -> String {
    if value.is_zero() && value.is_sign_negative() {
        let mut positive = *value;
        positive.set_sign_positive(true);
        return positive.to_string();
    }
    value.to_string()
}

/// Render like Java's `BigDecimal.toString()`: plain unless the value is tiny (adjusted
/// exponent below -6), then `1.5E-7` style.
pub fn to_java_string(value: &Decimal) -> String {
    let plain_digits = value.mantissa().unsigned_abs().to_string();
    let adjusted = plain_digits.len() as i64 - 1 - i64::from(value.scale());
    if adjusted >= -6 {
        return to_plain_string(value);
    }
    let sign = if value.is_sign_negative() && !value.is_zero() {
        "-"
    } else {
        ""
    };
    let (head, tail) = plain_digits.split_at(1);
    let point = if tail.is_empty() { "" } else { "." };
    format!("{sign}{head}{point}{tail}E{adjusted}")
}

/// Java's `new BigDecimal(text).toString()` for decimal text of any size (`-12.50`, `1e3`,
/// `6.02E+23`: sign, digits, fraction, exponent), which [`to_java_string`] cannot hold: the
/// digits become the unscaled value and the fraction and exponent the scale, so `1e3` is
/// `1E+3` and `1.0` stays `1.0`. `None` for anything else.
pub fn big_decimal_text(text: &str) -> Option<String> {
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (&unsigned[..at], parse_exponent(&unsigned[at + 1..])?),
        None => (unsigned, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int_part.len() + frac_part.len() == 0 || !all_digits(int_part) || !all_digits(frac_part) {
        return None;
    }
    let digits = format!("{int_part}{frac_part}");
    let unscaled = digits.trim_start_matches('0');
    let unscaled = if unscaled.is_empty() { "0" } else { unscaled };
    let scale = frac_part.len() as i128 - exponent;
    let sign = if negative && unscaled != "0" { "-" } else { "" };
    if scale == 0 {
        return Some(format!("{sign}{unscaled}"));
    }
    let adjusted = unscaled.len() as i128 - 1 - scale;
    if scale > 0 && adjusted >= -6 {
        let scale = scale as usize;
        return Some(if unscaled.len() > scale {
            let (whole, fraction) = unscaled.split_at(unscaled.len() - scale);
            format!("{sign}{whole}.{fraction}")
        } else {
            format!("{sign}0.{}{unscaled}", "0".repeat(scale - unscaled.len()))
        });
    }
    let (head, tail) = unscaled.split_at(1);
    let point = if tail.is_empty() { "" } else { "." };
    let plus = if adjusted > 0 { "+" } else { "" };
    Some(format!("{sign}{head}{point}{tail}E{plus}{adjusted}"))
}

/// An exponent's value, saturating far beyond any scale a `BigDecimal` can hold.
fn parse_exponent(text: &str) -> Option<i128> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value = digits.bytes().fold(0i128, |v, b| {
        (v * 10 + i128::from(b - b'0')).min(i128::from(u64::MAX))
    });
    Some(if negative { -value } else { value })
}

/// `|value| < 10^(precision - scale)`, else ksqlDB's overflow error.
pub fn ensure_max(value: &Decimal, precision: u32, scale: u32) -> Result<(), DecimalError> {
    let digits = precision.saturating_sub(scale);
    if digits > 28 {
        return Ok(()); // every representable value is below 10^29
    }
    let limit = Decimal::from_i128_with_scale(10_i128.pow(digits), 0);
    if value.abs() >= limit {
        return Err(DecimalError::Overflow {
            precision,
            scale,
            digits,
            value: to_plain_string(value),
        });
    }
    Ok(())
}

/// Set the scale, rounding HALF_UP when digits are dropped.
pub fn set_scale_half_up(value: Decimal, scale: u32) -> Result<Decimal, DecimalError> {
    if scale > MAX_SCALE {
        return Err(DecimalError::Unrepresentable(to_plain_string(&value)));
    }
    if value.scale() > scale {
        return Ok(value.round_dp_with_strategy(scale, RoundingStrategy::MidpointAwayFromZero));
    }
    let mut widened = value;
    widened.rescale(scale);
    if widened.scale() != scale || widened != value {
        return Err(DecimalError::Unrepresentable(to_plain_string(&value)));
    }
    Ok(widened)
}

/// Fit a value read from data into `DECIMAL(precision, scale)` exactly (ksqlDB's `ensureFit`):
/// overflow and any needed rounding are errors; trailing zeros are added.
pub fn ensure_fit(value: Decimal, precision: u32, scale: u32) -> Result<Decimal, DecimalError> {
    ensure_max(&value, precision, scale)?;
    if value.scale() > scale
        && value.round_dp_with_strategy(scale, RoundingStrategy::ToZero) != value
    {
        return Err(DecimalError::NeedsRounding {
            value: to_plain_string(&value),
            precision,
            scale,
            value_precision: precision_of(&value),
            value_scale: value.scale(),
        });
    }
    set_scale_half_up(value, scale)
}

/// CAST of a DECIMAL (or parsed text) to `DECIMAL(precision, scale)`: overflow check, then HALF_UP.
pub fn cast_decimal(value: Decimal, precision: u32, scale: u32) -> Result<Decimal, DecimalError> {
    if value.scale() == scale && precision_of(&value) == precision {
        return Ok(value);
    }
    ensure_max(&value, precision, scale)?;
    set_scale_half_up(value, scale)
}

/// CAST of an INT or BIGINT to `DECIMAL(precision, scale)`.
pub fn cast_integer(value: i64, precision: u32, scale: u32) -> Result<Decimal, DecimalError> {
    let decimal = Decimal::from(value);
    ensure_max(&decimal, precision, scale)?;
    set_scale_half_up(decimal, scale)
}

/// CAST of a DOUBLE to `DECIMAL(precision, scale)`: round to `precision` significant digits,
/// check for overflow, then round HALF_UP to the scale (ksqlDB's `new BigDecimal(d, mc)` path).
pub fn cast_double(value: f64, precision: u32, scale: u32) -> Result<Decimal, DecimalError> {
    if !value.is_finite() {
        return Err(DecimalError::InvalidText(value.to_string()));
    }
    let parsed = parse_decimal(&format!("{value:e}"))?;
    let digits = precision_of(&parsed);
    let rounded = if digits > precision && parsed.scale() >= digits - precision {
        parsed.round_dp_with_strategy(
            parsed.scale() - (digits - precision),
            RoundingStrategy::MidpointAwayFromZero,
        )
    } else {
        parsed
    };
    ensure_max(&rounded, precision, scale)?;
    set_scale_half_up(rounded, scale)
}

/// Java's `BigDecimal.intValue()`/`longValue()`: drop the fraction, keep the low-order bits.
pub fn to_i64_wrapping(value: &Decimal) -> i64 {
    let truncated = value.trunc();
    let mantissa = truncated.mantissa() / 10_i128.pow(truncated.scale());
    mantissa as i64
}

fn truncate(text: &str) -> String {
    const LIMIT: usize = 64;
    match text.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        parse_decimal(text).unwrap()
    }

    #[test]
    fn parses_java_decimal_text() {
        assert_eq!(to_plain_string(&d("1.10")), "1.10");
        assert_eq!(to_plain_string(&d(".12")), "0.12");
        assert_eq!(to_plain_string(&d("-12345.12")), "-12345.12");
        assert_eq!(to_plain_string(&d("1e3")), "1000");
        assert_eq!(to_plain_string(&d("1.5E-2")), "0.015");
        assert_eq!(to_plain_string(&d("+7")), "7");
        for bad in ["", "-", ".", "1.2.3", " 1", "abc", "1e", "0x10"] {
            assert!(parse_decimal(bad).is_err(), "{bad}");
        }
        assert!(matches!(
            parse_decimal("12345678987654321.2345678987654321"),
            Err(DecimalError::Unrepresentable(_))
        ));
    }

    #[test]
    fn ensure_fit_pads_but_never_rounds() {
        assert_eq!(
            to_plain_string(&ensure_fit(d("12.0"), 6, 4).unwrap()),
            "12.0000"
        );
        assert_eq!(
            to_plain_string(&ensure_fit(d(".12"), 33, 16).unwrap()),
            "0.1200000000000000"
        );
        assert!(matches!(
            ensure_fit(d("1.234"), 4, 2),
            Err(DecimalError::NeedsRounding { .. })
        ));
        assert_eq!(
            ensure_fit(d("100"), 4, 2).unwrap_err().to_string(),
            "Numeric field overflow: A field with precision 4 and scale 2 must round to an \
             absolute value less than 10^2. Got 100"
        );
    }

    #[test]
    fn casts_round_half_up() {
        assert_eq!(
            to_plain_string(&cast_decimal(d("0.99"), 2, 1).unwrap()),
            "1.0"
        );
        assert_eq!(
            to_plain_string(&cast_decimal(d("10.12"), 5, 3).unwrap()),
            "10.120"
        );
        assert_eq!(
            to_plain_string(&cast_decimal(d("-0.05"), 2, 1).unwrap()),
            "-0.1"
        );
        assert_eq!(to_plain_string(&cast_integer(1, 2, 1).unwrap()), "1.0");
        assert!(cast_integer(10, 2, 1).is_err());
        assert_eq!(to_plain_string(&cast_double(0.99, 2, 1).unwrap()), "1.0");
        assert_eq!(to_plain_string(&cast_double(0.1, 2, 1).unwrap()), "0.1");
        assert_eq!(to_plain_string(&cast_double(1.1, 2, 1).unwrap()), "1.1");
        assert!(cast_double(f64::NAN, 2, 1).is_err());
    }

    #[test]
    fn java_renderings() {
        assert_eq!(to_java_string(&d("0.0000001")), "1E-7");
        for (text, java) in [
            ("1e3", "1E+3"),
            ("1.0e3", "1.0E+3"),
            ("1.0", "1.0"),
            ("-0.0", "0.0"),
            ("0e5", "0E+5"),
            ("-2.5e-7", "-2.5E-7"),
            ("0.000001", "0.000001"),
            ("0.0000001", "1E-7"),
            ("12345678.12345", "12345678.12345"),
            ("16337e+170", "1.6337E+174"),
            ("1.7976931348623157e308", "1.7976931348623157E+308"),
            (
                "123456789012345678901234567890.5",
                "123456789012345678901234567890.5",
            ),
            ("1E-400", "1E-400"),
            ("42", "42"),
            ("-0", "0"),
            ("12.5e1", "125"),
        ] {
            assert_eq!(big_decimal_text(text).as_deref(), Some(java), "{text}");
        }
        assert_eq!(big_decimal_text("1x"), None);
        assert_eq!(big_decimal_text("e5"), None);
        assert_eq!(to_java_string(&d("0.000001")), "0.000001");
        assert_eq!(to_java_string(&d("-0.00000012")), "-1.2E-7");
        assert_eq!(precision_of(&d("0.005")), 1);
        assert_eq!(precision_of(&d("123.45")), 5);
        assert_eq!(to_i64_wrapping(&d("-10.99")), -10);
        assert_eq!(to_i64_wrapping(&d("4294967297.5")) as i32, 1);
    }
}
