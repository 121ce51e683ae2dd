//! Reading ksqlDB type text (`INT`, `VARCHAR`, `DECIMAL(4,2)`, ``STRUCT<A INT, `b` STRING>``)
//! into a [`SqlType`], for schemas written outside SQL statements: lock files, test
//! expectations, config. Statements are parsed by the `sql` layer, not here.

use std::str::FromStr;

use thiserror::Error;

use super::sql_type::{SqlType, StructField};

/// Type text that could not be read; `at` is a byte offset into the text.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("Invalid type at offset {at} of '{text}': {reason}")]
pub struct TypeParseError {
    pub text: String,
    pub at: usize,
    pub reason: String,
}

impl FromStr for SqlType {
    type Err = TypeParseError;

    /// Unquoted struct field names are upper-cased; back-quoted ones keep their case.
    fn from_str(text: &str) -> Result<SqlType, TypeParseError> {
        let mut parser = TypeParser { text, pos: 0 };
        let ty = parser.parse_type()?;
        parser.skip_space();
        if parser.pos != text.len() {
            return Err(parser.error("unexpected trailing text"));
        }
        Ok(ty)
    }
}

struct TypeParser<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> TypeParser<'a> {
    fn error(&self, reason: impl Into<String>) -> TypeParseError {
        TypeParseError {
            text: self.text.to_string(),
            at: self.pos,
            reason: reason.into(),
        }
    }

    fn skip_space(&mut self) {
        while self.text[self.pos..].starts_with(char::is_whitespace) {
            self.pos += self.text[self.pos..]
                .chars()
                .next()
                .map_or(1, char::len_utf8);
        }
    }

    fn expect(&mut self, symbol: char) -> Result<(), TypeParseError> {
        self.skip_space();
        if self.text[self.pos..].starts_with(symbol) {
            self.pos += symbol.len_utf8();
            Ok(())
        } else {
            Err(self.error(format!("expected '{symbol}'")))
        }
    }

    fn peek(&mut self, symbol: char) -> bool {
        self.skip_space();
        self.text[self.pos..].starts_with(symbol)
    }

    fn word(&mut self) -> Result<&'a str, TypeParseError> {
        self.skip_space();
        let text = self.text;
        let rest = &text[self.pos..];
        let len = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
            .unwrap_or(rest.len());
        if len == 0 {
            return Err(self.error("expected a name"));
        }
        self.pos += len;
        Ok(&rest[..len])
    }

    fn number(&mut self) -> Result<u32, TypeParseError> {
        let word = self.word()?;
        word.parse()
            .map_err(|_| self.error(format!("expected a number, got '{word}'")))
    }

    fn field_name(&mut self) -> Result<String, TypeParseError> {
        self.skip_space();
        let text = self.text;
        for quote in ['`', '"'] {
            if let Some(rest) = text[self.pos..].strip_prefix(quote) {
                let end = rest
                    .find(quote)
                    .ok_or_else(|| self.error("unterminated quoted name"))?;
                self.pos += end + 2;
                return Ok(rest[..end].to_string());
            }
        }
        Ok(self.word()?.to_ascii_uppercase())
    }

    fn parse_type(&mut self) -> Result<SqlType, TypeParseError> {
        let start = self.pos;
        let keyword = self.word()?.to_ascii_uppercase();
        let ty = match keyword.as_str() {
            "BOOLEAN" => SqlType::Boolean,
            "INT" | "INTEGER" => SqlType::Int,
            "BIGINT" => SqlType::Bigint,
            "DOUBLE" => SqlType::Double,
            "STRING" | "VARCHAR" => SqlType::String,
            "BYTES" => SqlType::Bytes,
            "DATE" => SqlType::Date,
            "TIME" => SqlType::Time,
            "TIMESTAMP" => SqlType::Timestamp,
            "DECIMAL" => {
                self.expect('(')?;
                let precision = self.number()?;
                self.expect(',')?;
                let scale = self.number()?;
                self.expect(')')?;
                SqlType::decimal(precision, scale).map_err(|e| self.error(e.to_string()))?
            }
            "ARRAY" => {
                self.expect('<')?;
                let element = self.parse_type()?;
                self.expect('>')?;
                SqlType::array(element)
            }
            "MAP" => {
                self.expect('<')?;
                let key = self.parse_type()?;
                self.expect(',')?;
                let value = self.parse_type()?;
                self.expect('>')?;
                SqlType::map(key, value)
            }
            "STRUCT" => {
                self.expect('<')?;
                let mut fields = Vec::new();
                if !self.peek('>') {
                    loop {
                        let name = self.field_name()?;
                        let ty = self.parse_type()?;
                        fields.push(StructField { name, ty });
                        if !self.peek(',') {
                            break;
                        }
                        self.expect(',')?;
                    }
                }
                self.expect('>')?;
                SqlType::Struct(fields)
            }
            other => {
                self.pos = start;
                return Err(self.error(format!("unknown type '{other}'")));
            }
        };
        Ok(ty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_display_writes_and_ksqldb_spellings() {
        for text in [
            "INTEGER",
            "DECIMAL(4, 2)",
            "ARRAY<STRING>",
            "MAP<STRING, BIGINT>",
            "STRUCT<`A` INTEGER, `f` ARRAY<DOUBLE>>",
            "STRUCT< >",
            "STRUCT<`B` STRUCT<`F1` INTEGER, `F2` STRING>>",
        ] {
            assert_eq!(text.parse::<SqlType>().unwrap().to_string(), text);
        }
        assert_eq!("int".parse::<SqlType>().unwrap(), SqlType::Int);
        assert_eq!("varchar".parse::<SqlType>().unwrap(), SqlType::String);
        assert_eq!(
            "DECIMAL(33,16)".parse::<SqlType>().unwrap(),
            SqlType::Decimal {
                precision: 33,
                scale: 16
            }
        );
        assert_eq!(
            "STRUCT<f1 INT, `foo` VARCHAR>"
                .parse::<SqlType>()
                .unwrap()
                .to_string(),
            "STRUCT<`F1` INTEGER, `foo` STRING>"
        );
    }

    #[test]
    fn rejects_bad_text_with_a_position() {
        let err = "ARRAY<FOO>".parse::<SqlType>().unwrap_err();
        assert_eq!(err.at, 6);
        assert!("DECIMAL(2, 3)".parse::<SqlType>().is_err());
        assert!("INT junk".parse::<SqlType>().is_err());
        assert!("".parse::<SqlType>().is_err());
    }
}
