//! Mutation of existing inputs, the unstructured half of the fuzzer: byte-level edits (flip,
//! set, insert, delete, duplicate, splice another input in, insert a dictionary token or an
//! awkward character) and token-level edits of text (delete, repeat, swap or replace whole
//! words, strings and punctuation), so mutants of real statements and documents stay near
//! the grammar while still breaking it. Knows no format; each target brings its dictionary.

use rand::Rng;
use rand::rngs::SmallRng;
use rand::seq::IndexedRandom;

/// Bytes that matter to some grammar, tried more often than random ones.
const INTERESTING_BYTES: &[u8] =
    b"\"'`\\{}[]()<>,;:.=-+*/0159eE \t\n\r\x00\x01\x1f\x7f\x80\xbf\xc0\xc3\xe2\xed\xf0\xf4\xff";

/// Characters whose case mapping, width or class is awkward: `ß` upper-cases to two letters,
/// `ı` and `ſ` to ASCII ones, the Kelvin sign and `ﬁ` likewise; a BOM, a line separator,
/// the last code point, an emoji, a combining mark.
pub const AWKWARD_CHARS: &[&str] = &[
    "é",
    "ß",
    "ı",
    "ſ",
    "\u{212A}",
    "ﬁ",
    "İ",
    "ǅ",
    "\u{FEFF}",
    "\u{2028}",
    "\u{10FFFF}",
    "😀",
    "\u{0301}",
    "€",
    "\u{00A0}",
    "Σ",
    "ς",
];

/// Applies one to `rounds` random byte-level edits to `input`, keeping it under `max_len`.
/// `dictionary` holds tokens of the target's grammar; `other` is material to splice in.
pub fn bytes(
    rng: &mut SmallRng,
    input: &mut Vec<u8>,
    dictionary: &[&str],
    other: &[u8],
    rounds: usize,
    max_len: usize,
) {
    for _ in 0..rng.random_range(1..=rounds.max(1)) {
        let len = input.len();
        let at = rng.random_range(0..=len);
        match rng.random_range(0..11) {
            0 if len > 0 => {
                let i = rng.random_range(0..len);
                input[i] ^= 1 << rng.random_range(0..8);
            }
            1 if len > 0 => {
                let i = rng.random_range(0..len);
                input[i] = *INTERESTING_BYTES.choose(rng).unwrap_or(&0);
            }
            2 => {
                let n = rng.random_range(1..=4);
                for _ in 0..n {
                    let byte = if rng.random_bool(0.5) {
                        *INTERESTING_BYTES.choose(rng).unwrap_or(&0)
                    } else {
                        rng.random()
                    };
                    input.insert(at, byte);
                }
            }
            3 if !dictionary.is_empty() => {
                let token = dictionary.choose(rng).copied().unwrap_or_default();
                input.splice(at..at, token.bytes());
            }
            4 if len > 0 => {
                let end = (at + rng.random_range(1..=16)).min(len);
                input.drain(at.min(end)..end);
            }
            5 if len > 0 => {
                let start = rng.random_range(0..len);
                let end = (start + rng.random_range(1..=32)).min(len);
                let piece = input[start..end].to_vec();
                input.splice(at..at, piece);
            }
            6 if !other.is_empty() => {
                let start = rng.random_range(0..other.len());
                let end = (start + rng.random_range(1..=64)).min(other.len());
                let cut = (at + rng.random_range(0..=16)).min(len);
                input.splice(at..cut, other[start..end].iter().copied());
            }
            7 => {
                let ch = AWKWARD_CHARS.choose(rng).copied().unwrap_or("é");
                input.splice(at..at, ch.bytes());
            }
            8 if len > 0 => input.truncate(at),
            9 if len > 1 => {
                // Swap two bytes.
                let a = rng.random_range(0..len);
                let b = rng.random_range(0..len);
                input.swap(a, b);
            }
            _ => {
                // An interesting number in ASCII.
                let n = [
                    "0",
                    "-1",
                    "2147483648",
                    "-9223372036854775809",
                    "1e309",
                    "1E-400",
                    "18446744073709551616",
                    "0.0000000000000000000001",
                    "99999999999999999999999999999999999999",
                ]
                .choose(rng)
                .copied()
                .unwrap_or("0");
                input.splice(at..at, n.bytes());
            }
        }
        if input.len() > max_len {
            input.truncate(max_len);
        }
    }
}

/// A token of text for token-level edits: a word, a quoted string, a run of whitespace or one
/// other character.
fn tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(first) = rest.chars().next() {
        let len = if first.is_alphanumeric() || first == '_' {
            rest.find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(rest.len())
        } else if first.is_whitespace() {
            rest.find(|c: char| !c.is_whitespace())
                .unwrap_or(rest.len())
        } else if matches!(first, '\'' | '"' | '`') {
            rest[1..].find(first).map_or(rest.len(), |end| end + 2)
        } else {
            first.len_utf8()
        };
        out.push(&rest[..len]);
        rest = &rest[len..];
    }
    out
}

/// Applies one to `rounds` token-level edits to `text`: tokens are deleted, repeated, swapped,
/// replaced by a dictionary word or by a run of tokens from `other`.
pub fn text(
    rng: &mut SmallRng,
    text: &str,
    dictionary: &[&str],
    other: &str,
    rounds: usize,
) -> String {
    let mut toks: Vec<&str> = tokens(text);
    let theirs = tokens(other);
    for _ in 0..rng.random_range(1..=rounds.max(1)) {
        let len = toks.len();
        let at = rng.random_range(0..=len);
        match rng.random_range(0..6) {
            0 if len > 0 => {
                let end = (at + rng.random_range(1..=3)).min(len);
                toks.drain(at.min(end)..end);
            }
            1 if len > 0 => {
                let start = rng.random_range(0..len);
                let end = (start + rng.random_range(1..=8)).min(len);
                let piece: Vec<&str> = toks[start..end].to_vec();
                toks.splice(at..at, piece);
            }
            2 if len > 1 => {
                let a = rng.random_range(0..len);
                let b = rng.random_range(0..len);
                toks.swap(a, b);
            }
            3 if !dictionary.is_empty() => {
                let word = dictionary.choose(rng).copied().unwrap_or_default();
                if at < len && rng.random_bool(0.5) {
                    toks[at] = word;
                } else {
                    toks.insert(at, " ");
                    toks.insert(at + 1, word);
                    toks.insert(at + 2, " ");
                }
            }
            4 if !theirs.is_empty() => {
                let start = rng.random_range(0..theirs.len());
                let end = (start + rng.random_range(1..=24)).min(theirs.len());
                let cut = (at + rng.random_range(0..=8)).min(len);
                toks.splice(at..cut, theirs[start..end].iter().copied());
            }
            _ => {
                let ch = AWKWARD_CHARS.choose(rng).copied().unwrap_or("é");
                toks.insert(at, ch);
            }
        }
    }
    toks.concat()
}
