//! URL functions: URL_ENCODE_PARAM / URL_DECODE_PARAM (form encoding, `+` for space) and the
//! URL_EXTRACT_* family, which read the parts of a URI as Java's `java.net.URI` does (host
//! without user info, path `""` when absent, query and fragment percent-decoded, port NULL when
//! absent). Text that is not a URI is an evaluation error naming the input. A `%` must be
//! followed by two hex digits: otherwise URL_DECODE_PARAM fails as Java's `URLDecoder` does
//! (ksqlDB lets its `IllegalArgumentException` through, so the call is NULL and the error goes
//! to the processing log), and a URI is invalid as `java.net.URI` finds it.

use super::{CallSite, FnImpl, f, str_arg, try_f};
use crate::expr::compile::EvalError;
use crate::types::Value;

pub fn lookup(site: &CallSite<'_>) -> Option<FnImpl> {
    let part: fn(&Uri<'_>) -> Value = match site.name {
        "URL_ENCODE_PARAM" => {
            return f(|a| str_arg(a, 0).map_or(Value::Null, |s| Value::string(form_encode(s))));
        }
        "URL_DECODE_PARAM" => {
            return try_f(|a| match str_arg(a, 0) {
                None => Ok(Value::Null),
                Some(s) => form_decode(s).map(Value::string),
            });
        }
        "URL_EXTRACT_PARAMETER" => {
            return try_f(|a| {
                let (Some(url), Some(name)) = (str_arg(a, 0), str_arg(a, 1)) else {
                    return Ok(Value::Null);
                };
                let uri = Uri::parse(url)?;
                let Some(query) = uri.query.map(percent_decode) else {
                    return Ok(Value::Null);
                };
                for param in query.split('&') {
                    match param.split_once('=') {
                        None if param == name => return Ok(Value::string("")),
                        Some((k, v)) if k == name => return Ok(Value::string(v)),
                        _ => {}
                    }
                }
                Ok(Value::Null)
            });
        }
        "URL_EXTRACT_PROTOCOL" => |u| opt(u.scheme.map(str::to_owned)),
        "URL_EXTRACT_HOST" => |u| opt(u.host.map(str::to_owned)),
        "URL_EXTRACT_PATH" => |u| opt(u.path.map(percent_decode)),
        "URL_EXTRACT_QUERY" => |u| opt(u.query.map(percent_decode)),
        "URL_EXTRACT_FRAGMENT" => |u| opt(u.fragment.map(percent_decode)),
        "URL_EXTRACT_PORT" => |u| u.port.map_or(Value::Null, Value::Int),
        _ => return None,
    };
    try_f(move |a| match str_arg(a, 0) {
        Some(url) => Ok(part(&Uri::parse(url)?)),
        None => Ok(Value::Null),
    })
}

fn opt(s: Option<String>) -> Value {
    s.map_or(Value::Null, Value::string)
}

/// The parts of a URI, borrowed from its text (still percent-encoded).
#[derive(Debug, Default, PartialEq)]
struct Uri<'a> {
    scheme: Option<&'a str>,
    host: Option<&'a str>,
    port: Option<i32>,
    path: Option<&'a str>,
    query: Option<&'a str>,
    fragment: Option<&'a str>,
}

