//! `WITH (NAME = literal, …)` lists: parsing, ksqlDB's set of known property names, and
//! did-you-mean for unknown or repeated ones. Unknown names are reported without stopping the
//! statement. It must not check values against formats or topics (that is `analyze`).

use super::ast::{Literal, Properties, Property};
use super::cursor::{Cursor, ParseResult};
use super::diagnostic::{Diagnostic, Span, suggest};
use super::expr::number_literal;
use super::lexer::{Punct, TokenKind};

/// Every property name ksqlDB accepts in a `WITH` clause of `CREATE STREAM|TABLE`,
/// `CREATE … AS SELECT` or `INSERT INTO`.
pub const KNOWN_PROPERTIES: &[&str] = &[
    "KAFKA_TOPIC",
    "PARTITIONS",
    "REPLICAS",
    "RETENTION_MS",
    "CLEANUP_POLICY",
    "TIMESTAMP",
    "TIMESTAMP_FORMAT",
    "FORMAT",
    "KEY_FORMAT",
    "VALUE_FORMAT",
    "WRAP_SINGLE_VALUE",
    "KEY_DELIMITER",
    "VALUE_DELIMITER",
    "KEY_SCHEMA_ID",
    "VALUE_SCHEMA_ID",
    "KEY_SCHEMA_FULL_NAME",
    "VALUE_SCHEMA_FULL_NAME",
    "VALUE_AVRO_SCHEMA_FULL_NAME",
    "KEY_PROTOBUF_NULLABLE_REPRESENTATION",
    "VALUE_PROTOBUF_NULLABLE_REPRESENTATION",
    "WINDOW_TYPE",
    "WINDOW_SIZE",
    "SOURCE_CONNECTOR",
    "SOURCED_BY_CONNECTOR",
    "QUERY_ID",
];

/// Parses `WITH (…)` if present; an absent clause gives an empty list.
pub fn parse_optional_with(cursor: &mut Cursor) -> ParseResult<Properties> {
    let start = cursor.start();
    if cursor.eat_keyword("WITH").is_none() {
        return Ok(Properties {
            items: Vec::new(),
            span: Span::new(start, start),
        });
    }
    if !cursor.at_punct(Punct::LParen) {
        return Err(cursor.expected("`(` after `WITH`").with_help(
            "properties are written `WITH (KAFKA_TOPIC='topic', VALUE_FORMAT='JSON')`",
        ));
    }
    cursor.advance();
    let items = cursor.comma_separated(parse_property)?;
    if !cursor.at_punct(Punct::RParen) {
        return Err(cursor.expected("`,` or `)` in the `WITH` list"));
    }
    cursor.advance();
    let properties = Properties {
        items,
        span: cursor.span_from(start),
    };
    check_names(cursor, &properties);
    Ok(properties)
}

fn parse_property(cursor: &mut Cursor) -> ParseResult<Property> {
    let token = cursor.peek();
    let name = match &token.kind {
        TokenKind::Word(word) | TokenKind::QuotedIdent(word) | TokenKind::Str(word) => {
            word.to_uppercase()
        }
        _ => return Err(cursor.expected("a property name")),
    };
    cursor.advance();
    if cursor.eat_punct(Punct::Eq).is_none() {
        return Err(cursor.expected(&format!("`=` after property `{name}`")));
    }
    let (value, value_span) = parse_property_value(cursor)?;
    Ok(Property {
        name,
        name_span: token.span,
        value,
        value_span,
    })
}

fn parse_property_value(cursor: &mut Cursor) -> ParseResult<(Literal, Span)> {
    let start = cursor.start();
    let negative = cursor.eat_punct(Punct::Minus).is_some();
    let token = cursor.peek();
    let value = match &token.kind {
        TokenKind::Number(text) => {
            let text = if negative {
                format!("-{text}")
            } else {
                text.clone()
            };
            number_literal(&text, cursor.span_from(start).to(token.span))?
        }
        _ if negative => return Err(cursor.expected("a number after `-`")),
        TokenKind::Str(value) => Literal::String(value.clone()),
        TokenKind::Word(word) if word.eq_ignore_ascii_case("TRUE") => Literal::Boolean(true),
        TokenKind::Word(word) if word.eq_ignore_ascii_case("FALSE") => Literal::Boolean(false),
        TokenKind::Word(word) if word.eq_ignore_ascii_case("NULL") => Literal::Null,
        _ => {
            return Err(cursor
                .expected("a property value")
                .with_help("property values are literals: 'string', number, TRUE, FALSE or NULL"));
        }
    };
    cursor.advance();
    Ok((value, cursor.span_from(start)))
}

fn check_names(cursor: &mut Cursor, properties: &Properties) {
    for (index, property) in properties.items.iter().enumerate() {
        if !KNOWN_PROPERTIES.contains(&property.name.as_str()) {
            let mut diagnostic = Diagnostic::error(
                property.name_span,
                format!("unknown property `{}`", property.name),
            );
            diagnostic = match suggest(&property.name, KNOWN_PROPERTIES.iter().copied()) {
                Some(close) => diagnostic.with_help(format!("did you mean `{close}`?")),
                None => diagnostic.with_help(format!(
                    "known properties are {}",
                    KNOWN_PROPERTIES.join(", ")
                )),
            };
            cursor.report(diagnostic);
        } else if properties.items[..index]
            .iter()
            .any(|earlier| earlier.name == property.name)
        {
            cursor.report(
                Diagnostic::error(
                    property.name_span,
                    format!("property `{}` is set more than once", property.name),
                )
                .with_help("remove one of the two settings"),
            );
        }
    }
}
