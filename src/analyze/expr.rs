//! Typing expressions against a [`Scope`]: every syntax-tree expression becomes a
//! [`TypedExpr`] with resolved columns, chosen function overloads, implicit widenings made
//! explicit as casts, and ksqlDB's type errors. Aggregate and table function calls are
//! collected (when the clause allows them) and replaced by references to their results.
//! It must not decide output names or keys (that is `naming` and `query`).

use super::R;
use super::scope::Scope;
use crate::expr::{ColumnRef, Comparison, ExprKind, FunctionRef, Literal, TypedExpr};
use crate::functions::Registry;
use crate::sql::{self, Diagnostic, Expr, ExprKind as Ast, Span, UnaryOp};
use crate::types::{SqlType, StructField, can_cast};

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
    pub(super) lambdas: Vec<Vec<(String, SqlType)>>,
    /// The aggregate whose arguments are being typed (ksqlDB refuses nesting another).
    pub(super) in_aggregate: Option<&'static str>,
}

pub(super) fn null_of(ty: SqlType) -> TypedExpr {
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
pub(super) fn decimal_literal_type(text: &str) -> SqlType {
    let digits = text.trim_start_matches(['-', '+']);
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let whole = whole.trim_start_matches('0');
    let scale = frac.len() as u32;
    let precision = ((whole.len() as u32) + scale).max(1).max(scale);
    SqlType::Decimal { precision, scale }
}

/// ksqlDB's `AggregateAnalyzer.throwOnWindowBoundColumnIfWindowedAggregate`.
pub(super) fn window_bounds_only_in_select(column: &str) -> String {
    format!(
        "Window bounds column {column} can only be used in the SELECT clause of windowed \
         aggregations and can not be passed to aggregate functions.\n\
         See https://github.com/confluentinc/ksql/issues/4397"
    )
}

/// What ksqlDB's code generator calls the expressions of `clause` in its "Invalid …: "
/// messages (the `type` of `CodeGenRunner.buildCodeGenFromParseTree`): `Select`
/// (`QueryProjectNode`, `SelectValueMapperFactory`), `Predicate` (`QueryFilterNode`,
/// `SqlPredicate`: WHERE and HAVING), `Group By` (`StepSchemaResolver`, the group-by
/// builders) and `SelectKey` (`PartitionByParamsFactory`: PARTITION BY, and the repartition
/// ksqlDB inserts for a join on an expression).
fn codegen_name(clause: &str) -> &'static str {
    match clause {
        "WHERE" | "HAVING" => "Predicate",
        "GROUP BY" => "Group By",
        "PARTITION BY" | "JOIN ON" => "SelectKey",
        _ => "Select",
    }
}

impl<'a> Typer<'a> {
    /// An expression as ksqlDB prints it in this clause's messages: after a join, WHERE and
    /// HAVING read the join's output, so their columns print as its names (`I1_BAR`).
    pub(super) fn text(&self, expr: &Expr) -> String {
        if self.scope.is_join() && matches!(self.clause, "WHERE" | "HAVING") {
            super::naming::joined_text(expr, &|name| self.scope.only_source_of(name))
        } else {
            super::naming::expr_text(expr)
        }
    }

    /// Where a windowed aggregation refuses a window bound (`WINDOWSTART`, `WINDOWEND`)
    /// outside its SELECT clause. ksqlDB type-checks WHERE on the source's schema first
    /// (`LogicalPlanner.buildFilterNode`), where only a windowed source has the bounds:
    /// otherwise "Unknown column". Its `AggregateAnalyzer` then refuses any bound in WHERE,
    /// GROUP BY and HAVING (`throwOnWindowBoundColumnIfWindowedAggregate`), aggregated or not.
    fn window_bound_refusal(&self, column: &ColumnRef) -> Option<String> {
        let ColumnRef::System { side, column } = column else {
            return None;
        };
        let bound = matches!(
            column,
            crate::expr::SystemColumn::Windowstart | crate::expr::SystemColumn::Windowend
        );
        // `window_bounds`: the bounds of a windowed aggregation (over a single source).
        if !bound || !self.scope.window_bounds {
            return None;
        }
        let windowed_source = self
            .scope
            .sides
            .get(*side as usize)
            .is_some_and(|s| s.windowed);
        match self.clause {
            "WHERE" if !windowed_source => Some(format!("Unknown column {}.", column.name())),
            "WHERE" | "GROUP BY" | "HAVING" => Some(window_bounds_only_in_select(column.name())),
            _ => None,
        }
    }

    pub fn new(scope: &'a Scope, clause: &'static str) -> Typer<'a> {
        Typer {
            scope,
            registry: Registry::builtin(),
            clause,
            aggregates: None,
            table_functions: None,
            lambdas: Vec::new(),
            in_aggregate: None,
        }
    }

    pub(super) fn err(&self, span: Span, message: impl Into<String>) -> Diagnostic {
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
                if let Some(message) = self.window_bound_refusal(&resolved.column) {
                    return Err(self.err(span, message));
                }
                if self.in_aggregate.is_some()
                    && let ColumnRef::System { column, .. } = resolved.column
                    && matches!(
                        column,
                        crate::expr::SystemColumn::Windowstart
                            | crate::expr::SystemColumn::Windowend
                    )
                {
                    return Err(self.err(span, window_bounds_only_in_select(column.name())));
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
                let raw = list
                    .iter()
                    .map(|i| self.type_expr(i))
                    .collect::<R<Vec<_>>>()?;
                super::in_list::check_common_type(&typed, &raw, list)?;
                let mut items = Vec::new();
                for (t, item) in raw.into_iter().zip(list) {
                    let t = self.coerce_literal(&typed, t, item.span, true)?;
                    let t = if typed.ty.is_collection() {
                        self.in_list_collection(&typed, t, item)?
                    } else {
                        t
                    };
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
                    // ksqlDB finds this when it generates the clause's code, and says so.
                    return Err(self.err(
                        span,
                        format!(
                            "Invalid {}: Cast of {} to {} is not supported.",
                            codegen_name(self.clause),
                            operand.ty,
                            target
                        ),
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
                    .map(|e| self.coerce_element(e, &ty, span))
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
                        self.coerce_element(k, &key_ty, span)?,
                        self.coerce_element(v, &value_ty, span)?,
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
            Ast::Function { name, args, .. } => self.call(name, args, span)?,
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
