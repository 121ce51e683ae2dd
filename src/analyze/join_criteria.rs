//! The checks ksqlDB's `Analyzer.visitJoinedSource` makes on every join's `ON` before the
//! planner looks at keys or types: an equality (or a clear word on a conjunction of them),
//! each side reading exactly one source, not the same one, and one of them the source being
//! joined. They run over all joins first, as ksqlDB analyzes the whole statement before it
//! plans any join; `join` then checks keys, types and windows join by join.

use super::R;
use super::expr::Typer;
use super::join::sides_of;
use super::naming::expr_text;
use super::scope::Scope;
use crate::sql::{self, BinaryOp, Diagnostic, Expr};

fn is_equality(expr: &Expr) -> bool {
    matches!(
        expr.kind,
        sql::ExprKind::Binary {
            op: BinaryOp::Eq,
            ..
        }
    )
}

/// Refuses the first join criterion ksqlDB's analyzer refuses, in its words.
pub(super) fn check_criteria(scope: &Scope, joins: &[sql::Join]) -> R<()> {
    for (j, join) in joins.iter().enumerate() {
        let joined = j + 1;
        let on = &join.on;
        let on_text = expr_text(on);
        let refuse = |message: String| Err(Diagnostic::error(on.span, message));
        let (left, right) = match &on.kind {
            sql::ExprKind::Binary {
                op: BinaryOp::Eq,
                left,
                right,
            } => (left, right),
            sql::ExprKind::Binary {
                op: BinaryOp::And,
                left,
                right,
            } if is_equality(left) && is_equality(right) => {
                return refuse(format!(
                    "Invalid join condition: joins on multiple conditions are not yet supported. \
                     Got {on_text}."
                ));
            }
            sql::ExprKind::Binary {
                op: BinaryOp::NotEq | BinaryOp::Lt | BinaryOp::LtEq | BinaryOp::Gt | BinaryOp::GtEq,
                ..
            } => return refuse("Only equality join criteria is supported.".to_string()),
            _ => {
                return refuse(format!(
                    "Unsupported join expression: {on_text}. \
                     Joins support only an equality of one expression of each side"
                ));
            }
        };
        let mut sides = [0usize; 2];
        for (slot, ast) in sides.iter_mut().zip([left, right]) {
            let typed = Typer::new(scope, "JOIN ON").type_expr(ast)?;
            match sides_of(&typed).as_slice() {
                [one] => *slot = usize::from(*one),
                _ => {
                    return Err(Diagnostic::error(
                        ast.span,
                        format!(
                            "Invalid comparison expression '{}' in join '{on_text}'. Each side of \
                             the join comparision must contain references from exactly one source.",
                            expr_text(ast)
                        ),
                    ));
                }
            }
        }
        let alias = |side: usize| {
            scope
                .sides
                .get(side)
                .map_or_else(String::new, |s| s.alias.clone())
        };
        let [l, r] = sides;
        if l == r {
            return refuse(format!(
                "Each side of the join must reference exactly one source and not the same \
                 source. Left side references `{}` and right references `{}`",
                alias(l),
                alias(r)
            ));
        }
        if l != joined && r != joined {
            return refuse(format!(
                "A join criteria is expected to reference the source (`{}`) in the FROM clause, \
                 instead the right source references `{}` and the left source references `{}`",
                alias(joined),
                alias(r),
                alias(l)
            ));
        }
    }
    Ok(())
}
