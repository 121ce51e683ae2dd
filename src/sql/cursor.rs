//! The token cursor every parsing module drives: lookahead, keyword and punctuation matching,
//! identifiers under ksqlDB's case rules, and "expected X, found Y" diagnostics with the span
//! of the offending token. It also collects recoverable errors (such as an unknown property)
//! so a statement can be checked to its end. It must not know any statement's grammar.

use super::ast::{Ident, StringLit};
use super::diagnostic::{Diagnostic, Span};
use super::lexer::{Punct, Tok, TokenKind};

pub type ParseResult<T> = Result<T, Diagnostic>;

/// Words that cannot be used as unquoted identifiers because they start or separate clauses.
/// (ksqlDB reserves more; this list only holds those whose use as a name would be ambiguous
/// in weir's grammar.)
const RESERVED: &[&str] = &[
    "AND", "AS", "BETWEEN", "BY", "CASE", "CAST", "CREATE", "ELSE", "END", "FALSE", "FROM", "FULL",
    "GROUP", "HAVING", "IN", "INNER", "INSERT", "IS", "JOIN", "LEFT", "LIKE", "LIMIT", "NOT",
    "NULL", "ON", "OR", "OUTER", "RIGHT", "SELECT", "THEN", "TRUE", "WHEN", "WHERE", "WINDOW",
    "WITH", "WITHIN",
];

/// Maximum nesting of expressions and types, so hostile input cannot overflow the stack.
const MAX_DEPTH: usize = 64;

static END_OF_INPUT: Tok = Tok {
    kind: TokenKind::Eof,
    span: Span { start: 0, end: 0 },
};

pub struct Cursor<'t> {
    tokens: &'t [Tok],
    pos: usize,
    depth: usize,
    recoverable: Vec<Diagnostic>,
}

/// A saved cursor position to backtrack to.
#[derive(Clone, Copy)]
pub struct Checkpoint {
    pos: usize,
    errors: usize,
}

impl<'t> Cursor<'t> {
    /// `tokens` must end with an `Eof` token (as [`super::lexer::tokenize`] guarantees).
    pub fn new(tokens: &'t [Tok]) -> Self {
        Cursor {
            tokens,
            pos: 0,
            depth: 0,
            recoverable: Vec::new(),
        }
    }

