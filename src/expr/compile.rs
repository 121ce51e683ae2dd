//! Compiles a [`TypedExpr`] once per query into an [`Evaluator`]: a tree of boxed closures,
//! each reading its inputs from an [`EvalRow`] by position ([`Slot`]s resolved at compile
//! time), so evaluating a record does no name lookups, no type dispatch on the plan and no
//! allocation beyond the values it builds. Semantics follow ksqlDB: SQL three-valued logic,
//! Java integer overflow (wrapping), DECIMAL results fitted to the node's type, casts through
//! [`crate::types::cast`]. Evaluation failures are [`EvalError`] values (the operator logs them
//! and uses NULL); an expression that cannot be compiled (an unimplemented function, a lambda)
//! is a [`CompileError`] at build time. This module must not panic on any record.
//!
//! Scalar function implementations live in [`super::scalar`], keyed by the resolved function
//! name and the node's result type.

use std::cmp::Ordering;

use thiserror::Error;

use super::functions::{self, CallSite};
pub use super::operators::{arithmetic, compare};
use super::{ColumnRef, Comparison, ExprKind, SystemColumn, TypedExpr};
use crate::types::{self, SqlType, Value};

/// Where a [`ColumnRef`] is read from at run time, decided once by the operator's layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    Key(usize),
    Value(usize),
    System(SystemColumn),
}

/// What an expression reads: the record's key and value columns and its metadata.
#[derive(Debug, Clone, Copy)]
pub struct EvalRow<'a> {
    pub key: &'a [Value],
    pub value: &'a [Value],
    pub timestamp: i64,
    pub partition: i32,
    pub offset: i64,
    /// `(start, end)` for windowed records.
    pub window: Option<(i64, i64)>,
}

impl EvalRow<'_> {
    fn read(&self, slot: Slot) -> Value {
        match slot {
            Slot::Key(i) => self.key.get(i).cloned().unwrap_or(Value::Null),
            Slot::Value(i) => self.value.get(i).cloned().unwrap_or(Value::Null),
            Slot::System(SystemColumn::Rowtime) => Value::Bigint(self.timestamp),
            Slot::System(SystemColumn::Rowpartition) => Value::Int(self.partition),
            Slot::System(SystemColumn::Rowoffset) => Value::Bigint(self.offset),
            Slot::System(SystemColumn::Windowstart) => {
                self.window.map_or(Value::Null, |w| Value::Bigint(w.0))
            }
            Slot::System(SystemColumn::Windowend) => {
                self.window.map_or(Value::Null, |w| Value::Bigint(w.1))
            }
        }
    }
}

/// An expression could not be compiled.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum CompileError {
    #[error("function {name} (returning {returns}) is not implemented yet")]
    UnimplementedFunction { name: String, returns: String },
    #[error("{what} is not supported by the evaluator yet")]
    Unsupported { what: String },
    #[error("column {column:?} is not available at this point of the plan")]
    UnknownColumn { column: ColumnRef },
    #[error("invalid LIKE pattern: {0}")]
    Like(String),
}

/// One record's expression failed; the operator logs it and uses NULL.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum EvalError {
    #[error("/ by zero")]
    DivideByZero,
    #[error(transparent)]
    Cast(#[from] types::CastError),
    #[error(transparent)]
    Decimal(#[from] types::DecimalError),
    #[error("{0}")]
    Function(String),
}

/// A compiled expression node, evaluated against one [`Frame`].
pub(crate) type Node = Box<dyn Fn(&Frame<'_>) -> Result<Value, EvalError> + Send + Sync>;

/// What a node reads: the record, and the arguments of the lambdas it is inside (flattened,
/// outermost lambda first).
pub(crate) struct Frame<'a> {
    pub row: &'a EvalRow<'a>,
    pub params: &'a [Value],
}

impl Frame<'_> {
    fn read(&self, slot: Slot) -> Value {
        self.row.read(slot)
    }
}

