//! The ksqlDB `SELECT` of a persistent query and its clauses: projection, sources and joins,
//! windows, filters, grouping, repartitioning, `EMIT` and `LIMIT`. Durations are already
//! normalised to milliseconds.

use super::{Expr, Ident};
use crate::sql::diagnostic::Span;

#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub select: Vec<SelectItem>,
    pub from: AliasedSource,
    pub joins: Vec<Join>,
    pub window: Option<WindowClause>,
    pub where_clause: Option<Expr>,
    /// Empty when there is no `GROUP BY`.
    pub group_by: Vec<Expr>,
    /// Empty when there is no `PARTITION BY`.
    pub partition_by: Vec<Expr>,
    pub having: Option<Expr>,
    pub emit: Option<Emit>,
    pub limit: Option<(u64, Span)>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SelectItem {
    /// `*`
    Wildcard { span: Span },
    /// `source.*`
    QualifiedWildcard { qualifier: Ident, span: Span },
    /// `struct_expr->*`
    StructWildcard { base: Expr, span: Span },
    /// `expr [AS alias]`
    Expr {
        expr: Expr,
        alias: Option<Ident>,
        span: Span,
    },
}

/// A source in `FROM` or `JOIN`, with its optional alias.
#[derive(Debug, Clone, PartialEq)]
pub struct AliasedSource {
    pub name: Ident,
    pub alias: Option<Ident>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinKind {
    Inner,
    Left,
    Right,
    Full,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Join {
    pub kind: JoinKind,
    pub source: AliasedSource,
    pub within: Option<JoinWindow>,
    pub on: Expr,
    pub span: Span,
}

/// `WITHIN n unit` (before = after) or `WITHIN (before, after)`, optionally with a grace period.
#[derive(Debug, Clone, PartialEq)]
pub struct JoinWindow {
    pub before: Duration,
    pub after: Duration,
    pub grace: Option<Duration>,
    pub span: Span,
}

/// A length of time, normalised to milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Duration {
    pub millis: u64,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WindowClause {
    pub kind: WindowKind,
    pub retention: Option<Duration>,
    pub grace: Option<Duration>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum WindowKind {
    Tumbling { size: Duration },
    Hopping { size: Duration, advance: Duration },
    Session { gap: Duration },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Emit {
    Changes { span: Span },
    Final { span: Span },
}
