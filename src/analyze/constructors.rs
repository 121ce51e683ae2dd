//! The element type of `ARRAY[…]` and `MAP(…)` constructors and the coercion of each element to
//! it, under ksqlDB's rules: numbers widen; a string literal takes the type of the other
//! elements (parsed as that type: numbers, or booleans by ksqlDB's prefix rule); a number or
//! boolean literal beside STRING elements becomes its text; struct constructors of different
//! shapes merge into one STRUCT with every field (same-named fields unify, absent ones are
//! NULL). Part of [`super::expr::Typer`].

use super::R;
use super::expr::{Typer, is_null, null_of};
use crate::expr::{ExprKind, Literal, TypedExpr};
use crate::sql::Span;
use crate::types::{SqlType, StructField};

fn is_string_literal(expr: &TypedExpr) -> bool {
    matches!(
        expr.kind,
        ExprKind::Literal {
            value: Literal::String(_)
        }
    )
}

fn is_plain_literal(expr: &TypedExpr) -> bool {
    matches!(
        expr.kind,
        ExprKind::Literal {
            value: Literal::Boolean(_)
                | Literal::Int(_)
                | Literal::Bigint(_)
                | Literal::Decimal(_)
                | Literal::Double(_)
        }
    )
}

/// Two struct types merged: the first's fields (unified with same-named ones of the second),
/// then the second's new fields. `None` when a same-named pair does not unify.
fn merge_structs(a: &[StructField], b: &[StructField]) -> Option<SqlType> {
    let mut fields = Vec::with_capacity(a.len() + b.len());
    for field in a {
        let ty = match b.iter().find(|f| f.name == field.name) {
            Some(other) => unify(&field.ty, &other.ty)?,
            None => field.ty.clone(),
        };
        fields.push(StructField {
            name: field.name.clone(),
            ty,
        });
    }
    for field in b {
        if !a.iter().any(|f| f.name == field.name) {
            fields.push(field.clone());
        }
    }
    Some(SqlType::Struct(fields))
}

fn unify(a: &SqlType, b: &SqlType) -> Option<SqlType> {
    if a == b {
        return Some(a.clone());
    }
    match (a, b) {
        (SqlType::Struct(x), SqlType::Struct(y)) => merge_structs(x, y),
        _ => SqlType::widen_numeric(a, b),
    }
}

