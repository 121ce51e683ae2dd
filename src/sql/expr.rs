//! Expression parsing with ksqlDB's precedence: `OR` < `AND` < `NOT` < one predicate
//! (comparison, `BETWEEN`, `IN`, `LIKE`, `IS [NOT] NULL`, `IS [NOT] DISTINCT FROM`) < `||` <
//! `+ -` < `* / %` < unary sign < `AT TIME ZONE` < postfix `[i]` and `->field` < primaries.
//! Every node gets the exact span of its text. It must not resolve names or check types.

use super::ast::{BinaryOp, Expr, ExprKind, Ident, Literal, TimeUnit, UnaryOp};
use super::cursor::{Cursor, ParseResult};
use super::diagnostic::{Diagnostic, Span};
use super::lexer::{Punct, TokenKind};

pub fn parse_expr(cursor: &mut Cursor) -> ParseResult<Expr> {
    cursor.descend()?;
    let result = parse_or(cursor);
    cursor.ascend();
    result
}

/// A value expression: arithmetic, concatenation and primaries, but no comparison or boolean
/// operator (ksqlDB's `GROUP BY` and `PARTITION BY` items).
pub fn parse_value_expr(cursor: &mut Cursor) -> ParseResult<Expr> {
    cursor.descend()?;
    let result = parse_value(cursor, 0);
    cursor.ascend();
    result
}

fn binary(op: BinaryOp, left: Expr, right: Expr) -> Expr {
    let span = left.span.to(right.span);
    Expr {
        kind: ExprKind::Binary {
            op,
            left: Box::new(left),
            right: Box::new(right),
        },
        span,
    }
}

fn parse_or(cursor: &mut Cursor) -> ParseResult<Expr> {
    let mut left = parse_and(cursor)?;
    while cursor.eat_keyword("OR").is_some() {
        let right = parse_and(cursor)?;
        left = binary(BinaryOp::Or, left, right);
    }
    Ok(left)
}

fn parse_and(cursor: &mut Cursor) -> ParseResult<Expr> {
    let mut left = parse_not(cursor)?;
    while cursor.eat_keyword("AND").is_some() {
        let right = parse_not(cursor)?;
        left = binary(BinaryOp::And, left, right);
    }
    Ok(left)
}

fn parse_not(cursor: &mut Cursor) -> ParseResult<Expr> {
    let start = cursor.start();
    if cursor.eat_keyword("NOT").is_some() {
        cursor.descend()?;
        let operand = parse_not(cursor);
        cursor.ascend();
        return Ok(Expr {
            kind: ExprKind::Unary {
                op: UnaryOp::Not,
                operand: Box::new(operand?),
            },
            span: cursor.span_from(start),
        });
    }
    parse_predicate(cursor)
}

fn comparison_op(punct: Punct) -> Option<BinaryOp> {
    Some(match punct {
        Punct::Eq => BinaryOp::Eq,
        Punct::NotEq => BinaryOp::NotEq,
        Punct::Lt => BinaryOp::Lt,
        Punct::LtEq => BinaryOp::LtEq,
        Punct::Gt => BinaryOp::Gt,
        Punct::GtEq => BinaryOp::GtEq,
        _ => return None,
    })
}

fn parse_predicate(cursor: &mut Cursor) -> ParseResult<Expr> {
    let start = cursor.start();
    let value = parse_value(cursor, 0)?;
    if let TokenKind::Punct(punct) = cursor.peek().kind
        && let Some(op) = comparison_op(punct)
    {
        cursor.advance();
        let right = parse_value(cursor, 0)?;
        return Ok(binary(op, value, right));
    }
    if cursor.eat_keyword("IS").is_some() {
        let negated = cursor.eat_keyword("NOT").is_some();
        if cursor.eat_keyword("NULL").is_some() {
            let kind = ExprKind::IsNull {
                expr: Box::new(value),
                negated,
            };
            return Ok(Expr {
                kind,
                span: cursor.span_from(start),
            });
        }
        if cursor.eat_keywords(&["DISTINCT", "FROM"]).is_some() {
            let right = parse_value(cursor, 0)?;
            let kind = ExprKind::IsDistinctFrom {
                left: Box::new(value),
                right: Box::new(right),
                negated,
            };
            return Ok(Expr {
                kind,
                span: cursor.span_from(start),
            });
        }
        return Err(cursor.expected("`NULL` or `DISTINCT FROM` after `IS`"));
    }
    let checkpoint = cursor.checkpoint();
    let negated = cursor.eat_keyword("NOT").is_some();
    let kind = if cursor.eat_keyword("BETWEEN").is_some() {
        let low = parse_value(cursor, 0)?;
        cursor.expect_keyword("AND")?;
        let high = parse_value(cursor, 0)?;
        ExprKind::Between {
            expr: Box::new(value),
            low: Box::new(low),
            high: Box::new(high),
            negated,
        }
    } else if cursor.eat_keyword("IN").is_some() {
        cursor.expect_punct(Punct::LParen)?;
        let list = cursor.comma_separated(parse_expr)?;
        cursor.expect_punct(Punct::RParen)?;
        ExprKind::InList {
            expr: Box::new(value),
            list,
            negated,
        }
    } else if cursor.eat_keyword("LIKE").is_some() {
        let pattern = parse_value(cursor, 0)?;
        let escape = parse_like_escape(cursor)?;
        ExprKind::Like {
            expr: Box::new(value),
            pattern: Box::new(pattern),
            escape,
            negated,
        }
    } else {
        cursor.restore(checkpoint);
        return Ok(value);
    };
    Ok(Expr {
        kind,
        span: cursor.span_from(start),
    })
}

