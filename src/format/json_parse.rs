//! The project's one JSON reader, for records (`format::json`) and for the JSON functions
//! (EXTRACTJSONFIELD and the others in `expr::functions::json`): it produces a borrowed tree
//! ([`JsonNode`]) whose numbers keep their exact text, so DECIMAL columns see every digit
//! (serde_json's default f64 numbers would round them). Strings without escapes are borrowed
//! from the input. Like Jackson's `readTree`, only the first value is read and anything after
//! it is ignored, except that a root scalar must end the way Jackson's tokenizer requires
//! (`1x`, `1]` and `truex` are errors, see [`Reader::root_value`]). Nesting is limited so
//! hostile input cannot exhaust the stack. Knows nothing of SQL types.
//!
//! The reader works on bytes: strings are scanned sixteen bytes at a time, and only strings
//! holding non-ASCII bytes are checked as UTF-8 (everything outside strings must be ASCII
//! anyway), so a record is not walked twice.

use std::borrow::Cow;

use super::json_scan::{plain_run_end, same_bytes};

/// Deepest array/object nesting accepted.
pub(crate) const MAX_DEPTH: usize = 512;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum JsonNode<'a> {
    Null,
    Bool(bool),
    /// The number's text exactly as written (valid JSON number syntax).
    Number(&'a str),
    String(Cow<'a, str>),
    Array(Vec<JsonNode<'a>>),
    /// Members in document order; duplicate names are kept (readers take the last).
    Object(Vec<(Cow<'a, str>, JsonNode<'a>)>),
}

impl JsonNode<'_> {
    /// Jackson's node class name, used in ksqlDB's coercion messages.
    pub(crate) fn jackson_kind(&self) -> &'static str {
        match self {
            JsonNode::Null => "NullNode",
            JsonNode::Bool(_) => "BooleanNode",
            JsonNode::Number(text) if text.contains(['.', 'e', 'E']) => "DecimalNode",
            JsonNode::Number(_) => "IntNode",
            JsonNode::String(_) => "TextNode",
            JsonNode::Array(_) => "ArrayNode",
            JsonNode::Object(_) => "ObjectNode",
        }
    }
}

/// A syntax error: byte offset and what was wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub offset: usize,
    pub reason: &'static str,
}

/// Parse the first JSON value of `input` (UTF-8 is checked where it is read).
pub(crate) fn parse(input: &[u8]) -> Result<JsonNode<'_>, SyntaxError> {
    let mut reader = Reader {
        bytes: input,
        pos: 0,
    };
    reader.root_value()
}

/// A top-level value whose object members are read one at a time (see [`parse_members`]).
pub(crate) enum TopLevel<'a> {
    Object(Members<'a>),
    Other(JsonNode<'a>),
}

/// Parse the first JSON value of `input`, leaving a top-level object's members unread so a
/// row reader can take each one as it comes instead of building the object first.
pub(crate) fn parse_members(input: &[u8]) -> Result<TopLevel<'_>, SyntaxError> {
    let mut reader = Reader {
        bytes: input,
        pos: 0,
    };
    reader.skip_whitespace();
    if reader.bytes.get(reader.pos) == Some(&b'{') {
        reader.pos += 1;
        Ok(TopLevel::Object(Members {
            reader,
            first: true,
        }))
    } else {
        reader.root_value().map(TopLevel::Other)
    }
}

/// What [`Members::next_name`] found.
pub(crate) enum NextName<'a> {
    /// The input held the guess.
    Guessed,
    /// A name, and the bytes read for it from the end of the previous member's value (or
    /// the opening brace) through the colon: the guess for the next record.
    Other { name: Cow<'a, str>, raw: &'a [u8] },
    /// The closing brace: no more members.
    End,
}

/// The members of a top-level object, in document order (duplicates included).
pub(crate) struct Members<'a> {
    reader: Reader<'a>,
    first: bool,
}

