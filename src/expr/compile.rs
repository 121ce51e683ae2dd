//! Compiles a [`TypedExpr`] once per query into an [`Evaluator`]: a tree of boxed closures,
//! each reading its inputs from an [`EvalRow`] by position ([`Slot`]s resolved at compile
//! time), so evaluating a record does no name lookups, no type dispatch on the plan and no
//! allocation beyond the values it builds. Semantics follow ksqlDB: SQL three-valued logic,
//! Java integer overflow (wrapping), DECIMAL results fitted to the node's type, casts through
//! [`crate::types::cast`]. Evaluation failures are [`EvalError`] values (the operator logs them
//! and uses NULL); an expression that cannot be compiled (an unimplemented function, a lambda)
//! is a [`CompileError`] at build time. This module must not panic on any record. Two
//! shortcuts run before the closures: an expression that is one column is a copy of its
//! slot, and integer arithmetic or comparisons over columns and constants run as an `i64`
//! program (`integer`) that hands anything but INT, BIGINT and NULL back to the closures.
//!
//! Scalar function implementations live in [`super::scalar`], keyed by the resolved function
//! name and the node's result type.

use std::cell::RefCell;

use thiserror::Error;

use super::functions::{self, CallSite};
use super::integer::{IntProgram, Outcome};
use super::operator_nodes;
pub use super::operators::{arithmetic, compare};
use super::{ColumnRef, ExprKind, SystemColumn, TypedExpr};
use crate::types::java_hash_map::JavaHashMap;
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
    /// The value in `slot`; NULL past the end of the key or value.
    #[inline]
    pub fn read(&self, slot: Slot) -> Value {
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
    /// Failures of function calls, each of which evaluated to NULL instead.
    pub call_errors: &'a RefCell<Vec<EvalError>>,
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
    /// Set when the whole expression is one column read (most projections): evaluating it
    /// is then a copy of the slot, without the closure call and its error plumbing.
    column: Option<Slot>,
    /// Set when the expression is integer arithmetic or an integer comparison over columns
    /// and constants: evaluated on `i64`s first (see [`IntProgram`]).
    integer: Option<IntProgram>,
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
        let column = match &expr.kind {
            ExprKind::Column { column } if !matches!(column, ColumnRef::LambdaParam { .. }) => {
                layout(*column)
            }
            _ => None,
        };
        Ok(Evaluator {
            node: compile(expr, &scope)?,
            column,
            integer: IntProgram::compile(expr, layout),
            ty: expr.ty.clone(),
        })
    }

    /// Evaluates the expression. A function call that fails evaluates to NULL and the rest of
    /// the expression goes on, as in ksqlDB; those failures are logged here (use
    /// [`Evaluator::eval_reporting`] to route them). Any other failure is the error.
    pub fn eval(&self, row: &EvalRow<'_>) -> Result<Value, EvalError> {
        self.eval_reporting(row, &mut |error| {
            tracing::warn!(%error, "a function call failed and evaluated to NULL");
        })
    }

    /// [`Evaluator::eval`], handing each failed function call to `report`.
    pub fn eval_reporting(
        &self,
        row: &EvalRow<'_>,
        report: &mut dyn FnMut(EvalError),
    ) -> Result<Value, EvalError> {
        if let Some(slot) = self.column {
            return Ok(row.read(slot));
        }
        if let Some(program) = &self.integer
            && let Outcome::Decided(result) = program.eval(row)
        {
            return result;
        }
        let call_errors = RefCell::new(Vec::new());
        let result = (self.node)(&Frame {
            row,
            params: &[],
            call_errors: &call_errors,
        });
        call_errors.into_inner().into_iter().for_each(report);
        result
    }

    /// The result type.
    pub fn ty(&self) -> &SqlType {
        &self.ty
    }

    /// The evaluator without its shortcuts (single-column copy, integer program): every
    /// record goes through the general closures. For tests that compare the two.
    #[cfg(test)]
    pub(crate) fn general_only(mut self) -> Evaluator {
        self.column = None;
        self.integer = None;
        self
    }

    /// Whether the expression is evaluated by an integer program first.
    #[cfg(test)]
    pub(crate) fn has_integer_program(&self) -> bool {
        self.integer.is_some()
    }

    /// The slot the expression copies when it is a single column read.
    pub fn column(&self) -> Option<Slot> {
        self.column
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
            operator_nodes::arithmetic(*op, left, right, ty, scope)?
        }
        ExprKind::Compare { op, left, right } => operator_nodes::compare(*op, left, right, scope)?,
        ExprKind::And { left, right } => operator_nodes::connective(left, right, false, scope)?,
        ExprKind::Or { left, right } => operator_nodes::connective(left, right, true, scope)?,
        ExprKind::IsNull { operand, negated } => {
            let (operand, negated) = (c(operand)?, *negated);
            Box::new(move |row| Ok(Value::Boolean(operand(row)?.is_null() != negated)))
        }
        ExprKind::Between {
            operand,
            low,
            high,
            negated,
        } => operator_nodes::between(operand, low, high, *negated, scope)?,
        ExprKind::InList {
            operand,
            list,
            negated,
        } => operator_nodes::in_list(operand, list, *negated, scope)?,
        ExprKind::Like {
            operand,
            pattern,
            escape,
            negated,
        } => super::operators::compile_like(c(operand)?, pattern, *escape, *negated, scope)?,
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
                // ksqlDB's `MapBuilder`: a `new HashMap<>(entries)`.
                let mut out = JavaHashMap::with_capacity(entries.len());
                for (k, v) in &entries {
                    out.put(k(row)?, v(row)?);
                }
                Ok(out.into_value())
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
                signature: function.signature,
                returns: &ty,
                args,
            };
            let imp =
                functions::lookup(&site).ok_or_else(|| CompileError::UnimplementedFunction {
                    name: function.name.clone(),
                    returns: ty.to_string(),
                })?;
            let args = args.iter().map(c).collect::<Result<Vec<_>, _>>()?;
            compile_call(imp, args)
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

