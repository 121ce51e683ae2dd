//! The DELIMITED oracle: how ksqlDB reads a payload, written from Apache Commons CSV 1.4's
//! `Lexer` and `CSVParser` (`CSVFormat.DEFAULT` with the column delimiter) and ksqlDB's
//! `KsqlDelimitedDeserializer`: the bytes become a Java string (invalid UTF-8 turns into
//! U+FFFD), *every* record is parsed (`getRecords()`, so a broken later line fails the
//! payload), and the first record's fields are the columns. Within the lexer the delimiter is
//! recognised before the quote, empty lines before a record are skipped, whitespace after a
//! closing quote is Java's `Character.isWhitespace` (other than the delimiter), and `CR`,
//! `LF` and `CRLF` end a record. It is a reference for the harness only.

const EOF: i32 = -1;
const UNDEFINED: i32 = -2;
const CR: i32 = '\r' as i32;
const LF: i32 = '\n' as i32;
const QUOTE: i32 = '"' as i32;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Invalid,
    Token,
    EndOfRecord,
    Eof,
}

struct Lexer {
    chars: Vec<char>,
    pos: usize,
    last: i32,
    delimiter: i32,
}

/// The fields of the first record of `payload` read with `delimiter`, or why ksqlDB fails.
pub fn first_record(payload: &[u8], delimiter: u8) -> Result<Vec<String>, &'static str> {
    let text = String::from_utf8_lossy(payload);
    let mut lexer = Lexer {
        chars: text.chars().collect(),
        pos: 0,
        last: UNDEFINED,
        delimiter: i32::from(delimiter),
    };
    let mut records = Vec::new();
    while let Some(record) = lexer.next_record()? {
        records.push(record);
    }
    match records.into_iter().next() {
        Some(first) if !first.is_empty() => Ok(first),
        _ => Err("no fields in record"),
    }
}

/// Java's `Character.isWhitespace`.
fn java_whitespace(c: i32) -> bool {
    let Some(ch) = u32::try_from(c).ok().and_then(char::from_u32) else {
        return false;
    };
    matches!(ch, '\t'..='\r' | '\u{1C}'..='\u{1F}')
        || (ch.is_whitespace()
            && !matches!(ch, '\u{A0}' | '\u{2007}' | '\u{202F}' | '\u{85}')
            && !('\t'..='\r').contains(&ch))
        || ch == ' '
}

impl Lexer {
    fn read(&mut self) -> i32 {
        let c = match self.chars.get(self.pos) {
            Some(&ch) => {
                self.pos += 1;
                ch as i32
            }
            None => EOF,
        };
        self.last = c;
        c
    }

    fn look_ahead(&self) -> i32 {
        self.chars.get(self.pos).map_or(EOF, |&c| c as i32)
    }

    fn read_end_of_line(&mut self, mut c: i32) -> bool {
        if c == CR && self.look_ahead() == LF {
            c = self.read();
        }
        c == LF || c == CR
    }

    fn is_whitespace(&self, c: i32) -> bool {
        c != self.delimiter && java_whitespace(c)
    }

    fn next_record(&mut self) -> Result<Option<Vec<String>>, &'static str> {
        let mut values = Vec::new();
        loop {
            let (kind, content, ready) = self.next_token()?;
            match kind {
                Kind::Token | Kind::EndOfRecord => values.push(content),
                Kind::Eof if ready => values.push(content),
                _ => {}
            }
            if kind != Kind::Token {
                break;
            }
        }
        Ok((!values.is_empty()).then_some(values))
    }

    fn next_token(&mut self) -> Result<(Kind, String, bool), &'static str> {
        let mut last = self.last;
        let mut c = self.read();
        let mut eol = self.read_end_of_line(c);
        let start_of_line = |c: i32| c == LF || c == CR || c == UNDEFINED;
        while eol && start_of_line(last) {
            last = c;
            c = self.read();
            eol = self.read_end_of_line(c);
            if c == EOF {
                return Ok((Kind::Eof, String::new(), false));
            }
        }
        if last == EOF || (last != self.delimiter && c == EOF) {
            return Ok((Kind::Eof, String::new(), false));
        }
        let mut content = String::new();
        let mut kind = Kind::Invalid;
        let mut ready = false;
        while kind == Kind::Invalid {
            if c == self.delimiter {
                kind = Kind::Token;
            } else if eol {
                kind = Kind::EndOfRecord;
            } else if c == QUOTE {
                (kind, ready) = self.encapsulated(&mut content)?;
            } else if c == EOF {
                kind = Kind::Eof;
                ready = true;
            } else {
                (kind, ready) = self.simple(&mut content, c);
            }
        }
        Ok((kind, content, ready))
    }

    fn simple(&mut self, content: &mut String, mut c: i32) -> (Kind, bool) {
        loop {
            if self.read_end_of_line(c) {
                return (Kind::EndOfRecord, false);
            } else if c == EOF {
                return (Kind::Eof, true);
            } else if c == self.delimiter {
                return (Kind::Token, false);
            }
            content.push(char::from_u32(c as u32).unwrap_or('\u{FFFD}'));
            c = self.read();
        }
    }

    fn encapsulated(&mut self, content: &mut String) -> Result<(Kind, bool), &'static str> {
        loop {
            let c = self.read();
            if c == QUOTE {
                if self.look_ahead() == QUOTE {
                    self.read();
                    content.push('"');
                } else {
                    loop {
                        let c = self.read();
                        if c == self.delimiter {
                            return Ok((Kind::Token, false));
                        } else if c == EOF {
                            return Ok((Kind::Eof, true));
                        } else if self.read_end_of_line(c) {
                            return Ok((Kind::EndOfRecord, false));
                        } else if !self.is_whitespace(c) {
                            return Err("invalid char between encapsulated token and delimiter");
                        }
                    }
                }
            } else if c == EOF {
                return Err("EOF reached before encapsulated token finished");
            } else {
                content.push(char::from_u32(c as u32).unwrap_or('\u{FFFD}'));
            }
        }
    }
}
