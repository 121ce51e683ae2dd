//! The compiled nodes of SQL's operators: arithmetic, comparison, AND/OR with three-valued
//! logic, BETWEEN and IN. Each takes its operand expressions, compiles them in the caller's
//! scope, and returns the node that combines their values per record. A constant right-hand
//! operand (`PRICE * 908`, `x <> 0`) is held by the node rather than produced per record.

use std::cmp::Ordering;

use super::compile::{CompileError, EvalError, Node, Scope, compile, struct_names_differ};
use super::operators::{
    arithmetic as apply_arithmetic, compare as apply_compare, integer_arithmetic,
    ordering_satisfies,
};
use super::{Comparison, ExprKind, TypedExpr};
use crate::types::{ArithmeticOp, SqlType, Value};

/// `left op right`. NULL operands give NULL, except inside a lambda, where ksqlDB's generated
/// Java unboxes them without a check and the call fails.
pub(super) fn arithmetic(
    op: ArithmeticOp,
    left: &TypedExpr,
    right: &TypedExpr,
    ty: SqlType,
    scope: &Scope<'_>,
) -> Result<Node, CompileError> {
    let in_lambda = scope.bound_params() > 0;
    let l = compile(left, scope)?;
    if let (ExprKind::Literal { value }, false) = (&right.kind, in_lambda) {
        let b = value.to_value();
        if let Some((c, int)) = integer_constant(op, &b, &ty) {
            return Ok(Box::new(move |row| {
                Ok(match l(row)? {
                    Value::Int(x) => integer_arithmetic(op, i64::from(x), c, int),
                    Value::Bigint(x) => integer_arithmetic(op, x, c, int),
                    Value::Null => Value::Null,
                    other => apply_arithmetic(op, &other, &b, &ty)?,
                })
            }));
        }
        return Ok(Box::new(move |row| {
            let a = l(row)?;
            if a.is_null() || b.is_null() {
                return Ok(Value::Null);
            }
            apply_arithmetic(op, &a, &b, &ty)
        }));
    }
    let r = compile(right, scope)?;
    Ok(Box::new(move |row| {
        let (a, b) = (l(row)?, r(row)?);
        if a.is_null() || b.is_null() {
            if in_lambda {
                return Err(EvalError::Function(format!(
                    "NULL operand of {} in a lambda",
                    op.symbol()
                )));
            }
            return Ok(Value::Null);
        }
        apply_arithmetic(op, &a, &b, &ty)
    }))
}

/// For an INT or BIGINT node whose right side is a non-zero integer constant (`PRICE * 908`,
/// `x % 10`): the constant as an `i64`, and whether the node is INT. Such a node takes
/// integer left values straight to the result.
fn integer_constant(op: ArithmeticOp, b: &Value, ty: &SqlType) -> Option<(i64, bool)> {
    let int = match ty {
        SqlType::Int => true,
        SqlType::Bigint => false,
        _ => return None,
    };
    let c = match b {
        Value::Int(c) => i64::from(*c),
        Value::Bigint(c) => *c,
        _ => return None,
    };
    let divides = matches!(op, ArithmeticOp::Divide | ArithmeticOp::Modulus);
    if divides && (c == 0 || (int && c as i32 == 0)) {
        return None;
    }
    Some((c, int))
}

/// `IS [NOT] DISTINCT FROM`: NULL operands decide these, so they keep the general path.
fn op_looks_at_nulls(op: Comparison) -> bool {
    matches!(op, Comparison::Distinct | Comparison::NotDistinct)
}

