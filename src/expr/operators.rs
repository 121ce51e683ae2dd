//! The evaluation of SQL operators on values, shared by the compiled closures: comparison
//! (`=`, `<`, `IS DISTINCT FROM`, … with ksqlDB's NULL rules), arithmetic (Java integer
//! overflow, DECIMAL results fitted to the node's type) and `LIKE` (a literal pattern compiled
//! to a regex once).

use std::cmp::Ordering;

use super::compile::{CompileError, EvalError, Node, Scope, compile, opt_bool};
use super::{Comparison, ExprKind, TypedExpr};
use crate::types::{ArithmeticOp, SqlType, Value, decimal};

/// ksqlDB comparison (generated code null-checks first): FALSE when either side is NULL,
/// except for the DISTINCT forms.
pub fn compare(op: Comparison, a: &Value, b: &Value) -> bool {
    compare_opt(op, a, b).unwrap_or(false)
}

fn compare_opt(op: Comparison, a: &Value, b: &Value) -> Option<bool> {
    match op {
        Comparison::Distinct | Comparison::NotDistinct => {
            let same = match (a.is_null(), b.is_null()) {
                (true, true) => true,
                (false, false) => a.sql_equals(b) == Some(true),
                _ => false,
            };
            Some(same == (op == Comparison::NotDistinct))
        }
        Comparison::Eq => a.sql_equals(b),
        Comparison::NotEq => a.sql_equals(b).map(|e| !e),
        _ => Some(ordering_satisfies(op, a.sql_cmp(b)?)),
    }
}

/// `x op y` as INT (`int`: both narrowed to 32 bits first, as Java's `int` arithmetic) or
/// BIGINT, wrapping on overflow like the JVM. `y` must not be zero for `/` and `%`.
pub(crate) fn integer_arithmetic(op: ArithmeticOp, x: i64, y: i64, int: bool) -> Value {
    let result = integer_op(op, x, y, int);
    if int {
        Value::Int(result as i32)
    } else {
        Value::Bigint(result)
    }
}

/// [`integer_arithmetic`] as an `i64` (an INT result sign-extended).
#[inline]
pub(crate) fn integer_op(op: ArithmeticOp, x: i64, y: i64, int: bool) -> i64 {
    use ArithmeticOp::*;
    if int {
        let (x, y) = (x as i32, y as i32);
        i64::from(match op {
            Add => x.wrapping_add(y),
            Subtract => x.wrapping_sub(y),
            Multiply => x.wrapping_mul(y),
            Divide => x.wrapping_div(y),
            Modulus => x.wrapping_rem(y),
        })
    } else {
        match op {
            Add => x.wrapping_add(y),
            Subtract => x.wrapping_sub(y),
            Multiply => x.wrapping_mul(y),
            Divide => x.wrapping_div(y),
            Modulus => x.wrapping_rem(y),
        }
    }
}

/// Whether `ordering` (left against right) satisfies `op`, one of `=`, `<>`, `<`, `<=`,
/// `>`, `>=` (the DISTINCT forms also look at NULLs, so they are not decided here).
pub(crate) fn ordering_satisfies(op: Comparison, ordering: Ordering) -> bool {
    match op {
        Comparison::Eq | Comparison::NotDistinct => ordering == Ordering::Equal,
        Comparison::NotEq | Comparison::Distinct => ordering != Ordering::Equal,
        Comparison::Lt => ordering == Ordering::Less,
        Comparison::LtEq => ordering != Ordering::Greater,
        Comparison::Gt => ordering == Ordering::Greater,
        Comparison::GtEq => ordering != Ordering::Less,
    }
}

/// `a op b` for non-NULL operands, producing a value of the node type `ty`.
pub fn arithmetic(
    op: ArithmeticOp,
    a: &Value,
    b: &Value,
    ty: &SqlType,
) -> Result<Value, EvalError> {
    use ArithmeticOp::*;
    Ok(match ty {
        SqlType::String => match (a.as_str(), b.as_str()) {
            (Some(x), Some(y)) => Value::string(format!("{x}{y}")),
            _ => Value::Null,
        },
        SqlType::Int | SqlType::Bigint => {
            let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) else {
                return Ok(Value::Null);
            };
            if matches!(op, Divide | Modulus) && y == 0 {
                return Err(EvalError::DivideByZero);
            }
            integer_arithmetic(op, x, y, *ty == SqlType::Int)
        }
        SqlType::Double => {
            let (Some(x), Some(y)) = (a.as_f64(), b.as_f64()) else {
                return Ok(Value::Null);
            };
            Value::Double(match op {
                Add => x + y,
                Subtract => x - y,
                Multiply => x * y,
                Divide => x / y,
                Modulus => x % y,
            })
        }
        SqlType::Decimal { precision, scale } => {
            let (Some(x), Some(y)) = (a.as_decimal(), b.as_decimal()) else {
                return Ok(Value::Null);
            };
            let result = match op {
                Add => x.checked_add(y),
                Subtract => x.checked_sub(y),
                Multiply => x.checked_mul(y),
                Divide | Modulus if y.is_zero() => return Ok(Value::Null),
                Divide => x.checked_div(y),
                Modulus => x.checked_rem(y),
            };
            let Some(result) = result else {
                return Err(EvalError::Function(format!(
                    "decimal overflow in {x} {} {y}",
                    op.symbol()
                )));
            };
            Value::Decimal(decimal::cast_decimal(result, *precision, *scale)?)
        }
        _ => Value::Null,
    })
}

/// `operand [NOT] LIKE pattern`: a literal pattern becomes a regex once.
pub(crate) fn compile_like(
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
