//! Searching and rewriting text: INSTR, the MASK family and the REGEXP family. A regex whose
//! pattern is a literal is compiled once with the call site; a pattern from a column is
//! compiled per record. Patterns are Java regexes; the common syntax is shared with the `regex`
//! crate, and a pattern it rejects is an evaluation error, as a `PatternSyntaxException` is.

use std::borrow::Cow;

use regex::Regex;

use super::{CallSite, FnImpl, f, fail, int_arg, str_arg, try_f};
use crate::expr::compile::EvalError;
use crate::types::Value;

pub fn lookup(site: &CallSite<'_>) -> Option<FnImpl> {
    let name = site.name;
    match name {
        "INSTR" => f(instr),
        "MASK" => mask_fn(site, 1, |s, _, m| m.mask(s)),
        "MASK_KEEP_LEFT" => mask_fn(site, 2, |s, n, m| {
            let keep: String = s.chars().take(n).collect();
            keep + &m.mask(&s.chars().skip(n).collect::<String>())
        }),
        "MASK_KEEP_RIGHT" => mask_fn(site, 2, |s, n, m| {
            let split = s.chars().count().saturating_sub(n);
            m.mask(&s.chars().take(split).collect::<String>())
                + &s.chars().skip(split).collect::<String>()
        }),
        "MASK_LEFT" => mask_fn(site, 2, |s, n, m| {
            m.mask(&s.chars().take(n).collect::<String>()) + &s.chars().skip(n).collect::<String>()
        }),
        "MASK_RIGHT" => mask_fn(site, 2, |s, n, m| {
            let split = s.chars().count().saturating_sub(n);
            s.chars().take(split).collect::<String>()
                + &m.mask(&s.chars().skip(split).collect::<String>())
        }),
        "REGEXP_EXTRACT" => {
            let pattern = Pattern::at(site, 0);
            try_f(move |a| {
                let (Some(re), Some(s)) = (pattern.get(a, "REGEXP_EXTRACT")?, str_arg(a, 1)) else {
                    return Ok(Value::Null);
                };
                let group = match a.get(2) {
                    None => 0,
                    Some(g) => match g.as_i64() {
                        Some(g) => g,
                        None => return Ok(Value::Null),
                    },
                };
                if group < 0 || group as usize >= re.captures_len() {
                    return Ok(Value::Null);
                }
                Ok(re
                    .captures(s)
                    .and_then(|c| c.get(group as usize))
                    .map_or(Value::Null, |m| Value::string(m.as_str())))
            })
        }
        "REGEXP_EXTRACT_ALL" => {
            let pattern = Pattern::at(site, 0);
            try_f(move |a| {
                let (Some(re), Some(s)) = (pattern.get(a, "REGEXP_EXTRACT_ALL")?, str_arg(a, 1))
                else {
                    return Ok(Value::Null);
                };
                let group = match a.get(2) {
                    None => 0,
                    Some(g) => match g.as_i64() {
                        Some(g) => g,
                        None => return Ok(Value::Null),
                    },
                };
                if group < 0 || group as usize >= re.captures_len() {
                    return Ok(Value::Null);
                }
                let found = re
                    .captures_iter(s)
                    .map(|c| {
                        c.get(group as usize)
                            .map_or(Value::Null, |m| Value::string(m.as_str()))
                    })
                    .collect();
                Ok(Value::array(found))
            })
        }
        "REGEXP_REPLACE" => {
            let pattern = Pattern::at(site, 1);
            try_f(move |a| {
                let (Some(s), Some(re), Some(with)) = (
                    str_arg(a, 0),
                    pattern.get(a, "REGEXP_REPLACE")?,
                    str_arg(a, 2),
                ) else {
                    return Ok(Value::Null);
                };
                let with = java_replacement(with);
                Ok(Value::string(re.replace_all(s, with.as_str()).into_owned()))
            })
        }
        "REGEXP_SPLIT_TO_ARRAY" => {
            let pattern = Pattern::at(site, 1);
            try_f(move |a| {
                let (Some(s), Some(re)) = (str_arg(a, 0), pattern.get(a, "REGEXP_SPLIT_TO_ARRAY")?)
                else {
                    return Ok(Value::Null);
                };
                Ok(Value::array(regex_split(s, &re)))
            })
        }
        _ => None,
    }
}