impl Typer<'_> {
    /// The type all of `items` coerce to; `None` when all are NULL.
    pub(super) fn common_type(
        &self,
        items: &[TypedExpr],
        span: Span,
        what: &str,
    ) -> R<Option<SqlType>> {
        let constructors_only = items
            .iter()
            .filter(|i| !is_null(i) && matches!(i.ty, SqlType::Struct(_)))
            .all(|i| matches!(i.kind, ExprKind::Struct { .. }));
        let typed: Vec<&TypedExpr> = items
            .iter()
            .filter(|i| !is_null(i) && !is_string_literal(i))
            .collect();
        if typed.is_empty() {
            return Ok(items.iter().find(|i| !is_null(i)).map(|_| SqlType::String));
        }
        let mut ty = typed[0].ty.clone();
        let mut from_literal = is_plain_literal(typed[0]);
        for item in &typed[1..] {
            if item.ty == ty {
                from_literal &= is_plain_literal(item);
                continue;
            }
            let merged = match (&ty, &item.ty) {
                (SqlType::Struct(a), SqlType::Struct(b)) if constructors_only => {
                    merge_structs(a, b)
                }
                (SqlType::String, _) if is_plain_literal(item) => Some(SqlType::String),
                (_, SqlType::String) if from_literal => Some(SqlType::String),
                _ => SqlType::widen_numeric(&ty, &item.ty),
            };
            let Some(merged) = merged else {
                return Err(self.err(span, format!(
                    "invalid input syntax for type {}: {what} elements must all be of the same type, got {} and {}",
                    ty.base_name(), ty, item.ty
                )));
            };
            from_literal &= is_plain_literal(item);
            ty = merged;
        }
        Ok(Some(ty))
    }

    /// Coerces one constructor element to the type [`Self::common_type`] chose.
    pub(super) fn coerce_element(&self, expr: TypedExpr, ty: &SqlType, span: Span) -> R<TypedExpr> {
        if is_null(&expr) || expr.ty == *ty {
            return self.coerce(expr, ty, span);
        }
        match (&expr.kind, ty) {
            (ExprKind::Struct { .. }, SqlType::Struct(targets)) => {
                let ExprKind::Struct { fields } = expr.kind else {
                    return Err(self.err(span, "internal: struct constructor expected"));
                };
                let mut given = fields;
                let mut shaped = Vec::with_capacity(targets.len());
                for target in targets {
                    let value = match given.iter().position(|(name, _)| *name == target.name) {
                        Some(i) => self.coerce_element(given.remove(i).1, &target.ty, span)?,
                        None => null_of(target.ty.clone()),
                    };
                    shaped.push((target.name.clone(), value));
                }
                Ok(TypedExpr::new(
                    ty.clone(),
                    ExprKind::Struct { fields: shaped },
                ))
            }
            (_, SqlType::String) if is_plain_literal(&expr) => {
                self.coerce_literal(&null_of(SqlType::String), expr, span, true)
            }
            (
                ExprKind::Literal {
                    value: Literal::String(text),
                },
                SqlType::Boolean,
            ) => Ok(TypedExpr::literal(
                Literal::Boolean(crate::types::cast::parse_sql_boolean(text.trim())),
                SqlType::Boolean,
            )),
            (
                ExprKind::Literal {
                    value: Literal::String(_),
                },
                _,
            ) if ty.is_numeric() => {
                let parsed = self.coerce_literal(&null_of(ty.clone()), expr, span, true)?;
                self.coerce(parsed, ty, span)
            }
            _ => self.coerce(expr, ty, span),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{AnalyzeOptions, analyze_source};
    use super::*;

    fn output_schema(select: &str) -> Result<String, String> {
        let text = format!(
            "CREATE STREAM T (A INT, B BIGINT, K1 STRING, V1 BOOLEAN, S STRUCT<F0 BIGINT>) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='JSON');\n\
             CREATE STREAM O AS SELECT {select} FROM T;"
        );
        match analyze_source(&text, &AnalyzeOptions::default()) {
            Ok(file) => Ok(file.catalog.source("O").expect("O").schema.to_string()),
            Err(d) => Err(d[0].message.clone()),
        }
    }

    #[test]
    fn array_of_struct_constructors_of_different_shapes() {
        assert_eq!(
            output_schema("ARRAY[null, STRUCT(x := A, y := B), STRUCT(y := A, z := B)] AS L"),
            Ok("`L` ARRAY<STRUCT<`X` INTEGER, `Y` BIGINT, `Z` BIGINT>>".to_string())
        );
        assert_eq!(
            output_schema("ARRAY[S, STRUCT(G := 1)] AS L"),
            Err("invalid input syntax for type STRUCT: Array elements must all be of the same type, got STRUCT<`F0` BIGINT> and STRUCT<`G` INTEGER>".to_string())
        );
    }

    #[test]
    fn literals_take_the_type_of_the_other_elements() {
        assert_eq!(
            output_schema("MAP(K1 := V1, 'b' := 'true', 10 := 'no') AS M"),
            Ok("`M` MAP<STRING, BOOLEAN>".to_string())
        );
        assert_eq!(
            output_schema("ARRAY['1', A, 2] AS L"),
            Ok("`L` ARRAY<INTEGER>".to_string())
        );
        assert_eq!(
            output_schema("ARRAY['x', A] AS L"),
            Err("invalid input syntax for type INTEGER: \"x\"".to_string())
        );
    }

    #[test]
    fn in_list_struct_constructors_take_the_operand_shape() {
        let text = "CREATE STREAM T (S STRUCT<F0 BIGINT>) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='JSON');\n\
             CREATE STREAM O AS SELECT * FROM T WHERE S IN (STRUCT(F0 := 10), STRUCT(`f0` := 20));";
        assert!(analyze_source(text, &AnalyzeOptions::default()).is_ok());
    }

    #[test]
    fn structs_merge_field_by_field() {
        let a = SqlType::structure([("X", SqlType::Int), ("Y", SqlType::Bigint)]);
        let b = SqlType::structure([("Y", SqlType::Int), ("Z", SqlType::Bigint)]);
        assert_eq!(
            unify(&a, &b),
            Some(SqlType::structure([
                ("X", SqlType::Int),
                ("Y", SqlType::Bigint),
                ("Z", SqlType::Bigint)
            ]))
        );
        let c = SqlType::structure([("X", SqlType::String)]);
        assert_eq!(unify(&a, &c), None);
    }
}
