//! Unit tests of the whole parser, construct by construct. Rendered error texts are asserted
//! verbatim in `error_tests`; random-input robustness lives in `robustness_tests`.

mod constructs;
mod errors;
mod robustness;

use super::*;

/// Parses a file that must be valid and returns its statements.
fn parse_ok(source: &str) -> Vec<Statement> {
    match parse_file(source) {
        Ok(statements) => statements,
        Err(diagnostics) => panic!("{}", render_all(&diagnostics, source, "test.sql")),
    }
}

/// The single query of a one-statement `CREATE … AS SELECT` file.
fn query_of(source: &str) -> Query {
    match parse_ok(source).remove(0).kind {
        StatementKind::CreateAsSelect(csas) => csas.query,
        StatementKind::InsertInto(insert) => insert.query,
        other => panic!("not a query: {other:?}"),
    }
}

/// The expression of the first select item of `SELECT <expr> FROM S`.
fn expr_of(expression: &str) -> Expr {
    let query = query_of(&format!("CREATE STREAM O AS SELECT {expression} FROM S;"));
    match query.select.into_iter().next() {
        Some(SelectItem::Expr { expr, .. }) => expr,
        other => panic!("not an expression item: {other:?}"),
    }
}

/// Renders all errors of an invalid file.
fn render_errors(source: &str) -> String {
    match parse_file(source) {
        Ok(statements) => panic!("expected errors, parsed {statements:?}"),
        Err(diagnostics) => render_all(&diagnostics, source, "app.sql"),
    }
}
