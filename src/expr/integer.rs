//! Integer expressions evaluated without values: an expression made only of INT and BIGINT
//! columns, integer constants and `+ - * / %` (`PRICE * 908 / 1000`), or a comparison of two
//! such expressions (`AUCTION % 10 <> 0`), is compiled a second time into an [`IntProgram`]
//! that works on `i64`s, with no closure call, `Value` or `Result<Value>` per node. It is a
//! shortcut, never a second semantics: a slot holding anything but an INT, a BIGINT or NULL
//! makes it give up ([`Outcome::Undecided`]) and the general closures decide. Arithmetic is
//! the general path's ([`integer_op`]): Java wrapping, INT nodes in 32 bits, NULL operands
//! give NULL after both sides ran, `/` and `%` by zero fail; comparisons of a NULL are FALSE.

use super::compile::{EvalError, EvalRow, Slot};
use super::operators::{integer_op, ordering_satisfies};
use super::{ColumnRef, Comparison, ExprKind, Literal, TypedExpr};
use crate::types::{ArithmeticOp, SqlType, Value};

/// An INT or BIGINT expression over slots and constants.
#[derive(Debug, Clone)]
pub(crate) enum IntExpr {
    Slot(Slot),
    Constant(i64),
    Arithmetic {
        op: ArithmeticOp,
        /// The node is INT: its operands are narrowed to 32 bits (see [`integer_op`]).
        int: bool,
        left: Box<IntExpr>,
        right: Box<IntExpr>,
    },
}

/// A whole expression the shortcut can evaluate.
#[derive(Debug, Clone)]
pub(crate) enum IntProgram {
    /// An INT (`int`) or BIGINT result.
    Number { expr: IntExpr, int: bool },
    /// A BOOLEAN comparison that is never NULL (`=`, `<>`, `<`, `<=`, `>`, `>=`).
    Compare {
        op: Comparison,
        left: IntExpr,
        right: IntExpr,
    },
}

/// What evaluating an [`IntProgram`] came to.
#[derive(Debug, PartialEq)]
pub(crate) enum Outcome {
    Decided(Result<Value, EvalError>),
    /// A slot held a value of another type: the general path must evaluate the expression.
    Undecided,
}

/// What an [`IntExpr`] evaluated to: small and `Copy`, so it travels in registers.
#[derive(Debug, Clone, Copy)]
enum Int {
    Number(i64),
    Null,
    DivideByZero,
    /// A slot held a value of another type.
    Undecided,
}

impl IntProgram {
    /// The program for `expr`, or `None` when it is not made only of what the shortcut
    /// covers. Columns resolve through `layout` as in the general compiler.
    pub(crate) fn compile(
        expr: &TypedExpr,
        layout: &dyn Fn(ColumnRef) -> Option<Slot>,
    ) -> Option<IntProgram> {
        match (&expr.ty, &expr.kind) {
            (SqlType::Boolean, ExprKind::Compare { op, left, right })
                if !matches!(op, Comparison::Distinct | Comparison::NotDistinct) =>
            {
                Some(IntProgram::Compare {
                    op: *op,
                    left: IntExpr::compile(left, layout)?,
                    right: IntExpr::compile(right, layout)?,
                })
            }
            (SqlType::Int | SqlType::Bigint, ExprKind::Arithmetic { .. }) => {
                Some(IntProgram::Number {
                    expr: IntExpr::compile(expr, layout)?,
                    int: matches!(expr.ty, SqlType::Int),
                })
            }
            _ => None,
        }
    }

