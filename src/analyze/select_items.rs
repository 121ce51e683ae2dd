//! The projection of a `SELECT`: its items with stars expanded, each typed over the query's
//! inputs (collecting aggregate and table function calls on the way), and ksqlDB's names for
//! the items that have none. The rest of the `SELECT` is typed in `select`.

use super::expr::{AggregateCall, TableFunctionCall, Typer};
use super::keys::synthetic_marker;
use super::naming::{NameGenerator, expr_text, natural_name};
use super::query::Item;
use super::scope::Scope;
use super::source::RESERVED_COLUMNS;
use super::star::star;
use super::{Analyzer, R};
use crate::expr::TypedExpr;
use crate::sql::{self, Diagnostic, Query, SelectItem, Span};
use crate::types::SqlType;

impl Analyzer<'_> {
    /// The select items, stars expanded, typed over the inputs.
    pub(super) fn items(
        &self,
        query: &Query,
        scope: &Scope,
        aggregates: &mut Vec<AggregateCall>,
        table_functions: &mut Vec<TableFunctionCall>,
    ) -> R<Vec<Item>> {
        let mut items: Vec<Item> = Vec::new();
        let mut generator = NameGenerator::default();
        let mut pending: Vec<(usize, bool)> = Vec::new();
        let star_order_values_first = !query.partition_by.is_empty();
        for item in &query.select {
            match item {
                SelectItem::Wildcard { span } => {
                    for side in 0..scope.sides.len() {
                        star(scope, side, *span, star_order_values_first, &mut items);
                    }
                }
                SelectItem::QualifiedWildcard { qualifier, span } => {
                    let Some(side) = scope.sides.iter().position(|s| s.alias == qualifier.value)
                    else {
                        return Err(Diagnostic::error(
                            qualifier.span,
                            format!(
                                "'{}' is not a valid stream/table name or alias.",
                                qualifier.value
                            ),
                        ));
                    };
                    star(scope, side, *span, star_order_values_first, &mut items);
                }
                SelectItem::StructWildcard { base, span } => {
                    let typed = Typer::new(scope, "SELECT").type_expr(base)?;
                    let SqlType::Struct(fields) = &typed.ty else {
                        return Err(Diagnostic::error(
                            *span,
                            format!("Expected STRUCT type for `->*` but got {}", typed.ty),
                        ));
                    };
                    for (i, field) in fields.iter().enumerate() {
                        items.push(Item {
                            name: field.name.clone(),
                            expr: TypedExpr::new(
                                field.ty.clone(),
                                crate::expr::ExprKind::Field {
                                    base: Box::new(typed.clone()),
                                    index: i as u32,
                                },
                            ),
                            span: *span,
                        });
                    }
                }
                SelectItem::Expr { expr, alias, span } => {
                    let synthetic_name = scope.synthetic_key_name();
                    let is_synthetic = scope.is_join()
                        && matches!(&expr.kind, sql::ExprKind::Column { qualifier: None, name } if name.value == synthetic_name);
                    if let Some(alias) = alias {
                        reserved_alias(expr, alias)?;
                    }
                    let natural = select_name(expr, scope);
                    let is_field = matches!(expr.kind, sql::ExprKind::Dereference { .. });
                    // A struct field's name must not repeat an earlier item's name or any
                    // source column's (ksqlDB then suffixes it: `ITEMID_1`).
                    let used = |name: &str| {
                        items.iter().any(|i| i.name == name)
                            || scope
                                .sides
                                .iter()
                                .any(|s| s.schema.columns.iter().any(|c| c.name == name))
                    };
                    // ksqlDB's analyzer refuses reserved names before it types anything.
                    if let (None, Some(n)) = (alias, &natural)
                        && !is_synthetic
                        && !(is_field && used(n))
                        && RESERVED_COLUMNS.contains(&n.as_str())
                    {
                        return Err(reserved_in_select(*span, n));
                    }
                    let typed = if is_synthetic {
                        synthetic_marker()
                    } else {
                        let mut typer = Typer::new(scope, "SELECT");
                        typer.aggregates = Some(aggregates);
                        typer.table_functions = Some(table_functions);
                        typer.type_expr(expr)?
                    };
                    if super::expr::is_null(&typed) {
                        return Err(Diagnostic::error(
                            expr.span,
                            "Can't infer a type of null. Please explicitly cast it to a required type, e.g. CAST(null AS VARCHAR).",
                        ));
                    }
                    let natural = if is_synthetic {
                        Some(synthetic_name)
                    } else {
                        natural
                    };
                    let name = match (alias, natural) {
                        (Some(a), _) => a.value.clone(),
                        (None, Some(n)) if is_field && used(&n) => (1..)
                            .map(|i| format!("{n}_{i}"))
                            .find(|c| !used(c))
                            .unwrap_or(n),
                        (None, Some(n)) => n,
                        (None, None) => {
                            pending.push((items.len(), true));
                            String::new()
                        }
                    };
                    items.push(Item {
                        name,
                        expr: typed,
                        span: *span,
                    });
                }
            }
        }
        // Generated names skip every name in the projection and in the sources (ksqlDB's
        // alias generator is seeded with the source columns, selected or not).
        let taken: Vec<String> = items
            .iter()
            .map(|i| i.name.clone())
            .chain(
                scope
                    .sides
                    .iter()
                    .flat_map(|s| s.schema.columns.iter().map(|c| c.name.clone())),
            )
            .collect();
        for (index, _) in pending {
            items[index].name = generator.next(&taken);
        }
        Ok(items)
    }
}