/// `left op right` as a BOOLEAN.
pub(super) fn compare(
    op: Comparison,
    left: &TypedExpr,
    right: &TypedExpr,
    scope: &Scope<'_>,
) -> Result<Node, CompileError> {
    // Structs of different field names never compare equal (Kafka Connect `Struct.equals`).
    if struct_names_differ(&left.ty, &right.ty) {
        let differ = matches!(op, Comparison::NotEq | Comparison::Distinct);
        return Ok(Box::new(move |_| Ok(Value::Boolean(differ))));
    }
    let l = compile(left, scope)?;
    if let ExprKind::Literal { value } = &right.kind {
        let b = value.to_value();
        if let (Value::Int(_) | Value::Bigint(_), false) = (&b, op_looks_at_nulls(op)) {
            // The usual filter (`x % 10 <> 0`): an integer left side is compared as an
            // `i64` right here; anything else takes the general comparison.
            let c = b.as_i64().unwrap_or_default();
            return Ok(Box::new(move |row| {
                let a = l(row)?;
                Ok(Value::Boolean(match a {
                    Value::Int(x) => ordering_satisfies(op, i64::from(x).cmp(&c)),
                    Value::Bigint(x) => ordering_satisfies(op, x.cmp(&c)),
                    other => apply_compare(op, &other, &b),
                }))
            }));
        }
        return Ok(Box::new(move |row| {
            Ok(Value::Boolean(apply_compare(op, &l(row)?, &b)))
        }));
    }
    let r = compile(right, scope)?;
    Ok(Box::new(move |row| {
        Ok(Value::Boolean(apply_compare(op, &l(row)?, &r(row)?)))
    }))
}

/// `left AND right` (`dominant` FALSE) or `left OR right` (`dominant` TRUE): the dominant
/// value wins over NULL, and the right side is not evaluated after it.
pub(super) fn connective(
    left: &TypedExpr,
    right: &TypedExpr,
    dominant: bool,
    scope: &Scope<'_>,
) -> Result<Node, CompileError> {
    let (l, r) = (compile(left, scope)?, compile(right, scope)?);
    Ok(Box::new(move |row| {
        let a = l(row)?.as_bool();
        if a == Some(dominant) {
            return Ok(Value::Boolean(dominant));
        }
        Ok(match (a, r(row)?.as_bool()) {
            (_, Some(b)) if b == dominant => Value::Boolean(dominant),
            // Neither side is dominant nor NULL.
            (Some(_), Some(_)) => Value::Boolean(!dominant),
            _ => Value::Null,
        })
    }))
}

/// `operand [NOT] BETWEEN low AND high`: FALSE (never NULL) when a bound does not compare.
pub(super) fn between(
    operand: &TypedExpr,
    low: &TypedExpr,
    high: &TypedExpr,
    negated: bool,
    scope: &Scope<'_>,
) -> Result<Node, CompileError> {
    let (x, lo, hi) = (
        compile(operand, scope)?,
        compile(low, scope)?,
        compile(high, scope)?,
    );
    Ok(Box::new(move |row| {
        let v = x(row)?;
        let ge = v.sql_cmp(&lo(row)?).map(|o| o != Ordering::Less);
        let le = v.sql_cmp(&hi(row)?).map(|o| o != Ordering::Greater);
        Ok(Value::Boolean(match (ge, le) {
            (Some(a), Some(b)) => (a && b) != negated,
            _ => false,
        }))
    }))
}

/// `operand [NOT] IN (list)`. ksqlDB: a NULL operand or element never matches, and the
/// result is never NULL.
pub(super) fn in_list(
    operand: &TypedExpr,
    list: &[TypedExpr],
    negated: bool,
    scope: &Scope<'_>,
) -> Result<Node, CompileError> {
    let list = list
        .iter()
        .filter(|item| !struct_names_differ(&operand.ty, &item.ty))
        .map(|item| compile(item, scope))
        .collect::<Result<Vec<_>, _>>()?;
    let operand = compile(operand, scope)?;
    Ok(Box::new(move |row| {
        let v = operand(row)?;
        if !v.is_null() {
            for item in &list {
                if v.sql_equals(&item(row)?) == Some(true) {
                    return Ok(Value::Boolean(!negated));
                }
            }
        }
        Ok(Value::Boolean(negated))
    }))
}
