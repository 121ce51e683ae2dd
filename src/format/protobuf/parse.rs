//! The `.proto` reader behind [`super::schema`]: a tokenizer (comments skipped) and a parser of
//! the declarations schema inference and the codec need (syntax, package, messages with nested
//! messages in declaration order, enums with their values, `oneof`, fields with their numbers,
//! labels, map types and options); everything else (services, extensions, reserved ranges) is
//! skipped. Lenient like ksqlDB's reader of registered schemas: imports are not followed here
//! (references arrive as further files), and unknown statements are skipped, not refused.

use super::schema::{EnumDef, MessageDef, ProtoSchema};

#[derive(Debug, Clone)]
pub enum FieldType {
    /// A scalar keyword or a (possibly qualified) message or enum name.
    Named(String),
    Map(Box<FieldType>, Box<FieldType>),
    OneOf(Vec<Field>),
}

/// One field of a message (or one alternative of a `oneof`, or a whole `oneof` whose
/// alternatives are in [`FieldType::OneOf`] and whose number is 0).
#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    pub number: u32,
    pub ty: FieldType,
    pub repeated: bool,
    /// Declared `optional` in a proto3 file: the field tracks presence (absent reads as NULL).
    pub optional: bool,
    /// The text between `[` and `]` after the field number.
    pub options: String,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Token {
    Word(String),
    Text(String),
    Punct(char),
}

pub(super) fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '/' && chars.get(i + 1) == Some(&'/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && chars.get(i + 1) == Some(&'*') {
            i += 2;
            while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                i += 1;
            }
            i += 2;
        } else if c == '"' || c == '\'' {
            let start = i + 1;
            i += 1;
            while i < chars.len() && chars[i] != c {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            if i >= chars.len() {
                return Err("unterminated string in PROTOBUF schema".to_string());
            }
            tokens.push(Token::Text(chars[start..i].iter().collect()));
            i += 1;
        } else if c.is_alphanumeric() || c == '_' || c == '.' || c == '-' || c == '+' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || matches!(chars[i], '_' | '.' | '-' | '+'))
            {
                i += 1;
            }
            tokens.push(Token::Word(chars[start..i].iter().collect()));
        } else {
            tokens.push(Token::Punct(c));
            i += 1;
        }
    }
    Ok(tokens)
}