/// Compile-time context: how columns are laid out and which lambda parameters are in scope.
pub(crate) struct Scope<'l> {
    layout: &'l dyn Fn(ColumnRef) -> Option<Slot>,
    /// The parameter count of each enclosing lambda, outermost first.
    lambdas: Vec<usize>,
}

impl Scope<'_> {
    /// The scope inside one more lambda of `params` parameters.
    pub(crate) fn enter_lambda(&self, params: usize) -> Scope<'_> {
        let mut lambdas = self.lambdas.clone();
        lambdas.push(params);
        Scope {
            layout: self.layout,
            lambdas,
        }
    }

    /// How many lambda arguments enclose this scope (the length of [`Frame::params`]).
    pub(crate) fn bound_params(&self) -> usize {
        self.lambdas.iter().sum()
    }
}

/// A compiled expression.
pub struct Evaluator {
    node: Node,
    ty: SqlType,
}

impl std::fmt::Debug for Evaluator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Evaluator({})", self.ty)
    }
}

impl Evaluator {
    /// Compiles `expr`, resolving every column through `layout` now.
    pub fn compile(
        expr: &TypedExpr,
        layout: &dyn Fn(ColumnRef) -> Option<Slot>,
    ) -> Result<Evaluator, CompileError> {
        let scope = Scope {
            layout,
            lambdas: Vec::new(),
        };
        Ok(Evaluator {
            node: compile(expr, &scope)?,
            ty: expr.ty.clone(),
        })
    }

    pub fn eval(&self, row: &EvalRow<'_>) -> Result<Value, EvalError> {
        (self.node)(&Frame { row, params: &[] })
    }

    /// The result type.
    pub fn ty(&self) -> &SqlType {
        &self.ty
    }
}

