//! Text and number encodings of BYTES: ENCODE (between hex, utf8, ascii and base64 text),
//! TO_BYTES and FROM_BYTES (text to bytes and back in one of those encodings), and
//! INT/BIGINT/DOUBLE_FROM_BYTES (big- or little-endian). An unknown encoding or a wrong byte
//! count is an evaluation error with ksqlDB's message; NULL in gives NULL out.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::{CallSite, FnImpl, fail, str_arg, try_f};
use crate::expr::compile::EvalError;
use crate::types::Value;

pub fn lookup(site: &CallSite<'_>) -> Option<FnImpl> {
    match site.name {
        "ENCODE" => try_f(|a| {
            let (Some(s), Some(from), Some(to)) = (str_arg(a, 0), str_arg(a, 1), str_arg(a, 2))
            else {
                return Ok(Value::Null);
            };
            encode(s, from, to).map(Value::string)
        }),
        "TO_BYTES" => try_f(|a| {
            let (Some(s), Some(encoding)) = (str_arg(a, 0), str_arg(a, 1)) else {
                return Ok(Value::Null);
            };
            decode_text(s, encoding_named(encoding)?, "TO_BYTES").map(Value::bytes)
        }),
        "FROM_BYTES" => try_f(|a| {
            let (Some(b), Some(encoding)) = (a.first().and_then(Value::as_bytes), str_arg(a, 1))
            else {
                return Ok(Value::Null);
            };
            Ok(Value::string(encode_bytes(b, encoding_named(encoding)?)))
        }),
        "INT_FROM_BYTES" => number_from_bytes::<4>(|b| Value::Int(i32::from_be_bytes(b))),
        "BIGINT_FROM_BYTES" => number_from_bytes::<8>(|b| Value::Bigint(i64::from_be_bytes(b))),
        "DOUBLE_FROM_BYTES" => number_from_bytes::<8>(|b| Value::Double(f64::from_be_bytes(b))),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Hex,
    Utf8,
    Ascii,
    Base64,
}

fn encoding_named(name: &str) -> Result<Encoding, EvalError> {
    Ok(match name.to_ascii_lowercase().as_str() {
        "hex" => Encoding::Hex,
        "utf8" => Encoding::Utf8,
        "ascii" => Encoding::Ascii,
        "base64" => Encoding::Base64,
        _ => {
            return Err(EvalError::Function(format!(
                "Unknown encoding type '{name}'. Supported formats are 'hex', 'utf8', 'ascii', and 'base64'."
            )));
        }
    })
}

/// BytesUtils' encoders: upper-case hex, UTF-8 and ASCII with replacement characters.
fn encode_bytes(b: &[u8], encoding: Encoding) -> String {
    match encoding {
        Encoding::Hex => b.iter().map(|x| format!("{x:02X}")).collect(),
        Encoding::Utf8 => String::from_utf8_lossy(b).into_owned(),
        Encoding::Ascii => ascii_string(b),
        Encoding::Base64 => STANDARD.encode(b),
    }
}

fn decode_text(s: &str, encoding: Encoding, name: &str) -> Result<Vec<u8>, EvalError> {
    Ok(match encoding {
        Encoding::Hex => parse_hex(s).map_err(|e| fail(name, e))?,
        Encoding::Utf8 => s.as_bytes().to_vec(),
        Encoding::Ascii => ascii_bytes(s),
        Encoding::Base64 => STANDARD
            .decode(s)
            .map_err(|e| fail(name, format!("Illegal base64 input: {e}")))?,
    })
}

/// Java's `new String(bytes, US_ASCII)`: bytes above 0x7F become U+FFFD.
fn ascii_string(b: &[u8]) -> String {
    b.iter()
        .map(|&x| if x < 0x80 { x as char } else { '\u{fffd}' })
        .collect()
}

/// Java's `getBytes(US_ASCII)`: every non-ASCII character becomes `?`.
fn ascii_bytes(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| if c.is_ascii() { c as u8 } else { b'?' })
        .collect()
}

fn parse_hex(s: &str) -> Result<Vec<u8>, String> {
    if !s.len().is_multiple_of(2) {
        return Err("Odd number of characters.".into());
    }
    s.as_bytes()
        .chunks(2)
        .enumerate()
        .map(|(i, pair)| {
            let digit = |j: usize| {
                (pair[j] as char).to_digit(16).ok_or_else(|| {
                    format!(
                        "Illegal hexadecimal character {} at index {}",
                        pair[j] as char,
                        i * 2 + j
                    )
                })
            };
            Ok((digit(0)? * 16 + digit(1)?) as u8)
        })
        .collect()
}

