//! The ksqlDB dialect front end: turns the text of a queries file into statements with
//! source spans. sqlparser's tokenizer, driven by a ksqlDB dialect, does the lexing; a
//! recursive-descent layer on its tokens parses the ksqlDB statement heads (`CREATE STREAM …
//! WITH (…)`), the persistent query (`WINDOW`, `WITHIN`, `EMIT`, `PARTITION BY`) and ksqlDB's
//! expression grammar (`->`, lambdas, `MAP(k := v)`), so that every node has an exact span and
//! every error points at its text. It reports all errors of a file in one run. It does not
//! resolve names or types (that is `analyze`) and must not expose sqlparser's types.

pub mod ast;
mod cursor;
pub mod diagnostic;
mod expr;
mod lexer;
mod primary;
pub mod properties;
mod select;
mod statement;
mod types;
mod window;

#[cfg(test)]
mod tests;

pub use ast::*;
pub use diagnostic::{Diagnostic, LineColumn, Span, edit_distance, render_all, suggest};
pub use properties::KNOWN_PROPERTIES;
pub use types::BUILT_IN_TYPE_NAMES;

use cursor::Cursor;
use lexer::Punct;

/// The error of this layer: every problem found in a queries file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{} error(s) in the queries file", .diagnostics.len())]
pub struct ParseError {
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses a whole queries file. On failure returns every error found: after an error the
/// parser resumes at the next `;`, so one run reports all broken statements. The last
/// statement may omit its `;`.
pub fn parse_file(source: &str) -> Result<Vec<Statement>, Vec<Diagnostic>> {
    let (tokens, lexical_error) = lexer::tokenize(source);
    let mut cursor = Cursor::new(&tokens);
    let mut statements = Vec::new();
    let mut diagnostics = Vec::new();
    loop {
        while cursor.eat_punct(Punct::Semicolon).is_some() {}
        if cursor.at_eof() {
            break;
        }
        cursor.reset_depth();
        match statement::parse_statement(&mut cursor) {
            Ok(parsed) => {
                diagnostics.extend(cursor.take_reported());
                statements.push(parsed);
                if cursor.eat_punct(Punct::Semicolon).is_some() || cursor.at_eof() {
                    continue;
                }
                diagnostics.push(missing_semicolon(&cursor));
                if !statement::starts_statement(&cursor.peek().kind) {
                    cursor.skip_statement();
                }
            }
            Err(diagnostic) => {
                diagnostics.extend(cursor.take_reported());
                diagnostics.push(diagnostic);
                cursor.skip_statement();
            }
        }
    }
    if let Some(lexical) = lexical_error {
        // The tokens stop at a lexical error; what the parser says about that cut is noise.
        diagnostics.retain(|d| d.span.start < lexical.span.start);
        diagnostics.push(lexical);
    }
    diagnostics.sort_by_key(|d| d.span.start);
    if diagnostics.is_empty() {
        Ok(statements)
    } else {
        Err(diagnostics)
    }
}

/// Like [`parse_file`], with the layer's `thiserror` error type.
pub fn parse(source: &str) -> Result<Vec<Statement>, ParseError> {
    parse_file(source).map_err(|diagnostics| ParseError { diagnostics })
}

fn missing_semicolon(cursor: &Cursor) -> Diagnostic {
    let next = cursor.peek();
    if statement::starts_statement(&next.kind) {
        let end = cursor.prev_end();
        Diagnostic::error(
            Span::new(end, end),
            format!(
                "missing `;` before the next statement ({})",
                next.describe()
            ),
        )
        .with_help("end every statement with `;`")
    } else {
        cursor.expected("`;` at the end of the statement")
    }
}