/// ksqlDB's INSTR(str, substr [, position [, occurrence]]): the 1-based position of the
/// occurrence-th match at or after `position` (counted from the end and searched backwards when
/// negative); 0 when absent or when an argument is NULL.
fn instr(a: &[Value]) -> Value {
    let (Some(s), Some(sub)) = (str_arg(a, 0), str_arg(a, 1)) else {
        return Value::Int(0);
    };
    let position = if a.len() > 2 { int_arg(a, 2) } else { Some(1) };
    let occurrence = if a.len() > 3 { int_arg(a, 3) } else { Some(1) };
    let (Some(position), Some(occurrence)) = (position, occurrence) else {
        return Value::Int(0);
    };
    let chars: Vec<char> = s.chars().collect();
    let needle: Vec<char> = sub.chars().collect();
    let len = chars.len() as i64;
    if position.abs() > len {
        return Value::Int(0);
    }
    let reversed = position < 0;
    let (hay, needle, position): (Vec<char>, Vec<char>, i64) = if reversed {
        (
            chars.iter().rev().copied().collect(),
            needle.iter().rev().copied().collect(),
            -position,
        )
    } else {
        (chars, needle, position)
    };
    let from = (position - 1).max(0) as usize;
    let Some(i) = ordinal_index(&hay[from.min(hay.len())..], &needle, occurrence) else {
        return Value::Int(0);
    };
    let i = i as i64;
    Value::Int(if reversed {
        (len - position - i) as i32
    } else {
        (i + position) as i32
    })
}

/// Commons-lang `ordinalIndexOf`: index of the n-th (overlapping) occurrence.
fn ordinal_index(hay: &[char], needle: &[char], n: i64) -> Option<usize> {
    if n <= 0 {
        return None;
    }
    let mut found = 0;
    let mut at = 0;
    loop {
        let i = (at..=hay.len().checked_sub(needle.len())?)
            .find(|&i| hay[i..i + needle.len()] == *needle)?;
        found += 1;
        if found == n {
            return Some(i);
        }
        at = i + 1;
    }
}

/// ksqlDB's masker: a replacement per character class, or `None` to keep that class.
struct Masker {
    upper: Option<char>,
    lower: Option<char>,
    digit: Option<char>,
    other: Option<char>,
}

impl Masker {
    fn mask(&self, s: &str) -> String {
        s.chars()
            .map(|c| {
                let replacement = if c.is_uppercase() {
                    self.upper
                } else if c.is_lowercase() {
                    self.lower
                } else if c.is_numeric() {
                    self.digit
                } else {
                    self.other
                };
                replacement.unwrap_or(c)
            })
            .collect()
    }
}

/// A MASK-family function: `input, [n,] upper, lower, digit, other`; the masks are NULL for
/// "keep", otherwise exactly one character.
fn mask_fn(
    site: &CallSite<'_>,
    first_mask: usize,
    apply: fn(&str, usize, &Masker) -> String,
) -> Option<FnImpl> {
    let name = site.name.to_string();
    let explicit = site.args.len() > first_mask;
    try_f(move |a| {
        let mask_char = |i: usize, default: char| -> Result<Option<char>, EvalError> {
            if !explicit {
                return Ok(Some(default));
            }
            match a.get(first_mask + i) {
                None => Ok(Some(default)),
                Some(Value::Null) => Ok(None),
                Some(v) => {
                    let text = v.as_str().unwrap_or_default();
                    let mut chars = text.chars();
                    match (chars.next(), chars.next()) {
                        (Some(c), None) => Ok(Some(c)),
                        _ => Err(EvalError::Function(format!(
                            "Invalid mask character. Must be only single character, but was '{text}'"
                        ))),
                    }
                }
            }
        };
        let masker = Masker {
            upper: mask_char(0, 'X')?,
            lower: mask_char(1, 'x')?,
            digit: mask_char(2, 'n')?,
            other: mask_char(3, '-')?,
        };
        let n = if first_mask > 1 {
            let n = int_arg(a, 1).unwrap_or(0);
            if n < 0 {
                return Err(EvalError::Function(format!(
                    "function {} requires a non-negative number of characters to mask or skip",
                    name.to_lowercase()
                )));
            }
            n as usize
        } else {
            0
        };
        Ok(str_arg(a, 0).map_or(Value::Null, |s| Value::string(apply(s, n, &masker))))
    })
}

