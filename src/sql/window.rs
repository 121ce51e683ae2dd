//! Time windows: `WINDOW TUMBLING|HOPPING|SESSION (…)` on aggregations and `WITHIN …` on
//! stream-stream joins, with every duration normalised to milliseconds. It must not check that
//! a window fits the query (that is `analyze`).

use super::ast::{Duration, JoinWindow, TimeUnit, WindowClause, WindowKind};
use super::cursor::{Cursor, ParseResult};
use super::diagnostic::{Diagnostic, suggest};
use super::lexer::{Punct, TokenKind};

const WINDOW_TYPES: &[&str] = &["TUMBLING", "HOPPING", "SESSION"];
const UNITS: &[&str] = &[
    "MILLISECONDS",
    "SECONDS",
    "MINUTES",
    "HOURS",
    "DAYS",
    "MILLISECOND",
    "SECOND",
    "MINUTE",
    "HOUR",
    "DAY",
];

/// After `WINDOW`: `[name] TUMBLING|HOPPING|SESSION ( … )`.
pub fn parse_window(cursor: &mut Cursor) -> ParseResult<WindowClause> {
    let start = cursor.start();
    // ksqlDB allows (and ignores) a window name before the type.
    let named = WINDOW_TYPES
        .iter()
        .any(|t| cursor.peek_nth(1).is_keyword(t))
        && matches!(cursor.peek().kind, TokenKind::Word(_));
    if named {
        cursor.advance();
    }
    let token = cursor.peek();
    let window_type = match token.keyword() {
        Some(word) if WINDOW_TYPES.contains(&word.as_str()) => word,
        _ => {
            let mut diagnostic = cursor.expected("a window type (TUMBLING, HOPPING or SESSION)");
            if let Some(close) = token
                .keyword()
                .and_then(|word| suggest(&word, WINDOW_TYPES.iter().copied()))
            {
                diagnostic = diagnostic.with_help(format!("did you mean `{close}`?"));
            }
            return Err(diagnostic);
        }
    };
    cursor.advance();
    cursor.expect_punct(Punct::LParen)?;
    let kind = match window_type.as_str() {
        "TUMBLING" => {
            cursor.expect_keyword("SIZE")?;
            WindowKind::Tumbling {
                size: parse_duration(cursor)?,
            }
        }
        "HOPPING" => {
            cursor.expect_keyword("SIZE")?;
            let size = parse_duration(cursor)?;
            if cursor.eat_punct(Punct::Comma).is_none() || cursor.at_punct(Punct::RParen) {
                return Err(cursor
                    .expected("`, ADVANCE BY`")
                    .with_help("a hopping window needs both a size and an advance: `HOPPING (SIZE 1 MINUTE, ADVANCE BY 10 SECONDS)`"));
            }
            if cursor.eat_keywords(&["ADVANCE", "BY"]).is_none() {
                return Err(cursor.expected("`ADVANCE BY`"));
            }
            WindowKind::Hopping {
                size,
                advance: parse_duration(cursor)?,
            }
        }
        _ => WindowKind::Session {
            gap: parse_duration(cursor)?,
        },
    };
    let mut retention = None;
    let mut grace = None;
    while cursor.eat_punct(Punct::Comma).is_some() {
        if cursor.eat_keyword("RETENTION").is_some() && retention.is_none() && grace.is_none() {
            retention = Some(parse_duration(cursor)?);
        } else if cursor.eat_keywords(&["GRACE", "PERIOD"]).is_some() && grace.is_none() {
            grace = Some(parse_duration(cursor)?);
        } else {
            return Err(cursor.expected("`RETENTION` or `GRACE PERIOD`").with_help(
                "window options come in the order RETENTION, then GRACE PERIOD, each at most once",
            ));
        }
    }
    if !cursor.at_punct(Punct::RParen) {
        return Err(cursor.expected("`,` or `)` in the window definition"));
    }
    cursor.advance();
    Ok(WindowClause {
        kind,
        retention,
        grace,
        span: cursor.span_from(start),
    })
}

/// After `WITHIN`: `n unit` or `(n unit, n unit)`, then an optional `GRACE PERIOD n unit`.
pub fn parse_join_window(cursor: &mut Cursor) -> ParseResult<JoinWindow> {
    let start = cursor.start();
    let (before, after) = if cursor.eat_punct(Punct::LParen).is_some() {
        let before = parse_duration(cursor)?;
        cursor.expect_punct(Punct::Comma)?;
        let after = parse_duration(cursor)?;
        cursor.expect_punct(Punct::RParen)?;
        (before, after)
    } else {
        let size = parse_duration(cursor)?;
        (size, size)
    };
    let grace = match cursor.eat_keywords(&["GRACE", "PERIOD"]) {
        Some(_) => Some(parse_duration(cursor)?),
        None => None,
    };
    Ok(JoinWindow {
        before,
        after,
        grace,
        span: cursor.span_from(start),
    })
}

/// `n unit`, e.g. `5 MINUTES`.
pub fn parse_duration(cursor: &mut Cursor) -> ParseResult<Duration> {
    let start = cursor.start();
    let (amount, amount_span) = cursor.unsigned_integer("a duration such as `5 MINUTES`")?;
    let token = cursor.peek();
    let unit = match &token.kind {
        TokenKind::Word(word) => TimeUnit::from_word(word),
        _ => None,
    };
    let Some(unit) = unit else {
        let mut diagnostic =
            cursor.expected("a time unit (MILLISECONDS, SECONDS, MINUTES, HOURS or DAYS)");
        if let Some(close) = token
            .keyword()
            .and_then(|w| suggest(&w, UNITS.iter().copied()))
        {
            diagnostic = diagnostic.with_help(format!("did you mean `{close}`?"));
        }
        return Err(diagnostic);
    };
    cursor.advance();
    let span = cursor.span_from(start);
    let millis = amount.checked_mul(unit.millis()).ok_or_else(|| {
        Diagnostic::error(
            amount_span.to(span),
            "duration is too long to count in milliseconds",
        )
    })?;
    Ok(Duration { millis, span })
}
