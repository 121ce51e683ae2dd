//! The key columns of a query's result: which select items compute them (for a join, either
//! side's join column), ksqlDB's checks (every key selected exactly once, at least one value
//! column) and its messages, and the stand-in for a synthetic join key.

use super::R;
use super::catalog::Schema;
use super::naming::and_list;
use super::query::{Item, ProjectedColumn};
use super::scope::Scope;
use crate::expr::{ColumnRef, SystemColumn, TypedExpr};
use crate::sql::Diagnostic;
use crate::types::SqlType;

/// The name ksqlDB's `FinalProjectNode` gives a key column selected as a column: its name in
/// the schema the projection reads, the source's column (`L_ID` after a join); the item's
/// name otherwise.
fn parent_column_name(item: &Item, scope: &Scope) -> String {
    let crate::expr::ExprKind::Column {
        column: ColumnRef::Input { side, index },
    } = &item.expr.kind
    else {
        return item.name.clone();
    };
    scope
        .sides
        .get(*side as usize)
        .and_then(|s| s.schema.columns.get(*index as usize))
        .map_or_else(
            || item.name.clone(),
            |c| scope.output_name(*side as usize, &c.name),
        )
}

/// The stand-in for a synthetic join key (`ROWKEY`) in the projection.
pub(super) fn synthetic_marker() -> TypedExpr {
    TypedExpr::column(
        ColumnRef::System {
            side: u16::MAX,
            column: SystemColumn::Rowtime,
        },
        SqlType::String,
    )
}

/// What a join query's `j`-th key column reads: key column `j` of the joined row (typed
/// `ty`), marked as a system column of side `u16::MAX - j`.
pub(crate) fn join_key_marker(j: usize, ty: SqlType) -> TypedExpr {
    TypedExpr::column(
        ColumnRef::System {
            side: u16::MAX - j as u16,
            column: SystemColumn::Rowtime,
        },
        ty,
    )
}

/// One key column of the result: the expressions that compute it (several for a join: either
/// side's join column), the text for messages, its type.
pub(super) struct KeyExpr {
    pub candidates: Vec<TypedExpr>,
    pub texts: Vec<String>,
    pub ty: SqlType,
    pub synthetic: bool,
}

