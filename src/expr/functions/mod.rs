//! ksqlDB's scalar functions, one family per file, behind one registry lookup ([`lookup`]):
//! the compiler asks for a call site's implementation once, when it compiles the expression,
//! never per record. A call site ([`CallSite`]) carries the resolved name, the result type and
//! the typed argument expressions, so an implementation can specialise on argument types and
//! precompute from literal arguments (a regex pattern, an encoding name, a date format).
//! Semantics (NULL in gives NULL out unless ksqlDB documents otherwise, error messages) follow
//! ksqlDB's UDFs; an evaluation failure is an [`EvalError`], never a panic. Lambdas (TRANSFORM,
//! FILTER, REDUCE) are compiled by [`super::lambda`], not here.
//!
//! Families: [`string`], [`text_search`] (INSTR, MASK…, regexes), [`bytes`], [`digest`] (MD5),
//! [`math`], [`array`], [`map`], [`json`], [`datetime`] (with [`java_format`] and [`zones`]),
//! [`time_arith`], [`url`], and [`nulls`] (IFNULL, COALESCE, …). Functions an embedding
//! program installed ([`crate::functions::extra`]) come last, through [`extra_scalar`].

pub mod array;
pub mod bytes;
pub mod datetime;
pub mod digest;
pub mod java_format;
pub mod json;
pub mod map;
pub mod math;
pub mod nulls;
pub mod string;
pub mod text_search;
pub mod time_arith;
pub mod url;
pub mod zones;

use super::compile::EvalError;
use super::{ExprKind, TypedExpr};
use crate::types::{SqlType, Value};

/// A compiled scalar function: argument values to the result.
pub type FnImpl = Box<dyn Fn(&[Value]) -> Result<Value, EvalError> + Send + Sync>;

/// What the compiler knows about one call when it asks for an implementation.
#[derive(Debug, Clone, Copy)]
pub struct CallSite<'a> {
    /// The resolved, upper-case function name.
    pub name: &'a str,
    /// The declared overload the call resolved to.
    pub signature: u32,
    /// The type of the call's result.
    pub returns: &'a SqlType,
    /// The argument expressions, already cast to the chosen signature's parameter types.
    pub args: &'a [TypedExpr],
}

impl<'a> CallSite<'a> {
    /// The type of argument `i` (STRING when there is no such argument).
    pub fn arg_ty(&self, i: usize) -> &'a SqlType {
        self.args.get(i).map_or(&SqlType::String, |a| &a.ty)
    }

    /// The value of argument `i` when it is a literal (seen through casts of literals).
    pub fn literal(&self, i: usize) -> Option<Value> {
        literal_value(self.args.get(i)?)
    }

    /// Argument `i` as a literal string: `Some(None)` for a NULL literal, `None` when the
    /// argument is not a literal.
    pub fn literal_str(&self, i: usize) -> Option<Option<String>> {
        self.literal(i).map(|v| v.as_str().map(str::to_owned))
    }
}

/// The value of `expr` when it is a literal, seen through casts of literals.
pub fn literal_value(expr: &TypedExpr) -> Option<Value> {
    match &expr.kind {
        ExprKind::Literal { value } => Some(value.to_value()),
        ExprKind::Cast { operand } if matches!(operand.kind, ExprKind::Literal { .. }) => {
            let from = &operand.ty;
            let value = literal_value(operand)?;
            crate::types::cast(&value, from, &expr.ty).ok()
        }
        _ => None,
    }
}

/// The implementation of the scalar function at `site`, if there is one.
pub fn lookup(site: &CallSite<'_>) -> Option<FnImpl> {
    string::lookup(site)
        .or_else(|| text_search::lookup(site))
        .or_else(|| bytes::lookup(site))
        .or_else(|| digest::lookup(site))
        .or_else(|| math::lookup(site))
        .or_else(|| nulls::lookup(site))
        .or_else(|| array::lookup(site))
        .or_else(|| map::lookup(site))
        .or_else(|| json::lookup(site))
        .or_else(|| datetime::lookup(site))
        .or_else(|| time_arith::lookup(site))
        .or_else(|| url::lookup(site))
        .or_else(|| extra_scalar(site))
}