impl<'a> Members<'a> {
    /// The next member's name (its value is read next, with [`Members::value`],
    /// [`Members::small_integer`] or [`Members::skip_value`]), or the end after the closing
    /// brace (nothing after it is read). `guess` is what an earlier record held at this
    /// point (the `raw` of an [`NextName::Other`] at the same position): the separator, the
    /// quoted name and the colon exactly as written. When the input starts with those bytes
    /// it holds the same tokens, so the name is neither scanned nor matched again.
    pub(crate) fn next_name(&mut self, guess: Option<&[u8]>) -> Result<NextName<'a>, SyntaxError> {
        let start = self.reader.pos;
        if let Some(guess) = guess {
            let end = start + guess.len();
            if let Some(here) = self.reader.bytes.get(start..end)
                && same_bytes(here, guess)
            {
                self.reader.pos = end;
                self.first = false;
                return Ok(NextName::Guessed);
            }
        }
        if !self.before_name()? {
            return Ok(NextName::End);
        }
        let name = self.reader.name()?;
        Ok(NextName::Other {
            name,
            raw: &self.reader.bytes[start..self.reader.pos],
        })
    }

    /// Moves past the separator before the next member's name; `false` after the closing
    /// brace.
    fn before_name(&mut self) -> Result<bool, SyntaxError> {
        let reader = &mut self.reader;
        reader.skip_whitespace();
        if self.first {
            self.first = false;
            if reader.bytes.get(reader.pos) == Some(&b'}') {
                reader.pos += 1;
                return Ok(false);
            }
        } else {
            match reader.bytes.get(reader.pos) {
                Some(b',') => {
                    reader.pos += 1;
                    reader.skip_whitespace();
                }
                Some(b'}') => {
                    reader.pos += 1;
                    return Ok(false);
                }
                _ => return reader.fail("expected ',' or '}'"),
            }
        }
        Ok(true)
    }

    /// The value of the member whose name was just read if it is a plain integer of at most
    /// 18 digits (no fraction, no exponent, so it fits an `i64` as written), read without
    /// building a node. `None`, with nothing read, for any other value, which
    /// [`Members::value`] then reads (and rejects if it is malformed, such as `01`).
    pub(crate) fn small_integer(&mut self) -> Option<i64> {
        let reader = &mut self.reader;
        reader.skip_whitespace();
        let bytes = reader.bytes;
        let negative = bytes.get(reader.pos) == Some(&b'-');
        let start = reader.pos + usize::from(negative);
        let mut pos = start;
        let mut magnitude = 0i64;
        while let Some(&byte) = bytes.get(pos) {
            let digit = byte.wrapping_sub(b'0');
            if digit > 9 {
                break;
            }
            if pos - start == 18 {
                return None;
            }
            magnitude = magnitude * 10 + i64::from(digit);
            pos += 1;
        }
        let digits = pos - start;
        if digits == 0 || (digits > 1 && bytes[start] == b'0') {
            return None;
        }
        if let Some(b'.' | b'e' | b'E') = bytes.get(pos) {
            return None;
        }
        reader.pos = pos;
        Some(if negative { -magnitude } else { magnitude })
    }

    /// The value of the member whose name was just read.
    pub(crate) fn value(&mut self) -> Result<JsonNode<'a>, SyntaxError> {
        self.reader.value(1)
    }

    /// Reads past the value of the member whose name was just read, checking it as
    /// [`Members::value`] would but keeping nothing.
    pub(crate) fn skip_value(&mut self) -> Result<(), SyntaxError> {
        let reader = &mut self.reader;
        reader.skip_whitespace();
        match reader.bytes.get(reader.pos) {
            Some(b'"') => {
                // A string of plain ASCII (the usual case) is checked by the scan alone.
                let end = plain_run_end(reader.bytes, reader.pos + 1);
                if reader.bytes.get(end) == Some(&b'"') {
                    reader.pos = end + 1;
                    return Ok(());
                }
                reader.string().map(drop)
            }
            Some(b'-' | b'0'..=b'9') => reader.number().map(drop),
            _ => reader.value(1).map(drop),
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

/// The text of bytes the reader accepted as ASCII (digits, signs, plain string runs).
fn ascii_text(bytes: &[u8]) -> &str {
    debug_assert!(bytes.is_ascii());
    // SAFETY: callers pass only bytes they checked to be ASCII, which is valid UTF-8.
    unsafe { std::str::from_utf8_unchecked(bytes) }
}

impl<'a> Reader<'a> {
    fn fail<T>(&self, reason: &'static str) -> Result<T, SyntaxError> {
        Err(SyntaxError {
            offset: self.pos,
            reason,
        })
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    /// The first value of the input. A root number must be followed by whitespace or the
    /// end (Jackson's `_verifyRootSpace`), a root `true`, `false` or `null` by the end, a
    /// byte below `0`, `]`, `}` or a character that cannot continue a Java identifier
    /// (`_checkMatchEnd`; for non-ASCII characters Rust's `is_alphanumeric` stands in for
    /// Java's identifier classes). Nothing else after the value is looked at.
    fn root_value(&mut self) -> Result<JsonNode<'a>, SyntaxError> {
        let node = self.value(0)?;
        let next = self.bytes.get(self.pos).copied();
        match node {
            JsonNode::Number(_) if !matches!(next, None | Some(b' ' | b'\t' | b'\n' | b'\r')) => {
                self.fail("expected whitespace after a root-level number")
            }
            JsonNode::Bool(_) | JsonNode::Null if self.continues_a_name() => {
                self.fail("unrecognized token")
            }
            _ => Ok(node),
        }
    }

    /// Whether the character at the reader's position would continue a literal into a
    /// longer (unrecognized) token for Jackson.
    fn continues_a_name(&self) -> bool {
        match self.bytes.get(self.pos) {
            None => false,
            Some(&b) if b < b'0' || b == b']' || b == b'}' => false,
            Some(&b) if b.is_ascii() => b.is_ascii_alphanumeric() || b == b'_' || b == 0x7f,
            Some(_) => {
                let end = (self.pos + 4).min(self.bytes.len());
                let first = self.bytes[self.pos..end]
                    .utf8_chunks()
                    .next()
                    .and_then(|chunk| chunk.valid().chars().next());
                // Bytes that are not UTF-8 fail Jackson's decoding too.
                first.is_none_or(char::is_alphanumeric)
            }
        }
    }

    fn value(&mut self, depth: usize) -> Result<JsonNode<'a>, SyntaxError> {
        if depth > MAX_DEPTH {
            return self.fail("nesting too deep");
        }
        self.skip_whitespace();
        match self.bytes.get(self.pos) {
            None => self.fail("expected a value, found end of input"),
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => self.string().map(JsonNode::String),
            Some(b't') => self.literal("true", JsonNode::Bool(true)),
            Some(b'f') => self.literal("false", JsonNode::Bool(false)),
            Some(b'n') => self.literal("null", JsonNode::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => self.fail("unexpected character"),
        }
    }

    fn literal(
        &mut self,
        word: &'static str,
        node: JsonNode<'a>,
    ) -> Result<JsonNode<'a>, SyntaxError> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(node)
        } else {
            self.fail("invalid literal")
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<JsonNode<'a>, SyntaxError> {
        let start = self.pos;
        if self.bytes[self.pos] == b'-' {
            self.pos += 1;
        }
        let int_start = self.pos;
        let int_digits = self.digits();
        if int_digits == 0 {
            return self.fail("expected digits");
        }
        if int_digits > 1 && self.bytes[int_start] == b'0' {
            return self.fail("leading zeros are not allowed");
        }
        if self.bytes.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return self.fail("expected digits after the decimal point");
            }
        }
        if let Some(b'e' | b'E') = self.bytes.get(self.pos) {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.bytes.get(self.pos) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return self.fail("expected exponent digits");
            }
        }
        Ok(JsonNode::Number(ascii_text(&self.bytes[start..self.pos])))
    }

    fn string(&mut self) -> Result<Cow<'a, str>, SyntaxError> {
        self.pos += 1; // opening quote
        let start = self.pos;
        let mut ascii = true;
        loop {
            self.pos = plain_run_end(self.bytes, self.pos);
            match self.bytes.get(self.pos) {
                None => return self.fail("unterminated string"),
                Some(b'"') => {
                    let text = self.text(start, ascii)?;
                    self.pos += 1;
                    return Ok(Cow::Borrowed(text));
                }
                Some(b'\\') => break,
                Some(0..=0x1f) => return self.fail("control character in string"),
                // Non-ASCII: part of a UTF-8 sequence, checked once the string ends.
                Some(_) => {
                    ascii = false;
                    self.pos += 1;
                }
            }
        }
        let mut owned = String::from(self.text(start, ascii)?);
        loop {
            match self.bytes.get(self.pos) {
                None => return self.fail("unterminated string"),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Cow::Owned(owned));
                }
                Some(b'\\') => {
                    self.pos += 1;
                    self.escape(&mut owned)?;
                }
                Some(0..=0x1f) => return self.fail("control character in string"),
                Some(_) => {
                    let run_start = self.pos;
                    let mut run_ascii = true;
                    loop {
                        self.pos = plain_run_end(self.bytes, self.pos);
                        match self.bytes.get(self.pos) {
                            Some(&byte) if byte >= 0x80 => {
                                run_ascii = false;
                                self.pos += 1;
                            }
                            _ => break,
                        }
                    }
                    owned.push_str(self.text(run_start, run_ascii)?);
                }
            }
        }
    }

    /// The string bytes from `start` to the reader's position, checked as UTF-8 unless
    /// they are known to be ASCII.
    fn text(&self, start: usize, ascii: bool) -> Result<&'a str, SyntaxError> {
        let bytes = &self.bytes[start..self.pos];
        if ascii {
            return Ok(ascii_text(bytes));
        }
        std::str::from_utf8(bytes).map_err(|e| SyntaxError {
            offset: start + e.valid_up_to(),
            reason: "invalid UTF-8",
        })
    }

    fn escape(&mut self, out: &mut String) -> Result<(), SyntaxError> {
        let Some(&kind) = self.bytes.get(self.pos) else {
            return self.fail("unterminated escape");
        };
        self.pos += 1;
        let ch = match kind {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let high = self.hex4()?;
                if (0xD800..0xDC00).contains(&high) && self.bytes[self.pos..].starts_with(b"\\u") {
                    let save = self.pos;
                    self.pos += 2;
                    let low = self.hex4()?;
                    if (0xDC00..0xE000).contains(&low) {
                        let code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                        char::from_u32(code).unwrap_or('\u{FFFD}')
                    } else {
                        self.pos = save;
                        '\u{FFFD}'
                    }
                } else {
                    char::from_u32(high).unwrap_or('\u{FFFD}')
                }
            }
            _ => return self.fail("invalid escape"),
        };
        out.push(ch);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, SyntaxError> {
        let Some(hex) = self.bytes.get(self.pos..self.pos + 4) else {
            return self.fail("truncated \\u escape");
        };
        if !hex.iter().all(u8::is_ascii_hexdigit) {
            return self.fail("invalid \\u escape");
        }
        match u32::from_str_radix(ascii_text(hex), 16) {
            Ok(code) => {
                self.pos += 4;
                Ok(code)
            }
            _ => self.fail("invalid \\u escape"),
        }
    }

    fn array(&mut self, depth: usize) -> Result<JsonNode<'a>, SyntaxError> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.bytes.get(self.pos) == Some(&b']') {
            self.pos += 1;
            return Ok(JsonNode::Array(items));
        }
        loop {
            items.push(self.value(depth + 1)?);
            self.skip_whitespace();
            match self.bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(JsonNode::Array(items));
                }
                _ => return self.fail("expected ',' or ']'"),
            }
        }
    }

    /// `"name":`, starting at the name (whitespace before it already skipped).
    fn name(&mut self) -> Result<Cow<'a, str>, SyntaxError> {
        if self.bytes.get(self.pos) != Some(&b'"') {
            return self.fail("expected a member name");
        }
        let name = self.string()?;
        self.skip_whitespace();
        if self.bytes.get(self.pos) != Some(&b':') {
            return self.fail("expected ':'");
        }
        self.pos += 1;
        Ok(name)
    }

    fn object(&mut self, depth: usize) -> Result<JsonNode<'a>, SyntaxError> {
        self.pos += 1;
        let mut members = Vec::new();
        self.skip_whitespace();
        if self.bytes.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            return Ok(JsonNode::Object(members));
        }
        loop {
            self.skip_whitespace();
            let name = self.name()?;
            members.push((name, self.value(depth + 1)?));
            self.skip_whitespace();
            match self.bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(JsonNode::Object(members));
                }
                _ => return self.fail("expected ',' or '}'"),
            }
        }
    }
}

#[cfg(test)]
#[path = "json_parse_tests.rs"]
mod tests;