    pub(crate) fn eval(&self, row: &EvalRow<'_>) -> Outcome {
        let value = match self {
            IntProgram::Number { expr, int } => match expr.operand(row) {
                Int::Number(x) if *int => Value::Int(x as i32),
                Int::Number(x) => Value::Bigint(x),
                Int::Null => Value::Null,
                stop => return stopped(stop),
            },
            IntProgram::Compare { op, left, right } => {
                // Both sides run, left first, as in the general path.
                match (left.operand(row), right.operand(row)) {
                    (Int::Number(x), Int::Number(y)) => {
                        Value::Boolean(ordering_satisfies(*op, x.cmp(&y)))
                    }
                    (stop @ (Int::DivideByZero | Int::Undecided), _)
                    | (_, stop @ (Int::DivideByZero | Int::Undecided)) => return stopped(stop),
                    // A NULL side.
                    _ => Value::Boolean(false),
                }
            }
        };
        Outcome::Decided(Ok(value))
    }
}

/// The outcome of an expression that stopped at `stop` (a failure or an undecided slot).
fn stopped(stop: Int) -> Outcome {
    match stop {
        Int::DivideByZero => Outcome::Decided(Err(EvalError::DivideByZero)),
        _ => Outcome::Undecided,
    }
}

impl IntExpr {
    fn compile(expr: &TypedExpr, layout: &dyn Fn(ColumnRef) -> Option<Slot>) -> Option<IntExpr> {
        let int = match expr.ty {
            SqlType::Int => true,
            SqlType::Bigint => false,
            _ => return None,
        };
        match &expr.kind {
            ExprKind::Literal {
                value: Literal::Int(v),
            } => Some(IntExpr::Constant(i64::from(*v))),
            ExprKind::Literal {
                value: Literal::Bigint(v),
            } => Some(IntExpr::Constant(*v)),
            ExprKind::Column { column } if !matches!(column, ColumnRef::LambdaParam { .. }) => {
                layout(*column).map(IntExpr::Slot)
            }
            ExprKind::Arithmetic { op, left, right } => Some(IntExpr::Arithmetic {
                op: *op,
                int,
                left: Box::new(IntExpr::compile(left, layout)?),
                right: Box::new(IntExpr::compile(right, layout)?),
            }),
            _ => None,
        }
    }

    /// [`IntExpr::eval`] with constants and slots read in place, without a call: most
    /// operands are leaves.
    #[inline(always)]
    fn operand(&self, row: &EvalRow<'_>) -> Int {
        match self {
            IntExpr::Constant(c) => Int::Number(*c),
            IntExpr::Slot(slot) => read(row, *slot),
            IntExpr::Arithmetic { .. } => self.eval(row),
        }
    }

    fn eval(&self, row: &EvalRow<'_>) -> Int {
        match self {
            IntExpr::Constant(c) => Int::Number(*c),
            IntExpr::Slot(slot) => read(row, *slot),
            IntExpr::Arithmetic {
                op,
                int,
                left,
                right,
            } => match (left.operand(row), right.operand(row)) {
                (Int::Number(x), Int::Number(y)) => {
                    if y == 0 && matches!(op, ArithmeticOp::Divide | ArithmeticOp::Modulus) {
                        Int::DivideByZero
                    } else {
                        Int::Number(integer_op(*op, x, y, *int))
                    }
                }
                // The left side's stop comes first, as its error would in the general path.
                (stop @ (Int::DivideByZero | Int::Undecided), _)
                | (_, stop @ (Int::DivideByZero | Int::Undecided)) => stop,
                _ => Int::Null,
            },
        }
    }
}

/// An INT or BIGINT slot as a number; any value of another type is undecided.
#[inline(always)]
fn read(row: &EvalRow<'_>, slot: Slot) -> Int {
    let value = match slot {
        Slot::Key(i) => row.key.get(i),
        Slot::Value(i) => row.value.get(i),
        Slot::System(_) => return integer(&row.read(slot)),
    };
    value.map_or(Int::Null, integer)
}

#[inline(always)]
fn integer(value: &Value) -> Int {
    match value {
        Value::Int(x) => Int::Number(i64::from(*x)),
        Value::Bigint(x) => Int::Number(*x),
        Value::Null => Int::Null,
        _ => Int::Undecided,
    }
}

#[cfg(test)]
#[path = "integer_tests.rs"]
mod tests;
