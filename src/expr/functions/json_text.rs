//! The JSON documents the JSON functions read: a small reader that keeps object members in
//! document order and numbers as their exact text (as Jackson's exact-decimal node factory
//! does), reads the first value and ignores what follows it (Jackson's `readTree`), and limits
//! nesting so hostile input cannot exhaust the stack; and compact writing of documents.
//! Knows nothing of SQL.

use std::fmt;

/// Deepest array/object nesting accepted.
const MAX_DEPTH: usize = 512;

/// A JSON document with object members in document order (a repeated name keeps its first
/// position and takes the last value, as Jackson's `ObjectNode`).
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    /// The number exactly as written.
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

/// What reading found: a document, nothing at all (empty or blank text), or a syntax error.
#[derive(Debug, Clone, PartialEq)]
pub enum Read {
    Document(Json),
    Missing,
    Invalid,
}

/// Reads the first JSON value of `text`.
pub fn read(text: &str) -> Read {
    let mut reader = Reader {
        bytes: text.as_bytes(),
        text,
        pos: 0,
    };
    reader.skip_ws();
    if reader.pos == reader.bytes.len() {
        return Read::Missing;
    }
    match reader.value(0) {
        Some(doc) => Read::Document(doc),
        None => Read::Invalid,
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    text: &'a str,
    pos: usize,
}

impl Reader<'_> {
    fn skip_ws(&mut self) {
        while self
            .bytes
            .get(self.pos)
            .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        {
            self.pos += 1;
        }
    }

    fn eat(&mut self, literal: &str) -> Option<()> {
        let end = self.pos + literal.len();
        (self.bytes.get(self.pos..end)? == literal.as_bytes()).then(|| self.pos = end)
    }

    fn value(&mut self, depth: usize) -> Option<Json> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.skip_ws();
        match *self.bytes.get(self.pos)? {
            b'n' => self.eat("null").map(|_| Json::Null),
            b't' => self.eat("true").map(|_| Json::Bool(true)),
            b'f' => self.eat("false").map(|_| Json::Bool(false)),
            b'"' => self.string().map(Json::String),
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                self.skip_ws();
                if self.eat("]").is_some() {
                    return Some(Json::Array(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.skip_ws();
                    if self.eat(",").is_some() {
                        continue;
                    }
                    self.eat("]")?;
                    return Some(Json::Array(items));
                }
            }
            b'{' => {
                self.pos += 1;
                let mut members: Vec<(String, Json)> = Vec::new();
                self.skip_ws();
                if self.eat("}").is_some() {
                    return Some(Json::Object(members));
                }
                loop {
                    self.skip_ws();
                    if self.bytes.get(self.pos) != Some(&b'"') {
                        return None;
                    }
                    let name = self.string()?;
                    self.skip_ws();
                    self.eat(":")?;
                    let member = self.value(depth + 1)?;
                    match members.iter_mut().find(|(k, _)| *k == name) {
                        Some(existing) => existing.1 = member,
                        None => members.push((name, member)),
                    }
                    self.skip_ws();
                    if self.eat(",").is_some() {
                        continue;
                    }
                    self.eat("}")?;
                    return Some(Json::Object(members));
                }
            }
            b'-' | b'0'..=b'9' => self.number().map(Json::Number),
            _ => None,
        }
    }

    fn number(&mut self) -> Option<String> {
        let start = self.pos;
        let digits = |r: &mut Self| {
            let from = r.pos;
            while r.bytes.get(r.pos).is_some_and(u8::is_ascii_digit) {
                r.pos += 1;
            }
            r.pos > from
        };
        if self.bytes.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        if self.bytes.get(self.pos) == Some(&b'0') {
            self.pos += 1;
        } else if !digits(self) {
            return None;
        }
        if self.bytes.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if !digits(self) {
                return None;
            }
        }
        if matches!(self.bytes.get(self.pos), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.bytes.get(self.pos), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if !digits(self) {
                return None;
            }
        }
        Some(self.text[start..self.pos].to_string())
    }

    fn string(&mut self) -> Option<String> {
        self.pos += 1; // the opening quote
        let mut out = String::new();
        loop {
            let run_start = self.pos;
            while self
                .bytes
                .get(self.pos)
                .is_some_and(|&b| b != b'"' && b != b'\\' && b >= 0x20)
            {
                self.pos += 1;
            }
            out.push_str(&self.text[run_start..self.pos]);
            match *self.bytes.get(self.pos)? {
                b'"' => {
                    self.pos += 1;
                    return Some(out);
                }
                b'\\' => {
                    let escape = *self.bytes.get(self.pos + 1)?;
                    self.pos += 2;
                    match escape {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let unit = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&unit) {
                                self.eat("\\u")?;
                                let low = self.hex4()?;
                                0x10000 + ((unit - 0xD800) << 10) + (low.checked_sub(0xDC00)?)
                            } else {
                                unit
                            };
                            out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                        }
                        _ => return None,
                    }
                }
                _ => return None, // a raw control character
            }
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.text.get(self.pos..self.pos + 4)?;
        let unit = u32::from_str_radix(digits, 16).ok()?;
        self.pos += 4;
        Some(unit)
    }
}

impl fmt::Display for Json {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Json::Null => f.write_str("null"),
            Json::Bool(b) => write!(f, "{b}"),
            Json::Number(n) => f.write_str(n),
            Json::String(s) => f.write_str(&quote(s)),
            Json::Array(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Json::Object(members) => {
                f.write_str("{")?;
                for (i, (k, v)) in members.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{}:{v}", quote(k))?;
                }
                f.write_str("}")
            }
        }
    }
}

/// A JSON string literal.
pub fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_in_document_order_with_exact_numbers() {
        let Read::Document(doc) =
            read(r#" {"b": [1, 2.50, -3e2], "a": "x\u00e9\n", "b": null} trailing"#)
        else {
            panic!("a document");
        };
        assert_eq!(doc.to_string(), r#"{"b":null,"a":"xé\n"}"#);
        let Read::Document(doc) = read("[1, 2.50, -3e2, true]") else {
            panic!("a document");
        };
        assert_eq!(doc.to_string(), "[1,2.50,-3e2,true]");
        assert_eq!(read("   "), Read::Missing);
        assert_eq!(read("{\"a\":}"), Read::Invalid);
        assert_eq!(read("[1,]"), Read::Invalid);
        assert_eq!(read(&"[".repeat(600)), Read::Invalid);
    }
}
