//! `*` and `alias.*` in a select list: the columns of an input in ksqlDB's order, and the
//! columns ksqlDB adds beside them in a join (each input's window bounds when it is windowed;
//! its pseudo columns when a join is re-keyed by PARTITION BY). Part of the projection typing
//! in [`super::select`].

use super::query::Item;
use super::scope::Scope;
use crate::expr::{ColumnRef, TypedExpr};
use crate::sql::Span;
use crate::types::SqlType;

/// Appends the columns of input `side` (values first when `values_first`) to `items`.
pub(super) fn star(
    scope: &Scope,
    side: usize,
    span: Span,
    values_first: bool,
    items: &mut Vec<Item>,
) {
    let columns = &scope.sides[side].schema.columns;
    let mut order: Vec<usize> = (0..columns.len()).collect();
    if values_first {
        order.sort_by_key(|i| columns[*i].is_key());
    }
    // Re-keying a join (PARTITION BY) exposes each input's pseudo columns, which ksqlDB
    // carries in the joined row's value: after the value columns, before the key columns.
    let pseudo = values_first && scope.sides.len() > 1;
    let first_key = order
        .iter()
        .position(|i| columns[*i].is_key())
        .unwrap_or(order.len());
    // A windowed input of a join carries its window bounds in the joined row's value, right
    // after its key columns.
    let bounds_at = (scope.sides.len() > 1 && scope.sides[side].windowed && !values_first)
        .then(|| order.iter().take_while(|i| columns[**i].is_key()).count());
    for (at, i) in order.into_iter().enumerate() {
        if pseudo && at == first_key {
            pseudo_columns(scope, side, span, items);
        }
        if bounds_at == Some(at) {
            window_bounds(scope, side, span, items);
        }
        let c = &columns[i];
        items.push(Item {
            name: scope.output_name(side, &c.name),
            expr: TypedExpr::column(
                ColumnRef::Input {
                    side: side as u16,
                    index: i as u32,
                },
                c.ty.clone(),
            ),
            span,
        });
    }
    if pseudo && first_key == columns.len() {
        pseudo_columns(scope, side, span, items);
    }
    if bounds_at == Some(columns.len()) {
        window_bounds(scope, side, span, items);
    }
}

/// `WINDOWSTART` and `WINDOWEND` of windowed input `side`, as select items.
fn window_bounds(scope: &Scope, side: usize, span: Span, items: &mut Vec<Item>) {
    use crate::expr::SystemColumn;
    for column in [SystemColumn::Windowstart, SystemColumn::Windowend] {
        items.push(Item {
            name: scope.output_name(side, column.name()),
            expr: TypedExpr::column(
                ColumnRef::System {
                    side: side as u16,
                    column,
                },
                SqlType::Bigint,
            ),
            span,
        });
    }
}

/// `ROWTIME`, `ROWPARTITION` and `ROWOFFSET` of input `side`, as select items.
fn pseudo_columns(scope: &Scope, side: usize, span: Span, items: &mut Vec<Item>) {
    use crate::expr::SystemColumn;
    for (column, ty) in [
        (SystemColumn::Rowtime, SqlType::Bigint),
        (SystemColumn::Rowpartition, SqlType::Int),
        (SystemColumn::Rowoffset, SqlType::Bigint),
    ] {
        items.push(Item {
            name: scope.output_name(side, column.name()),
            expr: TypedExpr::column(
                ColumnRef::System {
                    side: side as u16,
                    column,
                },
                ty,
            ),
            span,
        });
    }
}