fn parse_like_escape(cursor: &mut Cursor) -> ParseResult<Option<char>> {
    if cursor.eat_keyword("ESCAPE").is_none() {
        return Ok(None);
    }
    let escape = cursor.string_literal("an escape character string")?;
    let mut chars = escape.value.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Ok(Some(c)),
        _ => Err(Diagnostic::error(
            escape.span,
            "the `ESCAPE` string must be exactly one character",
        )),
    }
}

/// Binding power of the arithmetic and concatenation operators; higher binds tighter.
fn value_op(punct: Punct) -> Option<(BinaryOp, u8)> {
    Some(match punct {
        Punct::Concat => (BinaryOp::Concat, 1),
        Punct::Plus => (BinaryOp::Add, 2),
        Punct::Minus => (BinaryOp::Subtract, 2),
        Punct::Star => (BinaryOp::Multiply, 3),
        Punct::Slash => (BinaryOp::Divide, 3),
        Punct::Percent => (BinaryOp::Modulo, 3),
        _ => return None,
    })
}

/// Precedence climbing over the value operators, left-associative.
fn parse_value(cursor: &mut Cursor, min_power: u8) -> ParseResult<Expr> {
    let mut left = parse_unary(cursor)?;
    while let TokenKind::Punct(punct) = cursor.peek().kind {
        let Some((op, power)) = value_op(punct) else {
            break;
        };
        if power <= min_power {
            break;
        }
        cursor.advance();
        cursor.descend()?;
        let right = parse_value(cursor, power);
        cursor.ascend();
        left = binary(op, left, right?);
    }
    Ok(left)
}

fn parse_unary(cursor: &mut Cursor) -> ParseResult<Expr> {
    let start = cursor.start();
    let op = if cursor.eat_punct(Punct::Minus).is_some() {
        UnaryOp::Minus
    } else if cursor.eat_punct(Punct::Plus).is_some() {
        UnaryOp::Plus
    } else {
        return parse_at_time_zone(cursor);
    };
    if let TokenKind::Number(text) = &cursor.peek().kind
        && op == UnaryOp::Minus
    {
        // ksqlDB reads `-5` as one literal, so `-2147483648` is still an INT.
        let literal = number_literal(&format!("-{text}"), cursor.peek().span)?;
        cursor.advance();
        return Ok(Expr {
            kind: ExprKind::Literal(literal),
            span: cursor.span_from(start),
        });
    }
    cursor.descend()?;
    let operand = parse_unary(cursor);
    cursor.ascend();
    Ok(Expr {
        kind: ExprKind::Unary {
            op,
            operand: Box::new(operand?),
        },
        span: cursor.span_from(start),
    })
}

fn parse_at_time_zone(cursor: &mut Cursor) -> ParseResult<Expr> {
    let start = cursor.start();
    let mut expr = parse_postfix(cursor)?;
    while cursor.eat_keywords(&["AT", "TIME", "ZONE"]).is_some() {
        let zone = cursor.string_literal("a time zone string")?;
        expr = Expr {
            kind: ExprKind::AtTimeZone {
                expr: Box::new(expr),
                zone: zone.value,
            },
            span: cursor.span_from(start),
        };
    }
    Ok(expr)
}

