//! The `SELECT` of a persistent query: projection, `FROM` and N-way joins, then the clauses in
//! ksqlDB's fixed order (`WINDOW`, `WHERE`, `GROUP BY`, `PARTITION BY`, `HAVING`, `EMIT`,
//! `LIMIT`). Window and join-window syntax lives in `window`. It must not decide whether a
//! query is valid for its sources (that is `analyze`).

use super::ast::{AliasedSource, Emit, Expr, Ident, Join, JoinKind, Query, SelectItem};
use super::cursor::{Cursor, ParseResult};
use super::diagnostic::{Diagnostic, suggest};
use super::expr::{parse_expr, parse_value_expr};
use super::lexer::{Punct, TokenKind};
use super::window::{parse_join_window, parse_window};

/// Words that end an item or a source, so they are never taken as an alias without `AS`.
const CLAUSE_WORDS: &[&str] = &[
    "FROM",
    "WINDOW",
    "WHERE",
    "GROUP",
    "PARTITION",
    "HAVING",
    "EMIT",
    "LIMIT",
    "JOIN",
    "INNER",
    "LEFT",
    "RIGHT",
    "FULL",
    "ON",
    "WITHIN",
];

/// The clauses after `FROM`, in the order ksqlDB requires them.
const CLAUSE_ORDER: &[&str] = &[
    "WINDOW",
    "WHERE",
    "GROUP BY",
    "PARTITION BY",
    "HAVING",
    "EMIT",
    "LIMIT",
];

pub fn parse_query(cursor: &mut Cursor) -> ParseResult<Query> {
    let start = cursor.start();
    cursor.expect_keyword("SELECT")?;
    let select = cursor.comma_separated(parse_select_item)?;
    if cursor.eat_keyword("FROM").is_none() {
        return Err(cursor
            .expected("`,` or `FROM` after the select list")
            .with_help("a persistent query reads from a stream or table: `SELECT … FROM source`"));
    }
    let from = parse_aliased_source(cursor)?;
    let mut joins = Vec::new();
    loop {
        let join_start = cursor.start();
        let Some(kind) = parse_join_kind(cursor)? else {
            break;
        };
        joins.push(parse_join(cursor, kind, join_start)?);
    }
    let mut query = Query {
        select,
        from,
        joins,
        window: None,
        where_clause: None,
        group_by: Vec::new(),
        partition_by: Vec::new(),
        having: None,
        emit: None,
        limit: None,
        span: cursor.span_from(start),
    };
    let mut next_clause = 0;
    while let Some(clause) = clause_at(cursor) {
        let Some(position) = CLAUSE_ORDER.iter().position(|c| *c == clause) else {
            break;
        };
        if position < next_clause {
            let later = CLAUSE_ORDER.get(next_clause - 1).copied().unwrap_or("");
            return Err(Diagnostic::error(
                cursor.peek().span,
                format!("`{clause}` must come before `{later}`"),
            )
            .with_help(format!(
                "ksqlDB's clause order is {}",
                CLAUSE_ORDER.join(", ")
            )));
        }
        next_clause = position + 1;
        parse_clause(cursor, clause, &mut query)?;
    }
    query.span = cursor.span_from(start);
    Ok(query)
}

/// The clause keyword at the cursor, if any.
fn clause_at(cursor: &Cursor) -> Option<&'static str> {
    let first = cursor.peek();
    let second = cursor.peek_nth(1);
    CLAUSE_ORDER
        .iter()
        .copied()
        .find(|clause| match clause.split_once(' ') {
            Some((a, b)) => first.is_keyword(a) && second.is_keyword(b),
            None => first.is_keyword(clause),
        })
}

fn parse_clause(cursor: &mut Cursor, clause: &str, query: &mut Query) -> ParseResult<()> {
    match clause {
        "WINDOW" => {
            cursor.advance();
            query.window = Some(parse_window(cursor)?);
        }
        "WHERE" => {
            cursor.advance();
            query.where_clause = Some(parse_expr(cursor)?);
        }
        "GROUP BY" => {
            cursor.advance();
            cursor.advance();
            query.group_by = parse_expression_list(cursor, "GROUP BY")?;
        }
        "PARTITION BY" => {
            cursor.advance();
            cursor.advance();
            query.partition_by = parse_expression_list(cursor, "PARTITION BY")?;
        }
        "HAVING" => {
            cursor.advance();
            query.having = Some(parse_expr(cursor)?);
        }
        "EMIT" => {
            cursor.advance();
            let token = cursor.peek();
            query.emit = Some(if cursor.eat_keyword("CHANGES").is_some() {
                Emit::Changes { span: token.span }
            } else if cursor.eat_keyword("FINAL").is_some() {
                Emit::Final { span: token.span }
            } else {
                return Err(cursor.expected("`CHANGES` or `FINAL` after `EMIT`"));
            });
        }
        _ => {
            cursor.advance();
            query.limit = Some(cursor.unsigned_integer("a row count after `LIMIT`")?);
        }
    }
    Ok(())
}

