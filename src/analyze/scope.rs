//! What names mean inside one query: the inputs (`FROM` and each `JOIN`) with their aliases
//! and schemas, column resolution (qualified, unqualified, system columns) with ksqlDB's
//! ambiguity rule and did-you-mean, and the join-style output names (`L_A`). It holds no
//! expressions; `expr` types them against a scope.

use super::R;
use super::catalog::{Schema, SourceType};
use crate::expr::{ColumnRef, SystemColumn};
use crate::sql::{Diagnostic, Ident, Span, suggest};
use crate::types::SqlType;

/// One input of a query.
#[derive(Debug, Clone)]
pub struct Side {
    /// The alias, or the source name when there is none.
    pub alias: String,
    pub source: String,
    pub source_type: SourceType,
    pub schema: Schema,
    pub windowed: bool,
}

/// The inputs of a query, in order: `FROM`, then each `JOIN`.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub sides: Vec<Side>,
    /// `WINDOWSTART`/`WINDOWEND` resolve (windowed aggregation or a windowed source).
    pub window_bounds: bool,
    /// A windowed aggregation over a join: ksqlDB does not know its window bounds at all.
    pub window_bounds_unknown: bool,
}

/// A resolved column reference.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub column: ColumnRef,
    pub ty: SqlType,
    /// The name the column gets in an output schema: `A`, or `L_A` in a join.
    pub output_name: String,
    /// Whether it is a key column of its source.
    pub is_key: bool,
}

impl Scope {
    pub fn is_join(&self) -> bool {
        self.sides.len() > 1
    }

    fn side_by_alias(&self, qualifier: &Ident) -> R<usize> {
        if let Some(i) = self.sides.iter().position(|s| s.alias == qualifier.value) {
            return Ok(i);
        }
        let mut d = Diagnostic::error(
            qualifier.span,
            format!(
                "'{}' is not a valid stream/table name or alias.",
                qualifier.value
            ),
        );
        if let Some(s) = suggest(
            &qualifier.value,
            self.sides.iter().map(|s| s.alias.as_str()),
        ) {
            d = d.with_help(format!("did you mean `{s}`?"));
        }
        Err(d)
    }

    /// The name of a synthetic join key: `ROWKEY`, or `ROWKEY_n` when an input has a column
    /// of that name.
    pub fn synthetic_key_name(&self) -> String {
        let taken = |n: &str| self.sides.iter().any(|s| s.schema.find(n).is_some());
        if !taken("ROWKEY") {
            return "ROWKEY".to_string();
        }
        (1..)
            .map(|i| format!("ROWKEY_{i}"))
            .find(|n| !taken(n))
            .unwrap_or_default()
    }

    /// Whether more than one input has a column of this name.
    pub fn is_ambiguous(&self, name: &str) -> bool {
        if SystemColumn::from_name(name).is_some() {
            return self.sides.len() > 1;
        }
        self.sides
            .iter()
            .filter(|s| s.schema.find(name).is_some())
            .count()
            > 1
    }

    /// The alias of the one input with a column `name`; `None` when none or several have it.
    pub fn only_source_of(&self, name: &str) -> Option<String> {
        let mut with = self.sides.iter().filter(|s| s.schema.find(name).is_some());
        match (with.next(), with.next()) {
            (Some(side), None) => Some(side.alias.clone()),
            _ => None,
        }
    }

    /// The name a column of `side` gets in an output schema.
    pub fn output_name(&self, side: usize, name: &str) -> String {
        if self.is_join() {
            format!("{}_{}", self.sides[side].alias, name)
        } else {
            name.to_string()
        }
    }

    pub fn resolve(
        &self,
        clause: &str,
        qualifier: Option<&Ident>,
        name: &Ident,
        span: Span,
    ) -> R<Resolved> {
        let sides: Vec<usize> = match qualifier {
            Some(q) => vec![self.side_by_alias(q)?],
            None => (0..self.sides.len()).collect(),
        };
        let mut found: Vec<Resolved> = Vec::new();
        for &side in &sides {
            if let Some((index, column)) = self.sides[side].schema.find(&name.value) {
                found.push(Resolved {
                    column: ColumnRef::Input {
                        side: side as u16,
                        index: index as u32,
                    },
                    ty: column.ty.clone(),
                    output_name: self.output_name(side, &name.value),
                    is_key: column.is_key(),
                });
            }
        }
        if found.len() > 1 {
            let mut candidates: Vec<String> = sides
                .iter()
                .filter(|s| self.sides[**s].schema.find(&name.value).is_some())
                .map(|s| format!("{}.{}", self.sides[*s].alias, name.value))
                .collect();
            // ksqlDB's `AmbiguousColumnException`: the qualified candidates sorted, joined
            // as a list ending in "or".
            candidates.sort();
            return Err(Diagnostic::error(
                span,
                format!(
                    "Column '{}' is ambiguous. Could be {}.",
                    name.value,
                    super::naming::or_list(&candidates)
                ),
            )
            .with_help("qualify the column with its source or alias"));
        }
        if let Some(found) = found.pop() {
            return Ok(found);
        }
        if let Some(system) = SystemColumn::from_name(&name.value) {
            let bound = matches!(system, SystemColumn::Windowstart | SystemColumn::Windowend);
            let side = sides.first().copied().unwrap_or(0);
            if bound && self.window_bounds_unknown && qualifier.is_none() {
                return Err(
                    Diagnostic::error(span, unresolved(clause, &name.value)).with_help(
                        "window bounds of an aggregation over a join are not available in ksqlDB",
                    ),
                );
            }
            if bound && !self.window_bounds && !self.sides.get(side).is_some_and(|s| s.windowed) {
                return Err(Diagnostic::error(
                    span,
                    super::expr::window_bounds_only_in_select(&name.value),
                ));
            }
            return Ok(Resolved {
                column: ColumnRef::System {
                    side: side as u16,
                    column: system,
                },
                ty: system.sql_type(),
                output_name: self.output_name(side, &name.value),
                is_key: false,
            });
        }
        let candidates: Vec<&str> = sides
            .iter()
            .flat_map(|s| {
                self.sides[*s]
                    .schema
                    .columns
                    .iter()
                    .map(|c| c.name.as_str())
            })
            .collect();
        let shown = match qualifier {
            Some(q) => format!("{}.{}", q.value, name.value),
            None => name.value.clone(),
        };
        let mut d = Diagnostic::error(span, unresolved(clause, &shown));
        if let Some(s) = suggest(&name.value, candidates) {
            d = d.with_help(format!("did you mean `{s}`?"));
        }
        Err(d)
    }
}

/// ksqlDB's `UnknownColumnException` text; under PARTITION BY the `Analyzer` adds why an
/// output column does not count.
fn unresolved(clause: &str, shown: &str) -> String {
    let mut text = format!("{clause} column '{shown}' cannot be resolved.");
    if clause == "PARTITION BY" {
        text.push_str(&format!(
            " '{shown}' must be a column in the source schema since PARTITION BY is applied on \
             the input."
        ));
    }
    text
}
