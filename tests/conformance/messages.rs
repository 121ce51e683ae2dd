//! Whether weir's message for a case that expects an exception is ksqlDB's, and, when it is
//! not, whether the difference is by design.
//!
//! ksqlDB's harness (`KsqlExpectedException.expectMessage`) checks that the exception's
//! message *contains* the expected text, and so does the runner. ksqlDB's message often wraps
//! its text in a frame that says where and in which phase it was raised; weir says the same
//! with its own rendering (`path:line:col`, the source line and a caret), which the runner
//! does not see (it reads each diagnostic's message alone). So the runner reads ksqlDB's frame
//! off the expected text and compares what is inside it:
//!
//! - the phase prefixes `Failed to prepare statement: ` (`DefaultKsqlParser.prepare`) and
//!   `Exception while preparing statement: ` (`EngineContext.prepare`);
//! - the location prefix `Line: L, Col: C: ` (`NodeLocation.asPrefix`): weir's diagnostic
//!   must then start at line L, column C of the file (ksqlDB numbers the lines of the whole
//!   script, each statement on its own line, as the runner joins them);
//! - the location prefix `line L:C: ` of a `ParsingException` raised by ksqlDB's AST builder:
//!   it is built from a node's 1-based column and adds one to it, so weir's diagnostic must
//!   start at line L, column C − 1;
//! - the suffix `\nStatement: …` (`KsqlStatementException`), ksqlDB's echo of the statement,
//!   which weir renders as the source line under the message.
//!
//! A message that still differs is **by design** when one of two rules says so, and
//! **other** otherwise:
//!
//! - *refused statement*: weir refuses the statement in a queries file (its parser's "is not
//!   allowed in a queries file": `ASSERT`, `RUN SCRIPT`, `DROP`, `INSERT … VALUES`, `ALTER`),
//!   before the check whose message ksqlDB gives could run;
//! - *syntax error*: weir's parser rejects the text and ksqlDB's expected text is its
//!   parser's syntax error (ANTLR's "Syntax Error", "mismatched input …", "missing … at",
//!   "Expecting {…}" token lists, or "Syntax error at or near"): weir's parser names what it
//!   expected in its own words rather than ANTLR's generated token sets.

use weir::sql::LineColumn;

/// Why weir's message for a case is not ksqlDB's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mismatch {
    /// weir refuses the statement in a queries file before ksqlDB's check could run.
    RefusedStatement,
    /// A syntax error, where ksqlDB gives ANTLR's token lists and weir its own words.
    SyntaxError,
    /// Anything else: a message still to align.
    Other,
}

impl Mismatch {
    pub fn label(self) -> &'static str {
        match self {
            Mismatch::RefusedStatement => "refused statement (by design)",
            Mismatch::SyntaxError => "syntax error (by design)",
            Mismatch::Other => "other",
        }
    }

    pub fn by_design(self) -> bool {
        self != Mismatch::Other
    }
}

/// Whether weir's `actual` message, raised at `at` (when weir's diagnostic has a position),
/// is ksqlDB's `expected` one: contained in it, or contained once ksqlDB's frame is read off
/// (see the module doc), with the frame's location matching `at`.
pub fn matches(expected: &str, actual: &str, at: Option<LineColumn>) -> bool {
    if actual.contains(expected) {
        return true;
    }
    let (inner, location) = unframe(expected);
    actual.contains(inner) && location.is_none_or(|want| at == Some(want))
}

/// ksqlDB's text inside its frame, and the position the frame names.
fn unframe(expected: &str) -> (&str, Option<LineColumn>) {
    let mut text = expected;
    if let Some(i) = text.find("\nStatement: ") {
        text = &text[..i];
    }
    for prefix in [
        "Failed to prepare statement: ",
        "Exception while preparing statement: ",
    ] {
        text = text.strip_prefix(prefix).unwrap_or(text);
    }
    if let Some((rest, line, column)) = location_prefix(text, "Line: ", ", Col: ") {
        return (rest, Some(LineColumn { line, column }));
    }
    if let Some((rest, line, column)) = location_prefix(text, "line ", ":") {
        let column = column.saturating_sub(1).max(1);
        return (rest, Some(LineColumn { line, column }));
    }
    (text, None)
}

/// `text` after a `<head>L<middle>C: ` prefix, with L and C.
fn location_prefix<'a>(text: &'a str, head: &str, middle: &str) -> Option<(&'a str, usize, usize)> {
    let rest = text.strip_prefix(head)?;
    let (line, rest) = rest.split_once(middle)?;
    let (column, rest) = rest.split_once(": ")?;
    Some((rest, line.parse().ok()?, column.parse().ok()?))
}

/// The texts of ksqlDB's parser's syntax errors (ANTLR's and `SyntaxErrorListener`'s).
const SYNTAX_ERROR_TEXTS: &[&str] = &[
    "Syntax Error",
    "Syntax error at or near",
    "mismatched input",
    "extraneous input",
    "no viable alternative",
    "Expecting {",
];

/// Why `actual` is not ksqlDB's `expected`; `parse_failed` says whether weir's parser
/// rejects the case's statements.
pub fn classify(expected: &str, actual: &str, parse_failed: bool) -> Mismatch {
    if actual.contains("is not allowed in a queries file") {
        Mismatch::RefusedStatement
    } else if parse_failed && SYNTAX_ERROR_TEXTS.iter().any(|t| expected.contains(t)) {
        Mismatch::SyntaxError
    } else {
        Mismatch::Other
    }
}
