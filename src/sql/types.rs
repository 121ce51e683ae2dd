//! SQL type syntax: the primitive types, `DECIMAL(p, s)`, `ARRAY<t>`, `MAP<k, v>`,
//! `STRUCT<name t, …>` and names of types declared with `CREATE TYPE`. It must not check that
//! a custom type exists (that is `analyze`, which can use [`BUILT_IN_TYPE_NAMES`] for
//! did-you-mean).

use super::ast::{DataType, StructField, TypeKind};
use super::cursor::{Cursor, ParseResult};
use super::diagnostic::Diagnostic;
use super::lexer::{Punct, TokenKind};

/// Built-in type names, for the analyzer's did-you-mean when a custom type is not declared.
pub const BUILT_IN_TYPE_NAMES: &[&str] = &[
    "BOOLEAN",
    "INT",
    "INTEGER",
    "BIGINT",
    "DOUBLE",
    "DECIMAL",
    "STRING",
    "VARCHAR",
    "BYTES",
    "DATE",
    "TIME",
    "TIMESTAMP",
    "ARRAY",
    "MAP",
    "STRUCT",
];

pub fn parse_data_type(cursor: &mut Cursor) -> ParseResult<DataType> {
    cursor.descend()?;
    let result = parse_type_inner(cursor);
    cursor.ascend();
    result
}

fn parse_type_inner(cursor: &mut Cursor) -> ParseResult<DataType> {
    let start = cursor.start();
    let mut data_type = parse_base_type(cursor)?;
    // ksqlDB also accepts the postfix form `INT ARRAY`.
    while cursor.eat_keyword("ARRAY").is_some() {
        data_type = DataType {
            kind: TypeKind::Array(Box::new(data_type)),
            span: cursor.span_from(start),
        };
    }
    Ok(data_type)
}

fn parse_base_type(cursor: &mut Cursor) -> ParseResult<DataType> {
    let start = cursor.start();
    let token = cursor.peek();
    let word = match &token.kind {
        TokenKind::Word(word) => word.to_uppercase(),
        TokenKind::QuotedIdent(_) => String::new(),
        _ => return Err(cursor.expected("a type")),
    };
    let kind = match word.as_str() {
        "ARRAY" if cursor.peek_nth(1).is_punct(Punct::Lt) => {
            cursor.advance();
            cursor.advance();
            let element = parse_data_type(cursor)?;
            expect_close_angle(cursor)?;
            TypeKind::Array(Box::new(element))
        }
        "MAP" if cursor.peek_nth(1).is_punct(Punct::Lt) => {
            cursor.advance();
            cursor.advance();
            let key = parse_data_type(cursor)?;
            cursor.expect_punct(Punct::Comma)?;
            let value = parse_data_type(cursor)?;
            expect_close_angle(cursor)?;
            TypeKind::Map(Box::new(key), Box::new(value))
        }
        "STRUCT" if cursor.peek_nth(1).is_punct(Punct::NotEq) => {
            // `STRUCT<>` reads as `STRUCT` followed by the `<>` operator.
            cursor.advance();
            cursor.advance();
            TypeKind::Struct(Vec::new())
        }
        "STRUCT" if cursor.peek_nth(1).is_punct(Punct::Lt) => {
            cursor.advance();
            cursor.advance();
            let fields = if cursor.at_punct(Punct::Gt) {
                Vec::new()
            } else {
                cursor.comma_separated(|c| {
                    let name = c.identifier("a struct field name")?;
                    let data_type = parse_data_type(c)?;
                    Ok(StructField { name, data_type })
                })?
            };
            expect_close_angle(cursor)?;
            TypeKind::Struct(fields)
        }
        "DECIMAL" => {
            cursor.advance();
            cursor.expect_punct(Punct::LParen)?;
            let precision = small_number(cursor, "the DECIMAL precision")?;
            cursor.expect_punct(Punct::Comma)?;
            let scale = small_number(cursor, "the DECIMAL scale")?;
            cursor.expect_punct(Punct::RParen)?;
            TypeKind::Decimal { precision, scale }
        }
        _ => {
            let primitive = primitive(&word);
            let name = cursor.identifier("a type")?;
            skip_type_parameters(cursor)?;
            match primitive {
                Some(kind) => kind,
                None => TypeKind::Custom(name),
            }
        }
    };
    Ok(DataType {
        kind,
        span: cursor.span_from(start),
    })
}

fn primitive(word: &str) -> Option<TypeKind> {
    Some(match word {
        "BOOLEAN" => TypeKind::Boolean,
        "INT" | "INTEGER" => TypeKind::Int,
        "BIGINT" => TypeKind::BigInt,
        "DOUBLE" => TypeKind::Double,
        "STRING" | "VARCHAR" => TypeKind::String,
        "BYTES" => TypeKind::Bytes,
        "DATE" => TypeKind::Date,
        "TIME" => TypeKind::Time,
        "TIMESTAMP" => TypeKind::Timestamp,
        _ => return None,
    })
}

/// ksqlDB accepts and ignores parameters on other types, e.g. `VARCHAR(10)`: whole numbers
/// or the word `STRING`.
fn skip_type_parameters(cursor: &mut Cursor) -> ParseResult<()> {
    if cursor.eat_punct(Punct::LParen).is_none() {
        return Ok(());
    }
    cursor.comma_separated(|c| match &c.peek().kind {
        TokenKind::Number(n) if n.chars().all(|d| d.is_ascii_digit()) => {
            c.advance();
            Ok(())
        }
        TokenKind::Word(w) if w.eq_ignore_ascii_case("STRING") => {
            c.advance();
            Ok(())
        }
        _ => Err(c.expected("a type parameter (a whole number)")),
    })?;
    cursor.expect_punct(Punct::RParen)?;
    Ok(())
}

fn small_number(cursor: &mut Cursor, what: &str) -> ParseResult<u32> {
    let (value, span) = cursor.unsigned_integer(what)?;
    u32::try_from(value).map_err(|_| Diagnostic::error(span, format!("{what} is too large")))
}

fn expect_close_angle(cursor: &mut Cursor) -> ParseResult<()> {
    cursor.expect_punct(Punct::Gt).map(|_| ())
}
