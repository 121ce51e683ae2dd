//! Typing expressions against a [`Scope`]: every syntax-tree expression becomes a
//! [`TypedExpr`] with resolved columns, chosen function overloads, implicit widenings made
//! explicit as casts, and ksqlDB's type errors. Aggregate and table function calls are
//! collected (when the clause allows them) and replaced by references to their results.
//! It must not decide output names or keys (that is `naming` and `query`).

use super::R;
use super::scope::Scope;
use crate::expr::{ColumnRef, Comparison, ExprKind, FunctionRef, Literal, TypedExpr};
use crate::functions::{ArgType, FunctionKind, Registry, resolve::lambda_inputs, resolve::resolve};
use crate::sql::{self, BinaryOp, Diagnostic, Expr, ExprKind as Ast, Span, UnaryOp};
use crate::types::{ArithmeticOp, SqlType, StructField, can_cast};

/// An aggregate call of a query: the function, its typed arguments, its result type.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AggregateCall {
    pub function: FunctionRef,
    pub args: Vec<TypedExpr>,
    pub ty: SqlType,
}

/// A table function call (`EXPLODE`): one output column per call.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TableFunctionCall {
    pub function: FunctionRef,
    pub args: Vec<TypedExpr>,
    pub ty: SqlType,
}

/// Types expressions of one clause.
pub struct Typer<'a> {
    pub scope: &'a Scope,
    pub registry: &'static Registry,
    /// `SELECT`, `WHERE`, … as used in messages.
    pub clause: &'static str,
    /// When set, aggregate calls are collected here; otherwise they are an error.
    pub aggregates: Option<&'a mut Vec<AggregateCall>>,
    /// When set, table function calls are collected here; otherwise they are an error.
    pub table_functions: Option<&'a mut Vec<TableFunctionCall>>,
    lambdas: Vec<Vec<(String, SqlType)>>,
    in_aggregate: bool,
}

fn null_of(ty: SqlType) -> TypedExpr {
    TypedExpr::literal(Literal::Null, ty)
}

/// Whether this is an untyped `NULL` literal (typed as STRING until context says otherwise).
pub fn is_null(expr: &TypedExpr) -> bool {
    matches!(
        expr.kind,
        ExprKind::Literal {
            value: Literal::Null
        }
    )
}

/// The type of a decimal literal as written: `1.50` is DECIMAL(3, 2).
fn decimal_literal_type(text: &str) -> SqlType {
    let digits = text.trim_start_matches(['-', '+']);
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let whole = whole.trim_start_matches('0');
    let scale = frac.len() as u32;
    let precision = ((whole.len() as u32) + scale).max(1).max(scale);
    SqlType::Decimal { precision, scale }
}

