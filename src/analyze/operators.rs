//! Operators and implicit conversions: comparisons (with ksqlDB's literal coercions and
//! messages), arithmetic, logic, `CASE`, and the widening casts that make mixed types explicit.
//! Part of [`super::expr::Typer`]; it resolves no names itself.

use super::R;
use super::expr::{Typer, decimal_literal_type, is_null, null_of};
use crate::expr::{ColumnRef, Comparison, ExprKind, FunctionRef, Literal, TypedExpr};
use crate::sql::{BinaryOp, Expr, Span};
use crate::types::{ArithmeticOp, SqlType};

impl Typer<'_> {
    pub(super) fn expect_boolean(&self, expr: TypedExpr, span: Span) -> R<TypedExpr> {
        if is_null(&expr) {
            return Ok(null_of(SqlType::Boolean));
        }
        if expr.ty != SqlType::Boolean {
            return Err(self.err(
                span,
                format!("Type mismatch: expected BOOLEAN, got {}", expr.ty),
            ));
        }
        Ok(expr)
    }

    /// Casts `expr` to `ty` when it widens implicitly; NULL takes any type.
    pub fn coerce(&self, expr: TypedExpr, ty: &SqlType, span: Span) -> R<TypedExpr> {
        if is_null(&expr) {
            return Ok(null_of(ty.clone()));
        }
        if expr.ty == *ty {
            return Ok(expr);
        }
        let widens =
            (expr.ty.is_numeric() && ty.is_numeric() && expr.ty.can_implicitly_cast_to(ty))
                || expr.ty.can_implicitly_cast_to(ty) && !expr.ty.is_collection();
        if widens {
            return Ok(expr.cast_to(ty));
        }
        Err(self.err(span, format!("Cannot convert {} to {}", expr.ty, ty)))
    }

    pub(super) fn unify_nulls(&self, a: TypedExpr, b: TypedExpr) -> (TypedExpr, TypedExpr) {
        match (is_null(&a), is_null(&b)) {
            (true, false) => (null_of(b.ty.clone()), b),
            (false, true) => {
                let ty = a.ty.clone();
                (a, null_of(ty))
            }
            _ => (a, b),
        }
    }

    /// ksqlDB coerces a string literal compared with a number to that number type, and with
    /// `ROWTIME`/`WINDOWSTART`/`WINDOWEND` to epoch milliseconds.
    pub(super) fn coerce_literal(
        &self,
        other: &TypedExpr,
        lit: TypedExpr,
        span: Span,
        numbers: bool,
    ) -> R<TypedExpr> {
        if numbers && other.ty == SqlType::String {
            if let ExprKind::Literal { value } = &lit.kind {
                let text = match value {
                    Literal::Boolean(b) => Some(b.to_string()),
                    Literal::Int(i) => Some(i.to_string()),
                    Literal::Bigint(i) => Some(i.to_string()),
                    Literal::Decimal(d) => Some(d.clone()),
                    Literal::Double(d) => Some(crate::types::java_text::double_to_string(*d)),
                    _ => None,
                };
                if let Some(text) = text {
                    return Ok(TypedExpr::literal(Literal::String(text), SqlType::String));
                }
            }
            return Ok(lit);
        }
        let ExprKind::Literal {
            value: Literal::String(text),
        } = &lit.kind
        else {
            return Ok(lit);
        };
        if !other.ty.is_numeric() {
            return Ok(lit);
        }
        let bad = || {
            self.err(
                span,
                format!(
                    "invalid input syntax for type {}: \"{text}\".",
                    other.ty.base_name()
                ),
            )
        };
        let is_time_column = matches!(
            other.kind,
            ExprKind::Column {
                column: ColumnRef::System { column, .. }
            } if column != crate::expr::SystemColumn::Rowpartition && column != crate::expr::SystemColumn::Rowoffset
        );
        if is_time_column {
            let millis = crate::types::time::parse_timestamp(text.trim()).map_err(|_| bad())?;
            return Ok(TypedExpr::literal(Literal::Bigint(millis), SqlType::Bigint));
        }
        if !numbers {
            return Ok(lit);
        }
        let trimmed = text.trim();
        if let Ok(i) = trimmed.parse::<i32>() {
            return Ok(TypedExpr::literal(Literal::Int(i), SqlType::Int));
        }
        if let Ok(i) = trimmed.parse::<i64>() {
            return Ok(TypedExpr::literal(Literal::Bigint(i), SqlType::Bigint));
        }
        if crate::types::decimal::parse_decimal(trimmed).is_ok() && !trimmed.contains(['e', 'E']) {
            return Ok(TypedExpr::literal(
                Literal::Decimal(trimmed.to_string()),
                decimal_literal_type(trimmed),
            ));
        }
        match trimmed.parse::<f64>() {
            Ok(d) if d.is_finite() => Ok(TypedExpr::literal(Literal::Double(d), SqlType::Double)),
            _ => Err(bad()),
        }
    }

    pub(super) fn coerce_pair(
        &self,
        a: TypedExpr,
        b: TypedExpr,
        span: Span,
    ) -> R<(TypedExpr, TypedExpr)> {
        let b = self.coerce_literal(&a, b, span, false)?;
        let a = self.coerce_literal(&b, a, span, false)?;
        Ok((a, b))
    }

    pub(super) fn comparable(left: &SqlType, right: &SqlType) -> bool {
        if left.is_numeric() && right.is_numeric() {
            return true;
        }
        if left == right {
            return !matches!(
                left,
                SqlType::Map(..) | SqlType::Struct(_) | SqlType::Array(_)
            );
        }
        (left.is_temporal() && right.is_temporal())
            || (left.is_temporal() && *right == SqlType::String)
            || (right.is_temporal() && *left == SqlType::String)
    }

    pub(super) fn check_comparable(
        &self,
        left: &TypedExpr,
        right: &TypedExpr,
        op: Comparison,
        asts: (&Expr, &Expr),
        span: Span,
    ) -> R<()> {
        if is_null(left) || is_null(right) || Self::comparable(&left.ty, &right.ty) {
            return Ok(());
        }
        if op == Comparison::Eq
            && left.ty.is_collection()
            && left.ty.base_name() == right.ty.base_name()
        {
            return Ok(());
        }
        Err(self.err(
            span,
            format!(
                "Cannot compare {} ({}) to {} ({}) with {}.",
                self.text(asts.0),
                left.ty,
                self.text(asts.1),
                right.ty,
                op.ksql_name()
            ),
        ))
    }

    pub(super) fn compare(
        &mut self,
        op: Comparison,
        left: &Expr,
        right: &Expr,
        span: Span,
    ) -> R<TypedExpr> {
        let l = self.type_expr(left)?;
        let r = self.type_expr(right)?;
        let (l, r) = self.coerce_pair(l, r, span)?;
        if is_null(&l) && is_null(&r) {
            return Err(self.err(
                span,
                format!(
                    "Comparison with NULL not supported: NULL {} NULL",
                    match op {
                        Comparison::Eq => "=",
                        Comparison::NotEq => "<>",
                        Comparison::Lt => "<",
                        Comparison::LtEq => "<=",
                        Comparison::Gt => ">",
                        Comparison::GtEq => ">=",
                        Comparison::Distinct => "IS DISTINCT FROM",
                        Comparison::NotDistinct => "IS NOT DISTINCT FROM",
                    }
                ),
            ));
        }
        if !(is_null(&l) || is_null(&r) || Self::comparable(&l.ty, &r.ty)) {
            let equality = matches!(
                op,
                Comparison::Eq | Comparison::NotEq | Comparison::Distinct | Comparison::NotDistinct
            );
            let collections_equal = equality && l.ty == r.ty;
            if !collections_equal {
                return Err(self.err(
                    span,
                    format!(
                        "Cannot compare {} ({}) to {} ({}) with {}.",
                        self.text(left),
                        l.ty,
                        self.text(right),
                        r.ty,
                        op.ksql_name()
                    ),
                ));
            }
        }
        let (l, r) = self.unify_nulls(l, r);
        Ok(TypedExpr::new(
            SqlType::Boolean,
            ExprKind::Compare {
                op,
                left: Box::new(l),
                right: Box::new(r),
            },
        ))
    }

    pub(super) fn binary(
        &mut self,
        op: BinaryOp,
        left: &Expr,
        right: &Expr,
        span: Span,
    ) -> R<TypedExpr> {
        let arithmetic = match op {
            BinaryOp::Add => Some(ArithmeticOp::Add),
            BinaryOp::Subtract => Some(ArithmeticOp::Subtract),
            BinaryOp::Multiply => Some(ArithmeticOp::Multiply),
            BinaryOp::Divide => Some(ArithmeticOp::Divide),
            BinaryOp::Modulo => Some(ArithmeticOp::Modulus),
            _ => None,
        };
        if let Some(aop) = arithmetic {
            let l = self.type_expr(left)?;
            let r = self.type_expr(right)?;
            let (l, r) = self.unify_nulls(l, r);
            // ksqlDB's `ExpressionTypeManager.visitArithmeticBinary` names the expression.
            let ty = SqlType::arithmetic_result(aop, &l.ty, &r.ty).map_err(|e| {
                let text = self.text(&Expr {
                    kind: crate::sql::ExprKind::Binary {
                        op,
                        left: Box::new(left.clone()),
                        right: Box::new(right.clone()),
                    },
                    span,
                });
                self.err(span, format!("Error processing expression: {text}. {e}"))
            })?;
            return Ok(TypedExpr::new(
                ty,
                ExprKind::Arithmetic {
                    op: aop,
                    left: Box::new(l),
                    right: Box::new(r),
                },
            ));
        }
        let comparison = match op {
            BinaryOp::Eq => Some(Comparison::Eq),
            BinaryOp::NotEq => Some(Comparison::NotEq),
            BinaryOp::Lt => Some(Comparison::Lt),
            BinaryOp::LtEq => Some(Comparison::LtEq),
            BinaryOp::Gt => Some(Comparison::Gt),
            BinaryOp::GtEq => Some(Comparison::GtEq),
            _ => None,
        };
        if let Some(cop) = comparison {
            return self.compare(cop, left, right, span);
        }
        let l = self.type_expr(left)?;
        let r = self.type_expr(right)?;
        match op {
            BinaryOp::Concat => {
                let l = self.coerce(l, &SqlType::String, left.span)?;
                let r = self.coerce(r, &SqlType::String, right.span)?;
                let concat = self.registry.get("CONCAT").map(|_| FunctionRef {
                    name: "CONCAT".to_string(),
                    signature: 0,
                    params: vec![SqlType::String, SqlType::String],
                });
                match concat {
                    Some(function) => Ok(TypedExpr::new(
                        SqlType::String,
                        ExprKind::Call {
                            function,
                            args: vec![l, r],
                        },
                    )),
                    None => Err(self.err(span, "CONCAT is not registered")),
                }
            }
            BinaryOp::And | BinaryOp::Or => {
                let l = self.expect_boolean(l, left.span)?;
                let r = self.expect_boolean(r, right.span)?;
                let kind = if op == BinaryOp::And {
                    ExprKind::And {
                        left: Box::new(l),
                        right: Box::new(r),
                    }
                } else {
                    ExprKind::Or {
                        left: Box::new(l),
                        right: Box::new(r),
                    }
                };
                Ok(TypedExpr::new(SqlType::Boolean, kind))
            }
            _ => Err(self.err(span, "unsupported operator")),
        }
    }

    pub(super) fn case(
        &mut self,
        operand: Option<&Expr>,
        whens: &[(Expr, Expr)],
        else_result: Option<&Expr>,
        span: Span,
    ) -> R<TypedExpr> {
        let operand = operand.map(|o| self.type_expr(o)).transpose()?;
        let mut conditions = Vec::new();
        let mut results = Vec::new();
        for (when, then) in whens {
            let w = self.type_expr(when)?;
            let condition = match &operand {
                Some(o) => {
                    if !(is_null(&w) || Self::comparable(&o.ty, &w.ty)) {
                        return Err(self.err(
                            when.span,
                            format!(
                                "Operator EQUAL cannot be used to compare {} and {}",
                                o.ty, w.ty
                            ),
                        ));
                    }
                    let (o, w) = self.unify_nulls(o.clone(), w);
                    TypedExpr::new(
                        SqlType::Boolean,
                        ExprKind::Compare {
                            op: Comparison::Eq,
                            left: Box::new(o),
                            right: Box::new(w),
                        },
                    )
                }
                None => {
                    if !is_null(&w) && w.ty != SqlType::Boolean {
                        return Err(self.err(
                            when.span,
                            format!(
                                "WHEN operand type should be boolean.\nType for '{}' is {}",
                                self.text(when),
                                w.ty
                            ),
                        ));
                    }
                    w
                }
            };
            conditions.push(condition);
            results.push(self.type_expr(then)?);
        }
        let otherwise = else_result.map(|e| self.type_expr(e)).transpose()?;
        let mut all = results.clone();
        all.extend(otherwise.iter().cloned());
        let mut ty: Option<SqlType> = None;
        for r in all.iter().filter(|r| !is_null(r)) {
            match &ty {
                None => ty = Some(r.ty.clone()),
                Some(t) if *t == r.ty => {}
                Some(_) => {
                    return Err(self.err(
                        span,
                        "Invalid Case expression. Type for all 'THEN' clauses should be the same.",
                    ));
                }
            }
        }
        let Some(ty) = ty else {
            return Err(self.err(
                span,
                "Invalid Case expression. All case branches have NULL type",
            ));
        };
        let whens = conditions
            .into_iter()
            .zip(results)
            .map(|(c, r)| (c, if is_null(&r) { null_of(ty.clone()) } else { r }))
            .collect();
        let otherwise =
            otherwise.map(|o| Box::new(if is_null(&o) { null_of(ty.clone()) } else { o }));
        Ok(TypedExpr::new(ty, ExprKind::Case { whens, otherwise }))
    }
}
