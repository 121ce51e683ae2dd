//! String functions: case, length, trimming, SUBSTRING, CONCAT and CONCAT_WS, REPLACE, SPLIT
//! and SPLIT_TO_MAP, LPAD/RPAD (strings and bytes), CHR, ELT, FIELD, UUID. Positions and
//! lengths count characters; NULL arguments give NULL except where ksqlDB skips them (CONCAT,
//! CONCAT_WS elements) or documents another answer (FIELD gives 0).

use super::{CallSite, FnImpl, f, int_arg, is_null_arg, str_arg};
use crate::types::java_hash_map::{DEFAULT_CAPACITY, hash_map_order};
use crate::types::{SqlType, Value};

pub fn lookup(site: &CallSite<'_>) -> Option<FnImpl> {
    let bytes = *site.arg_ty(0) == SqlType::Bytes;
    match site.name {
        "UCASE" => f(|a| str_map(a, str::to_uppercase)),
        "LCASE" => f(|a| str_map(a, str::to_lowercase)),
        "TRIM" => f(|a| str_map(a, |s| java_trim(s).to_owned())),
        "LTRIM" => f(|a| str_map(a, |s| s.trim_start_matches(|c| c <= ' ').to_owned())),
        "RTRIM" => f(|a| str_map(a, |s| s.trim_end_matches(|c| c <= ' ').to_owned())),
        "INITCAP" => f(|a| str_map(a, initcap)),
        "LEN" => f(|a| match a.first() {
            Some(Value::String(s)) => Value::Int(s.encode_utf16().count() as i32),
            Some(Value::Bytes(b)) => Value::Int(b.len() as i32),
            _ => Value::Null,
        }),
        "SUBSTRING" if bytes => f(|a| {
            let (Some(b), Some(pos)) = (a.first().and_then(Value::as_bytes), int_arg(a, 1)) else {
                return Value::Null;
            };
            match sub_range(b.len(), pos, a.get(2)) {
                Some((start, end)) => Value::bytes(&b[start..end]),
                None => Value::Null,
            }
        }),
        "SUBSTRING" => f(|a| {
            let (Some(s), Some(pos)) = (str_arg(a, 0), int_arg(a, 1)) else {
                return Value::Null;
            };
            match sub_range(s.chars().count(), pos, a.get(2)) {
                Some((start, end)) => Value::string(char_slice(s, start, end)),
                None => Value::Null,
            }
        }),
        "CONCAT" if bytes => f(|a| {
            let mut out = Vec::new();
            a.iter()
                .filter_map(Value::as_bytes)
                .for_each(|b| out.extend_from_slice(b));
            Value::bytes(out)
        }),
        "CONCAT" => f(|a| {
            let mut out = String::new();
            a.iter()
                .filter_map(Value::as_str)
                .for_each(|s| out.push_str(s));
            Value::string(out)
        }),
        "CONCAT_WS" if bytes => f(|a| {
            let Some(sep) = a.first().and_then(Value::as_bytes) else {
                return Value::Null;
            };
            let parts: Vec<&[u8]> = a[1..].iter().filter_map(Value::as_bytes).collect();
            Value::bytes(parts.join(sep))
        }),
        "CONCAT_WS" => f(|a| {
            let Some(sep) = str_arg(a, 0) else {
                return Value::Null;
            };
            let parts: Vec<&str> = a[1..].iter().filter_map(Value::as_str).collect();
            Value::string(parts.join(sep))
        }),
        "REPLACE" => f(|a| match (str_arg(a, 0), str_arg(a, 1), str_arg(a, 2)) {
            (Some(s), Some(old), Some(new)) => Value::string(java_replace(s, old, new)),
            _ => Value::Null,
        }),
        "SPLIT" if bytes => f(|a| {
            let (Some(b), Some(d)) = (
                a.first().and_then(Value::as_bytes),
                a.get(1).and_then(Value::as_bytes),
            ) else {
                return Value::Null;
            };
            Value::array(split_bytes(b, d).into_iter().map(Value::bytes).collect())
        }),
        "SPLIT" => f(|a| {
            let (Some(s), Some(d)) = (str_arg(a, 0), str_arg(a, 1)) else {
                return Value::Null;
            };
            let parts: Vec<Value> = if s.is_empty() {
                vec![Value::string("")]
            } else if d.is_empty() {
                s.chars().map(|c| Value::string(c.to_string())).collect()
            } else {
                s.split(d).map(Value::string).collect()
            };
            Value::array(parts)
        }),
        "SPLIT_TO_MAP" => f(split_to_map),
        "LPAD" if bytes => f(|a| pad_bytes(a, true)),
        "RPAD" if bytes => f(|a| pad_bytes(a, false)),
        "LPAD" => f(|a| pad(a, true)),
        "RPAD" => f(|a| pad(a, false)),
        "CHR" if *site.arg_ty(0) == SqlType::String => f(|a| {
            str_arg(a, 0)
                .and_then(chr_from_escape)
                .map_or(Value::Null, Value::string)
        }),
        "CHR" => f(|a| {
            int_arg(a, 0)
                .and_then(|c| u32::try_from(c).ok())
                .and_then(char::from_u32)
                .map_or(Value::Null, |c| Value::string(c.to_string()))
        }),
        "ELT" => f(|a| {
            let n = int_arg(a, 0).unwrap_or(0);
            if n >= 1 {
                a.get(n as usize).cloned().unwrap_or(Value::Null)
            } else {
                Value::Null
            }
        }),
        "FIELD" => f(|a| {
            let Some(needle) = str_arg(a, 0) else {
                return Value::Int(0);
            };
            let found = a[1..].iter().position(|v| v.as_str() == Some(needle));
            Value::Int(found.map_or(0, |i| i as i32 + 1))
        }),
        "UUID" if site.args.is_empty() => f(|_| Value::string(random_uuid())),
        "UUID" => f(|a| match a.first().and_then(Value::as_bytes) {
            Some(b) => {
                uuid::Uuid::from_slice(b).map_or(Value::Null, |id| Value::string(id.to_string()))
            }
            _ => Value::Null,
        }),
        _ => None,
    }
}