impl<'a> Typer<'a> {
    pub fn new(scope: &'a Scope, clause: &'static str) -> Typer<'a> {
        Typer {
            scope,
            registry: Registry::builtin(),
            clause,
            aggregates: None,
            table_functions: None,
            lambdas: Vec::new(),
            in_aggregate: false,
        }
    }

    fn err(&self, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::error(span, message)
    }

    pub fn type_expr(&mut self, expr: &Expr) -> R<TypedExpr> {
        let span = expr.span;
        Ok(match &expr.kind {
            Ast::Literal(literal) => match literal {
                sql::Literal::Null => null_of(SqlType::String),
                sql::Literal::Boolean(b) => {
                    TypedExpr::literal(Literal::Boolean(*b), SqlType::Boolean)
                }
                sql::Literal::Int(i) => TypedExpr::literal(Literal::Int(*i), SqlType::Int),
                sql::Literal::BigInt(i) => TypedExpr::literal(Literal::Bigint(*i), SqlType::Bigint),
                sql::Literal::Decimal(text) => {
                    TypedExpr::literal(Literal::Decimal(text.clone()), decimal_literal_type(text))
                }
                sql::Literal::Double(d) => TypedExpr::literal(Literal::Double(*d), SqlType::Double),
                sql::Literal::String(s) => {
                    TypedExpr::literal(Literal::String(s.clone()), SqlType::String)
                }
            },
            Ast::Column { qualifier, name } => {
                if qualifier.is_none() {
                    for (depth, params) in self.lambdas.iter().enumerate().rev() {
                        if let Some(index) = params.iter().position(|(n, _)| *n == name.value) {
                            return Ok(TypedExpr::column(
                                ColumnRef::LambdaParam {
                                    depth: depth as u16,
                                    index: index as u16,
                                },
                                params[index].1.clone(),
                            ));
                        }
                    }
                }
                let resolved = self
                    .scope
                    .resolve(self.clause, qualifier.as_ref(), name, span)?;
                if self.in_aggregate
                    && let ColumnRef::System { column, .. } = resolved.column
                    && matches!(
                        column,
                        crate::expr::SystemColumn::Windowstart
                            | crate::expr::SystemColumn::Windowend
                    )
                {
                    return Err(self.err(span, format!(
                        "Window bounds column {} can only be used in the SELECT clause of windowed aggregations and can not be passed to aggregate functions.",
                        column.name()
                    )));
                }
                TypedExpr::column(resolved.column, resolved.ty)
            }
            Ast::Dereference { base, field } => {
                let base = self.type_expr(base)?;
                let SqlType::Struct(fields) = &base.ty else {
                    return Err(self.err(
                        span,
                        format!(
                            "Expected STRUCT type for dereference of `{}` but got {}",
                            field.value, base.ty
                        ),
                    ));
                };
                let found = fields
                    .iter()
                    .position(|f| f.name == field.value)
                    .or_else(|| {
                        fields
                            .iter()
                            .position(|f| f.name.eq_ignore_ascii_case(&field.value))
                    });
                let Some(index) = found else {
                    let mut d = self.err(
                        field.span,
                        format!(
                            "Could not find field '{}' in struct {}",
                            field.value, base.ty
                        ),
                    );
                    if let Some(s) =
                        sql::suggest(&field.value, fields.iter().map(|f| f.name.as_str()))
                    {
                        d = d.with_help(format!("did you mean `{s}`?"));
                    }
                    return Err(d);
                };
                let ty = fields[index].ty.clone();
                TypedExpr::new(
                    ty,
                    ExprKind::Field {
                        base: Box::new(base),
                        index: index as u32,
                    },
                )
            }
            Ast::Subscript { base, index } => {
                let base = self.type_expr(base)?;
                let index = self.type_expr(index)?;
                let ty = match &base.ty {
                    SqlType::Array(element) => {
                        if !matches!(index.ty, SqlType::Int | SqlType::Bigint) && !is_null(&index) {
                            return Err(self.err(
                                span,
                                format!("Array index must be INTEGER, got {}", index.ty),
                            ));
                        }
                        (**element).clone()
                    }
                    SqlType::Map(_, value) => (**value).clone(),
                    other => {
                        return Err(self.err(
                            span,
                            format!("Subscript expression not supported on type {other}"),
                        ));
                    }
                };
                let index = match &base.ty {
                    SqlType::Map(key, _) => self.coerce(index, key, span)?,
                    _ => index,
                };
                TypedExpr::new(
                    ty,
                    ExprKind::Subscript {
                        base: Box::new(base),
                        index: Box::new(index),
                    },
                )
            }
            Ast::Unary { op, operand } => {
                let operand = self.type_expr(operand)?;
                match op {
                    UnaryOp::Plus => operand,
                    UnaryOp::Minus => {
                        if !operand.ty.is_numeric() {
                            return Err(self.err(
                                span,
                                format!("Unsupported arithmetic types. {}", operand.ty.base_name()),
                            ));
                        }
                        TypedExpr::new(
                            operand.ty.clone(),
                            ExprKind::Negate {
                                operand: Box::new(operand),
                            },
                        )
                    }
                    UnaryOp::Not => {
                        let operand = self.expect_boolean(operand, span)?;
                        TypedExpr::new(
                            SqlType::Boolean,
                            ExprKind::Not {
                                operand: Box::new(operand),
                            },
                        )
                    }
                }
            }
            Ast::Binary { op, left, right } => self.binary(*op, left, right, span)?,
            Ast::Between {
                expr,
                low: low_ast,
                high: high_ast,
                negated,
            } => {
                let operand = self.type_expr(expr)?;
                let low = self.type_expr(low_ast)?;
                let high = self.type_expr(high_ast)?;
                let low = self.coerce_literal(&operand, low, span, false)?;
                let high = self.coerce_literal(&operand, high, span, false)?;
                self.check_comparable(&operand, &low, Comparison::GtEq, (expr, low_ast), span)?;
                self.check_comparable(&operand, &high, Comparison::LtEq, (expr, high_ast), span)?;
                let (operand, low) = self.unify_nulls(operand, low);
                let (operand, high) = self.unify_nulls(operand, high);
                TypedExpr::new(
                    SqlType::Boolean,
                    ExprKind::Between {
                        operand: Box::new(operand),
                        low: Box::new(low),
                        high: Box::new(high),
                        negated: *negated,
                    },
                )
            }
            Ast::InList {
                expr: operand,
                list,
                negated,
            } => {
                let typed = self.type_expr(operand)?;
                let mut items = Vec::new();
                for item in list {
                    let t = self.type_expr(item)?;
                    let t = self.coerce_literal(&typed, t, item.span, true)?;
                    self.check_comparable(&typed, &t, Comparison::Eq, (operand, item), item.span)?;
                    items.push(if is_null(&t) {
                        null_of(typed.ty.clone())
                    } else {
                        t
                    });
                }
                TypedExpr::new(
                    SqlType::Boolean,
                    ExprKind::InList {
                        operand: Box::new(typed),
                        list: items,
                        negated: *negated,
                    },
                )
            }
            Ast::Like {
                expr,
                pattern,
                escape,
                negated,
            } => {
                let operand = self.type_expr(expr)?;
                let pattern = self.type_expr(pattern)?;
                for side in [&operand, &pattern] {
                    if side.ty != SqlType::String {
                        return Err(self.err(
                            span,
                            format!(
                                "Function 'LIKE' does not accept parameters ({}, {}).",
                                operand.ty, pattern.ty
                            ),
                        ));
                    }
                }
                TypedExpr::new(
                    SqlType::Boolean,
                    ExprKind::Like {
                        operand: Box::new(operand),
                        pattern: Box::new(pattern),
                        escape: *escape,
                        negated: *negated,
                    },
                )
            }
            Ast::IsNull { expr, negated } => {
                let operand = self.type_expr(expr)?;
                TypedExpr::new(
                    SqlType::Boolean,
                    ExprKind::IsNull {
                        operand: Box::new(operand),
                        negated: *negated,
                    },
                )
            }
            Ast::IsDistinctFrom {
                left,
                right,
                negated,
            } => {
                let op = if *negated {
                    Comparison::NotDistinct
                } else {
                    Comparison::Distinct
                };
                self.compare(op, left, right, span)?
            }
            Ast::Case {
                operand,
                whens,
                else_result,
            } => self.case(operand.as_deref(), whens, else_result.as_deref(), span)?,
            Ast::Cast { expr, data_type } => {
                let operand = self.type_expr(expr)?;
                let target = self.cast_target(data_type)?;
                if !is_null(&operand) && !can_cast(&operand.ty, &target) {
                    return Err(self.err(
                        span,
                        format!("Cast of {} to {} is not supported", operand.ty, target),
                    ));
                }
                // A cast NULL is typed: it stays a cast so it is not taken for an untyped NULL.
                let operand = if is_null(&operand) {
                    null_of(target.clone())
                } else {
                    operand
                };
                TypedExpr::new(
                    target,
                    ExprKind::Cast {
                        operand: Box::new(operand),
                    },
                )
            }
            Ast::Array(elements) => {
                if elements.is_empty() {
                    return Err(self.err(span, "Array constructor cannot be empty. Please supply at least one element (see https://github.com/confluentinc/ksql/issues/4239)."));
                }
                let typed = elements
                    .iter()
                    .map(|e| self.type_expr(e))
                    .collect::<R<Vec<_>>>()?;
                let ty = self
                    .common_type(&typed, span, "Array")?
                    .unwrap_or(SqlType::String);
                let elements = typed
                    .into_iter()
                    .map(|e| self.coerce(e, &ty, span))
                    .collect::<R<Vec<_>>>()?;
                TypedExpr::new(SqlType::array(ty), ExprKind::Array { elements })
            }
            Ast::Map(entries) => {
                if entries.is_empty() {
                    return Err(self.err(span, "Map constructor cannot be empty. Please supply at least one key value pair (see https://github.com/confluentinc/ksql/issues/4239)."));
                }
                let keys = entries
                    .iter()
                    .map(|(k, _)| self.type_expr(k))
                    .collect::<R<Vec<_>>>()?;
                let values = entries
                    .iter()
                    .map(|(_, v)| self.type_expr(v))
                    .collect::<R<Vec<_>>>()?;
                let Some(key_ty) = self.common_type(&keys, span, "Map")? else {
                    return Err(self.err(span, "Cannot construct a map with all NULL keys"));
                };
                let Some(value_ty) = self.common_type(&values, span, "Map")? else {
                    return Err(self.err(span, "Cannot construct a map with all NULL values"));
                };
                let mut typed = Vec::new();
                for (k, v) in keys.into_iter().zip(values) {
                    typed.push((
                        self.coerce(k, &key_ty, span)?,
                        self.coerce(v, &value_ty, span)?,
                    ));
                }
                TypedExpr::new(
                    SqlType::map(key_ty, value_ty),
                    ExprKind::Map { entries: typed },
                )
            }
            Ast::Struct(fields) => {
                let mut typed = Vec::new();
                let mut types = Vec::new();
                for (name, value) in fields {
                    if types.iter().any(|f: &StructField| f.name == name.value) {
                        return Err(self.err(
                            name.span,
                            format!("Duplicate field names found in STRUCT: '{}'", name.value),
                        ));
                    }
                    let t = self.type_expr(value)?;
                    types.push(StructField {
                        name: name.value.clone(),
                        ty: t.ty.clone(),
                    });
                    typed.push((name.value.clone(), t));
                }
                TypedExpr::new(SqlType::Struct(types), ExprKind::Struct { fields: typed })
            }
            Ast::Function { name, args, star } => self.call(name, args, *star, span)?,
            Ast::Lambda { .. } => {
                return Err(self.err(span, "A lambda can only be passed as a function argument"));
            }
            Ast::TimeUnit(unit) => TypedExpr::new(
                SqlType::Bigint,
                ExprKind::TimeUnit {
                    millis: unit.millis(),
                },
            ),
            Ast::AtTimeZone { .. } => {
                return Err(self.err(span, "AT TIME ZONE is not supported; use CONVERT_TZ"));
            }
        })
    }

    fn cast_target(&self, data_type: &sql::DataType) -> R<SqlType> {
        // Custom types are not visible here; CAST takes built-in types.
        let ty = match &data_type.kind {
            sql::TypeKind::Custom(name) => {
                return Err(self.err(
                    name.span,
                    format!("Cannot resolve unknown type: {}", name.value),
                ));
            }
            _ => data_type_to_sql(data_type),
        };
        ty.ok_or_else(|| self.err(data_type.span, "Invalid type"))
    }

    fn expect_boolean(&self, expr: TypedExpr, span: Span) -> R<TypedExpr> {
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

    /// The type all of `items` widen to; `None` when all are NULL.
    fn common_type(&self, items: &[TypedExpr], span: Span, what: &str) -> R<Option<SqlType>> {
        let mut ty: Option<SqlType> = None;
        for item in items.iter().filter(|i| !is_null(i)) {
            ty = Some(match ty {
                None => item.ty.clone(),
                Some(t) if t == item.ty => t,
                Some(t) => match SqlType::widen_numeric(&t, &item.ty) {
                    Some(w) => w,
                    None => {
                        return Err(self.err(span, format!(
                            "invalid input syntax for type {}: {what} elements must all be of the same type, got {} and {}",
                            t.base_name(), t, item.ty
                        )));
                    }
                },
            });
        }
        Ok(ty)
    }

    fn unify_nulls(&self, a: TypedExpr, b: TypedExpr) -> (TypedExpr, TypedExpr) {
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
    fn coerce_literal(
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
                    "invalid input syntax for type {}: \"{text}\"",
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

    fn coerce_pair(&self, a: TypedExpr, b: TypedExpr, span: Span) -> R<(TypedExpr, TypedExpr)> {
        let b = self.coerce_literal(&a, b, span, false)?;
        let a = self.coerce_literal(&b, a, span, false)?;
        Ok((a, b))
    }

    fn comparable(left: &SqlType, right: &SqlType) -> bool {
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

    fn check_comparable(
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
                super::naming::expr_text(asts.0),
                left.ty,
                super::naming::expr_text(asts.1),
                right.ty,
                op.ksql_name()
            ),
        ))
    }

    fn compare(&mut self, op: Comparison, left: &Expr, right: &Expr, span: Span) -> R<TypedExpr> {
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
                        super::naming::expr_text(left),
                        l.ty,
                        super::naming::expr_text(right),
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

    fn binary(&mut self, op: BinaryOp, left: &Expr, right: &Expr, span: Span) -> R<TypedExpr> {
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
            let ty = SqlType::arithmetic_result(aop, &l.ty, &r.ty)
                .map_err(|e| self.err(span, e.to_string()))?;
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

    fn case(
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
                                super::naming::expr_text(when),
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

    fn call(&mut self, name: &sql::Ident, args: &[Expr], star: bool, span: Span) -> R<TypedExpr> {
        let Some(function) = self.registry.get(&name.value) else {
            let mut d = self.err(
                name.span,
                format!("Can't find any functions with the name '{}'", name.value),
            );
            if let Some(s) = sql::suggest(&name.value, self.registry.names()) {
                d = d.with_help(format!("did you mean `{s}`?"));
            }
            return Err(d);
        };
        let kind = function.kind;
        if star && !(kind == FunctionKind::Aggregate && function.name == "COUNT") {
            return Err(self.err(
                span,
                format!("Function '{}' does not accept '*'", function.name),
            ));
        }
        match kind {
            FunctionKind::Aggregate => {
                if self.aggregates.is_none() || self.in_aggregate {
                    return Err(self.err(span, self.aggregate_misplaced(function.name)));
                }
            }
            FunctionKind::Table => {
                if self.table_functions.is_none() {
                    return Err(self.err(
                        span,
                        format!(
                            "Table functions can only be used in the SELECT clause: {}",
                            function.name
                        ),
                    ));
                }
            }
            FunctionKind::Scalar => {}
        }
        let was_in_aggregate = self.in_aggregate;
        if kind == FunctionKind::Aggregate {
            self.in_aggregate = true;
        }
        let typed_args = self.type_args(function, args);
        self.in_aggregate = was_in_aggregate;
        let typed_args = typed_args?;
        let arg_types: Vec<ArgType> = typed_args
            .iter()
            .map(|(t, a)| match (t, a) {
                (Some(t), _) if is_null(t) => ArgType::Null,
                (_, a) => a.clone(),
            })
            .collect();
        let resolved = resolve(function, &arg_types).map_err(|e| self.err(span, e.to_string()))?;
        let mut final_args = Vec::new();
        for ((typed, _), param) in typed_args.into_iter().zip(&resolved.params) {
            let Some(typed) = typed else { continue };
            final_args.push(match param {
                Some(p) => self.coerce(typed, p, span)?,
                None => typed,
            });
        }
        let function_ref = FunctionRef {
            name: function.name.to_string(),
            signature: resolved.signature,
            params: resolved
                .params
                .iter()
                .map(|p| p.clone().unwrap_or(SqlType::Bigint))
                .collect(),
        };
        let ty = resolved.returns;
        Ok(match kind {
            FunctionKind::Scalar => TypedExpr::new(
                ty,
                ExprKind::Call {
                    function: function_ref,
                    args: final_args,
                },
            ),
            FunctionKind::Aggregate => {
                let literal_params = matches!(
                    function.name,
                    "TOPK"
                        | "TOPKDISTINCT"
                        | "LATEST_BY_OFFSET"
                        | "EARLIEST_BY_OFFSET"
                        | "COLLECT_LIST"
                        | "COLLECT_SET"
                );
                for (i, arg) in final_args
                    .iter()
                    .enumerate()
                    .skip(1)
                    .filter(|_| literal_params)
                {
                    if !matches!(arg.kind, ExprKind::Literal { .. })
                        && !matches!(&arg.kind, ExprKind::Cast { operand } if matches!(operand.kind, ExprKind::Literal { .. }))
                    {
                        let text = args
                            .get(i)
                            .map(super::naming::expr_text)
                            .unwrap_or_default();
                        return Err(self.err(span, format!(
                            "Parameter {} passed to function {} must be a literal constant, but was expression: '{}'",
                            i + 1, function.name, text
                        )));
                    }
                }
                let call = AggregateCall {
                    function: function_ref,
                    args: final_args,
                    ty: ty.clone(),
                };
                let list = self.aggregates.as_deref_mut().expect("checked above");
                let index = match list.iter().position(|c| *c == call) {
                    Some(i) => i,
                    None => {
                        list.push(call);
                        list.len() - 1
                    }
                };
                TypedExpr::column(
                    ColumnRef::Aggregate {
                        index: index as u32,
                    },
                    ty,
                )
            }
            FunctionKind::Table => {
                let call = TableFunctionCall {
                    function: function_ref,
                    args: final_args,
                    ty: ty.clone(),
                };
                let list = self.table_functions.as_deref_mut().expect("checked above");
                list.push(call);
                TypedExpr::column(
                    ColumnRef::TableFunction {
                        index: (list.len() - 1) as u32,
                    },
                    ty,
                )
            }
        })
    }

    fn aggregate_misplaced(&self, name: &str) -> String {
        match self.clause {
            "GROUP BY" => format!(
                "GROUP BY does not support aggregate functions: {name} is an aggregate function."
            ),
            "WHERE" => format!(
                "Aggregate functions can not be used in the WHERE clause: {name} is an aggregate function."
            ),
            "PARTITION BY" => format!(
                "PARTITION BY does not support aggregate functions: {name} is an aggregate function."
            ),
            _ if self.in_aggregate => format!("Aggregate functions can not be nested: {name}"),
            _ => format!("Use of aggregate function {name} requires a GROUP BY clause."),
        }
    }

    /// Types the arguments; lambdas after the others, once their parameter types are known.
    fn type_args(
        &mut self,
        function: &crate::functions::FunctionDescriptor,
        args: &[Expr],
    ) -> R<Vec<(Option<TypedExpr>, ArgType)>> {
        let mut out: Vec<(Option<TypedExpr>, ArgType)> = Vec::new();
        for arg in args {
            out.push(match &arg.kind {
                Ast::Lambda { params, .. } => (
                    None,
                    ArgType::Lambda {
                        arity: params.len(),
                        body: None,
                    },
                ),
                Ast::TimeUnit(_) => (Some(self.type_expr(arg)?), ArgType::Unit),
                _ => {
                    let t = self.type_expr(arg)?;
                    let a = if is_null(&t) {
                        ArgType::Null
                    } else {
                        ArgType::Type(t.ty.clone())
                    };
                    (Some(t), a)
                }
            });
        }
        for (i, arg) in args.iter().enumerate() {
            let Ast::Lambda { params, body } = &arg.kind else {
                continue;
            };
            let types: Vec<ArgType> = out.iter().map(|(_, a)| a.clone()).collect();
            let Some(inputs) = lambda_inputs(function, &types, i) else {
                return Err(self.err(
                    arg.span,
                    format!(
                        "Function '{}' does not accept a lambda with {} parameter(s) here",
                        function.name,
                        params.len()
                    ),
                ));
            };
            self.lambdas.push(
                params
                    .iter()
                    .map(|p| p.value.clone())
                    .zip(inputs.iter().cloned())
                    .collect(),
            );
            let body = self.type_expr(body);
            self.lambdas.pop();
            let body = body?;
            out[i] = (
                Some(TypedExpr::new(
                    body.ty.clone(),
                    ExprKind::Lambda {
                        params: inputs,
                        body: Box::new(body.clone()),
                    },
                )),
                ArgType::Lambda {
                    arity: params.len(),
                    body: Some(body.ty),
                },
            );
        }
        Ok(out)
    }
}

/// A built-in written type as a [`SqlType`] (`None` for custom types and bad decimals).
pub fn data_type_to_sql(data_type: &sql::DataType) -> Option<SqlType> {
    use sql::TypeKind as T;
    Some(match &data_type.kind {
        T::Boolean => SqlType::Boolean,
        T::Int => SqlType::Int,
        T::BigInt => SqlType::Bigint,
        T::Double => SqlType::Double,
        T::Decimal { precision, scale } => SqlType::decimal(*precision, *scale).ok()?,
        T::String => SqlType::String,
        T::Bytes => SqlType::Bytes,
        T::Date => SqlType::Date,
        T::Time => SqlType::Time,
        T::Timestamp => SqlType::Timestamp,
        T::Array(e) => SqlType::array(data_type_to_sql(e)?),
        T::Map(k, v) => SqlType::map(data_type_to_sql(k)?, data_type_to_sql(v)?),
        T::Struct(fields) => SqlType::Struct(
            fields
                .iter()
                .map(|f| {
                    Some(StructField {
                        name: f.name.value.clone(),
                        ty: data_type_to_sql(&f.data_type)?,
                    })
                })
                .collect::<Option<Vec<_>>>()?,
        ),
        T::Custom(_) => return None,
    })
}
