//! Source spans, diagnostics and their compiler-style rendering, plus the did-you-mean helper
//! that later stages reuse for columns, sources and functions. This module knows nothing about
//! SQL: it only maps byte offsets to lines and columns and formats messages. It must not
//! panic on any span, even one that points past the end of the text or into a UTF-8 character.

use std::fmt;

/// A half-open range of byte offsets `[start, end)` into the text of a queries file.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span {
            start,
            end: end.max(start),
        }
    }

    /// The smallest span covering both `self` and `other`.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    /// The text this span covers, or `""` when it does not fall on character boundaries.
    pub fn text(self, source: &str) -> &str {
        source.get(self.start..self.end).unwrap_or("")
    }
}

/// One problem found in a queries file, pointing at the offending text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub span: Span,
    pub message: String,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            span,
            message: message.into(),
            help: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Renders the diagnostic like a compiler error: message, `path:line:col`, the source line
    /// and a caret underline, then the help line if any.
    pub fn render(&self, source: &str, path: &str) -> String {
        let position = LineColumn::of(source, self.span.start);
        let line_text = source
            .lines()
            .nth(position.line - 1)
            .unwrap_or("")
            .trim_end_matches('\r');
        let underline_width = caret_width(line_text, position.column, self.span, source);
        let gutter = " ".repeat(position.line.to_string().len());
        let mut out = format!(
            "error: {}\n{gutter}--> {path}:{}:{}\n{gutter} |\n{} | {line_text}\n{gutter} | {}{}\n",
            self.message,
            position.line,
            position.column,
            position.line,
            " ".repeat(position.column - 1),
            "^".repeat(underline_width),
        );
        if let Some(help) = &self.help {
            out.push_str(&format!("{gutter} = help: {help}\n"));
        }
        out
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)
    }
}

/// Renders every diagnostic of a file, separated by blank lines.
pub fn render_all(diagnostics: &[Diagnostic], source: &str, path: &str) -> String {
    diagnostics
        .iter()
        .map(|d| d.render(source, path))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A 1-based line and 1-based column, counted in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineColumn {
    pub line: usize,
    pub column: usize,
}

impl LineColumn {
    /// The position of byte `offset` in `source`; offsets inside a character or past the end
    /// are clamped to the nearest preceding character boundary.
    pub fn of(source: &str, offset: usize) -> Self {
        let mut offset = offset.min(source.len());
        while !source.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &source[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        LineColumn { line, column }
    }
}

/// How many carets to draw: the span's characters on its first line, at least one.
fn caret_width(line_text: &str, column: usize, span: Span, source: &str) -> usize {
    let rest_of_line = line_text.chars().count().saturating_sub(column - 1);
    let span_chars = span.text(source).chars().take_while(|c| *c != '\n').count();
    span_chars.min(rest_of_line).max(1)
}

/// The candidate closest to `name` by edit distance (ignoring case), if it is close enough to
/// be a plausible typo: at most one edit for short names, about a third of the length otherwise.
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let wanted = name.to_uppercase();
    let budget = (wanted.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|candidate| (edit_distance(&wanted, &candidate.to_uppercase()), candidate))
        .filter(|(distance, _)| *distance <= budget)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate.to_string())
}

/// Levenshtein distance over characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_the_example_from_the_design() {
        let source = "SET 'a'='b';\n\nCREATE STREAM S WITH (KAFKA_TOPC='x');\n";
        let start = source.find("KAFKA_TOPC").unwrap();
        let d = Diagnostic::error(
            Span::new(start, start + 10),
            "unknown property `KAFKA_TOPC`",
        )
        .with_help("did you mean `KAFKA_TOPIC`?");
        assert_eq!(
            d.render(source, "queries/app.sql"),
            "error: unknown property `KAFKA_TOPC`\n --> queries/app.sql:3:23\n  |\n3 | CREATE STREAM S WITH (KAFKA_TOPC='x');\n  |                       ^^^^^^^^^^\n  = help: did you mean `KAFKA_TOPIC`?\n"
        );
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let source = "-- é\nSELECT 'ü' x";
        let offset = source.find('x').unwrap();
        assert_eq!(
            LineColumn::of(source, offset),
            LineColumn {
                line: 2,
                column: 12
            }
        );
        assert_eq!(LineColumn::of(source, offset + 100).line, 2);
        assert_eq!(LineColumn::of(source, 2).column, 3);
    }

    #[test]
    fn suggests_close_names_only() {
        let props = ["KAFKA_TOPIC", "VALUE_FORMAT", "KEY_FORMAT"];
        assert_eq!(suggest("kafka_topc", props), Some("KAFKA_TOPIC".into()));
        assert_eq!(suggest("VALUE_FROMAT", props), Some("VALUE_FORMAT".into()));
        assert_eq!(suggest("PARTITIONS", props), None);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}
