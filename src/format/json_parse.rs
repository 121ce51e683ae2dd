//! A small JSON reader producing a borrowed tree ([`JsonNode`]) whose numbers keep their exact
//! text, so DECIMAL columns see every digit (serde_json's default f64 numbers would round them).
//! Strings without escapes are borrowed from the input. Like Jackson's `readTree`, only the first
//! value is read and anything after it is ignored. Nesting is limited so hostile input cannot
//! exhaust the stack. Knows nothing of SQL types.

use std::borrow::Cow;

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

/// Parse the first JSON value of `input`.
pub(crate) fn parse(input: &str) -> Result<JsonNode<'_>, SyntaxError> {
    let mut reader = Reader {
        text: input,
        bytes: input.as_bytes(),
        pos: 0,
    };
    reader.value(0)
}

/// A top-level value whose object members are read one at a time (see [`parse_members`]).
pub(crate) enum TopLevel<'a> {
    Object(Members<'a>),
    Other(JsonNode<'a>),
}

/// Parse the first JSON value of `input`, leaving a top-level object's members unread so a
/// row reader can take each one as it comes instead of building the object first.
pub(crate) fn parse_members(input: &str) -> Result<TopLevel<'_>, SyntaxError> {
    let mut reader = Reader {
        text: input,
        bytes: input.as_bytes(),
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
        reader.value(0).map(TopLevel::Other)
    }
}

/// The members of a top-level object, in document order (duplicates included).
pub(crate) struct Members<'a> {
    reader: Reader<'a>,
    first: bool,
}

impl<'a> Members<'a> {
    /// The next member, or `None` after the closing brace (and nothing after it is read).
    pub(crate) fn next_member(
        &mut self,
    ) -> Result<Option<(Cow<'a, str>, JsonNode<'a>)>, SyntaxError> {
        let reader = &mut self.reader;
        reader.skip_whitespace();
        if self.first {
            self.first = false;
            if reader.bytes.get(reader.pos) == Some(&b'}') {
                reader.pos += 1;
                return Ok(None);
            }
        } else {
            match reader.bytes.get(reader.pos) {
                Some(b',') => {
                    reader.pos += 1;
                    reader.skip_whitespace();
                }
                Some(b'}') => {
                    reader.pos += 1;
                    return Ok(None);
                }
                _ => return reader.fail("expected ',' or '}'"),
            }
        }
        reader.member(0).map(Some)
    }
}

struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
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
        Ok(JsonNode::Number(&self.text[start..self.pos]))
    }

    fn string(&mut self) -> Result<Cow<'a, str>, SyntaxError> {
        self.pos += 1; // opening quote
        let start = self.pos;
        loop {
            match self.bytes.get(self.pos) {
                None => return self.fail("unterminated string"),
                Some(b'"') => {
                    let borrowed = &self.text[start..self.pos];
                    self.pos += 1;
                    return Ok(Cow::Borrowed(borrowed));
                }
                Some(b'\\') => break,
                Some(0..=0x1f) => return self.fail("control character in string"),
                Some(_) => self.pos += 1,
            }
        }
        let mut owned = String::from(&self.text[start..self.pos]);
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
                    while let Some(&b) = self.bytes.get(self.pos) {
                        if b == b'"' || b == b'\\' || b < 0x20 {
                            break;
                        }
                        self.pos += 1;
                    }
                    owned.push_str(&self.text[run_start..self.pos]);
                }
            }
        }
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
        let Some(hex) = self.text.get(self.pos..self.pos + 4) else {
            return self.fail("truncated \\u escape");
        };
        match u32::from_str_radix(hex, 16) {
            Ok(code) if hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
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

    /// `"name": value`, starting at the name (whitespace before it already skipped).
    fn member(&mut self, depth: usize) -> Result<(Cow<'a, str>, JsonNode<'a>), SyntaxError> {
        if self.bytes.get(self.pos) != Some(&b'"') {
            return self.fail("expected a member name");
        }
        let name = self.string()?;
        self.skip_whitespace();
        if self.bytes.get(self.pos) != Some(&b':') {
            return self.fail("expected ':'");
        }
        self.pos += 1;
        Ok((name, self.value(depth + 1)?))
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
            members.push(self.member(depth)?);
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
mod tests {
    use super::*;

    #[test]
    fn reads_values_keeping_number_text() {
        let node = parse(r#" {"a": [1, -2.50, 1e3], "b": "x\"y", "c": null, "d": true} "#).unwrap();
        let JsonNode::Object(members) = node else {
            panic!("not an object")
        };
        assert_eq!(
            members[0].1,
            JsonNode::Array(vec![
                JsonNode::Number("1"),
                JsonNode::Number("-2.50"),
                JsonNode::Number("1e3")
            ])
        );
        assert_eq!(members[1].1, JsonNode::String(Cow::Owned("x\"y".into())));
        assert_eq!(members[2].1, JsonNode::Null);
        assert_eq!(members[3].1, JsonNode::Bool(true));
    }

    #[test]
    fn decodes_escapes_and_surrogate_pairs() {
        assert_eq!(
            parse(r#""\u00e9\ud83d\ude00\n""#).unwrap(),
            JsonNode::String(Cow::Owned("é😀\n".into()))
        );
        assert!(matches!(
            parse(r#""plain""#).unwrap(),
            JsonNode::String(Cow::Borrowed("plain"))
        ));
    }

    #[test]
    fn ignores_trailing_content_like_jackson() {
        assert_eq!(parse("1 2").unwrap(), JsonNode::Number("1"));
    }

    #[test]
    fn rejects_malformed_input_without_panicking() {
        for bad in [
            "",
            "{",
            "[1,",
            "01",
            "-",
            "1.",
            "1e",
            "tru",
            "\"abc",
            "{\"a\" 1}",
            "[1 2]",
            "\"\\x\"",
            "\"\\u12\"",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        let deep = "[".repeat(MAX_DEPTH + 2);
        assert_eq!(parse(&deep).unwrap_err().reason, "nesting too deep");
    }
}
