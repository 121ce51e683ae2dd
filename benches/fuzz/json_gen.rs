//! Random JSON documents for the JSON target: record-shaped objects whose members are named
//! after the fixed schema's columns (in any case, repeated, escaped) with values near what each
//! column takes, and free-form values: deep nesting up to past weir's limit, every escape
//! (surrogate pairs, lone surrogates), raw non-ASCII text and long strings (the reader scans
//! sixteen bytes at a time), numbers at the edges of INT, BIGINT, DOUBLE and DECIMAL, and
//! arbitrary whitespace. Now and then a deliberate flaw is left in; mutation adds the rest.

use rand::Rng;
use rand::rngs::SmallRng;
use rand::seq::IndexedRandom;

use super::mutate::AWKWARD_CHARS;

/// Member names: the fixed schema's columns (see `json::fixed_columns`) and near misses.
pub const NAMES: &[&str] = &[
    "B", "I", "L", "D", "N", "S", "Y", "DT", "T", "TS", "A", "AS", "M", "ST", "lower", "Ünï", "b",
    "i", "l", "d", "s", "st", "dt", "ts", "Lower", "LOWER", "ünï", "ÜNÏ", "X", "Z", "x", "", "ß",
    "SS", "ss", "ſ", "K", "\u{212A}",
];

/// Numbers worth trying: type edges, exponents, long fractions, negative zero.
const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1",
    "-1",
    "7",
    "42",
    "2147483647",
    "2147483648",
    "-2147483648",
    "-2147483649",
    "4294967296",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "18446744073709551615",
    "18446744073709551616",
    "123456789012345678901234567890",
    "0.5",
    "-0.0",
    "1.25",
    "3.14159265358979323846264338",
    "1e3",
    "1E3",
    "1e+3",
    "1e-3",
    "-2.5e-7",
    "1.7976931348623157e308",
    "2e308",
    "-1e400",
    "5e-324",
    "2.4e-324",
    "1e-400",
    "0.1",
    "1.0",
    "86399999",
    "86400000",
    "86400001",
    "1e2",
    "12345678.12345",
    "99999999.9999",
    "100000000",
    "0.00005",
    "4.9406564584124654e-324",
    "9007199254740993",
    "1.00000000000000011102230246251565404236316680908203125",
];

/// Writes one document: usually a record-shaped object, sometimes any value.
pub fn document(rng: &mut SmallRng, out: &mut String) {
    ws(rng, out);
    match rng.random_range(0..10) {
        0..=5 => record(rng, out),
        6 => deep(rng, out),
        _ => value(rng, 0, 6, out),
    }
    ws(rng, out);
    if rng.random_ratio(1, 20) {
        // Trailing content, ignored by weir (and Jackson) after the first value.
        let tail = ["x", "}", "1", " {\"a\":1}", "]", ",", "\u{FFFD}", "null"];
        out.push_str(tail.choose(rng).copied().unwrap_or(""));
    }
}

/// An object whose members are named after columns, with values each column may take.
fn record(rng: &mut SmallRng, out: &mut String) {
    out.push('{');
    let members = rng.random_range(0..12);
    for i in 0..members {
        if i > 0 {
            out.push(',');
        }
        ws(rng, out);
        let name = NAMES.choose(rng).copied().unwrap_or("S");
        string_literal(rng, name, out);
        ws(rng, out);
        out.push(':');
        ws(rng, out);
        column_value(rng, name, out);
        ws(rng, out);
    }
    out.push('}');
}

/// A value shaped for the column `name` would match (or, now and then, anything).
fn column_value(rng: &mut SmallRng, name: &str, out: &mut String) {
    if rng.random_ratio(1, 6) {
        return value(rng, 1, 3, out);
    }
    match name.to_uppercase().as_str() {
        "B" => out.push_str(
            ["true", "false", "null"]
                .choose(rng)
                .copied()
                .unwrap_or("true"),
        ),
        "I" | "L" | "D" | "N" | "DT" | "T" | "TS" => {
            if rng.random_ratio(1, 4) {
                // A number as text, sometimes with a leading space.
                let padded = format!(" {}", NUMBERS.choose(rng).copied().unwrap_or("0"));
                let start = usize::from(rng.random_bool(0.8));
                string_literal(rng, &padded[start..], out);
            } else {
                number(rng, out);
            }
        }
        "Y" => {
            let b64 = [
                "", "AA==", "AA", "AQID", "/+8=", "aGVsbG8", "a", "****", "YWJj\n",
            ];
            let text = b64.choose(rng).copied().unwrap_or("");
            string_literal(rng, text, out);
        }
        "A" | "AS" => array(rng, 1, 3, out),
        "M" | "ST" => object(rng, 1, 3, out),
        _ => value(rng, 1, 3, out),
    }
}

/// Nesting from 100 to past weir's limit of 512, as arrays, objects or both.
fn deep(rng: &mut SmallRng, out: &mut String) {
    let depth = *[100usize, 128, 129, 511, 512, 513, 600]
        .choose(rng)
        .unwrap_or(&600);
    let mut closers = Vec::with_capacity(depth);
    for _ in 0..depth {
        if rng.random_bool(0.5) {
            out.push('[');
            closers.push(']');
        } else {
            out.push_str("{\"a\":");
            closers.push('}');
        }
    }
    if rng.random_bool(0.7) {
        number(rng, out);
    } else if let Some(closer) = closers.pop() {
        // An empty innermost container: one level less deep.
        let (opener, empty) = if closer == ']' {
            ("[", "[]")
        } else {
            ("{\"a\":", "{}")
        };
        out.truncate(out.len() - opener.len());
        out.push_str(empty);
    }
    while let Some(closer) = closers.pop() {
        out.push(closer);
    }
}

