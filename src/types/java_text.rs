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
    // `{:e}` gives the shortest round-trip digits as `d.ddde<exp>`.
    let scientific = format!("{:e}", value.abs());
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if value.is_sign_negative() {
        out.push('-');
    }
    if (-3..7).contains(&exponent) {
        if exponent < 0 {
            out.push_str("0.");
            for _ in 0..(-exponent - 1) {
                out.push('0');
            }
            out.push_str(&digits);
        } else {
            let int_len = exponent as usize + 1;
            if digits.len() <= int_len {
                out.push_str(&digits);
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
        ];
        for (value, text) in cases {
            assert_eq!(double_to_string(value), text, "{value}");
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