fn str_map(args: &[Value], f: impl Fn(&str) -> String) -> Value {
    str_arg(args, 0).map_or(Value::Null, |s| Value::string(f(s)))
}

/// Java's `String.trim()`: strips every character up to U+0020 from both ends.
pub(crate) fn java_trim(s: &str) -> &str {
    s.trim_matches(|c| c <= ' ')
}

/// Java's `String.replace(CharSequence, CharSequence)`: an empty target inserts the
/// replacement between every character and at both ends.
fn java_replace(s: &str, old: &str, new: &str) -> String {
    if !old.is_empty() {
        return s.replace(old, new);
    }
    let mut out = String::with_capacity(s.len() + new.len() * (s.len() + 1));
    out.push_str(new);
    for c in s.chars() {
        out.push(c);
        out.push_str(new);
    }
    out
}

/// ksqlDB's INITCAP: the text lower-cased, then the first character of every run of
/// non-whitespace upper-cased; leading whitespace is dropped (its words are matched as
/// `[^\s]+\s*`).
fn initcap(s: &str) -> String {
    let java_space = |c: char| matches!(c, ' ' | '\t' | '\n' | '\u{b}' | '\u{c}' | '\r');
    let mut out = String::with_capacity(s.len());
    let mut at_word_start = true;
    for c in s.to_lowercase().trim_start_matches(java_space).chars() {
        if java_space(c) {
            at_word_start = true;
            out.push(c);
        } else if at_word_start {
            at_word_start = false;
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The characters `[start, end)` of `s`.
fn char_slice(s: &str, start: usize, end: usize) -> &str {
    let byte = |i: usize| s.char_indices().nth(i).map_or(s.len(), |(b, _)| b);
    &s[byte(start)..byte(end)]
}

/// SUBSTRING's `[start, end)` in a value of `len` units: 1-based `pos`, negative from the end;
/// `None` when the length argument is NULL.
fn sub_range(len: usize, pos: i64, length: Option<&Value>) -> Option<(usize, usize)> {
    let n = len as i64;
    let start = if pos < 0 {
        (n + pos).max(0)
    } else {
        (pos - 1).min(n).max(0)
    };
    let end = match length {
        None => n,
        Some(v) => {
            let l = v.as_i64()?;
            (start + l).min(n).max(start)
        }
    };
    Some((start as usize, end as usize))
}

/// ksqlDB's SPLIT of bytes: on every occurrence of the delimiter; an empty delimiter splits
/// into single bytes.
fn split_bytes<'a>(b: &'a [u8], d: &[u8]) -> Vec<&'a [u8]> {
    if b.is_empty() {
        return vec![b];
    }
    if d.is_empty() {
        return b.chunks(1).collect();
    }
    let mut parts = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i + d.len() <= b.len() {
        if &b[i..i + d.len()] == d {
            parts.push(&b[start..i]);
            i += d.len();
            start = i;
        } else {
            i += 1;
        }
    }
    parts.push(&b[start..]);
    parts
}

/// SPLIT_TO_MAP(input, entryDelimiter, kvDelimiter): empty entries are skipped, entries
/// without the key/value delimiter dropped, a repeated key keeps its last value.
fn split_to_map(a: &[Value]) -> Value {
    let (Some(s), Some(entry), Some(kv)) = (str_arg(a, 0), str_arg(a, 1), str_arg(a, 2)) else {
        return Value::Null;
    };
    if entry.is_empty() || kv.is_empty() || entry == kv {
        return Value::Null;
    }
    let entries = s
        .split(entry)
        .filter(|e| !e.is_empty())
        .filter_map(|e| {
            let mut parts = e.split(kv);
            Some((Value::string(parts.next()?), Value::string(parts.next()?)))
        })
        .collect();
    // `Collectors.toMap` into a `new HashMap<>()`, a repeated key taking the later value.
    Value::Map(hash_map_order(entries, DEFAULT_CAPACITY).into())
}

/// LPAD/RPAD(str, len, padding): NULL for any NULL, a negative length or empty padding; the
/// result is exactly `len` characters (the input truncated when longer).
fn pad(args: &[Value], left: bool) -> Value {
    let (Some(s), Some(len), Some(padding)) =
        (str_arg(args, 0), int_arg(args, 1), str_arg(args, 2))
    else {
        return Value::Null;
    };
    if len < 0 || padding.is_empty() {
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

fn pad_bytes(args: &[Value], left: bool) -> Value {
    let (Some(b), Some(len), Some(padding)) = (
        args.first().and_then(Value::as_bytes),
        int_arg(args, 1),
        args.get(2).and_then(Value::as_bytes),
    ) else {
        return Value::Null;
    };
    if len < 0 || padding.is_empty() || is_null_arg(args, 1) {
        return Value::Null;
    }
    let len = len as usize;
    if b.len() >= len {
        return Value::bytes(&b[..len]);
    }
    let fill = padding.iter().copied().cycle().take(len - b.len());
    let out: Vec<u8> = if left {
        fill.chain(b.iter().copied()).collect()
    } else {
        b.iter().copied().chain(fill).collect()
    };
    Value::bytes(out)
}

/// CHR of text: a Java escape of UTF-16 units (`\u004b`, `\ud820\udeb8`); anything else NULL.
fn chr_from_escape(text: &str) -> Option<String> {
    if text.len() < 6 || !text.starts_with("\\u") {
        return None;
    }
    let mut units = Vec::new();
    let mut rest = text;
    while let Some(hex) = rest.strip_prefix("\\u") {
        let code = hex.get(..4)?;
        units.push(u16::from_str_radix(code, 16).ok()?);
        rest = &hex[4..];
    }
    if !rest.is_empty() {
        return None;
    }
    Some(String::from_utf16_lossy(&units))
}

/// A random (version 4) UUID in its canonical text form (Java's `UUID.randomUUID()`), its 122
/// random bits from a generator seeded by the operating system (not the clock).
fn random_uuid() -> String {
    uuid::Builder::from_random_bytes(rand::random())
        .into_uuid()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn case_trim_and_initcap() {
        assert_eq!(call("UCASE", SqlType::String, &[s("ab")]), Ok(sv("AB")));
        assert_eq!(
            call("TRIM", SqlType::String, &[s(" a b \t")]),
            Ok(sv("a b"))
        );
        assert_eq!(call("LTRIM", SqlType::String, &[s("  a ")]), Ok(sv("a ")));
        assert_eq!(
            call("INITCAP", SqlType::String, &[s("  hELLO  wORLD")]),
            Ok(sv("Hello  World"))
        );
        assert_eq!(
            call("TRIM", SqlType::String, &[null(SqlType::String)]),
            Ok(Value::Null)
        );
    }

    #[test]
    fn substring_concat_replace_split() {
        assert_eq!(
            call("SUBSTRING", SqlType::String, &[s("hello"), i(2), i(3)]),
            Ok(sv("ell"))
        );
        assert_eq!(
            call("SUBSTRING", SqlType::String, &[s("hello"), i(-3)]),
            Ok(sv("llo"))
        );
        let b = |x: &[u8]| (Value::bytes(x), SqlType::Bytes);
        assert_eq!(
            call("SUBSTRING", SqlType::Bytes, &[b(b"abcd"), i(2), i(2)]),
            Ok(Value::bytes(&b"bc"[..]))
        );
        assert_eq!(
            call(
                "CONCAT",
                SqlType::String,
                &[s("a"), null(SqlType::String), s("b")]
            ),
            Ok(sv("ab"))
        );
        assert_eq!(
            call("CONCAT_WS", SqlType::Bytes, &[b(b"-"), b(b"a"), b(b"b")]),
            Ok(Value::bytes(&b"a-b"[..]))
        );
        assert_eq!(
            call("REPLACE", SqlType::String, &[s("aXbX"), s("X"), s("yy")]),
            Ok(sv("ayybyy"))
        );
        assert_eq!(
            call(
                "SPLIT",
                SqlType::array(SqlType::Bytes),
                &[b(b"a,b"), b(b",")]
            ),
            Ok(Value::array(vec![
                Value::bytes(&b"a"[..]),
                Value::bytes(&b"b"[..])
            ]))
        );
        assert_eq!(
            call(
                "SPLIT_TO_MAP",
                SqlType::map(SqlType::String, SqlType::String),
                &[s("a=1;b;c=2;;a=3"), s(";"), s("=")]
            ),
            Ok(Value::map(vec![(sv("a"), sv("3")), (sv("c"), sv("2"))]))
        );
    }

    #[test]
    fn padding_chr_field_and_uuid() {
        assert_eq!(
            call("LPAD", SqlType::String, &[s("ab"), i(5), s("xy")]),
            Ok(sv("xyxab"))
        );
        assert_eq!(
            call("RPAD", SqlType::String, &[s("abcdef"), i(3), s("x")]),
            Ok(sv("abc"))
        );
        assert_eq!(
            call("RPAD", SqlType::String, &[s("a"), i(3), s("")]),
            Ok(Value::Null)
        );
        let b = |x: &[u8]| (Value::bytes(x), SqlType::Bytes);
        assert_eq!(
            call("LPAD", SqlType::Bytes, &[b(b"a"), i(3), b(b"z")]),
            Ok(Value::bytes(&b"zza"[..]))
        );
        assert_eq!(call("CHR", SqlType::String, &[i(75)]), Ok(sv("K")));
        assert_eq!(call("CHR", SqlType::String, &[i(-1)]), Ok(Value::Null));
        assert_eq!(call("CHR", SqlType::String, &[s("\\u004b")]), Ok(sv("K")));
        assert_eq!(call("CHR", SqlType::String, &[s("004b")]), Ok(Value::Null));
        assert_eq!(
            call("FIELD", SqlType::Int, &[s("b"), s("a"), s("b")]),
            Ok(Value::Int(2))
        );
        let Ok(Value::String(id)) = call("UUID", SqlType::String, &[]) else {
            panic!("UUID is a string");
        };
        assert_eq!((id.len(), &id[14..15]), (36, "4"));
    }

    #[test]
    fn uuids_are_version_4_random_and_distinct() {
        let uuid = || match call("UUID", SqlType::String, &[]) {
            Ok(Value::String(id)) => id.to_string(),
            other => panic!("UUID gave {other:?}"),
        };
        let ids: Vec<String> = (0..10_000).map(|_| uuid()).collect();
        for id in &ids {
            let groups: Vec<&str> = id.split('-').collect();
            let lengths: Vec<usize> = groups.iter().map(|g| g.len()).collect();
            assert_eq!(lengths, [8, 4, 4, 4, 12], "{id}");
            assert!(
                id.bytes()
                    .all(|b| b == b'-' || b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            );
            assert!(groups[2].starts_with('4'), "version 4: {id}");
            assert!(
                groups[3].starts_with(['8', '9', 'a', 'b']),
                "RFC 4122 variant: {id}"
            );
        }
        let distinct: std::collections::HashSet<&String> = ids.iter().collect();
        assert_eq!(distinct.len(), ids.len());
        // The first half of a UUID does not give the second away, as two outputs of a
        // clock-seeded splitmix64 sequence would: try each value of the 4 version bits.
        for id in &ids[..50] {
            let hex = id.replace('-', "");
            let first = u64::from_str_radix(&hex[..16], 16).unwrap();
            let second = u64::from_str_radix(&hex[16..], 16).unwrap();
            let variant_free = |x: u64| x & !(0xc0 << 56);
            assert!(
                (0..16u64).all(|version| {
                    let candidate = first & !(0xf << 12) | version << 12;
                    variant_free(splitmix64_successor(candidate)) != variant_free(second)
                }),
                "{id}: halves follow each other as in a splitmix64 sequence"
            );
        }
    }

    #[test]
    fn uuids_differ_across_threads_started_at_once() {
        let threads = 8;
        let start = std::sync::Arc::new(std::sync::Barrier::new(threads));
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let start = start.clone();
                std::thread::spawn(move || {
                    start.wait();
                    (0..100)
                        .map(|_| call("UUID", SqlType::String, &[]).unwrap())
                        .collect::<Vec<Value>>()
                })
            })
            .collect();
        let all: Vec<Value> = handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        assert_eq!(
            all.iter().collect::<std::collections::HashSet<_>>().len(),
            threads * 100
        );
        assert_eq!(
            call(
                "UUID",
                SqlType::String,
                &[(Value::bytes(&[0xab; 16][..]), SqlType::Bytes)]
            ),
            Ok(sv("abababab-abab-abab-abab-abababababab"))
        );
    }
}