    pub fn peek(&self) -> &'t Tok {
        self.peek_nth(0)
    }

    pub fn peek_nth(&self, n: usize) -> &'t Tok {
        let index = self
            .pos
            .saturating_add(n)
            .min(self.tokens.len().saturating_sub(1));
        self.tokens.get(index).unwrap_or(&END_OF_INPUT)
    }

    pub fn advance(&mut self) -> &'t Tok {
        let token = self.peek();
        if token.kind != TokenKind::Eof {
            self.pos += 1;
        }
        token
    }

    pub fn at_eof(&self) -> bool {
        self.peek().kind == TokenKind::Eof
    }

    /// Byte offset where the next token starts.
    pub fn start(&self) -> usize {
        self.peek().span.start
    }

    /// Byte offset where the last consumed token ends.
    pub fn prev_end(&self) -> usize {
        match self.pos.checked_sub(1).and_then(|i| self.tokens.get(i)) {
            Some(token) => token.span.end,
            None => self.start(),
        }
    }

    /// The span from `start` to the end of the last consumed token.
    pub fn span_from(&self, start: usize) -> Span {
        Span::new(start, self.prev_end())
    }

    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            pos: self.pos,
            errors: self.recoverable.len(),
        }
    }

    pub fn restore(&mut self, checkpoint: Checkpoint) {
        self.pos = checkpoint.pos;
        self.recoverable.truncate(checkpoint.errors);
    }

    pub fn at_keyword(&self, keyword: &str) -> bool {
        self.peek().is_keyword(keyword)
    }

    pub fn eat_keyword(&mut self, keyword: &str) -> Option<Span> {
        self.at_keyword(keyword).then(|| self.advance().span)
    }

    /// Consumes all of `keywords` in order, or nothing.
    pub fn eat_keywords(&mut self, keywords: &[&str]) -> Option<Span> {
        let all_match = keywords
            .iter()
            .enumerate()
            .all(|(i, k)| self.peek_nth(i).is_keyword(k));
        if !all_match || keywords.is_empty() {
            return None;
        }
        let start = self.start();
        for _ in keywords {
            self.advance();
        }
        Some(self.span_from(start))
    }

    pub fn expect_keyword(&mut self, keyword: &str) -> ParseResult<Span> {
        self.eat_keyword(keyword)
            .ok_or_else(|| self.expected(&format!("`{keyword}`")))
    }

    pub fn at_punct(&self, punct: Punct) -> bool {
        self.peek().is_punct(punct)
    }

    pub fn eat_punct(&mut self, punct: Punct) -> Option<Span> {
        self.at_punct(punct).then(|| self.advance().span)
    }

    pub fn expect_punct(&mut self, punct: Punct) -> ParseResult<Span> {
        self.eat_punct(punct)
            .ok_or_else(|| self.expected(&format!("`{}`", punct.as_str())))
    }

    /// "expected {what}, found {next token}" at the next token.
    pub fn expected(&self, what: &str) -> Diagnostic {
        let token = self.peek();
        Diagnostic::error(
            token.span,
            format!("expected {what}, found {}", token.describe()),
        )
    }

    /// Whether the next token can be read as an identifier.
    pub fn at_identifier(&self) -> bool {
        match &self.peek().kind {
            TokenKind::Word(w) => !is_reserved(w),
            TokenKind::QuotedIdent(_) => true,
            _ => false,
        }
    }

    /// An identifier: unquoted words are upper-cased, quoted ones keep their case.
    pub fn identifier(&mut self, what: &str) -> ParseResult<Ident> {
        let token = self.peek();
        let ident = match &token.kind {
            TokenKind::Word(w) if !is_reserved(w) => Ident {
                value: w.to_uppercase(),
                quoted: false,
                span: token.span,
            },
            TokenKind::QuotedIdent(w) => Ident {
                value: w.clone(),
                quoted: true,
                span: token.span,
            },
            TokenKind::Word(w) => {
                return Err(Diagnostic::error(
                    token.span,
                    format!("expected {what}, found reserved word `{w}`"),
                )
                .with_help(format!(
                    "a reserved word can be a name when quoted, as in \"{}\"",
                    w.to_uppercase()
                )));
            }
            _ => return Err(self.expected(what)),
        };
        self.advance();
        Ok(ident)
    }

    pub fn string_literal(&mut self, what: &str) -> ParseResult<StringLit> {
        let token = self.peek();
        match &token.kind {
            TokenKind::Str(value) => {
                self.advance();
                Ok(StringLit {
                    value: value.clone(),
                    span: token.span,
                })
            }
            _ => Err(self.expected(what)),
        }
    }

    /// A non-negative whole number.
    pub fn unsigned_integer(&mut self, what: &str) -> ParseResult<(u64, Span)> {
        let token = self.peek();
        match &token.kind {
            TokenKind::Number(text) => match text.parse::<u64>() {
                Ok(value) => {
                    self.advance();
                    Ok((value, token.span))
                }
                Err(_) => Err(Diagnostic::error(
                    token.span,
                    format!("expected {what}, found `{text}`"),
                )
                .with_help("use a whole number")),
            },
            _ => Err(self.expected(what)),
        }
    }

    /// Parses a comma-separated list of at least one item.
    pub fn comma_separated<T>(
        &mut self,
        mut item: impl FnMut(&mut Self) -> ParseResult<T>,
    ) -> ParseResult<Vec<T>> {
        let mut items = vec![item(self)?];
        while self.eat_punct(Punct::Comma).is_some() {
            items.push(item(self)?);
        }
        Ok(items)
    }

    /// Enters one level of nesting; fails on input nested too deeply to be real SQL.
    pub fn descend(&mut self) -> ParseResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Diagnostic::error(
                self.peek().span,
                format!("expression nested more than {MAX_DEPTH} levels deep"),
            ));
        }
        Ok(())
    }

    pub fn ascend(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    pub fn reset_depth(&mut self) {
        self.depth = 0;
    }

    /// Records an error that does not stop parsing the statement.
    pub fn report(&mut self, diagnostic: Diagnostic) {
        self.recoverable.push(diagnostic);
    }

    pub fn take_reported(&mut self) -> Vec<Diagnostic> {
        std::mem::take(&mut self.recoverable)
    }

    /// Skips to just after the next `;` (or to the end), for recovery after an error.
    pub fn skip_statement(&mut self) {
        while !self.at_eof() {
            if self.advance().is_punct(Punct::Semicolon) {
                return;
            }
        }
    }
}

pub fn is_reserved(word: &str) -> bool {
    let upper = word.to_uppercase();
    RESERVED.contains(&upper.as_str())
}