/// `GROUP BY` and `PARTITION BY` lists of value expressions: `a, b` or `(a, b)` or `()`.
fn parse_expression_list(cursor: &mut Cursor, clause: &str) -> ParseResult<Vec<Expr>> {
    if cursor.at_punct(Punct::LParen) {
        let checkpoint = cursor.checkpoint();
        cursor.advance();
        if cursor.eat_punct(Punct::RParen).is_some() {
            return Ok(Vec::new());
        }
        if let Ok(list) = cursor.comma_separated(parse_value_expr)
            && list.len() > 1
            && cursor.eat_punct(Punct::RParen).is_some()
        {
            return Ok(list);
        }
        cursor.restore(checkpoint);
    }
    let list = cursor.comma_separated(parse_value_expr)?;
    let comparison = matches!(
        cursor.peek().kind,
        TokenKind::Punct(
            Punct::Eq | Punct::NotEq | Punct::Lt | Punct::LtEq | Punct::Gt | Punct::GtEq
        )
    );
    let boolean_word = ["AND", "OR", "IS", "NOT", "IN", "LIKE", "BETWEEN"]
        .iter()
        .any(|word| cursor.at_keyword(word));
    if comparison || boolean_word {
        return Err(cursor
            .expected(&format!("`,` or the next clause after the `{clause}` list"))
            .with_help(format!(
                "`{clause}` takes expressions separated by `,`, as in `{clause} a, b`; conditions belong in `WHERE` or `HAVING`"
            )));
    }
    Ok(list)
}

fn parse_select_item(cursor: &mut Cursor) -> ParseResult<SelectItem> {
    let start = cursor.start();
    if let Some(span) = cursor.eat_punct(Punct::Star) {
        return Ok(SelectItem::Wildcard { span });
    }
    if cursor.at_identifier()
        && cursor.peek_nth(1).is_punct(Punct::Period)
        && cursor.peek_nth(2).is_punct(Punct::Star)
    {
        let qualifier = cursor.identifier("a source name")?;
        cursor.advance();
        cursor.advance();
        return Ok(SelectItem::QualifiedWildcard {
            qualifier,
            span: cursor.span_from(start),
        });
    }
    let expr = parse_expr(cursor)?;
    if cursor.at_punct(Punct::Arrow) && cursor.peek_nth(1).is_punct(Punct::Star) {
        cursor.advance();
        cursor.advance();
        return Ok(SelectItem::StructWildcard {
            base: expr,
            span: cursor.span_from(start),
        });
    }
    let alias = parse_optional_alias(cursor)?;
    Ok(SelectItem::Expr {
        expr,
        alias,
        span: cursor.span_from(start),
    })
}

/// `AS name`, or a bare name that is not a clause keyword.
fn parse_optional_alias(cursor: &mut Cursor) -> ParseResult<Option<Ident>> {
    if cursor.eat_keyword("AS").is_some() {
        return cursor.identifier("an alias after `AS`").map(Some);
    }
    let is_clause_word = matches!(&cursor.peek().kind,
        TokenKind::Word(w) if CLAUSE_WORDS.contains(&w.to_uppercase().as_str()));
    if cursor.at_identifier() && !is_clause_word {
        return cursor.identifier("an alias").map(Some);
    }
    Ok(None)
}

fn parse_aliased_source(cursor: &mut Cursor) -> ParseResult<AliasedSource> {
    let start = cursor.start();
    if cursor.at_punct(Punct::LParen) || cursor.at_keyword("SELECT") {
        return Err(cursor.expected("a stream or table name").with_help(
            "ksqlDB does not support subqueries; create an intermediate stream instead",
        ));
    }
    let name = cursor.identifier("a stream or table name")?;
    let alias = parse_optional_alias(cursor)?;
    Ok(AliasedSource {
        name,
        alias,
        span: cursor.span_from(start),
    })
}

/// The join keywords at the cursor, consumed, or `None` when no join follows.
fn parse_join_kind(cursor: &mut Cursor) -> ParseResult<Option<JoinKind>> {
    let kind = if cursor.eat_keyword("JOIN").is_some() {
        return Ok(Some(JoinKind::Inner));
    } else if cursor.eat_keyword("INNER").is_some() {
        JoinKind::Inner
    } else if cursor.eat_keyword("LEFT").is_some() {
        JoinKind::Left
    } else if cursor.eat_keyword("RIGHT").is_some() {
        JoinKind::Right
    } else if cursor.eat_keyword("FULL").is_some() {
        JoinKind::Full
    } else {
        return Ok(None);
    };
    if kind != JoinKind::Inner {
        cursor.eat_keyword("OUTER");
    }
    if cursor.eat_keyword("JOIN").is_none() {
        let mut diagnostic = cursor.expected("`JOIN`");
        if cursor.at_keyword("CROSS") || cursor.at_keyword("OUTER") {
            diagnostic = diagnostic.with_help("ksqlDB supports INNER, LEFT, RIGHT and FULL joins");
        }
        return Err(diagnostic);
    }
    Ok(Some(kind))
}

fn parse_join(cursor: &mut Cursor, kind: JoinKind, start: usize) -> ParseResult<Join> {
    let source = parse_aliased_source(cursor)?;
    let within = if cursor.eat_keyword("WITHIN").is_some() {
        Some(parse_join_window(cursor)?)
    } else {
        None
    };
    if cursor.eat_keyword("ON").is_none() {
        let close = match &cursor.peek().kind {
            TokenKind::Word(word) => suggest(word, ["ON", "WITHIN"]),
            _ => None,
        };
        let help = match close {
            Some(close) => format!("did you mean `{close}`?"),
            None => "every join needs a condition, as in `JOIN other ON s.id = other.id`".into(),
        };
        return Err(cursor.expected("`ON` and a join condition").with_help(help));
    }
    let on = parse_expr(cursor)?;
    Ok(Join {
        kind,
        source,
        within,
        on,
        span: cursor.span_from(start),
    })
}