impl<'a> Uri<'a> {
    fn parse(text: &'a str) -> Result<Uri<'a>, EvalError> {
        let invalid = || EvalError::Function(format!("URL input has invalid syntax: {text}"));
        if text
            .chars()
            .any(|c| c.is_whitespace() || "\"<>\\^`{|}".contains(c))
            || decode_escapes(text).is_err()
        {
            return Err(invalid());
        }
        let mut uri = Uri::default();
        let (rest, fragment) = match text.split_once('#') {
            Some((r, f)) => (r, Some(f)),
            None => (text, None),
        };
        uri.fragment = fragment;
        let mut rest = rest;
        if let Some(colon) = rest.find(':') {
            let scheme = &rest[..colon];
            let valid = scheme
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
            if valid {
                uri.scheme = Some(scheme);
                rest = &rest[colon + 1..];
                if !rest.starts_with('/') {
                    // An opaque URI (`mailto:…`): no host, path or query.
                    return Ok(uri);
                }
            } else if !rest[..colon].contains(['/', '?']) {
                return Err(invalid());
            }
        }
        let (before_query, query) = match rest.split_once('?') {
            Some((b, q)) => (b, Some(q)),
            None => (rest, None),
        };
        uri.query = query;
        let mut path = before_query;
        if let Some(after) = before_query.strip_prefix("//") {
            let end = after.find('/').unwrap_or(after.len());
            let authority = &after[..end];
            path = &after[end..];
            let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            let (host, port) = match host_port.strip_prefix('[') {
                Some(v6) => match v6.split_once(']') {
                    Some((_, after)) => (
                        &host_port[..host_port.len() - after.len()],
                        after.strip_prefix(':'),
                    ),
                    None => return Err(invalid()),
                },
                None => match host_port.rsplit_once(':') {
                    Some((h, p)) => (h, Some(p)),
                    None => (host_port, None),
                },
            };
            uri.host = Some(host);
            if let Some(port) = port.filter(|p| !p.is_empty()) {
                uri.port = Some(port.parse().map_err(|_| invalid())?);
            }
            if uri.host == Some("") {
                uri.host = None;
            }
        }
        uri.path = Some(path);
        Ok(uri)
    }
}

/// A `%` that is not followed by two hex digits: its byte index in the text.
#[derive(Debug, PartialEq)]
struct MalformedEscape(usize);

/// `%XX` sequences decoded as UTF-8 (bytes that are not UTF-8 become U+FFFD, as Java's
/// decoders make them). Only hex digits count: `%+1` is as malformed as `%zz`.
fn decode_escapes(s: &str) -> Result<String, MalformedEscape> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'%' {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        let hex = |at: usize| bytes.get(at).and_then(|b| (*b as char).to_digit(16));
        let (Some(high), Some(low)) = (hex(i + 1), hex(i + 2)) else {
            return Err(MalformedEscape(i));
        };
        out.push((high * 16 + low) as u8);
        i += 3;
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// A part of a URI that [`Uri::parse`] accepted, so its escapes are well formed.
fn percent_decode(part: &str) -> String {
    decode_escapes(part).unwrap_or_else(|_| part.to_owned())
}

/// URL_DECODE_PARAM: Java's `URLDecoder.decode(text, UTF-8)`, `+` as a space.
fn form_decode(text: &str) -> Result<String, EvalError> {
    decode_escapes(&text.replace('+', " ")).map_err(|MalformedEscape(at)| {
        let escape: String = text[at..].chars().take(3).collect();
        EvalError::Function(format!(
            "URL_DECODE_PARAM: malformed escape '{escape}' at index {at} of '{text}': a '%' must \
             be followed by two hex digits (write '%25' for a literal '%')"
        ))
    })
}

/// Guava's form-parameter escaper: letters, digits and `-_.*` kept, space as `+`, everything
/// else as upper-case `%XX` of its UTF-8 bytes.
fn form_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::types::SqlType;

    #[test]
    fn extracts_parts_like_java_uri() {
        let get = |name: &str, url: &str| call(name, SqlType::String, &[s(url)]).unwrap();
        let url = "http://test@confluent.io:8080/nested/path?q=2&x#frag";
        assert_eq!(get("URL_EXTRACT_PROTOCOL", url), sv("http"));
        assert_eq!(get("URL_EXTRACT_HOST", url), sv("confluent.io"));
        assert_eq!(
            call("URL_EXTRACT_PORT", SqlType::Int, &[s(url)]),
            Ok(Value::Int(8080))
        );
        assert_eq!(get("URL_EXTRACT_PATH", url), sv("/nested/path"));
        assert_eq!(get("URL_EXTRACT_QUERY", url), sv("q=2&x"));
        assert_eq!(get("URL_EXTRACT_FRAGMENT", url), sv("frag"));
        assert_eq!(get("URL_EXTRACT_PATH", "http://www.test.com?query"), sv(""));
        assert_eq!(get("URL_EXTRACT_PROTOCOL", "www.confluent.io"), Value::Null);
        assert_eq!(get("URL_EXTRACT_QUERY", "http://a.io/path"), Value::Null);
        assert_eq!(
            call("URL_EXTRACT_PORT", SqlType::Int, &[s("http://a.io")]),
            Ok(Value::Null)
        );
        assert!(call("URL_EXTRACT_HOST", SqlType::String, &[s("http://a b")]).is_err());
    }

    #[test]
    fn parameters_and_form_encoding() {
        let p = |url: &str, name: &str| {
            call("URL_EXTRACT_PARAMETER", SqlType::String, &[s(url), s(name)]).unwrap()
        };
        assert_eq!(
            p("http://a.io/?one=a&two=url%20encoded&three", "two"),
            sv("url encoded")
        );
        assert_eq!(p("http://a.io/?one=a&three", "three"), sv(""));
        assert_eq!(p("http://a.io/?one=a", "four"), Value::Null);
        assert_eq!(
            call("URL_DECODE_PARAM", SqlType::String, &[s("%3Ffoo+%24bar")]),
            Ok(sv("?foo $bar"))
        );
        assert_eq!(
            call("URL_ENCODE_PARAM", SqlType::String, &[s("?foo $bar")]),
            Ok(sv("%3Ffoo+%24bar"))
        );
    }

    #[test]
    fn form_decoding_needs_two_hex_digits_after_each_percent() {
        let decode = |text: &str| call("URL_DECODE_PARAM", SqlType::String, &[s(text)]);
        assert_eq!(decode("a%20b+c%2Bd"), Ok(sv("a b c+d")));
        assert_eq!(decode("%e2%82%AC+%C3%A9"), Ok(sv("€ é")));
        assert_eq!(decode("%C3"), Ok(sv("\u{fffd}")));
        assert_eq!(decode("100%25"), Ok(sv("100%")));
        assert_eq!(decode(""), Ok(sv("")));
        assert_eq!(
            call(
                "URL_DECODE_PARAM",
                SqlType::String,
                &[null(SqlType::String)]
            ),
            Ok(Value::Null)
        );
        for malformed in ["%+1", "%-1", "%1", "%zz", "%4", "a%", "%4g", "% 1", "x%+fy"] {
            let Err(EvalError::Function(message)) = decode(malformed) else {
                panic!("{malformed:?} decoded as {:?}", decode(malformed));
            };
            assert!(message.contains("two hex digits"), "{message}");
        }
        assert_eq!(
            decode("ab%+1"),
            Err(EvalError::Function(
                "URL_DECODE_PARAM: malformed escape '%+1' at index 2 of 'ab%+1': a '%' must be \
                 followed by two hex digits (write '%25' for a literal '%')"
                    .into()
            ))
        );
    }

    #[test]
    fn a_uri_with_a_malformed_escape_is_invalid() {
        let get = |name: &str, url: &str| call(name, SqlType::String, &[s(url)]);
        assert_eq!(get("URL_EXTRACT_PATH", "http://a.io/x%2Fy"), Ok(sv("/x/y")));
        for url in ["http://a.io/x%+1", "http://a.io/?q=%zz", "http://a.io/#%4"] {
            assert_eq!(
                get("URL_EXTRACT_PATH", url),
                Err(EvalError::Function(format!(
                    "URL input has invalid syntax: {url}"
                )))
            );
        }
    }
}