/// The implementation of an installed extra scalar function at `site`; its failures become
/// [`EvalError::Function`].
fn extra_scalar(site: &CallSite<'_>) -> Option<FnImpl> {
    use crate::functions::extra::{self, CallTypes, Implementation};
    let Implementation::Scalar(factory) = extra::implementation(site.name)? else {
        return None;
    };
    let args: Vec<SqlType> = site.args.iter().map(|a| a.ty.clone()).collect();
    let literals: Vec<Option<Value>> = site.args.iter().map(literal_value).collect();
    let imp = factory(&CallTypes {
        signature: site.signature,
        args: &args,
        returns: site.returns,
        literals: &literals,
    })
    .ok()?;
    try_f(move |values| imp(values).map_err(EvalError::Function))
}

/// Wraps a plain function of the argument values.
pub(crate) fn f(imp: impl Fn(&[Value]) -> Value + Send + Sync + 'static) -> Option<FnImpl> {
    Some(Box::new(move |a| Ok(imp(a))))
}

/// Wraps a fallible function of the argument values.
pub(crate) fn try_f(
    imp: impl Fn(&[Value]) -> Result<Value, EvalError> + Send + Sync + 'static,
) -> Option<FnImpl> {
    Some(Box::new(imp))
}

/// Argument `i` as a string (NULL and missing arguments are `None`).
pub(crate) fn str_arg(args: &[Value], i: usize) -> Option<&str> {
    args.get(i).and_then(Value::as_str)
}

/// Argument `i` as an integer.
pub(crate) fn int_arg(args: &[Value], i: usize) -> Option<i64> {
    args.get(i).and_then(Value::as_i64)
}

/// Argument `i` as an array.
pub(crate) fn array_arg(args: &[Value], i: usize) -> Option<&[Value]> {
    args.get(i).and_then(Value::as_array)
}

/// Whether argument `i` is present and NULL.
pub(crate) fn is_null_arg(args: &[Value], i: usize) -> bool {
    args.get(i).is_some_and(Value::is_null)
}

/// An evaluation error naming the function.
pub(crate) fn fail(name: &str, message: impl std::fmt::Display) -> EvalError {
    EvalError::Function(format!("{name}: {message}"))
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Calling a function by name with literal-free arguments of given types.
    use super::*;

    /// Evaluates `name(args)` returning `returns`; the argument types come from the values.
    pub fn call(
        name: &str,
        returns: SqlType,
        args: &[(Value, SqlType)],
    ) -> Result<Value, EvalError> {
        let exprs: Vec<TypedExpr> = args
            .iter()
            .enumerate()
            .map(|(i, (_, ty))| {
                TypedExpr::column(
                    crate::expr::ColumnRef::Input {
                        side: 0,
                        index: i as u32,
                    },
                    ty.clone(),
                )
            })
            .collect();
        let site = CallSite {
            name,
            signature: 0,
            returns: &returns,
            args: &exprs,
        };
        let imp = lookup(&site).unwrap_or_else(|| panic!("{name} returning {returns} is missing"));
        let values: Vec<Value> = args.iter().map(|(v, _)| v.clone()).collect();
        imp(&values)
    }

    pub fn s(text: &str) -> (Value, SqlType) {
        (Value::string(text), SqlType::String)
    }

    pub fn i(n: i32) -> (Value, SqlType) {
        (Value::Int(n), SqlType::Int)
    }

    pub fn null(ty: SqlType) -> (Value, SqlType) {
        (Value::Null, ty)
    }

    pub fn sv(text: &str) -> Value {
        Value::string(text)
    }

    /// The output that follows `output` in a splitmix64 sequence (the clock-seeded generator
    /// RANDOM() and UUID() once used): the finalizer is inverted to find the state, which
    /// then steps by the golden-ratio increment. Tests use it to show that values do not
    /// give the next one away.
    pub fn splitmix64_successor(output: u64) -> u64 {
        const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;
        const M1: u64 = 0xBF58_476D_1CE4_E5B9;
        const M2: u64 = 0x94D0_49BB_1331_11EB;
        let inverse = |m: u64| {
            (0..6).fold(m, |x, _| {
                x.wrapping_mul(2u64.wrapping_sub(m.wrapping_mul(x)))
            })
        };
        let unshift = |z: u64, s: u32| (0..64 / s + 1).fold(z, |x, _| z ^ (x >> s));
        let mix = |mut z: u64| {
            z = (z ^ (z >> 30)).wrapping_mul(M1);
            z = (z ^ (z >> 27)).wrapping_mul(M2);
            z ^ (z >> 31)
        };
        let mut z = unshift(output, 31).wrapping_mul(inverse(M2));
        z = unshift(z, 27).wrapping_mul(inverse(M1));
        let state = unshift(z, 30);
        debug_assert_eq!(mix(state), output);
        mix(state.wrapping_add(GOLDEN))
    }
}