/// A regex argument: compiled at the call site when it is a literal.
enum Pattern {
    Fixed(Result<Option<Regex>, String>),
    PerRecord(usize),
}

impl Pattern {
    fn at(site: &CallSite<'_>, i: usize) -> Pattern {
        match site.literal_str(i) {
            Some(None) => Pattern::Fixed(Ok(None)),
            Some(Some(text)) => Pattern::Fixed(compile_java_regex(&text).map(Some)),
            None => Pattern::PerRecord(i),
        }
    }

    fn get<'p>(&'p self, a: &[Value], name: &str) -> Result<Option<Cow<'p, Regex>>, EvalError> {
        match self {
            Pattern::Fixed(Ok(re)) => Ok(re.as_ref().map(Cow::Borrowed)),
            Pattern::Fixed(Err(pattern)) => Err(fail(
                name,
                format!("Invalid regular expression pattern: {pattern}"),
            )),
            Pattern::PerRecord(i) => match str_arg(a, *i) {
                None => Ok(None),
                Some(text) => compile_java_regex(text)
                    .map(|re| Some(Cow::Owned(re)))
                    .map_err(|p| fail(name, format!("Invalid regular expression pattern: {p}"))),
            },
        }
    }
}

/// A Java regex as a `regex::Regex`; the error is the pattern text. Java-only syntax the
/// `regex` crate lacks is rewritten first: POSIX classes (`\p{Alpha}`), `\Q…\E` quoting and
/// `\Z`. Look-around and back-references remain unsupported and are errors.
pub(crate) fn compile_java_regex(pattern: &str) -> Result<Regex, String> {
    Regex::new(&java_to_rust_regex(pattern)).map_err(|_| pattern.to_string())
}

