//! Serde options from a source's `WITH (…)` clause: `WRAP_SINGLE_VALUE`, the DELIMITED
//! `VALUE_DELIMITER`/`KEY_DELIMITER` and `*_PROTOBUF_NULLABLE_REPRESENTATION`. Parsing and
//! ksqlDB's messages only; which options a format accepts is checked by `format::validate`
//! (and, for the property, by the analyzer).

use super::error::FormatError;

/// Options that change how a row is laid out in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct SerdeOptions {
    /// `WRAP_SINGLE_VALUE`: `None` when not given (values wrapped, keys unwrapped).
    pub wrap_single_value: Option<bool>,
    /// The DELIMITED field separator; `None` when not given (a comma).
    pub delimiter: Option<Delimiter>,
    /// `*_PROTOBUF_NULLABLE_REPRESENTATION` (PROTOBUF and PROTOBUF_NOSR only): how the schema
    /// derived from the columns keeps NULLs.
    pub nullable: Option<super::protobuf::NullableRepresentation>,
}

/// A DELIMITED field separator: one ASCII character.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Delimiter(u8);

impl Default for Delimiter {
    fn default() -> Delimiter {
        Delimiter(b',')
    }
}

impl Delimiter {
    /// ksqlDB's `Delimiter.parse`: a single character, or the names `TAB` and `SPACE`.
    /// Blank text (line breaks included) is refused because a literal space is easy to lose;
    /// so is the quote, which Commons CSV's `CSVFormat` refuses when ksqlDB builds its serde.
    pub fn parse(text: &str) -> Result<Delimiter, FormatError> {
        if text.trim().is_empty() {
            return Err(FormatError::EmptyDelimiter);
        }
        match text {
            "TAB" => return Ok(Delimiter(b'\t')),
            "SPACE" => return Ok(Delimiter(b' ')),
            _ => {}
        }
        match text.as_bytes() {
            [b'"'] => Err(FormatError::UnusableDelimiter(
                "The quoteChar character and the delimiter cannot be the same ('\"')",
            )),
            [byte] if byte.is_ascii() => Ok(Delimiter(*byte)),
            _ => Err(FormatError::InvalidDelimiter(text.to_string())),
        }
    }

    pub fn byte(self) -> u8 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_characters_and_names() {
        assert_eq!(Delimiter::parse("|").unwrap().byte(), b'|');
        assert_eq!(Delimiter::parse("TAB").unwrap().byte(), b'\t');
        assert_eq!(Delimiter::parse("SPACE").unwrap().byte(), b' ');
        assert_eq!(Delimiter::default().byte(), b',');
    }

    #[test]
    fn refuses_what_commons_csv_cannot_use() {
        // Found by the fuzz runner: with `"` as the delimiter a written row did not read back
        // (ksqlDB's CSV library refuses the quote as a delimiter).
        let quote = Delimiter::parse("\"").unwrap_err().to_string();
        assert!(quote.contains("quoteChar character and the delimiter cannot be the same"));
        assert!(Delimiter::parse("\r").is_err());
        assert_eq!(Delimiter::parse("'").unwrap().byte(), b'\'');
    }

    #[test]
    fn refuses_blank_and_long_text_with_ksqldb_messages() {
        let blank = Delimiter::parse(" ").unwrap_err().to_string();
        assert!(
            blank.starts_with("Delimiter cannot be empty, if you meant to have a tab or space")
        );
        let long = Delimiter::parse("<~>").unwrap_err().to_string();
        assert!(long.starts_with(
            "Invalid delimiter value: '<~>'. Delimiter must be a single character or TAB,SPACE"
        ));
    }
}