/// Splits the items into key and value columns: an item whose expression computes key `j` is
/// that key column. Every key must be selected exactly once, and one value column at least.
pub(super) fn assign_keys(
    sink: &str,
    items: Vec<Item>,
    keys: &[KeyExpr],
    kind: &str,
    scope: &Scope,
) -> R<(Vec<ProjectedColumn>, Schema)> {
    // Per key: the items selecting it. In a join either side's column computes the key: the
    // item with the earliest join column (left before right) is the key column; the other
    // sides' columns stay value columns; the same expression selected twice is an error.
    let mut key_items: Vec<Vec<usize>> = vec![Vec::new(); keys.len()];
    for (j, key) in keys.iter().enumerate() {
        let rank = |item: &Item| {
            if key.synthetic {
                (item.expr == synthetic_marker()).then_some(0)
            } else {
                key.candidates.iter().position(|c| *c == item.expr)
            }
        };
        let best = items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| rank(item).map(|r| (r, i)))
            .min();
        if let Some((_, best)) = best {
            key_items[j] = items
                .iter()
                .enumerate()
                .filter(|(_, item)| item.expr == items[best].expr)
                .map(|(i, _)| i)
                .collect();
        }
    }
    let span = items.first().map(|i| i.span).unwrap_or_default();
    let missing: Vec<&KeyExpr> = keys
        .iter()
        .zip(&key_items)
        .filter(|(_, v)| v.is_empty())
        .map(|(k, _)| k)
        .collect();
    if !missing.is_empty() {
        if missing.len() == 1 && missing[0].synthetic {
            return Err(Diagnostic::error(
                span,
                format!(
                    "Key missing from projection (ie, SELECT). See https://cnfl.io/2LV7ouS.\nThe query used to build `{sink}` must include the join expression ROWKEY in its projection (eg, SELECT ROWKEY...).\nROWKEY was added as a synthetic key column because the join criteria did not match any source column. This expression must be included in the projection and may be aliased."
                ),
            ));
        }
        let (what, names) = if kind == "join expression" {
            let texts = &missing[0].texts;
            let plural = if texts.len() > 1 { "s" } else { "" };
            (
                format!("{kind}{plural} {}", super::naming::or_list(texts)),
                texts[0].clone(),
            )
        } else {
            // ksqlDB's `PlanNode.throwKeysNotIncludedError`: its `AggregateNode` names the
            // grouping expressions missing, its `DataSourceNode` and `UserRepartitionNode`
            // every key column or partitioning expression once any is missing.
            let listed: Vec<&KeyExpr> = if kind == "grouping expression" {
                missing.clone()
            } else {
                keys.iter().collect()
            };
            let texts: Vec<String> = listed.iter().map(|k| k.texts[0].clone()).collect();
            let plural = if texts.len() > 1 { "s" } else { "" };
            (
                format!("{kind}{plural} {}", and_list(&texts)),
                texts.join(", "),
            )
        };
        return Err(Diagnostic::error(
            span,
            format!(
                "The query used to build `{sink}` must include the {what} in its projection (eg, SELECT {names}...)."
            ),
        ));
    }
    for found in &key_items {
        if found.len() > 1 {
            let mut names: Vec<String> = found.iter().map(|i| items[*i].name.clone()).collect();
            // ksqlDB's `LogicalPlanner` refuses a grouping expression selected twice (its
            // aliases in projection order); its `FinalProjectNode` any other key column.
            let first = if kind == "grouping expression" {
                let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
                format!(
                    "The projection contains a key column more than once: {}.",
                    and_list(&quoted)
                )
            } else {
                names.sort();
                format!(
                    "The projection contains a key column (`{}`) more than once, aliased as: {}.",
                    parent_column_name(&items[found[0]], scope),
                    and_list(&names)
                )
            };
            return Err(Diagnostic::error(
                items[found[1]].span,
                format!(
                    "{first}\nEach key column must only be in the projection once. If you \
                     intended to copy the key into the value, then consider using the AS_VALUE \
                     function to indicate which key reference should be copied."
                ),
            ));
        }
    }
    let mut projection = Vec::new();
    let mut columns = Vec::new();
    let mut is_key = vec![false; items.len()];
    for (j, found) in key_items.iter().enumerate() {
        let item = &items[found[0]];
        is_key[found[0]] = true;
        let ty = if keys[j].synthetic {
            keys[j].ty.clone()
        } else {
            item.expr.ty.clone()
        };
        let expr = if keys[j].synthetic {
            keys[j].candidates[0].clone()
        } else {
            item.expr.clone()
        };
        columns.push(super::catalog::Column::key(item.name.clone(), ty));
        projection.push(ProjectedColumn {
            name: item.name.clone(),
            expr,
            key: true,
        });
    }
    for (i, item) in items.into_iter().enumerate() {
        if is_key[i] {
            continue;
        }
        if item.expr == synthetic_marker() {
            return Err(Diagnostic::error(
                item.span,
                "ROWKEY is not a column of the inputs: only a synthetic join key may be selected as ROWKEY",
            ));
        }
        if columns
            .iter()
            .any(|c: &super::catalog::Column| c.name == item.name)
        {
            return Err(Diagnostic::error(
                item.span,
                // ksqlDB's `DuplicateColumnException`, raised as the value column is added.
                format!(
                    "Duplicate value columns found in schema: `{}` {}",
                    item.name, item.expr.ty
                ),
            )
            .with_help("give one of them an alias with AS"));
        }
        columns.push(super::catalog::Column::value(
            item.name.clone(),
            item.expr.ty.clone(),
        ));
        projection.push(ProjectedColumn {
            name: item.name,
            expr: item.expr,
            key: false,
        });
    }
    if !columns.iter().any(|c| !c.is_key()) {
        return Err(Diagnostic::error(
            span,
            "The projection contains no value columns.",
        ));
    }
    Ok((projection, Schema::new(columns)))
}