fn java_to_rust_regex(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut rest = pattern;
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        let escape = &rest[at..];
        let mut chars = escape[1..].chars();
        match chars.next() {
            Some(kind @ ('p' | 'P')) if escape[2..].starts_with('{') && escape.contains('}') => {
                let close = escape.find('}').unwrap_or(escape.len() - 1);
                let name = escape.get(3..close).unwrap_or_default();
                match posix_class(name) {
                    Some(class) if kind == 'p' => out.push_str(&format!("[{class}]")),
                    Some(class) => out.push_str(&format!("[^{class}]")),
                    None => out.push_str(&escape[..=close]),
                }
                rest = &escape[close + 1..];
            }
            Some('Q') => {
                let body = &escape[2..];
                let end = body.find("\\E").unwrap_or(body.len());
                out.push_str(&regex::escape(&body[..end]));
                rest = body.get(end + 2..).unwrap_or("");
            }
            Some('Z') => {
                out.push_str("(?:\\n?\\z)");
                rest = &escape[2..];
            }
            Some(c) => {
                out.push('\\');
                out.push(c);
                rest = &escape[1 + c.len_utf8()..];
            }
            None => {
                out.push('\\');
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The ASCII POSIX classes of `java.util.regex.Pattern`, as class bodies.
fn posix_class(name: &str) -> Option<&'static str> {
    Some(match name {
        "Lower" => "a-z",
        "Upper" => "A-Z",
        "ASCII" => "\\x00-\\x7F",
        "Alpha" => "a-zA-Z",
        "Digit" => "0-9",
        "Alnum" => "a-zA-Z0-9",
        "Punct" => "!-/:-@\\[-`{-~",
        "Graph" => "!-~",
        "Print" => " -~",
        "Blank" => " \\t",
        "Cntrl" => "\\x00-\\x1F\\x7F",
        "XDigit" => "0-9a-fA-F",
        "Space" => " \\t\\n\\x0B\\f\\r",
        _ => return None,
    })
}

/// A Java `replaceAll` replacement in the `regex` crate's syntax: `$n` groups, `\x` literal x.
fn java_replacement(with: &str) -> String {
    let mut out = String::with_capacity(with.len());
    let mut chars = with.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('$') => out.push_str("$$"),
                Some(next) => out.push(next),
                None => {}
            },
            '$' => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                if digits.is_empty() {
                    out.push_str("$$");
                } else {
                    out.push_str(&format!("${{{digits}}}"));
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// REGEXP_SPLIT_TO_ARRAY: Guava's splitter keeps every piece, empty ones included; a pattern
/// matching the empty string splits like Java's `Pattern.split` (between characters, trailing
/// empty pieces dropped).
fn regex_split(s: &str, re: &Regex) -> Vec<Value> {
    if re.is_match("") {
        let mut parts: Vec<Value> = s.chars().map(|c| Value::string(c.to_string())).collect();
        if parts.is_empty() {
            parts.push(Value::string(""));
        }
        return parts;
    }
    re.split(s).map(Value::string).collect()
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::types::SqlType;

    #[test]
    fn instr_searches_forwards_and_backwards() {
        let at = |args: &[(Value, SqlType)]| call("INSTR", SqlType::Int, args).unwrap();
        assert_eq!(at(&[s("corporate floor"), s("or")]), Value::Int(2));
        assert_eq!(at(&[s("corporate floor"), s("or"), i(4)]), Value::Int(5));
        assert_eq!(
            at(&[s("corporate floor"), s("or"), i(4), i(2)]),
            Value::Int(14)
        );
        assert_eq!(at(&[s("corporate floor"), s("or"), i(-4)]), Value::Int(5));
        assert_eq!(
            at(&[s("corporate floor"), s("or"), i(-4), i(2)]),
            Value::Int(2)
        );
        assert_eq!(at(&[s("short"), s("or"), i(-4), i(2)]), Value::Int(0));
        assert_eq!(at(&[null(SqlType::String), s("or")]), Value::Int(0));
    }

    #[test]
    fn masks() {
        assert_eq!(call("MASK", SqlType::String, &[s("Ab1-")]), Ok(sv("Xxn-")));
        assert_eq!(
            call(
                "MASK",
                SqlType::String,
                &[s("Ab1-"), s("U"), null(SqlType::String), s("#"), s("*")]
            ),
            Ok(sv("Ub#*"))
        );
        assert_eq!(
            call("MASK_KEEP_LEFT", SqlType::String, &[s("AbCd"), i(2)]),
            Ok(sv("AbXx"))
        );
        assert_eq!(
            call("MASK_RIGHT", SqlType::String, &[s("AbCd"), i(1)]),
            Ok(sv("AbCx"))
        );
        assert!(call("MASK_LEFT", SqlType::String, &[s("AbCd"), i(-1)]).is_err());
    }

    #[test]
    fn regexes() {
        assert_eq!(
            call(
                "REGEXP_EXTRACT",
                SqlType::String,
                &[s("(\\d+)-(\\d+)"), s("a 12-34"), i(2)]
            ),
            Ok(sv("34"))
        );
        assert_eq!(
            call("REGEXP_EXTRACT", SqlType::String, &[s("x"), s("abc")]),
            Ok(Value::Null)
        );
        assert_eq!(
            call(
                "REGEXP_EXTRACT_ALL",
                SqlType::array(SqlType::String),
                &[s("\\d"), s("a1b2")]
            ),
            Ok(Value::array(vec![sv("1"), sv("2")]))
        );
        assert_eq!(
            call(
                "REGEXP_REPLACE",
                SqlType::String,
                &[s("a1b22"), s("(\\d+)"), s("<$1>")]
            ),
            Ok(sv("a<1>b<22>"))
        );
        assert_eq!(
            call(
                "REGEXP_SPLIT_TO_ARRAY",
                SqlType::array(SqlType::String),
                &[s("a1b22c"), s("\\d")]
            ),
            Ok(Value::array(vec![sv("a"), sv("b"), sv(""), sv("c")]))
        );
        assert!(call("REGEXP_REPLACE", SqlType::String, &[s("a"), s("("), s("")]).is_err());
        assert_eq!(
            java_to_rust_regex(r"\p{Alpha}+\P{Digit}\Q.*\E\d\Z"),
            r"[a-zA-Z]+[^0-9]\.\*\d(?:\n?\z)"
        );
        assert_eq!(java_to_rust_regex(r"\p{"), r"\p{");
        assert_eq!(java_to_rust_regex("a\\"), "a\\");
        assert_eq!(
            call(
                "REGEXP_EXTRACT",
                SqlType::String,
                &[s(r"[\p{Upper}_]+"), s("ab_CD")]
            ),
            Ok(sv("_CD"))
        );
    }
}
