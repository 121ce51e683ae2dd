//! Number text exactly as the JVM renders and parses it, because ksqlDB's outputs are JVM
//! strings: `Double.toString` (`1.0`, `1.0E10`, `1.0E-5`), `Integer.parseInt`/`Long.parseLong`
//! and `Double.parseDouble`. Pure functions on numbers and text; no SQL semantics here.

/// Java's `Double.toString(d)`: shortest round-trip digits, plain between 10^-3 and 10^7
/// (always with a fraction digit), otherwise `d.dddE±n`; `NaN`, `Infinity`, `-Infinity`.
pub fn double_to_string(value: f64) -> String {
    let mut out = String::new();
    write_double(value, &mut out);
    out
}

/// Java's `Float.toString(f)`: [`double_to_string`]'s layout with the shortest digits that
/// read back as the `float` (`1.1` for the float nearest 1.1, where the double it widens to
/// prints `1.100000023841858`).
pub fn float_to_string(value: f32) -> String {
    if !value.is_finite() || value == 0.0 {
        return double_to_string(f64::from(value));
    }
    let mut out = String::new();
    let (digits, exponent) = java_float_digits(value.abs());
    write_finite(value.is_sign_negative(), &digits, exponent, &mut out);
    out
}

/// [`double_to_string`] appended to `out`.
pub fn write_double(value: f64, out: &mut String) {
    if value.is_nan() {
        out.push_str("NaN");
        return;
    }
    if value.is_infinite() {
        out.push_str(if value > 0.0 { "Infinity" } else { "-Infinity" });
        return;
    }
    if value == 0.0 {
        out.push_str(if value.is_sign_negative() {
            "-0.0"
        } else {
            "0.0"
        });
        return;
    }
    let (digits, exponent) = java_digits(value.abs());
    write_finite(value.is_sign_negative(), &digits, exponent, out);
}

/// A nonzero finite number's significant `digits` and decimal `exponent` in the layout of
/// `Double.toString` and `Float.toString`.
fn write_finite(negative: bool, digits: &str, exponent: i32, out: &mut String) {
    if negative {
        out.push('-');
    }
    if (-3..7).contains(&exponent) {
        if exponent < 0 {
            out.push_str("0.");
            for _ in 0..(-exponent - 1) {
                out.push('0');
            }
            out.push_str(digits);
        } else {
            let int_len = exponent as usize + 1;
            if digits.len() <= int_len {
                out.push_str(digits);
                for _ in digits.len()..int_len {
                    out.push('0');
                }
                out.push_str(".0");
            } else {
                out.push_str(&digits[..int_len]);
                out.push('.');
                out.push_str(&digits[int_len..]);
            }
        }
    } else {
        out.push_str(&digits[..1]);
        out.push('.');
        out.push_str(if digits.len() > 1 { &digits[1..] } else { "0" });
        out.push('E');
        out.push_str(&exponent.to_string());
    }
}

/// The significant digits and decimal exponent `Double.toString` writes for a positive
/// finite `value`: the shortest digits that read back as `value`, except that Java never
/// writes fewer than two (`d.d`), so when one digit would do it takes the two-digit decimal
/// closest to the exact binary value (`4.9E-324` for the smallest subnormal, not `5.0E-324`),
/// as `Double.toString` is specified since JDK 19 (JDK-4511638; older JDKs print the smallest
/// subnormal the same way); a trailing zero digit is dropped again (`1.0E10` is the digit `1`).
fn java_digits(value: f64) -> (String, i32) {
    let split = |scientific: &str| {
        let (mantissa, exponent) = scientific.split_once('e').unwrap_or((scientific, "0"));
        let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
        (digits, exponent.parse::<i32>().unwrap_or(0))
    };
    // `{:e}` gives the shortest round-trip digits as `d.ddde<exp>`.
    let (digits, exponent) = split(&format!("{value:e}"));
    // A normal double is within 2^-52 of its one-digit decimal, so the closest two digits
    // are that digit and 0: only subnormals, with fewer bits, can round elsewhere.
    if digits.len() > 1 || value >= f64::MIN_POSITIVE {
        return (digits, exponent);
    }
    // `{:.1e}` rounds the exact value to two significant digits.
    let two = format!("{value:.1e}");
    if two.parse::<f64>() != Ok(value) {
        return (digits, exponent);
    }
    let (mut closest, exponent) = split(&two);
    while closest.len() > 1 && closest.ends_with('0') {
        closest.pop();
    }
    (closest, exponent)
}

/// [`java_digits`] for a positive finite `float`: its own shortest digits, and for a
/// subnormal that one digit would do, the two-digit decimal closest to it (`1.4E-45`).
fn java_float_digits(value: f32) -> (String, i32) {
    let split = |scientific: &str| {
        let (mantissa, exponent) = scientific.split_once('e').unwrap_or((scientific, "0"));
        let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
        (digits, exponent.parse::<i32>().unwrap_or(0))
    };
    let (digits, exponent) = split(&format!("{value:e}"));
    if digits.len() > 1 || value >= f32::MIN_POSITIVE {
        return (digits, exponent);
    }
    let two = format!("{value:.1e}");
    if two.parse::<f32>() != Ok(value) {
        return (digits, exponent);
    }
    let (mut closest, exponent) = split(&two);
    while closest.len() > 1 && closest.ends_with('0') {
        closest.pop();
    }
    (closest, exponent)
}