pub(super) struct Parser<'p> {
    pub(super) tokens: Vec<Token>,
    pub(super) at: usize,
    pub(super) pool: &'p mut ProtoSchema,
    /// `syntax = "proto3"` was declared.
    pub(super) proto3: bool,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Result<Token, String> {
        let token = self
            .tokens
            .get(self.at)
            .cloned()
            .ok_or("unexpected end of PROTOBUF schema")?;
        self.at += 1;
        Ok(token)
    }

    fn word(&mut self) -> Result<String, String> {
        match self.next()? {
            Token::Word(w) => Ok(w),
            other => Err(format!(
                "expected a name in PROTOBUF schema, found {other:?}"
            )),
        }
    }

    fn expect(&mut self, punct: char) -> Result<(), String> {
        match self.next()? {
            Token::Punct(p) if p == punct => Ok(()),
            other => Err(format!(
                "expected `{punct}` in PROTOBUF schema, found {other:?}"
            )),
        }
    }

    /// Skips to and past the next `;` at this nesting level, or past a balanced `{…}` block.
    fn skip_statement(&mut self) -> Result<(), String> {
        let mut depth = 0usize;
        loop {
            match self.next()? {
                Token::Punct(';') if depth == 0 => return Ok(()),
                Token::Punct('{') => depth += 1,
                Token::Punct('}') => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        if self.peek() == Some(&Token::Punct(';')) {
                            self.at += 1;
                        }
                        return Ok(());
                    }
                }
                _ => {}
            }
        }
    }

    /// Parses one file; returns the full names of its top-level messages in declaration order.
    pub(super) fn file(&mut self) -> Result<Vec<String>, String> {
        let mut package = String::new();
        let mut top = Vec::new();
        while let Some(token) = self.peek().cloned() {
            match token {
                Token::Word(w) if w == "syntax" || w == "edition" => {
                    self.at += 1;
                    self.expect('=')?;
                    if let Token::Text(t) = self.next()? {
                        self.proto3 = t == "proto3";
                    }
                    self.expect(';')?;
                }
                Token::Word(w) if w == "package" => {
                    self.at += 1;
                    package = self.word()?;
                    self.expect(';')?;
                }
                Token::Word(w) if w == "message" => {
                    self.at += 1;
                    top.push(self.message(&package)?);
                }
                Token::Word(w) if w == "enum" => {
                    self.at += 1;
                    self.enumeration(&package)?;
                }
                Token::Punct(';') => self.at += 1,
                _ => self.skip_statement()?,
            }
        }
        Ok(top)
    }

    /// After `enum`: the name and `NAME = number;` values (options skipped).
    fn enumeration(&mut self, scope: &str) -> Result<(), String> {
        let full = qualify(scope, &self.word()?);
        self.expect('{')?;
        let mut values = Vec::new();
        loop {
            match self.next()? {
                Token::Punct('}') => break,
                Token::Punct(';') => {}
                Token::Word(w) if matches!(w.as_str(), "option" | "reserved") => {
                    self.skip_statement()?
                }
                Token::Word(name) => {
                    self.expect('=')?;
                    let number = self.word()?;
                    let number: i32 = number
                        .parse()
                        .map_err(|_| format!("bad PROTOBUF enum number `{number}`"))?;
                    if self.peek() == Some(&Token::Punct('[')) {
                        self.skip_brackets()?;
                    }
                    self.expect(';')?;
                    values.push((name, number));
                }
                other => return Err(format!("unexpected {other:?} in PROTOBUF enum `{full}`")),
            }
        }
        self.pool.enums.insert(full, EnumDef { values });
        Ok(())
    }

    fn skip_brackets(&mut self) -> Result<(), String> {
        let mut depth = 0usize;
        loop {
            match self.next()? {
                Token::Punct('[') => depth += 1,
                Token::Punct(']') => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return Ok(());
                    }
                }
                _ => {}
            }
        }
    }

    /// After `message`: parses the name and body; returns the full name.
    fn message(&mut self, scope: &str) -> Result<String, String> {
        let full = qualify(scope, &self.word()?);
        self.expect('{')?;
        let mut fields = Vec::new();
        let mut nested = Vec::new();
        loop {
            match self.peek().cloned() {
                None => return Err(format!("unterminated PROTOBUF message `{full}`")),
                Some(Token::Punct('}')) => {
                    self.at += 1;
                    break;
                }
                Some(Token::Punct(';')) => self.at += 1,
                Some(Token::Word(w)) => match w.as_str() {
                    "message" => {
                        self.at += 1;
                        nested.push(self.message(&full)?);
                    }
                    "enum" => {
                        self.at += 1;
                        self.enumeration(&full)?;
                    }
                    "oneof" => {
                        self.at += 1;
                        let name = self.word()?;
                        self.expect('{')?;
                        let mut alternatives = Vec::new();
                        while self.peek() != Some(&Token::Punct('}')) {
                            if self.peek() == Some(&Token::Punct(';')) {
                                self.at += 1;
                                continue;
                            }
                            if self.peek() == Some(&Token::Word("option".into())) {
                                self.skip_statement()?;
                                continue;
                            }
                            alternatives.push(self.field()?);
                        }
                        self.at += 1;
                        fields.push(Field {
                            name,
                            number: 0,
                            ty: FieldType::OneOf(alternatives),
                            repeated: false,
                            optional: false,
                            options: String::new(),
                        });
                    }
                    "option" | "reserved" | "extensions" | "extend" => self.skip_statement()?,
                    _ => fields.push(self.field()?),
                },
                Some(other) => return Err(format!("unexpected {other:?} in PROTOBUF message")),
            }
        }
        self.pool.messages.insert(
            full.clone(),
            MessageDef {
                fields,
                nested,
                proto3: self.proto3,
            },
        );
        Ok(full)
    }

    /// `[repeated|optional|required] type name = N [options];` or `map<K, V> name = N;`.
    fn field(&mut self) -> Result<Field, String> {
        let mut repeated = false;
        let mut optional = false;
        let mut type_name = self.word()?;
        while matches!(type_name.as_str(), "repeated" | "optional" | "required") {
            repeated |= type_name == "repeated";
            optional |= type_name == "optional" && self.proto3;
            type_name = self.word()?;
        }
        let ty = if type_name == "map" && self.peek() == Some(&Token::Punct('<')) {
            self.at += 1;
            let key = self.word()?;
            self.expect(',')?;
            let value = self.word()?;
            self.expect('>')?;
            FieldType::Map(
                Box::new(FieldType::Named(key)),
                Box::new(FieldType::Named(value)),
            )
        } else {
            FieldType::Named(type_name)
        };
        let name = self.word()?;
        self.expect('=')?;
        let number = self.word()?;
        let number = parse_field_number(&number)
            .ok_or_else(|| format!("bad PROTOBUF field number `{number}` of `{name}`"))?;
        let mut options = String::new();
        if self.peek() == Some(&Token::Punct('[')) {
            self.at += 1;
            let mut depth = 1usize;
            loop {
                match self.next()? {
                    Token::Punct('[') => depth += 1,
                    Token::Punct(']') => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    Token::Punct(p) => options.push(p),
                    Token::Word(w) => {
                        options.push(' ');
                        options.push_str(&w);
                    }
                    Token::Text(t) => {
                        options.push('"');
                        options.push_str(&t);
                        options.push('"');
                    }
                }
            }
        }
        self.expect(';')?;
        Ok(Field {
            name,
            number,
            ty,
            repeated,
            optional,
            options,
        })
    }
}

/// A field number: decimal, hex (`0x…`) or octal (leading `0`), 1 to 2^29 - 1.
fn parse_field_number(text: &str) -> Option<u32> {
    let number = if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        u32::from_str_radix(hex, 16).ok()?
    } else if text.len() > 1 && text.starts_with('0') {
        u32::from_str_radix(&text[1..], 8).ok()?
    } else {
        text.parse().ok()?
    };
    (1..(1 << 29)).contains(&number).then_some(number)
}

pub(super) fn qualify(scope: &str, name: &str) -> String {
    if scope.is_empty() {
        name.to_string()
    } else {
        format!("{scope}.{name}")
    }
}