pub(crate) fn compile(expr: &TypedExpr, scope: &Scope<'_>) -> Result<Node, CompileError> {
    let c = |e: &TypedExpr| compile(e, scope);
    let ty = expr.ty.clone();
    Ok(match &expr.kind {
        ExprKind::Literal { value } => {
            let v = value.to_value();
            Box::new(move |_| Ok(v.clone()))
        }
        ExprKind::Column {
            column: ColumnRef::LambdaParam { depth, index },
        } => {
            let (depth, index) = (*depth as usize, *index as usize);
            if depth >= scope.lambdas.len() || index >= scope.lambdas[depth] {
                return Err(CompileError::UnknownColumn {
                    column: ColumnRef::LambdaParam {
                        depth: depth as u16,
                        index: index as u16,
                    },
                });
            }
            let position = scope.lambdas[..depth].iter().sum::<usize>() + index;
            Box::new(move |row| Ok(row.params.get(position).cloned().unwrap_or(Value::Null)))
        }
        ExprKind::Column { column } => {
            let slot =
                (scope.layout)(*column).ok_or(CompileError::UnknownColumn { column: *column })?;
            Box::new(move |row| Ok(row.read(slot)))
        }
        ExprKind::Field { base, index } => {
            let (base, index) = (c(base)?, *index as usize);
            Box::new(move |row| {
                Ok(match base(row)? {
                    Value::Struct(fields) => fields.get(index).cloned().unwrap_or(Value::Null),
                    _ => Value::Null,
                })
            })
        }
        ExprKind::Subscript { base, index } => {
            let (base, index) = (c(base)?, c(index)?);
            Box::new(move |row| Ok(subscript(&base(row)?, &index(row)?)))
        }
        ExprKind::Negate { operand } => {
            let operand = c(operand)?;
            Box::new(move |row| {
                Ok(match operand(row)? {
                    Value::Int(i) => Value::Int(i.wrapping_neg()),
                    Value::Bigint(i) => Value::Bigint(i.wrapping_neg()),
                    Value::Double(d) => Value::Double(-d),
                    Value::Decimal(d) => Value::Decimal(-d),
                    _ => Value::Null,
                })
            })
        }
        ExprKind::Not { operand } => {
            let operand = c(operand)?;
            Box::new(move |row| Ok(opt_bool(operand(row)?.as_bool().map(|b| !b))))
        }
        ExprKind::Arithmetic { op, left, right } => {
            let (op, l, r) = (*op, c(left)?, c(right)?);
            Box::new(move |row| {
                let (a, b) = (l(row)?, r(row)?);
                if a.is_null() || b.is_null() {
                    return Ok(Value::Null);
                }
                arithmetic(op, &a, &b, &ty)
            })
        }
        ExprKind::Compare { op, left, right } => {
            // Structs of different field names never compare equal (Kafka Connect `Struct.equals`).
            if struct_names_differ(&left.ty, &right.ty) {
                let differ = matches!(op, Comparison::NotEq | Comparison::Distinct);
                return Ok(Box::new(move |_| Ok(Value::Boolean(differ))));
            }
            let (op, l, r) = (*op, c(left)?, c(right)?);
            Box::new(move |row| Ok(Value::Boolean(compare(op, &l(row)?, &r(row)?))))
        }
        ExprKind::And { left, right } => {
            let (l, r) = (c(left)?, c(right)?);
            Box::new(move |row| {
                let a = l(row)?.as_bool();
                if a == Some(false) {
                    return Ok(Value::Boolean(false));
                }
                Ok(match (a, r(row)?.as_bool()) {
                    (_, Some(false)) => Value::Boolean(false),
                    (Some(true), Some(true)) => Value::Boolean(true),
                    _ => Value::Null,
                })
            })
        }
        ExprKind::Or { left, right } => {
            let (l, r) = (c(left)?, c(right)?);
            Box::new(move |row| {
                let a = l(row)?.as_bool();
                if a == Some(true) {
                    return Ok(Value::Boolean(true));
                }
                Ok(match (a, r(row)?.as_bool()) {
                    (_, Some(true)) => Value::Boolean(true),
                    (Some(false), Some(false)) => Value::Boolean(false),
                    _ => Value::Null,
                })
            })
        }
        ExprKind::IsNull { operand, negated } => {
            let (operand, negated) = (c(operand)?, *negated);
            Box::new(move |row| Ok(Value::Boolean(operand(row)?.is_null() != negated)))
        }
        ExprKind::Between {
            operand,
            low,
            high,
            negated,
        } => {
            let (x, lo, hi, negated) = (c(operand)?, c(low)?, c(high)?, *negated);
            Box::new(move |row| {
                let v = x(row)?;
                let ge = v.sql_cmp(&lo(row)?).map(|o| o != Ordering::Less);
                let le = v.sql_cmp(&hi(row)?).map(|o| o != Ordering::Greater);
                Ok(Value::Boolean(match (ge, le) {
                    (Some(a), Some(b)) => (a && b) != negated,
                    _ => false,
                }))
            })
        }
        ExprKind::InList {
            operand,
            list,
            negated,
        } => {
            let list = list
                .iter()
                .filter(|item| !struct_names_differ(&operand.ty, &item.ty))
                .map(c)
                .collect::<Result<Vec<_>, _>>()?;
            let operand = c(operand)?;
            let negated = *negated;
            // ksqlDB: a NULL operand or element never matches, and the result is never NULL.
            Box::new(move |row| {
                let v = operand(row)?;
                if !v.is_null() {
                    for item in &list {
                        if v.sql_equals(&item(row)?) == Some(true) {
                            return Ok(Value::Boolean(!negated));
                        }
                    }
                }
                Ok(Value::Boolean(negated))
            })
        }
        ExprKind::Like {
            operand,
            pattern,
            escape,
            negated,
        } => compile_like(c(operand)?, pattern, *escape, *negated, scope)?,
        ExprKind::Case { whens, otherwise } => {
            let whens = whens
                .iter()
                .map(|(w, t)| Ok((c(w)?, c(t)?)))
                .collect::<Result<Vec<_>, CompileError>>()?;
            let otherwise = otherwise.as_deref().map(c).transpose()?;
            Box::new(move |row| {
                for (when, then) in &whens {
                    if when(row)?.as_bool() == Some(true) {
                        return then(row);
                    }
                }
                otherwise.as_ref().map_or(Ok(Value::Null), |o| o(row))
            })
        }
        ExprKind::Cast { operand } => {
            let from = operand.ty.clone();
            let operand = c(operand)?;
            Box::new(move |row| Ok(types::cast(&operand(row)?, &from, &ty)?))
        }
        ExprKind::Array { elements } => {
            let elements = elements.iter().map(c).collect::<Result<Vec<_>, _>>()?;
            Box::new(move |row| {
                let values = elements.iter().map(|e| e(row)).collect::<Result<_, _>>()?;
                Ok(Value::array(values))
            })
        }
        ExprKind::Map { entries } => {
            let entries = entries
                .iter()
                .map(|(k, v)| Ok((c(k)?, c(v)?)))
                .collect::<Result<Vec<_>, CompileError>>()?;
            Box::new(move |row| {
                let mut out = Vec::with_capacity(entries.len());
                for (k, v) in &entries {
                    out.push((k(row)?, v(row)?));
                }
                Ok(Value::map(out))
            })
        }
        ExprKind::Struct { fields } => {
            let fields = fields
                .iter()
                .map(|(_, e)| c(e))
                .collect::<Result<Vec<_>, _>>()?;
            Box::new(move |row| {
                let values = fields.iter().map(|e| e(row)).collect::<Result<_, _>>()?;
                Ok(Value::structure(values))
            })
        }
        ExprKind::Call { function, args } => {
            if let Some(node) = super::lambda::compile_call(&function.name, args, scope)? {
                return Ok(node);
            }
            let site = CallSite {
                name: &function.name,
                returns: &ty,
                args,
            };
            let imp =
                functions::lookup(&site).ok_or_else(|| CompileError::UnimplementedFunction {
                    name: function.name.clone(),
                    returns: ty.to_string(),
                })?;
            let args = args.iter().map(c).collect::<Result<Vec<_>, _>>()?;
            Box::new(move |row| {
                let values = args.iter().map(|a| a(row)).collect::<Result<Vec<_>, _>>()?;
                imp(&values)
            })
        }
        ExprKind::Lambda { .. } => {
            return Err(CompileError::Unsupported {
                what: "a lambda outside TRANSFORM, FILTER or REDUCE".into(),
            });
        }
        ExprKind::TimeUnit { millis } => {
            let millis = *millis as i64;
            Box::new(move |_| Ok(Value::Bigint(millis)))
        }
    })
}

