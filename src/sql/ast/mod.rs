//! weir's owned syntax tree for a ksqlDB queries file: the statements a headless file may
//! hold, their queries, expressions and types. Every statement, clause, expression and
//! identifier carries the [`Span`] of its text. The tree says what was written, with ksqlDB's
//! case rules already applied to identifiers; it must not resolve names or types (that is
//! `analyze`), and it must not expose sqlparser's types.

mod expr;
mod query;

pub use expr::{
    BinaryOp, DataType, Expr, ExprKind, Literal, StructField, TimeUnit, TypeKind, UnaryOp,
};
pub use query::{
    AliasedSource, Duration, Emit, Join, JoinKind, JoinWindow, Query, SelectItem, WindowClause,
    WindowKind,
};

use super::diagnostic::Span;

/// An identifier after ksqlDB's case rules: unquoted names are upper-cased, backtick- and
/// double-quoted names keep their case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    pub value: String,
    pub quoted: bool,
    pub span: Span,
}

/// One statement of a queries file.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub kind: StatementKind,
    /// The statement's text, from its first token to its last (the `;` excluded).
    pub span: Span,
}

impl Statement {
    /// The exact text of the statement as written in `source`.
    pub fn text<'a>(&self, source: &'a str) -> &'a str {
        self.span.text(source)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum StatementKind {
    /// `SET 'name' = 'value'`
    SetProperty { name: StringLit, value: StringLit },
    /// `UNSET 'name'`
    UnsetProperty { name: StringLit },
    /// `CREATE [OR REPLACE] [SOURCE] STREAM|TABLE [IF NOT EXISTS] name [(columns)] [WITH (…)]`
    CreateSource(CreateSource),
    /// `CREATE [OR REPLACE] STREAM|TABLE [IF NOT EXISTS] name [WITH (…)] AS SELECT …`
    CreateAsSelect(CreateAsSelect),
    /// `INSERT INTO name [WITH (…)] SELECT …`
    InsertInto(InsertInto),
    /// `CREATE TYPE [IF NOT EXISTS] name AS type`
    CreateType(CreateType),
}

/// A single-quoted string with its span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StringLit {
    pub value: String,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    Stream,
    Table,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CreateSource {
    pub kind: SourceKind,
    pub or_replace: bool,
    /// `CREATE SOURCE STREAM|TABLE`: a read-only source.
    pub is_source: bool,
    pub if_not_exists: bool,
    pub name: Ident,
    /// `None` when the column list is omitted (schema inference).
    pub elements: Option<Vec<TableElement>>,
    pub properties: Properties,
}

/// One column of a `CREATE STREAM|TABLE` column list.
#[derive(Debug, Clone, PartialEq)]
pub struct TableElement {
    pub name: Ident,
    pub data_type: DataType,
    pub constraint: Option<ColumnConstraint>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnConstraint {
    Key {
        span: Span,
    },
    PrimaryKey {
        span: Span,
    },
    /// `HEADERS`: the column holds all record headers.
    Headers {
        span: Span,
    },
    /// `HEADER('key')`: the column holds one header's value.
    Header {
        key: StringLit,
        span: Span,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct CreateAsSelect {
    pub kind: SourceKind,
    pub or_replace: bool,
    pub if_not_exists: bool,
    pub name: Ident,
    pub properties: Properties,
    pub query: Query,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InsertInto {
    pub target: Ident,
    pub properties: Properties,
    pub query: Query,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CreateType {
    pub if_not_exists: bool,
    pub name: Ident,
    pub data_type: DataType,
}

/// The `WITH (…)` list, in written order. Empty (with an empty span at the statement's end of
/// head) when there is no `WITH`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Properties {
    pub items: Vec<Property>,
    pub span: Span,
}

impl Properties {
    /// The first property with this (upper-case) name.
    pub fn get(&self, name: &str) -> Option<&Property> {
        self.items.iter().find(|p| p.name == name)
    }
}

/// One `NAME = literal` entry of a `WITH` list. Names are upper-cased whether written as an
/// identifier or a string.
#[derive(Debug, Clone, PartialEq)]
pub struct Property {
    pub name: String,
    pub name_span: Span,
    pub value: Literal,
    pub value_span: Span,
}
