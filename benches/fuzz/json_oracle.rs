//! The oracle of the JSON differential: what serde_json says about a payload, adjusted only
//! where weir deliberately reads like ksqlDB (Jackson's `ObjectMapper.readTree`). The
//! documented deviations, each with its reason:
//!
//! 1. **Trailing content.** Only the first value is read; anything after it is ignored,
//!    because `readTree` without `FAIL_ON_TRAILING_TOKENS` (off by default) ignores it.
//!    serde_json's `from_slice` rejects it, so the oracle judges the first value alone.
//! 2. **Root scalars end like Jackson's.** A root number must be followed by whitespace or
//!    the end (Jackson's `_verifyRootSpace`: `1]` and `1x` are errors), a root `true`,
//!    `false` or `null` by a byte below `0`, `]`, `}` or a character that cannot continue an
//!    identifier (`truex` is an error, `true-` is not). serde_json's stream reader accepts
//!    `1]` and rejects `true-`; Jackson decides. Non-ASCII characters after a root literal are
//!    not judged (Java's identifier classes are not Rust's).
//! 3. **Nesting.** weir refuses values nested deeper than 512 (`json_parse::MAX_DEPTH`, a
//!    guard against hostile input; Jackson's default limit since 2.15 is 1000); serde_json's
//!    own limit (128) is lifted for the oracle.
//! 4. **Numbers out of f64 range and lone surrogate escapes** are valid JSON for Jackson
//!    (BigDecimal numbers, Java strings with unpaired surrogates) and for weir (number text is
//!    kept; an unpaired surrogate reads as U+FFFD), but serde_json refuses them when building
//!    values. Acceptance is judged by serde_json's syntax-only pass (`IgnoredAny`, which
//!    checks neither); such documents are not compared value by value.
//! 5. **Floats** are compared to a relative 1e-14: serde_json's default float parsing is
//!    best-effort (several units in the last place off for long mantissas), weir's
//!    (`str::parse`) is correctly rounded.
//! 6. **Objects read into a STRING** are Jackson's re-serialization, so they are compared as
//!    trees, numbers by value: fractions come back in `BigDecimal` form (`1e3` as `1E+3`),
//!    `-0` as `0`, and a repeated name once, where it first appeared, with its last value.

use std::fmt;

use serde::Deserialize;
use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};

/// weir's nesting limit (`format::json_parse::MAX_DEPTH`).
pub const MAX_DEPTH: usize = 512;

/// A JSON value as serde_json read it, members in document order with duplicates kept.
#[derive(Debug, Clone, PartialEq)]
pub enum Doc {
    Null,
    Bool(bool),
    /// A plain integer (no fraction or exponent) within i64/u64.
    Int(i128),
    Float(f64),
    Str(String),
    Arr(Vec<Doc>),
    Obj(Vec<(String, Doc)>),
}

impl<'de> Deserialize<'de> for Doc {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Doc, D::Error> {
        d.deserialize_any(DocVisitor)
    }
}

struct DocVisitor;

impl<'de> Visitor<'de> for DocVisitor {
    type Value = Doc;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Doc, E> {
        Ok(Doc::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Doc, E> {
        Ok(Doc::Int(i128::from(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Doc, E> {
        Ok(Doc::Int(i128::from(v)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Doc, E> {
        Ok(Doc::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Doc, E> {
        Ok(Doc::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Doc, E> {
        Ok(Doc::Str(v))
    }
    fn visit_unit<E>(self) -> Result<Doc, E> {
        Ok(Doc::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Doc, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Doc::Arr(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Doc, A::Error> {
        let mut members = Vec::new();
        while let Some((key, value)) = map.next_entry::<String, Doc>()? {
            members.push((key, value));
        }
        Ok(Doc::Obj(members))
    }
}

/// The oracle's answer for one payload.
#[derive(Debug)]
pub enum Verdict {
    /// weir must refuse it as malformed.
    Reject(&'static str),
    /// weir must accept it; `doc` is the value when serde_json could build it (see 4.).
    Accept { doc: Option<Doc> },
    /// Not judged (see 2.): any outcome but a panic is fine.
    Either,
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Judges `input` as a record payload (the first JSON value, see the module doc).
pub fn judge(input: &[u8]) -> Verdict {
    let start = input.iter().position(|&b| !is_ws(b)).unwrap_or(input.len());
    let rest = &input[start..];
    let Some(&first) = rest.first() else {
        return Verdict::Reject("empty");
    };
    let end = match first {
        b'-' | b'0'..=b'9' => {
            let run = rest
                .iter()
                .position(|b| !matches!(b, b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-'))
                .unwrap_or(rest.len());
            if !rest.get(run).is_none_or(|&b| is_ws(b)) {
                return Verdict::Reject("root number not followed by whitespace");
            }
            run
        }
        b't' | b'f' | b'n' => {
            let word: &[u8] = match first {
                b't' => b"true",
                b'f' => b"false",
                _ => b"null",
            };
            if !rest.starts_with(word) {
                return Verdict::Reject("bad literal");
            }
            match rest.get(word.len()) {
                None => {}
                Some(&b) if b < b'0' || b == b']' || b == b'}' => {}
                Some(&b) if b.is_ascii_alphanumeric() || b == b'_' || b == 0x7f => {
                    return Verdict::Reject("root literal runs into an identifier");
                }
                Some(&b) if b >= 0x80 => return Verdict::Either,
                Some(_) => {}
            }
            word.len()
        }
        _ => {
            let mut stream = serde_json::Deserializer::from_slice(rest).into_iter::<IgnoredAny>();
            match stream.next() {
                Some(Ok(_)) => stream.byte_offset(),
                _ => return Verdict::Reject("serde_json: syntax"),
            }
        }
    };
    let value = &rest[..end];
    // Scalars were cut by hand above: serde_json checks them alone.
    if serde_json::from_slice::<IgnoredAny>(value).is_err() {
        return Verdict::Reject("serde_json: syntax");
    }
    if std::str::from_utf8(value).is_err() {
        return Verdict::Reject("invalid UTF-8 in a string");
    }
    let depth = max_value_depth(value);
    if depth > MAX_DEPTH {
        return Verdict::Reject("nesting deeper than weir's limit");
    }
    let mut de = serde_json::Deserializer::from_slice(value);
    de.disable_recursion_limit();
    let doc = Doc::deserialize(&mut de).ok();
    Verdict::Accept { doc }
}

/// How deep the deepest value of a valid document sits (the root at 0, the items of a
/// non-empty root array at 1, …), as weir's reader counts it.
pub fn max_value_depth(bytes: &[u8]) -> usize {
    let mut open = 0usize;
    let mut max = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'[' | b'{' => {
                open += 1;
                let next = bytes[i + 1..].iter().find(|&&b| !is_ws(b));
                let empty = matches!(next, Some(b']' | b'}'));
                max = max.max(if empty { open - 1 } else { open });
            }
            b']' | b'}' => open = open.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    max
}
