//! The element type of `ARRAY[…]` and `MAP(…)` constructors and the coercion of each element to
//! it, under ksqlDB's rules: numbers widen; a string literal takes the type of the other
//! elements (parsed as that type: numbers, or booleans by ksqlDB's prefix rule); a number or
//! boolean literal beside STRING elements becomes its text; struct constructors of different
//! shapes merge into one STRUCT with every field (same-named fields unify, absent ones are
//! NULL). The same coercion applies a constructor to a known target type (an `IN` list
//! entry compared with a collection), where the types must then match deeply. Part of
//! [`super::expr::Typer`].

use super::R;
use super::expr::{Typer, is_null, null_of};
use crate::expr::{ExprKind, Literal, TypedExpr};
use crate::sql::{Expr, Span};
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

impl Typer<'_> {
    /// An IN-list entry compared with a collection: string literals inside constructors are
    /// coerced to the element type, and the types must match deeply (numbers widen).
    pub(super) fn in_list_collection(
        &self,
        operand: &TypedExpr,
        item: TypedExpr,
        ast: &Expr,
    ) -> R<TypedExpr> {
        let predicate = |mut d: crate::sql::Diagnostic| {
            d.message = format!("Invalid Predicate: {}", d.message);
            d
        };
        let item = self
            .coerce_constructor(item, &operand.ty, ast.span)
            .map_err(predicate)?;
        if is_null(&item) || deep_comparable(&operand.ty, &item.ty) {
            return Ok(item);
        }
        Err(self.err(
            ast.span,
            format!(
                "Invalid Predicate: operator does not exist: {} = {} ({})",
                operand.ty,
                item.ty,
                self.text(ast)
            ),
        ))
    }

    fn coerce_constructor(&self, expr: TypedExpr, target: &SqlType, span: Span) -> R<TypedExpr> {
        match (expr.kind, target) {
            (ExprKind::Array { elements }, SqlType::Array(element)) => {
                let elements = elements
                    .into_iter()
                    .map(|e| self.coerce_constructor(e, element, span))
                    .collect::<R<Vec<_>>>()?;
                let ty = if elements
                    .iter()
                    .all(|e| is_null(e) || deep_comparable(element, &e.ty))
                {
                    target.clone()
                } else {
                    elements
                        .iter()
                        .find(|e| !is_null(e))
                        .map_or(target.clone(), |e| SqlType::array(e.ty.clone()))
                };
                Ok(TypedExpr::new(ty, ExprKind::Array { elements }))
            }
            (ExprKind::Map { entries }, SqlType::Map(key, value)) => {
                let entries = entries
                    .into_iter()
                    .map(|(k, v)| {
                        Ok((
                            self.coerce_constructor(k, key, span)?,
                            self.coerce_constructor(v, value, span)?,
                        ))
                    })
                    .collect::<R<Vec<_>>>()?;
                let fits = entries.iter().all(|(k, v)| {
                    (is_null(k) || deep_comparable(key, &k.ty))
                        && (is_null(v) || deep_comparable(value, &v.ty))
                });
                let ty = match entries.first() {
                    Some((k, v)) if !fits => SqlType::map(k.ty.clone(), v.ty.clone()),
                    _ => target.clone(),
                };
                Ok(TypedExpr::new(ty, ExprKind::Map { entries }))
            }
            (ExprKind::Struct { fields }, SqlType::Struct(targets)) => {
                // A constructor of another shape takes the operand's: fields it lacks are NULL,
                // fields the operand lacks (names are case sensitive) are dropped.
                let same_shape = fields.len() == targets.len()
                    && targets
                        .iter()
                        .all(|t| fields.iter().any(|(n, _)| *n == t.name));
                let fields = if same_shape {
                    fields
                } else {
                    let mut given = fields;
                    targets
                        .iter()
                        .map(|t| match given.iter().position(|(n, _)| *n == t.name) {
                            Some(i) => given.remove(i),
                            None => (t.name.clone(), null_of(t.ty.clone())),
                        })
                        .collect()
                };
                let fields = fields
                    .into_iter()
                    .map(|(name, e)| {
                        let e = match targets.iter().find(|f| f.name == name) {
                            Some(f) => self.coerce_constructor(e, &f.ty, span)?,
                            None => e,
                        };
                        Ok((name, e))
                    })
                    .collect::<R<Vec<_>>>()?;
                let ty = SqlType::Struct(
                    fields
                        .iter()
                        .map(|(name, e)| crate::types::StructField {
                            name: name.clone(),
                            ty: e.ty.clone(),
                        })
                        .collect(),
                );
                Ok(TypedExpr::new(ty, ExprKind::Struct { fields }))
            }
            (kind, _) => {
                let expr = TypedExpr::new(expr.ty, kind);
                if target.is_numeric() {
                    self.coerce_literal(&null_of(target.clone()), expr, span, true)
                } else {
                    Ok(expr)
                }
            }
        }
    }
}

/// Whether values of the two types can be compared for equality: numbers with numbers, the
/// same primitive types, collections element by element, structs field by field.
fn deep_comparable(a: &SqlType, b: &SqlType) -> bool {
    match (a, b) {
        (SqlType::Array(x), SqlType::Array(y)) => deep_comparable(x, y),
        (SqlType::Map(k1, v1), SqlType::Map(k2, v2)) => {
            deep_comparable(k1, k2) && deep_comparable(v1, v2)
        }
        (SqlType::Struct(f1), SqlType::Struct(f2)) => {
            f1.len() == f2.len()
                && f1
                    .iter()
                    .zip(f2)
                    .all(|(x, y)| x.name == y.name && deep_comparable(&x.ty, &y.ty))
        }
        _ => (a.is_numeric() && b.is_numeric()) || a == b,
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
            Err("invalid input syntax for type INTEGER: \"x\".".to_string())
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