/// ENCODE(str, from, to): the text decoded from one encoding and re-encoded in another (hex
/// lower-case; `0x…` and `X'…'` hex forms accepted).
fn encode(s: &str, from: &str, to: &str) -> Result<String, EvalError> {
    let unsupported = || {
        EvalError::Function(
            "Supported input and output encodings are: hex, utf8, ascii and base64".into(),
        )
    };
    let named = |n: &str| encoding_named(n).map_err(|_| unsupported());
    let (from, to) = (named(from)?, named(to)?);
    if from == to {
        return Err(unsupported());
    }
    let bytes = match from {
        Encoding::Hex => parse_hex(&hex_strip(s)).map_err(EvalError::Function)?,
        Encoding::Utf8 => s.as_bytes().to_vec(),
        Encoding::Ascii => ascii_bytes(s),
        Encoding::Base64 => base64_lenient(s),
    };
    Ok(match to {
        Encoding::Hex => bytes.iter().map(|x| format!("{x:02x}")).collect(),
        other => encode_bytes(&bytes, other),
    })
}

/// Commons-codec's lenient base64 decoding: characters outside the alphabet are skipped.
fn base64_lenient(s: &str) -> Vec<u8> {
    let clean: String = s
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '+' || *c == '/')
        .collect();
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    engine.decode(clean).unwrap_or_default()
}

/// ksqlDB's `hexStrip`: drops a `0x` prefix (padding an odd count with a leading 0) or the
/// `X'…'` quotes.
fn hex_strip(s: &str) -> String {
    if let Some(rest) = s.strip_prefix("0x") {
        if !s.len().is_multiple_of(2) {
            format!("0{rest}")
        } else {
            rest.to_string()
        }
    } else if s.len() >= 3 && (s.starts_with("x'") || s.starts_with("X'")) && s.ends_with('\'') {
        s[2..s.len() - 1].to_string()
    } else {
        s.to_string()
    }
}

/// `*_FROM_BYTES(bytes [, byteOrder])`: exactly `N` bytes, big-endian unless told otherwise.
fn number_from_bytes<const N: usize>(from_be: fn([u8; N]) -> Value) -> Option<FnImpl> {
    try_f(move |a| {
        let Some(b) = a.first().and_then(Value::as_bytes) else {
            return Ok(Value::Null);
        };
        let little = match a.get(1) {
            None => false,
            Some(order) => match order.as_str().map(str::to_ascii_uppercase).as_deref() {
                Some("BIG_ENDIAN") => false,
                Some("LITTLE_ENDIAN") => true,
                other => {
                    return Err(EvalError::Function(format!(
                        "Byte order must be BIG_ENDIAN or LITTLE_ENDIAN. Unknown byte order '{}'.",
                        other.unwrap_or("null")
                    )));
                }
            },
        };
        let Ok(mut fixed) = <[u8; N]>::try_from(b) else {
            return Err(EvalError::Function(format!(
                "Number of bytes must be equal to {N}, but found {}",
                b.len()
            )));
        };
        if little {
            fixed.reverse();
        }
        Ok(from_be(fixed))
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::types::SqlType;

    #[test]
    fn encode_between_text_encodings() {
        let enc = |x: &str, from: &str, to: &str| {
            call("ENCODE", SqlType::String, &[s(x), s(from), s(to)])
        };
        assert_eq!(enc("4578616d706C6521", "hex", "ascii"), Ok(sv("Example!")));
        assert_eq!(
            enc("0x4578616d706C6521", "hex", "base64"),
            Ok(sv("RXhhbXBsZSE="))
        );
        assert_eq!(enc("X'4578'", "hex", "utf8"), Ok(sv("Ex")));
        assert_eq!(enc("Ελ", "ascii", "hex"), Ok(sv("3f3f")));
        assert_eq!(enc("zpXOuw==", "base64", "utf8"), Ok(sv("Ελ")));
        assert!(enc("a", "nope", "utf8").is_err());
    }

    #[test]
    fn bytes_round_trips_and_numbers() {
        let b = |x: &[u8]| (Value::bytes(x), SqlType::Bytes);
        assert_eq!(
            call("FROM_BYTES", SqlType::String, &[b(&[0xab, 1]), s("hex")]),
            Ok(sv("AB01"))
        );
        assert_eq!(
            call("TO_BYTES", SqlType::Bytes, &[s("IQ=="), s("base64")]),
            Ok(Value::bytes(&b"!"[..]))
        );
        assert!(call("TO_BYTES", SqlType::Bytes, &[s("x"), s("morse")]).is_err());
        assert_eq!(
            call("INT_FROM_BYTES", SqlType::Int, &[b(&[0, 0, 7, 0xe5])]),
            Ok(Value::Int(2021))
        );
        assert_eq!(
            call(
                "INT_FROM_BYTES",
                SqlType::Int,
                &[b(&[0xe5, 7, 0, 0]), s("LITTLE_ENDIAN")]
            ),
            Ok(Value::Int(2021))
        );
        assert!(call("BIGINT_FROM_BYTES", SqlType::Bigint, &[b(&[1])]).is_err());
    }
}