fn parse_postfix(cursor: &mut Cursor) -> ParseResult<Expr> {
    let start = cursor.start();
    let mut expr = super::primary::parse_primary(cursor)?;
    loop {
        let kind = if cursor.eat_punct(Punct::LBracket).is_some() {
            let index = parse_value(cursor, 0)?;
            cursor.expect_punct(Punct::RBracket)?;
            ExprKind::Subscript {
                base: Box::new(expr),
                index: Box::new(index),
            }
        } else if cursor.at_punct(Punct::Arrow) && !cursor.peek_nth(1).is_punct(Punct::Star) {
            cursor.advance();
            let field = cursor.identifier("a field name after `->`")?;
            ExprKind::Dereference {
                base: Box::new(expr),
                field,
            }
        } else {
            return Ok(expr);
        };
        expr = Expr {
            kind,
            span: cursor.span_from(start),
        };
    }
}

/// Types a numeric literal the way ksqlDB does: whole numbers are INT when they fit in 32 bits
/// and BIGINT otherwise; a decimal point makes a DECIMAL; an exponent makes a DOUBLE.
pub fn number_literal(text: &str, span: Span) -> ParseResult<Literal> {
    // ksqlDB's `ParserUtil` messages, with the literal's text as written.
    let invalid = || Diagnostic::error(span, format!("Invalid numeric literal: {text}"));
    if text.contains(['e', 'E']) {
        let value: f64 = text.parse().map_err(|_| invalid())?;
        if !value.is_finite() {
            return Err(Diagnostic::error(
                span,
                format!("Number overflows DOUBLE: {text}"),
            ));
        }
        return Ok(Literal::Double(value));
    }
    if text.contains('.') {
        let digits = text.trim_start_matches('-');
        let valid = digits.chars().all(|c| c.is_ascii_digit() || c == '.')
            && digits.matches('.').count() == 1
            && digits.len() > 1;
        return if valid {
            Ok(Literal::Decimal(text.to_string()))
        } else {
            Err(invalid())
        };
    }
    let value: i64 = text.parse().map_err(|_| invalid())?;
    Ok(match i32::try_from(value) {
        Ok(small) => Literal::Int(small),
        Err(_) => Literal::BigInt(value),
    })
}

/// Time-unit words that ksqlDB reserves, so that alone as a function argument they name a
/// unit rather than a column (the singular `DAY`, `HOUR`, … stay usable as column names).
const RESERVED_UNITS: &[&str] = &[
    "MILLISECOND",
    "MILLISECONDS",
    "SECONDS",
    "MINUTES",
    "HOURS",
    "DAYS",
];

/// A function argument: a bare time unit (`SECONDS`), a lambda, or an expression.
pub fn parse_function_argument(cursor: &mut Cursor) -> ParseResult<Expr> {
    let token = cursor.peek();
    let ends_argument =
        cursor.peek_nth(1).is_punct(Punct::Comma) || cursor.peek_nth(1).is_punct(Punct::RParen);
    if let TokenKind::Word(word) = &token.kind
        && RESERVED_UNITS.contains(&word.to_uppercase().as_str())
        && let Some(unit) = TimeUnit::from_word(word)
        && ends_argument
    {
        cursor.advance();
        return Ok(Expr {
            kind: ExprKind::TimeUnit(unit),
            span: token.span,
        });
    }
    if let Some(lambda) = try_parse_lambda(cursor)? {
        return Ok(lambda);
    }
    parse_expr(cursor)
}

/// `x => body` or `(x, y) => body`; `None` (and nothing consumed) when the input is not a
/// lambda.
fn try_parse_lambda(cursor: &mut Cursor) -> ParseResult<Option<Expr>> {
    let start = cursor.start();
    let checkpoint = cursor.checkpoint();
    let params: Vec<Ident> =
        if cursor.at_identifier() && cursor.peek_nth(1).is_punct(Punct::FatArrow) {
            vec![cursor.identifier("a lambda parameter")?]
        } else if cursor.eat_punct(Punct::LParen).is_some() {
            let params = cursor.comma_separated(|c| c.identifier("a lambda parameter"));
            match params {
                Ok(params)
                    if cursor.eat_punct(Punct::RParen).is_some()
                        && cursor.at_punct(Punct::FatArrow) =>
                {
                    params
                }
                _ => {
                    cursor.restore(checkpoint);
                    return Ok(None);
                }
            }
        } else {
            return Ok(None);
        };
    cursor.expect_punct(Punct::FatArrow)?;
    let body = parse_expr(cursor)?;
    Ok(Some(Expr {
        kind: ExprKind::Lambda {
            params,
            body: Box::new(body),
        },
        span: cursor.span_from(start),
    }))
}