fn value(rng: &mut SmallRng, depth: usize, max_depth: usize, out: &mut String) {
    let choice = if depth >= max_depth {
        rng.random_range(0..6)
    } else {
        rng.random_range(0..9)
    };
    match choice {
        0 => out.push_str("null"),
        1 => out.push_str(if rng.random_bool(0.5) {
            "true"
        } else {
            "false"
        }),
        2 | 3 => number(rng, out),
        4 | 5 => {
            let text = text(rng);
            string_literal(rng, &text, out);
        }
        6 | 7 => array(rng, depth + 1, max_depth, out),
        _ => object(rng, depth + 1, max_depth, out),
    }
}

fn array(rng: &mut SmallRng, depth: usize, max_depth: usize, out: &mut String) {
    out.push('[');
    let n = rng.random_range(0..6);
    for i in 0..n {
        if i > 0 {
            out.push(',');
        }
        ws(rng, out);
        value(rng, depth, max_depth, out);
        ws(rng, out);
    }
    out.push(']');
}

fn object(rng: &mut SmallRng, depth: usize, max_depth: usize, out: &mut String) {
    out.push('{');
    let n = rng.random_range(0..6);
    for i in 0..n {
        if i > 0 {
            out.push(',');
        }
        ws(rng, out);
        let name = if rng.random_bool(0.7) {
            NAMES.choose(rng).copied().unwrap_or("X").to_string()
        } else {
            text(rng)
        };
        string_literal(rng, &name, out);
        out.push(':');
        ws(rng, out);
        value(rng, depth, max_depth, out);
    }
    out.push('}');
}

fn number(rng: &mut SmallRng, out: &mut String) {
    match rng.random_range(0..4) {
        0 => out.push_str(NUMBERS.choose(rng).copied().unwrap_or("0")),
        1 => out.push_str(&rng.random::<i64>().to_string()),
        2 => out.push_str(&rng.random_range(-1000..1000).to_string()),
        _ => {
            if rng.random_bool(0.3) {
                out.push('-');
            }
            out.push_str(&rng.random_range(0..100_000u32).to_string());
            if rng.random_bool(0.6) {
                out.push('.');
                let digits = rng.random_range(1..25);
                for _ in 0..digits {
                    out.push(char::from(b'0' + rng.random_range(0..10u8)));
                }
            }
            if rng.random_bool(0.3) {
                out.push(if rng.random_bool(0.5) { 'e' } else { 'E' });
                out.push_str(["", "+", "-"].choose(rng).copied().unwrap_or(""));
                out.push_str(&rng.random_range(0..400).to_string());
            }
        }
    }
}

/// Text for a string: plain, long, non-ASCII, or with characters that need escaping.
fn text(rng: &mut SmallRng) -> String {
    let mut text = String::new();
    let n = match rng.random_range(0..4) {
        0 => 0,
        1 => rng.random_range(16..80),
        _ => rng.random_range(1..12),
    };
    for _ in 0..n {
        match rng.random_range(0..12) {
            0 => text.push_str(AWKWARD_CHARS.choose(rng).copied().unwrap_or("é")),
            1 => text.push(char::from(rng.random_range(0..0x20u8))),
            2 => text.push(['"', '\\', '/'].choose(rng).copied().unwrap_or('"')),
            3 => text.push(char::from_u32(rng.random_range(0x80..0x3000)).unwrap_or('x')),
            _ => text.push(char::from(rng.random_range(b' '..=b'~'))),
        }
    }
    text
}

/// `text` as a JSON string, escaped in one of the ways JSON allows (and sometimes not).
fn string_literal(rng: &mut SmallRng, text: &str, out: &mut String) {
    out.push('"');
    let style = rng.random_range(0..6);
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '/' if style == 1 => out.push_str("\\/"),
            c if (c as u32) < 0x20 => {
                if rng.random_ratio(1, 50) {
                    out.push(c); // raw control character: malformed
                } else {
                    out.push_str(&format!("\\u{:04x}", c as u32));
                }
            }
            c if style == 2 || (style == 3 && !c.is_ascii()) => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04X}"));
                }
            }
            c => out.push(c),
        }
    }
    if style == 4 && rng.random_bool(0.3) {
        // Unpaired or reversed surrogates, and a short escape.
        let odd = [
            "\\ud800",
            "\\udc00",
            "\\udc00\\ud800",
            "\\ud83d\\u0041",
            "\\ud83d",
            "\\u12",
        ];
        out.push_str(odd.choose(rng).copied().unwrap_or(""));
    }
    out.push('"');
}

/// JSON whitespace, mostly none.
fn ws(rng: &mut SmallRng, out: &mut String) {
    if rng.random_ratio(1, 4) {
        for _ in 0..rng.random_range(1..4) {
            out.push([' ', '\t', '\n', '\r'].choose(rng).copied().unwrap_or(' '));
        }
    }
}