/// The name an unaliased select expression takes, if not a generated one. In a join, a
/// qualified column keeps its name unless another input has a column of that name: then it is
/// prefixed with its alias (`L_ID`).
fn select_name(expr: &sql::Expr, scope: &Scope) -> Option<String> {
    let join_alias = |q: Option<&str>, n: &str| -> String {
        let side = q.and_then(|q| scope.sides.iter().position(|s| s.alias == q));
        match side {
            Some(side) if scope.is_ambiguous(n) => scope.output_name(side, n),
            _ => n.to_string(),
        }
    };
    if scope.is_join() {
        natural_name(expr, Some(&join_alias))
    } else {
        natural_name(expr, None)
    }
}

/// What ksqlDB's `Analyzer.visitSelect` checks before anything is typed (before WHERE,
/// GROUP BY or the select expressions themselves), item by item: reserved names
/// (`checkForReservedToken`: columns selected bare and explicit aliases here; a struct
/// field's name, which depends on the items before it, when the items are typed), the
/// constant grouping an aggregate call implies without GROUP BY (`addDummyGroupbyForUdafs`),
/// and table function calls under a grouping (`visitTableFunctions`).
pub(super) fn check_select_items(query: &Query, scope: &Scope) -> R<()> {
    let registry = crate::functions::Registry::builtin();
    let mut grouped = !query.group_by.is_empty();
    for item in &query.select {
        let SelectItem::Expr { expr, alias, span } = item else {
            continue;
        };
        if let Some(alias) = alias {
            reserved_alias(expr, alias)?;
        } else {
            let synthetic = scope.is_join()
                && matches!(&expr.kind, sql::ExprKind::Column { qualifier: None, name }
                    if name.value == scope.synthetic_key_name());
            if let (sql::ExprKind::Column { .. }, Some(name), false) =
                (&expr.kind, select_name(expr, scope), synthetic)
                && RESERVED_COLUMNS.contains(&name.as_str())
            {
                return Err(reserved_in_select(*span, &name));
            }
        }
        let calls = function_calls(expr);
        grouped |= calls.iter().any(|(name, _)| registry.is_aggregate(name));
        if grouped && let Some((_, at)) = calls.iter().find(|(name, _)| registry.is_table(name)) {
            return Err(Diagnostic::error(
                *at,
                "Table functions cannot be used with aggregations.",
            ));
        }
    }
    Ok(())
}

/// The function calls in `expr`, outermost first, by name and span.
fn function_calls(expr: &sql::Expr) -> Vec<(&str, Span)> {
    let mut calls = Vec::new();
    let mut stack = vec![expr];
    while let Some(e) = stack.pop() {
        if let sql::ExprKind::Function { name, .. } = &e.kind {
            calls.push((name.value.as_str(), e.span));
        }
        stack.extend(e.children().into_iter().rev());
    }
    calls
}

/// ksqlDB's `Analyzer.checkForReservedToken` on an explicit alias: an alias that merely
/// repeats the column it names (`L.ROWTIME AS ROWTIME`: the expression's text after its first
/// `.`) is a reserved name selected as is; any other reserved alias is refused as an alias.
fn reserved_alias(expr: &sql::Expr, alias: &sql::Ident) -> R<()> {
    if !RESERVED_COLUMNS.contains(&alias.value.as_str()) {
        return Ok(());
    }
    let text = expr_text(expr);
    let unqualified = text.split_once('.').map_or(text.as_str(), |(_, rest)| rest);
    if unqualified.eq_ignore_ascii_case(&alias.value) {
        return Err(reserved_in_select(alias.span, &alias.value));
    }
    Err(Diagnostic::error(
        alias.span,
        format!(
            "`{}` is a reserved column name. You cannot use it as an alias for a column.",
            alias.value
        ),
    ))
}

/// A reserved column selected under its own name in a persistent query.
fn reserved_in_select(span: Span, name: &str) -> Diagnostic {
    Diagnostic::error(
        span,
        format!("Reserved column name in select: `{name}`. Please remove or alias the column."),
    )
}
