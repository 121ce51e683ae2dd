//! Lexing: runs sqlparser's tokenizer with a ksqlDB dialect (backtick and double-quote
//! identifiers, `@` inside identifiers, `--` and `/* */` comments) and turns its tokens into a
//! small owned token list with byte spans. It must not interpret keywords or build syntax;
//! that is the parser's job.

use sqlparser::dialect::Dialect;
use sqlparser::tokenizer::{Location, Token, TokenWithSpan, Tokenizer};

use super::diagnostic::{Diagnostic, Span};

/// ksqlDB's lexical rules, expressed through sqlparser's dialect hooks.
#[derive(Debug, Default)]
pub struct KsqlDialect;

impl Dialect for KsqlDialect {
    fn is_identifier_start(&self, ch: char) -> bool {
        ch.is_alphabetic() || ch == '_'
    }

    fn is_identifier_part(&self, ch: char) -> bool {
        ch.is_alphanumeric() || ch == '_' || ch == '@'
    }

    fn is_delimited_identifier_start(&self, ch: char) -> bool {
        ch == '`' || ch == '"'
    }

    /// ksqlDB accepts identifiers that start with a digit, such as `1R`.
    fn supports_numeric_prefix(&self) -> bool {
        true
    }
}

/// A punctuation or operator token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Punct {
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Period,
    Semicolon,
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Concat,
    /// `->`, struct field dereference.
    Arrow,
    /// `=>`, lambda.
    FatArrow,
    /// `:=`, constructor field assignment.
    Assign,
}