/// A call of a scalar function: up to three arguments are gathered on the stack, so the common
/// call allocates nothing of its own. A failing call is NULL and its error is recorded.
fn compile_call(imp: functions::FnImpl, args: Vec<Node>) -> Node {
    fn finish(row: &Frame<'_>, result: Result<Value, EvalError>) -> Value {
        result.unwrap_or_else(|error| {
            row.call_errors.borrow_mut().push(error);
            Value::Null
        })
    }
    let mut args = args.into_iter();
    match (args.next(), args.next(), args.next(), args.next()) {
        (None, ..) => Box::new(move |row| Ok(finish(row, imp(&[])))),
        (Some(a), None, ..) => Box::new(move |row| Ok(finish(row, imp(&[a(row)?])))),
        (Some(a), Some(b), None, _) => {
            Box::new(move |row| Ok(finish(row, imp(&[a(row)?, b(row)?]))))
        }
        (Some(a), Some(b), Some(c), None) => {
            Box::new(move |row| Ok(finish(row, imp(&[a(row)?, b(row)?, c(row)?]))))
        }
        (Some(a), Some(b), Some(c), Some(d)) => {
            let all: Vec<Node> = [a, b, c, d].into_iter().chain(args).collect();
            Box::new(move |row| {
                let values = all.iter().map(|a| a(row)).collect::<Result<Vec<_>, _>>()?;
                Ok(finish(row, imp(&values)))
            })
        }
    }
}

pub(crate) fn opt_bool(b: Option<bool>) -> Value {
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
pub(super) fn struct_names_differ(a: &SqlType, b: &SqlType) -> bool {
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

#[cfg(test)]
#[path = "compile_tests.rs"]
mod tests;
