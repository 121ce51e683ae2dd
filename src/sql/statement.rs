//! Statement heads: `SET`, `UNSET`, `CREATE [OR REPLACE] [SOURCE] STREAM|TABLE`, `CREATE … AS
//! SELECT`, `CREATE TYPE` and `INSERT INTO … SELECT`, and the rejection (with a reason) of
//! every other ksqlDB statement, which has no place in a headless queries file. It must not
//! parse expressions or queries itself; it hands those to `expr` and `select`.

use super::ast::{
    ColumnConstraint, CreateAsSelect, CreateSource, CreateType, InsertInto, SourceKind, Statement,
    StatementKind, TableElement,
};
use super::cursor::{Cursor, ParseResult};
use super::diagnostic::{Diagnostic, Span, suggest};
use super::lexer::{Punct, TokenKind};
use super::properties::parse_optional_with;
use super::select::parse_query;
use super::types::parse_data_type;

/// Words that can start a statement of a queries file.
pub const STATEMENT_STARTS: &[&str] = &["CREATE", "INSERT", "SET", "UNSET"];

/// Statements ksqlDB has that a queries file cannot hold.
const REJECTED_STARTS: &[&str] = &[
    "DROP",
    "TERMINATE",
    "SELECT",
    "DESCRIBE",
    "SHOW",
    "LIST",
    "PRINT",
    "ASSERT",
    "EXPLAIN",
    "PAUSE",
    "RESUME",
    "ALTER",
    "DEFINE",
    "UNDEFINE",
    "RUN",
];

const QUERIES_FILE_HELP: &str = "a headless queries file holds only persistent queries \
(`CREATE STREAM|TABLE … AS SELECT`, `INSERT INTO … SELECT`) and the streams, tables, types \
and properties they use";

pub fn parse_statement(cursor: &mut Cursor) -> ParseResult<Statement> {
    let start = cursor.start();
    let token = cursor.peek();
    let word = token.keyword().unwrap_or_default();
    let kind = match word.as_str() {
        "SET" => {
            cursor.advance();
            let name =
                cursor.string_literal("a quoted property name, as in `SET 'name' = 'value'`")?;
            cursor.expect_punct(Punct::Eq)?;
            let value = cursor.string_literal("a quoted property value")?;
            StatementKind::SetProperty { name, value }
        }
        "UNSET" => {
            cursor.advance();
            let name = cursor.string_literal("a quoted property name, as in `UNSET 'name'`")?;
            StatementKind::UnsetProperty { name }
        }
        "CREATE" => parse_create(cursor)?,
        "INSERT" => parse_insert(cursor)?,
        _ if REJECTED_STARTS.contains(&word.as_str()) => return Err(rejected(cursor)),
        _ => {
            let mut diagnostic = cursor.expected("a statement");
            diagnostic = match suggest(&word, STATEMENT_STARTS.iter().copied()) {
                Some(close) if !word.is_empty() => {
                    diagnostic.with_help(format!("did you mean `{close}`?"))
                }
                _ => diagnostic.with_help(QUERIES_FILE_HELP),
            };
            return Err(diagnostic);
        }
    };
    Ok(Statement {
        kind,
        span: cursor.span_from(start),
    })
}

fn parse_create(cursor: &mut Cursor) -> ParseResult<StatementKind> {
    let create = cursor.advance().span;
    let or_replace = cursor.eat_keywords(&["OR", "REPLACE"]).is_some();
    if cursor.at_keyword("TYPE") && !or_replace {
        cursor.advance();
        let if_not_exists = cursor.eat_keywords(&["IF", "NOT", "EXISTS"]).is_some();
        let name = cursor.identifier("a type name")?;
        cursor.expect_keyword("AS")?;
        let data_type = parse_data_type(cursor)?;
        return Ok(StatementKind::CreateType(CreateType {
            if_not_exists,
            name,
            data_type,
        }));
    }
    let is_source = cursor.at_keyword("SOURCE") && !cursor.peek_nth(1).is_keyword("CONNECTOR");
    if is_source {
        cursor.advance();
    }
    let connector = cursor.at_keyword("SINK") || cursor.at_keyword("SOURCE");
    if connector && cursor.peek_nth(1).is_keyword("CONNECTOR") {
        cursor.advance();
        cursor.advance();
        let head = Span::new(create.start, cursor.prev_end());
        return Err(not_allowed(head, "CREATE CONNECTOR")
            .with_help("connectors are managed by Kafka Connect, not by weir; create them there"));
    }
    let kind = if cursor.eat_keyword("STREAM").is_some() {
        SourceKind::Stream
    } else if cursor.eat_keyword("TABLE").is_some() {
        SourceKind::Table
    } else {
        let mut diagnostic = cursor.expected("`STREAM`, `TABLE` or `TYPE` after `CREATE`");
        if let Some(close) = cursor
            .peek()
            .keyword()
            .and_then(|w| suggest(&w, ["STREAM", "TABLE", "TYPE"]))
        {
            diagnostic = diagnostic.with_help(format!("did you mean `{close}`?"));
        }
        return Err(diagnostic);
    };
    let if_not_exists = cursor.eat_keywords(&["IF", "NOT", "EXISTS"]).is_some();
    let name = cursor.identifier("a stream or table name")?;
    let elements_start = cursor.start();
    let elements = if cursor.eat_punct(Punct::LParen).is_some() {
        let elements = cursor.comma_separated(parse_table_element)?;
        if !cursor.at_punct(Punct::RParen) {
            return Err(cursor.expected("`,` or `)` in the column list"));
        }
        cursor.advance();
        Some(elements)
    } else {
        None
    };
    let properties = parse_optional_with(cursor)?;
    let Some(as_span) = cursor.eat_keyword("AS") else {
        return Ok(StatementKind::CreateSource(CreateSource {
            kind,
            or_replace,
            is_source,
            if_not_exists,
            name,
            elements,
            properties,
        }));
    };
    if elements.is_some() {
        return Err(Diagnostic::error(
            cursor.span_from(elements_start),
            "`CREATE … AS SELECT` cannot declare columns",
        )
        .with_help("the columns come from the query; remove the column list"));
    }
    if is_source {
        return Err(
            Diagnostic::error(as_span, "`CREATE SOURCE … AS SELECT` is not allowed")
                .with_help("a SOURCE stream or table is read-only and cannot be fed by a query"),
        );
    }
    let query = parse_query(cursor)?;
    Ok(StatementKind::CreateAsSelect(CreateAsSelect {
        kind,
        or_replace,
        if_not_exists,
        name,
        properties,
        query,
    }))
}