/// Java's `Character.isWhitespace`: Unicode space, line and paragraph separators other than
/// the no-break spaces, and the ASCII controls `\t`, `\n`, `\u{b}`, `\u{c}`, `\r` and
/// `\u{1c}`–`\u{1f}`.
pub fn is_java_whitespace(c: char) -> bool {
    matches!(
        c,
        '\t'..='\r'
            | '\u{1c}'..='\u{1f}'
            | ' '
            | '\u{1680}'
            | '\u{2000}'..='\u{2006}'
            | '\u{2008}'..='\u{200a}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{205f}'
            | '\u{3000}'
    )
}

/// Java's `Integer.parseInt`: optional sign and ASCII digits only, no whitespace, no overflow.
pub fn parse_java_int(text: &str) -> Option<i32> {
    parse_java_long(text).and_then(|v| i32::try_from(v).ok())
}

/// Java's `Long.parseLong`: optional sign and ASCII digits only, no whitespace, no overflow.
pub fn parse_java_long(text: &str) -> Option<i64> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Java's `Double.parseDouble`: decimal or `NaN`/`Infinity` forms, surrounding ASCII whitespace
/// and a trailing `d`/`f` type suffix allowed. Hex floats are not supported.
pub fn parse_java_double(text: &str) -> Option<f64> {
    let trimmed = text.trim_matches(|c: char| c <= ' ');
    let body = trimmed
        .strip_suffix(['d', 'D', 'f', 'F'])
        .unwrap_or(trimmed);
    let unsigned = body.strip_prefix(['+', '-']).unwrap_or(body);
    match unsigned {
        "NaN" => return Some(f64::NAN),
        "Infinity" => {
            return Some(if body.starts_with('-') {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            });
        }
        _ => {}
    }
    let valid = !unsigned.is_empty()
        && unsigned
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
        && unsigned.bytes().any(|b| b.is_ascii_digit());
    if !valid {
        return None;
    }
    body.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_render_like_java() {
        let cases = [
            (1.0, "1.0"),
            (10.3, "10.3"),
            (-1.5, "-1.5"),
            (0.001, "0.001"),
            (0.0001, "1.0E-4"),
            (1234567.0, "1234567.0"),
            (12345678.0, "1.2345678E7"),
            (1e10, "1.0E10"),
            (1.25e-7, "1.25E-7"),
            (100.0, "100.0"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-Infinity"),
            (1234.589, "1234.589"),
            // One digit would read back; Java writes the closest two.
            (f64::from_bits(1), "4.9E-324"),
            (-f64::from_bits(1), "-4.9E-324"),
            (f64::from_bits(2), "9.9E-324"),
            (f64::from_bits(4), "2.0E-323"),
            (1e23, "1.0E23"),
            (f64::MAX, "1.7976931348623157E308"),
            (f64::MIN_POSITIVE, "2.2250738585072014E-308"),
            (0.5, "0.5"),
            (3e-5, "3.0E-5"),
        ];
        for (value, text) in cases {
            assert_eq!(double_to_string(value), text, "{value}");
        }
    }

    #[test]
    fn floats_render_like_java() {
        let cases = [
            (1.1f32, "1.1"),
            (-2.5, "-2.5"),
            (0.1, "0.1"),
            (1.0e7, "1.0E7"),
            (3.4028235e38, "3.4028235E38"),
            (0.001, "0.001"),
            (1.0e-4, "1.0E-4"),
            (0.0, "0.0"),
            (f32::NAN, "NaN"),
            (f32::INFINITY, "Infinity"),
            // The smallest subnormal: one digit would read back; Java writes the closest two.
            (f32::from_bits(1), "1.4E-45"),
        ];
        for (value, text) in cases {
            assert_eq!(float_to_string(value), text, "{value}");
        }
    }

    #[test]
    fn integers_parse_strictly() {
        assert_eq!(parse_java_int("-12"), Some(-12));
        assert_eq!(parse_java_int("+7"), Some(7));
        assert_eq!(parse_java_int("2147483648"), None);
        assert_eq!(parse_java_int(" 1"), None);
        assert_eq!(parse_java_int("1.0"), None);
        assert_eq!(parse_java_long("9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_java_long(""), None);
    }

    #[test]
    fn doubles_parse_like_java() {
        assert_eq!(parse_java_double(" 1.5 "), Some(1.5));
        assert_eq!(parse_java_double("1e3"), Some(1000.0));
        assert_eq!(parse_java_double(".5"), Some(0.5));
        assert_eq!(parse_java_double("2d"), Some(2.0));
        assert!(parse_java_double("NaN").unwrap().is_nan());
        assert_eq!(parse_java_double("-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_java_double("inf"), None);
        assert_eq!(parse_java_double("abc"), None);
    }
}