fn opt_bool(b: Option<bool>) -> Value {
    b.map_or(Value::Null, Value::Boolean)
}

fn subscript(base: &Value, index: &Value) -> Value {
    match base {
        Value::Array(items) => {
            let Some(i) = index.as_i64() else {
                return Value::Null;
            };
            let len = items.len() as i64;
            let pos = if i > 0 { i - 1 } else { len + i };
            if (0..len).contains(&pos) {
                items[pos as usize].clone()
            } else {
                Value::Null
            }
        }
        Value::Map(_) => base.map_get(index).cloned().unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

/// Whether two types are structs (possibly nested in collections) with different field names.
fn struct_names_differ(a: &SqlType, b: &SqlType) -> bool {
    match (a, b) {
        (SqlType::Struct(x), SqlType::Struct(y)) => {
            x.len() != y.len()
                || x.iter()
                    .zip(y)
                    .any(|(f, g)| f.name != g.name || struct_names_differ(&f.ty, &g.ty))
        }
        (SqlType::Array(x), SqlType::Array(y)) => struct_names_differ(x, y),
        (SqlType::Map(_, x), SqlType::Map(_, y)) => struct_names_differ(x, y),
        _ => false,
    }
}

fn compile_like(
    operand: Node,
    pattern: &TypedExpr,
    escape: Option<char>,
    negated: bool,
    scope: &Scope<'_>,
) -> Result<Node, CompileError> {
    if let ExprKind::Literal { value } = &pattern.kind {
        let Some(text) = value.to_value().as_str().map(str::to_owned) else {
            return Ok(Box::new(|_| Ok(Value::Null)));
        };
        let re = like_regex(&text, escape)?;
        return Ok(Box::new(move |row| {
            Ok(opt_bool(
                operand(row)?.as_str().map(|s| re.is_match(s) != negated),
            ))
        }));
    }
    let pattern = compile(pattern, scope)?;
    Ok(Box::new(move |row| {
        let (v, p) = (operand(row)?, pattern(row)?);
        let (Some(s), Some(p)) = (v.as_str(), p.as_str()) else {
            return Ok(Value::Null);
        };
        let re = like_regex(p, escape).map_err(|e| EvalError::Function(e.to_string()))?;
        Ok(Value::Boolean(re.is_match(s) != negated))
    }))
}

/// `%` is any run, `_` any one character, everything else literal (case-sensitive).
fn like_regex(pattern: &str, escape: Option<char>) -> Result<regex::Regex, CompileError> {
    let mut out = String::from("(?s)^");
    let mut chars = pattern.chars();
    while let Some(ch) = chars.next() {
        match ch {
            _ if Some(ch) == escape => {
                if let Some(next) = chars.next() {
                    out.push_str(&regex::escape(&next.to_string()));
                }
            }
            '%' => out.push_str(".*"),
            '_' => out.push('.'),
            _ => out.push_str(&regex::escape(&ch.to_string())),
        }
    }
    out.push('$');
    regex::Regex::new(&out).map_err(|e| CompileError::Like(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::Literal;
    use crate::types::ArithmeticOp;

    fn lit(v: Literal, ty: SqlType) -> TypedExpr {
        TypedExpr::literal(v, ty)
    }

    fn col(i: u32, ty: SqlType) -> TypedExpr {
        TypedExpr::column(ColumnRef::Input { side: 0, index: i }, ty)
    }

    fn layout(c: ColumnRef) -> Option<Slot> {
        match c {
            ColumnRef::Input { side: 0, index } => Some(Slot::Value(index as usize)),
            ColumnRef::System { column, .. } => Some(Slot::System(column)),
            _ => None,
        }
    }

    fn eval(e: TypedExpr, value: &[Value]) -> Result<Value, EvalError> {
        let row = EvalRow {
            key: &[],
            value,
            timestamp: 7,
            partition: 0,
            offset: 3,
            window: None,
        };
        Evaluator::compile(&e, &layout).unwrap().eval(&row)
    }

    fn bin(op: ArithmeticOp, l: TypedExpr, r: TypedExpr, ty: SqlType) -> TypedExpr {
        TypedExpr::new(
            ty,
            ExprKind::Arithmetic {
                op,
                left: Box::new(l),
                right: Box::new(r),
            },
        )
    }

    #[test]
    fn integer_arithmetic_wraps_and_division_by_zero_is_an_error() {
        let e = bin(
            ArithmeticOp::Add,
            col(0, SqlType::Int),
            lit(Literal::Int(1), SqlType::Int),
            SqlType::Int,
        );
        assert_eq!(eval(e, &[Value::Int(i32::MAX)]), Ok(Value::Int(i32::MIN)));
        let e = bin(
            ArithmeticOp::Divide,
            col(0, SqlType::Int),
            lit(Literal::Int(0), SqlType::Int),
            SqlType::Int,
        );
        assert_eq!(eval(e, &[Value::Int(1)]), Err(EvalError::DivideByZero));
        let e = bin(
            ArithmeticOp::Add,
            col(0, SqlType::Int),
            lit(Literal::Int(1), SqlType::Int),
            SqlType::Int,
        );
        assert_eq!(eval(e, &[Value::Null]), Ok(Value::Null));
    }

    #[test]
    fn three_valued_logic_and_comparisons() {
        let null_bool = col(0, SqlType::Boolean);
        let f = lit(Literal::Boolean(false), SqlType::Boolean);
        let and = TypedExpr::new(
            SqlType::Boolean,
            ExprKind::And {
                left: Box::new(null_bool.clone()),
                right: Box::new(f),
            },
        );
        assert_eq!(eval(and, &[Value::Null]), Ok(Value::Boolean(false)));
        let cmp = TypedExpr::new(
            SqlType::Boolean,
            ExprKind::Compare {
                op: Comparison::Gt,
                left: Box::new(col(0, SqlType::Int)),
                right: Box::new(lit(Literal::Bigint(2), SqlType::Bigint)),
            },
        );
        assert_eq!(
            eval(cmp.clone(), &[Value::Int(3)]),
            Ok(Value::Boolean(true))
        );
        assert_eq!(eval(cmp, &[Value::Null]), Ok(Value::Boolean(false)));
    }

    #[test]
    fn like_and_system_columns() {
        let like = TypedExpr::new(
            SqlType::Boolean,
            ExprKind::Like {
                operand: Box::new(col(0, SqlType::String)),
                pattern: Box::new(lit(Literal::String("a%c_".into()), SqlType::String)),
                escape: None,
                negated: false,
            },
        );
        assert_eq!(
            eval(like.clone(), &[Value::string("abbcd")]),
            Ok(Value::Boolean(true))
        );
        assert_eq!(
            eval(like, &[Value::string("abc")]),
            Ok(Value::Boolean(false))
        );
        let rowtime = TypedExpr::column(
            ColumnRef::System {
                side: 0,
                column: SystemColumn::Rowtime,
            },
            SqlType::Bigint,
        );
        assert_eq!(eval(rowtime, &[]), Ok(Value::Bigint(7)));
    }

    #[test]
    fn functions_and_unimplemented_ones() {
        let call = |name: &str, args: Vec<TypedExpr>, ty: SqlType| {
            TypedExpr::new(
                ty,
                ExprKind::Call {
                    function: crate::expr::FunctionRef {
                        name: name.into(),
                        signature: 0,
                        params: vec![],
                    },
                    args,
                },
            )
        };
        let s = |t: &str| lit(Literal::String(t.into()), SqlType::String);
        let i = |n: i32| lit(Literal::Int(n), SqlType::Int);
        assert_eq!(
            eval(
                call("SUBSTRING", vec![s("hello"), i(2), i(3)], SqlType::String),
                &[]
            ),
            Ok(Value::string("ell"))
        );
        assert_eq!(
            eval(
                call("SUBSTRING", vec![s("hello"), i(-3)], SqlType::String),
                &[]
            ),
            Ok(Value::string("llo"))
        );
        assert_eq!(
            eval(call("UCASE", vec![s("ab")], SqlType::String), &[]),
            Ok(Value::string("AB"))
        );
        assert_eq!(
            eval(
                call("COALESCE", vec![col(0, SqlType::Int), i(4)], SqlType::Int),
                &[Value::Null]
            ),
            Ok(Value::Int(4))
        );
        assert_eq!(
            eval(
                call(
                    "GREATEST",
                    vec![col(0, SqlType::Int), i(4), i(9)],
                    SqlType::Int
                ),
                &[Value::Null]
            ),
            Ok(Value::Int(9))
        );
        assert_eq!(
            eval(call("NULLIF", vec![i(4), i(4)], SqlType::Int), &[]),
            Ok(Value::Null)
        );
        assert_eq!(
            eval(
                call("LPAD", vec![s("ab"), i(5), s("xy")], SqlType::String),
                &[]
            ),
            Ok(Value::string("xyxab"))
        );
        assert_eq!(
            eval(
                call("RPAD", vec![s("abcdef"), i(3), s("x")], SqlType::String),
                &[]
            ),
            Ok(Value::string("abc"))
        );
        let err = Evaluator::compile(&call("NOPE", vec![], SqlType::Int), &layout).unwrap_err();
        assert!(err.to_string().contains("NOPE"));
    }
}