fn parse_table_element(cursor: &mut Cursor) -> ParseResult<TableElement> {
    let start = cursor.start();
    let name = cursor.identifier("a column name")?;
    let data_type = parse_data_type(cursor)?;
    let constraint_start = cursor.start();
    let constraint = if cursor.eat_keywords(&["PRIMARY", "KEY"]).is_some() {
        Some(ColumnConstraint::PrimaryKey {
            span: cursor.span_from(constraint_start),
        })
    } else if let Some(span) = cursor.eat_keyword("KEY") {
        Some(ColumnConstraint::Key { span })
    } else if let Some(span) = cursor.eat_keyword("HEADERS") {
        Some(ColumnConstraint::Headers { span })
    } else if cursor.eat_keyword("HEADER").is_some() {
        cursor.expect_punct(Punct::LParen)?;
        let key = cursor.string_literal("a quoted header key")?;
        cursor.expect_punct(Punct::RParen)?;
        Some(ColumnConstraint::Header {
            key,
            span: cursor.span_from(constraint_start),
        })
    } else {
        None
    };
    Ok(TableElement {
        name,
        data_type,
        constraint,
        span: cursor.span_from(start),
    })
}

fn parse_insert(cursor: &mut Cursor) -> ParseResult<StatementKind> {
    let insert = cursor.advance().span;
    cursor.expect_keyword("INTO")?;
    let target = cursor.identifier("a stream name")?;
    if cursor.at_punct(Punct::LParen) || cursor.at_keyword("VALUES") {
        return Err(not_allowed(insert.to(target.span), "INSERT INTO … VALUES").with_help(
            "a queries file holds persistent queries only; produce the rows to the topic instead",
        ));
    }
    let properties = parse_optional_with(cursor)?;
    if !cursor.at_keyword("SELECT") {
        return Err(cursor.expected("`SELECT` after `INSERT INTO` and the stream name"));
    }
    let query = parse_query(cursor)?;
    Ok(StatementKind::InsertInto(InsertInto {
        target,
        properties,
        query,
    }))
}

/// A ksqlDB statement that has no place in a queries file, named by its leading keywords.
fn rejected(cursor: &mut Cursor) -> Diagnostic {
    let first = cursor.advance();
    let mut head = first.keyword().unwrap_or_default();
    let mut span = first.span;
    let second_words: &[&str] = match head.as_str() {
        "DROP" => &["STREAM", "TABLE", "TYPE", "CONNECTOR"],
        "SHOW" | "LIST" | "DESCRIBE" | "ALTER" => &[
            "STREAMS",
            "TABLES",
            "QUERIES",
            "TOPICS",
            "PROPERTIES",
            "FUNCTIONS",
            "TYPES",
            "STREAM",
            "TABLE",
            "FUNCTION",
            "CONNECTORS",
            "VARIABLES",
            "SYSTEM",
        ],
        "ASSERT" => &[
            "TOPIC", "SCHEMA", "NOT", "VALUES", "STREAM", "TABLE", "NULL",
        ],
        _ => &[],
    };
    let next = cursor.peek();
    if let Some(word) = next
        .keyword()
        .filter(|w| second_words.contains(&w.as_str()))
    {
        head = format!("{head} {word}");
        span = span.to(next.span);
    }
    let help = match head.as_str() {
        "SELECT" => format!(
            "a bare `SELECT` is a transient push query; to run it persistently write \
             `CREATE STREAM name AS SELECT …`; {QUERIES_FILE_HELP}"
        ),
        "DROP STREAM" | "DROP TABLE" | "DROP TYPE" | "TERMINATE" => format!(
            "to remove a query or source, delete its statement from the file and re-lock; \
             {QUERIES_FILE_HELP}"
        ),
        _ => QUERIES_FILE_HELP.to_string(),
    };
    not_allowed(span, &head).with_help(help)
}

fn not_allowed(span: Span, head: &str) -> Diagnostic {
    Diagnostic::error(span, format!("`{head}` is not allowed in a queries file"))
}

/// Whether the token could begin a new statement (used to diagnose a missing `;`).
pub fn starts_statement(kind: &TokenKind) -> bool {
    match kind {
        TokenKind::Word(w) => {
            let upper = w.to_uppercase();
            STATEMENT_STARTS.contains(&upper.as_str()) || REJECTED_STARTS.contains(&upper.as_str())
        }
        _ => false,
    }
}
