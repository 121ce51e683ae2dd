//! Primary expressions: literals, column references, function calls, `CASE`, `CAST`, the
//! `ARRAY[…]`, `MAP(k := v)` and `STRUCT(f := v)` constructors and parenthesised expressions.
//! Operators and precedence live in `expr`; this module must not parse binary operators.

use super::ast::{BinaryOp, Expr, ExprKind, Ident, Literal};
use super::cursor::{Cursor, ParseResult, is_reserved};
use super::diagnostic::Diagnostic;
use super::expr::{number_literal, parse_expr, parse_function_argument};
use super::lexer::{Punct, TokenKind};
use super::types::parse_data_type;

pub fn parse_primary(cursor: &mut Cursor) -> ParseResult<Expr> {
    let start = cursor.start();
    let token = cursor.peek();
    let kind = match &token.kind {
        TokenKind::Number(text) => {
            let literal = number_literal(text, token.span)?;
            cursor.advance();
            ExprKind::Literal(literal)
        }
        TokenKind::Str(value) => {
            cursor.advance();
            ExprKind::Literal(Literal::String(value.clone()))
        }
        TokenKind::Punct(Punct::LParen) => {
            cursor.advance();
            let inner = parse_expr(cursor)?;
            if cursor.at_punct(Punct::Comma) {
                return Err(Diagnostic::error(
                    cursor.peek().span,
                    "expected `)`, found `,`: ksqlDB has no row or tuple values",
                ));
            }
            cursor.expect_punct(Punct::RParen)?;
            // Parentheses only group: keep the inner node, widen its span.
            return Ok(Expr {
                kind: inner.kind,
                span: cursor.span_from(start),
            });
        }
        TokenKind::Word(word) => match word.to_uppercase().as_str() {
            "NULL" => {
                cursor.advance();
                ExprKind::Literal(Literal::Null)
            }
            "TRUE" | "FALSE" => {
                cursor.advance();
                ExprKind::Literal(Literal::Boolean(word.eq_ignore_ascii_case("TRUE")))
            }
            "CASE" => parse_case(cursor)?,
            "CAST" => parse_cast(cursor)?,
            "ARRAY" if cursor.peek_nth(1).is_punct(Punct::LBracket) => parse_array(cursor)?,
            "MAP" if cursor.peek_nth(1).is_punct(Punct::LParen) => parse_map(cursor)?,
            "STRUCT" if cursor.peek_nth(1).is_punct(Punct::LParen) => parse_struct(cursor)?,
            _ => parse_named(cursor)?,
        },
        TokenKind::QuotedIdent(_) => parse_named(cursor)?,
        _ => return Err(cursor.expected("an expression")),
    };
    Ok(Expr {
        kind,
        span: cursor.span_from(start),
    })
}

/// Everything that starts with an identifier: typed literals (`DECIMAL '1.0'`), function
/// calls, and plain or qualified column references.
fn parse_named(cursor: &mut Cursor) -> ParseResult<ExprKind> {
    let token = cursor.peek();
    if let (TokenKind::Word(word), TokenKind::Str(value)) = (&token.kind, &cursor.peek_nth(1).kind)
        && !is_reserved(word)
    {
        return typed_literal(cursor, word, value);
    }
    let name = cursor.identifier("an expression")?;
    if cursor.eat_punct(Punct::LParen).is_some() {
        return parse_call(cursor, name);
    }
    if cursor.at_punct(Punct::Period) && !cursor.peek_nth(1).is_punct(Punct::Star) {
        cursor.advance();
        let column = cursor.identifier("a column name after `.`")?;
        return Ok(ExprKind::Column {
            qualifier: Some(name),
            name: column,
        });
    }
    Ok(ExprKind::Column {
        qualifier: None,
        name,
    })
}

/// `type 'text'`: ksqlDB only accepts `DECIMAL '…'`.
fn typed_literal(cursor: &mut Cursor, word: &str, value: &str) -> ParseResult<ExprKind> {
    let start = cursor.start();
    let upper = word.to_uppercase();
    cursor.advance();
    let value_span = cursor.advance().span;
    let span = cursor.span_from(start);
    if upper != "DECIMAL" {
        let help = match upper.as_str() {
            "DATE" | "TIME" | "TIMESTAMP" => format!(
                "ksqlDB has no `{upper} '…'` literal; write `CAST('{value}' AS {upper})` or use a \
                 PARSE_{upper} function"
            ),
            _ => "only `DECIMAL '…'` is a typed literal in ksqlDB".to_string(),
        };
        return Err(
            Diagnostic::error(span, format!("unknown typed literal `{upper} '…'`")).with_help(help),
        );
    }
    match number_literal(value.trim(), value_span)? {
        Literal::Double(_) => Err(Diagnostic::error(
            value_span,
            format!("invalid DECIMAL literal '{value}'"),
        )),
        Literal::Int(n) => Ok(ExprKind::Literal(Literal::Decimal(n.to_string()))),
        Literal::BigInt(n) => Ok(ExprKind::Literal(Literal::Decimal(n.to_string()))),
        other => Ok(ExprKind::Literal(other)),
    }
}