impl Punct {
    pub fn as_str(self) -> &'static str {
        match self {
            Punct::LParen => "(",
            Punct::RParen => ")",
            Punct::LBracket => "[",
            Punct::RBracket => "]",
            Punct::Comma => ",",
            Punct::Period => ".",
            Punct::Semicolon => ";",
            Punct::Eq => "=",
            Punct::NotEq => "<>",
            Punct::Lt => "<",
            Punct::LtEq => "<=",
            Punct::Gt => ">",
            Punct::GtEq => ">=",
            Punct::Plus => "+",
            Punct::Minus => "-",
            Punct::Star => "*",
            Punct::Slash => "/",
            Punct::Percent => "%",
            Punct::Concat => "||",
            Punct::Arrow => "->",
            Punct::FatArrow => "=>",
            Punct::Assign => ":=",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum TokenKind {
    /// A bare word (keyword or identifier) with its original spelling.
    Word(String),
    /// A backtick- or double-quoted identifier, unquoted, case kept.
    QuotedIdent(String),
    /// A numeric literal as written.
    Number(String),
    /// A single-quoted string, unescaped.
    Str(String),
    Punct(Punct),
    /// Anything ksqlDB has no use for, as written.
    Other(String),
    Eof,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Tok {
    pub kind: TokenKind,
    pub span: Span,
}

impl Tok {
    /// The word's upper-cased text, if this is an unquoted word.
    pub fn keyword(&self) -> Option<String> {
        match &self.kind {
            TokenKind::Word(w) => Some(w.to_uppercase()),
            _ => None,
        }
    }

    pub fn is_keyword(&self, keyword: &str) -> bool {
        matches!(&self.kind, TokenKind::Word(w) if w.eq_ignore_ascii_case(keyword))
    }

    pub fn is_punct(&self, punct: Punct) -> bool {
        self.kind == TokenKind::Punct(punct)
    }

    /// How the token reads in an error message.
    pub fn describe(&self) -> String {
        match &self.kind {
            TokenKind::Word(w) => format!("`{w}`"),
            TokenKind::QuotedIdent(w) => format!("identifier `{w}`"),
            TokenKind::Number(n) => format!("number `{n}`"),
            TokenKind::Str(s) => format!("string '{s}'"),
            TokenKind::Punct(p) => format!("`{}`", p.as_str()),
            TokenKind::Other(o) => format!("`{o}`"),
            TokenKind::Eof => "end of file".to_string(),
        }
    }
}

/// Tokenizes a whole file. The token list always ends with an `Eof` token. On a lexical error
/// (such as an unterminated string) the tokens before it are kept and the error is returned
/// alongside, so that the statements before it can still be checked.
pub fn tokenize(source: &str) -> (Vec<Tok>, Option<Diagnostic>) {
    let dialect = KsqlDialect;
    let mut raw: Vec<TokenWithSpan> = Vec::new();
    let result = Tokenizer::new(&dialect, source).tokenize_with_location_into_buf(&mut raw);
    let offsets = LineOffsets::new(source);
    let mut tokens: Vec<Tok> = raw
        .into_iter()
        .flat_map(|t| {
            let span = Span::new(offsets.byte(t.span.start), offsets.byte(t.span.end));
            split_shift(t.token, span)
        })
        .filter_map(|(token, span)| convert(token).map(|kind| Tok { kind, span }))
        .collect();
    let error = result.err().map(|e| {
        let start = offsets.byte(e.location);
        lexical_error(source, start, &e.message)
    });
    let end = error.as_ref().map_or(source.len(), |e| e.span.start);
    tokens.push(Tok {
        kind: TokenKind::Eof,
        span: Span::new(end, end),
    });
    (tokens, error)
}

fn lexical_error(source: &str, start: usize, message: &str) -> Diagnostic {
    let rest = source.get(start..).unwrap_or("");
    let first = rest.chars().next();
    let line_end = rest.find('\n').map_or(source.len(), |i| start + i);
    match first {
        Some('\'') => Diagnostic::error(Span::new(start, line_end), "unterminated string literal")
            .with_help("close the string with `'`; write `''` for a quote inside a string"),
        Some('`') | Some('"') => {
            Diagnostic::error(Span::new(start, line_end), "unterminated quoted identifier")
                .with_help("close the identifier with the same quote it starts with")
        }
        Some('/') => Diagnostic::error(Span::new(start, start + 2), "unterminated `/*` comment")
            .with_help("close the comment with `*/`"),
        _ => {
            let width = first.map_or(0, char::len_utf8);
            Diagnostic::error(
                Span::new(start, start + width),
                format!("invalid token: {}", message.trim()),
            )
        }
    }
}

/// `ARRAY<ARRAY<INT>>` ends in `>>`, which the tokenizer reads as a shift operator; ksqlDB has
/// no shift operators, so it is always two closing angle brackets.
fn split_shift(token: Token, span: Span) -> Vec<(Token, Span)> {
    match token {
        Token::ShiftRight => {
            let middle = (span.start + 1).min(span.end);
            vec![
                (Token::Gt, Span::new(span.start, middle)),
                (Token::Gt, Span::new(middle, span.end)),
            ]
        }
        other => vec![(other, span)],
    }
}

fn convert(token: Token) -> Option<TokenKind> {
    let kind = match token {
        Token::Whitespace(_) | Token::EOF => return None,
        Token::Word(w) => match w.quote_style {
            Some(_) => TokenKind::QuotedIdent(w.value),
            None => TokenKind::Word(w.value),
        },
        Token::Number(n, _) => TokenKind::Number(n),
        Token::SingleQuotedString(s) => TokenKind::Str(s),
        Token::LParen => TokenKind::Punct(Punct::LParen),
        Token::RParen => TokenKind::Punct(Punct::RParen),
        Token::LBracket => TokenKind::Punct(Punct::LBracket),
        Token::RBracket => TokenKind::Punct(Punct::RBracket),
        Token::Comma => TokenKind::Punct(Punct::Comma),
        Token::Period => TokenKind::Punct(Punct::Period),
        Token::SemiColon => TokenKind::Punct(Punct::Semicolon),
        Token::Eq => TokenKind::Punct(Punct::Eq),
        Token::Neq => TokenKind::Punct(Punct::NotEq),
        Token::Lt => TokenKind::Punct(Punct::Lt),
        Token::LtEq => TokenKind::Punct(Punct::LtEq),
        Token::Gt => TokenKind::Punct(Punct::Gt),
        Token::GtEq => TokenKind::Punct(Punct::GtEq),
        Token::Plus => TokenKind::Punct(Punct::Plus),
        Token::Minus => TokenKind::Punct(Punct::Minus),
        Token::Mul => TokenKind::Punct(Punct::Star),
        Token::Div => TokenKind::Punct(Punct::Slash),
        Token::Mod => TokenKind::Punct(Punct::Percent),
        Token::StringConcat => TokenKind::Punct(Punct::Concat),
        Token::Arrow => TokenKind::Punct(Punct::Arrow),
        Token::RArrow => TokenKind::Punct(Punct::FatArrow),
        Token::Assignment => TokenKind::Punct(Punct::Assign),
        other => TokenKind::Other(other.to_string()),
    };
    Some(kind)
}

/// Maps sqlparser's 1-based line/character-column locations to byte offsets. Lookups come
/// in nearly increasing order, so it walks forward from the previous answer on the same line
/// instead of rescanning the line (long one-line inputs would otherwise be quadratic).
struct LineOffsets<'a> {
    source: &'a str,
    line_starts: Vec<usize>,
    /// The last answer: (line, column, byte offset).
    last: std::cell::Cell<(usize, usize, usize)>,
}

impl<'a> LineOffsets<'a> {
    fn new(source: &'a str) -> Self {
        let line_starts = std::iter::once(0)
            .chain(source.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineOffsets {
            source,
            line_starts,
            last: std::cell::Cell::new((1, 1, 0)),
        }
    }

    fn byte(&self, location: Location) -> usize {
        let line = usize::try_from(location.line).unwrap_or(usize::MAX);
        let column = usize::try_from(location.column)
            .unwrap_or(usize::MAX)
            .max(1);
        let Some(&line_start) = line.checked_sub(1).and_then(|l| self.line_starts.get(l)) else {
            return self.source.len();
        };
        let (last_line, last_column, last_byte) = self.last.get();
        let (from_column, from_byte) = if last_line == line && last_column <= column {
            (last_column, last_byte)
        } else {
            (1, line_start)
        };
        let rest = self.source.get(from_byte..).unwrap_or("");
        let byte = rest
            .char_indices()
            .nth(column - from_column)
            .map_or(self.source.len(), |(i, _)| from_byte + i);
        self.last.set((line, column, byte));
        byte
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(source: &str) -> Vec<TokenKind> {
        tokenize(source).0.into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn spans_are_byte_offsets() {
        let source = "-- é comment\nSELECT 'ü''x' -> `a b`;";
        let (tokens, error) = tokenize(source);
        assert!(error.is_none());
        let texts: Vec<&str> = tokens.iter().map(|t| t.span.text(source)).collect();
        assert_eq!(texts, ["SELECT", "'ü''x'", "->", "`a b`", ";", ""]);
        assert_eq!(tokens[1].kind, TokenKind::Str("ü'x".into()));
        assert_eq!(tokens[3].kind, TokenKind::QuotedIdent("a b".into()));
    }

    #[test]
    fn ksql_operators() {
        assert_eq!(
            kinds("x => a := b || c"),
            [
                TokenKind::Word("x".into()),
                TokenKind::Punct(Punct::FatArrow),
                TokenKind::Word("a".into()),
                TokenKind::Punct(Punct::Assign),
                TokenKind::Word("b".into()),
                TokenKind::Punct(Punct::Concat),
                TokenKind::Word("c".into()),
                TokenKind::Eof
            ]
        );
    }

    #[test]
    fn digit_identifiers_and_numbers() {
        assert_eq!(
            kinds("1R 1.5E3 2e-2 10"),
            [
                TokenKind::Word("1R".into()),
                TokenKind::Number("1.5E3".into()),
                TokenKind::Number("2e-2".into()),
                TokenKind::Number("10".into()),
                TokenKind::Eof
            ]
        );
    }

    #[test]
    fn unterminated_string_keeps_earlier_tokens() {
        let (tokens, error) = tokenize("SET 'a' = 'b;\n");
        assert_eq!(tokens.len(), 4);
        assert_eq!(error.unwrap().message, "unterminated string literal");
    }
}