fn parse_call(cursor: &mut Cursor, name: Ident) -> ParseResult<ExprKind> {
    if cursor.at_punct(Punct::Star) && cursor.peek_nth(1).is_punct(Punct::RParen) {
        cursor.advance();
        cursor.advance();
        return Ok(ExprKind::Function {
            name,
            args: Vec::new(),
            star: true,
        });
    }
    let args = if cursor.at_punct(Punct::RParen) {
        Vec::new()
    } else {
        cursor.comma_separated(parse_function_argument)?
    };
    cursor.expect_punct(Punct::RParen)?;
    Ok(ExprKind::Function {
        name,
        args,
        star: false,
    })
}

fn parse_case(cursor: &mut Cursor) -> ParseResult<ExprKind> {
    cursor.expect_keyword("CASE")?;
    let operand = if cursor.at_keyword("WHEN") {
        None
    } else {
        Some(Box::new(parse_expr(cursor)?))
    };
    let mut whens = Vec::new();
    while cursor.eat_keyword("WHEN").is_some() {
        let condition = parse_expr(cursor)?;
        cursor.expect_keyword("THEN")?;
        let result = parse_expr(cursor)?;
        whens.push((condition, result));
    }
    if whens.is_empty() {
        return Err(cursor.expected("`WHEN`"));
    }
    let else_result = match cursor.eat_keyword("ELSE") {
        Some(_) => Some(Box::new(parse_expr(cursor)?)),
        None => None,
    };
    if cursor.eat_keyword("END").is_none() {
        return Err(cursor.expected("`WHEN`, `ELSE` or `END` in `CASE`"));
    }
    Ok(ExprKind::Case {
        operand,
        whens,
        else_result,
    })
}

fn parse_cast(cursor: &mut Cursor) -> ParseResult<ExprKind> {
    cursor.expect_keyword("CAST")?;
    cursor.expect_punct(Punct::LParen)?;
    let expr = parse_expr(cursor)?;
    cursor.expect_keyword("AS")?;
    let data_type = parse_data_type(cursor)?;
    cursor.expect_punct(Punct::RParen)?;
    Ok(ExprKind::Cast {
        expr: Box::new(expr),
        data_type,
    })
}

fn parse_array(cursor: &mut Cursor) -> ParseResult<ExprKind> {
    cursor.advance();
    cursor.expect_punct(Punct::LBracket)?;
    let items = if cursor.at_punct(Punct::RBracket) {
        Vec::new()
    } else {
        cursor.comma_separated(parse_expr)?
    };
    cursor.expect_punct(Punct::RBracket)?;
    Ok(ExprKind::Array(items))
}

fn parse_map(cursor: &mut Cursor) -> ParseResult<ExprKind> {
    cursor.advance();
    cursor.expect_punct(Punct::LParen)?;
    let entries = if cursor.at_punct(Punct::RParen) {
        Vec::new()
    } else {
        cursor.comma_separated(|c| {
            let key = parse_expr(c)?;
            let compared = matches!(
                key.kind,
                ExprKind::Binary {
                    op: BinaryOp::Eq,
                    ..
                }
            );
            if compared && !c.at_punct(Punct::Assign) {
                return Err(
                    Diagnostic::error(key.span, "expected `key := value` in `MAP(…)`")
                        .with_help("map entries pair keys and values with `:=`, not `=`"),
                );
            }
            expect_assign(c, "map key")?;
            Ok((key, parse_expr(c)?))
        })?
    };
    cursor.expect_punct(Punct::RParen)?;
    Ok(ExprKind::Map(entries))
}

fn parse_struct(cursor: &mut Cursor) -> ParseResult<ExprKind> {
    cursor.advance();
    cursor.expect_punct(Punct::LParen)?;
    let fields = if cursor.at_punct(Punct::RParen) {
        Vec::new()
    } else {
        cursor.comma_separated(|c| {
            let name = c.identifier("a struct field name")?;
            expect_assign(c, "struct field name")?;
            Ok((name, parse_expr(c)?))
        })?
    };
    cursor.expect_punct(Punct::RParen)?;
    Ok(ExprKind::Struct(fields))
}

fn expect_assign(cursor: &mut Cursor, after: &str) -> ParseResult<()> {
    if cursor.eat_punct(Punct::Assign).is_some() {
        return Ok(());
    }
    let mut diagnostic = cursor.expected(&format!("`:=` after the {after}"));
    if cursor.at_punct(Punct::Eq) || cursor.at_punct(Punct::Comma) {
        diagnostic = diagnostic
            .with_help("constructors pair names and values with `:=`, as in `MAP('a' := 1)`");
    }
    Err(diagnostic)
}
