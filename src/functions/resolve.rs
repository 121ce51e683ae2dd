//! Overload resolution: picks the signature of a function for the argument types at a call,
//! following ksqlDB's `UdfIndex`: an exact match wins, otherwise the overload needing the
//! fewest implicit widenings (INT < BIGINT < DECIMAL < DOUBLE, STRING to temporal types);
//! untyped `NULL` matches any parameter. Generics bind on first use. Lambda arguments are
//! typed by the caller once their parameter types are known ([`lambda_inputs`]).
//!
//! When untyped `NULL` arguments leave several overloads matching without any widening,
//! ksqlDB's `UdfIndex.findMatchingCandidate` ranks them ([`Preference`]) and refuses the
//! call as ambiguous when the first two rank alike: `LEAST(NULL, NULL)` or `ABS(NULL)` name
//! no overload, while `LEAST(NULL, 1)` is the INT one.

use std::collections::HashMap;

use super::signature::{Param, Returns, Signature};
use super::{FunctionDescriptor, FunctionKind};
use crate::types::SqlType;

/// The type of an argument at a call site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArgType {
    /// An untyped `NULL` literal.
    Null,
    Type(SqlType),
    /// A time unit keyword.
    Unit,
    /// A lambda with this many parameters and, once typed, its body type.
    Lambda {
        arity: usize,
        body: Option<SqlType>,
    },
}

impl ArgType {
    fn describe(&self) -> String {
        match self {
            ArgType::Null => "null".to_string(),
            ArgType::Type(ty) => ty.to_string(),
            ArgType::Unit => "INTERVALUNIT".to_string(),
            ArgType::Lambda { .. } => "LAMBDA".to_string(),
        }
    }
}

/// The chosen overload.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub signature: u32,
    /// The parameter type each argument is cast to (`None` for units and lambdas).
    pub params: Vec<Option<SqlType>>,
    pub returns: SqlType,
    pub kind: FunctionKind,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    #[error("Function '{name}' does not accept parameters ({args}).")]
    NoMatch { name: String, args: String },
    #[error("Function '{name}' cannot be resolved due to ambiguous method parameters ({args}).")]
    Ambiguous { name: String, args: String },
}

type Bindings = HashMap<char, SqlType>;

/// Picks the overload of `function` for `args`.
pub fn resolve(function: &FunctionDescriptor, args: &[ArgType]) -> Result<Resolved, ResolveError> {
    if args.contains(&ArgType::Null)
        && let Some(chosen) = preferred_exact_match(function, args)?
    {
        return Ok(chosen);
    }
    let mut best: Option<(u32, usize, Bindings)> = None;
    let mut tie = false;
    // Overloads that accept the arguments only through widening; more than one, with no
    // exact match, is ambiguous (ksqlDB's `UdfIndex`).
    let mut widened = 0;
    for (index, signature) in function.signatures.iter().enumerate() {
        let Some((cost, bindings)) = match_signature(signature, args) else {
            continue;
        };
        if cost > 0 {
            widened += 1;
        }
        match &best {
            Some((_, best_cost, _)) if *best_cost < cost => {}
            Some((_, best_cost, _)) if *best_cost == cost => tie = true,
            _ => {
                tie = false;
                best = Some((index as u32, cost, bindings));
            }
        }
    }
    let describe = || describe_args(args);
    let Some((index, cost, bindings)) = best else {
        if !args.is_empty()
            && args.iter().all(|a| *a == ArgType::Null)
            && function.signatures.len() > 1
        {
            return Err(ResolveError::Ambiguous {
                name: super::names::declared_name(function.name),
                args: describe(),
            });
        }
        return Err(ResolveError::NoMatch {
            name: super::names::declared_name(function.name),
            args: describe(),
        });
    };
    let mixed_variadic = function.signatures.iter().all(|s| s.variadic.is_some()) && widened > 1;
    if cost > 0 && !args.contains(&ArgType::Null) && (tie || mixed_variadic) {
        return Err(ResolveError::Ambiguous {
            name: super::names::declared_name(function.name),
            args: describe(),
        });
    }
    Ok(resolved(function, index, args, &bindings))
}

/// ksqlDB's ranking of the overloads that accept a call, best last: a fixed arity over a
/// variadic one, then more declared parameters, then fewer generic ones, then no variadic
/// `ANY`, then a later variadic position (`UdfIndex.Node.compareFunctions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Preference {
    fixed_arity: bool,
    params: usize,
    fewer_generics: isize,
    no_variadic_any: bool,
    variadic_index: isize,
}

impl Preference {
    fn of(signature: &Signature) -> Preference {
        let generics = signature.params.iter().filter(|p| has_generics(p)).count();
        let variadic_any = signature
            .variadic
            .is_some_and(|at| signature.params.get(at) == Some(&Param::Any));
        Preference {
            fixed_arity: signature.variadic.is_none(),
            params: signature.params.len(),
            fewer_generics: -(generics as isize) - isize::from(variadic_any),
            no_variadic_any: !variadic_any,
            variadic_index: signature.variadic.map_or(-1, |at| at as isize),
        }
    }
}

fn has_generics(param: &Param) -> bool {
    match param {
        Param::Generic(_) => true,
        Param::Array(element) => has_generics(element),
        Param::Map(key, value) => has_generics(key) || has_generics(value),
        Param::Lambda { inputs, output } => inputs.iter().any(has_generics) || has_generics(output),
        _ => false,
    }
}

/// Among the overloads that take `args` without widening, the one ksqlDB prefers; an error
/// when the best two rank alike; `None` when fewer than two match that way (the widening
/// rules then decide).
fn preferred_exact_match(
    function: &FunctionDescriptor,
    args: &[ArgType],
) -> Result<Option<Resolved>, ResolveError> {
    let mut exact: Vec<(u32, Bindings, Preference)> = function
        .signatures
        .iter()
        .enumerate()
        .filter_map(
            |(index, signature)| match match_signature(signature, args) {
                Some((0, bindings)) => Some((index as u32, bindings, Preference::of(signature))),
                _ => None,
            },
        )
        .collect();
    if exact.len() < 2 {
        return Ok(None);
    }
    // Stable: among equals the first declared stays first.
    exact.sort_by_key(|e| std::cmp::Reverse(e.2));
    if exact[0].2 == exact[1].2 {
        return Err(ResolveError::Ambiguous {
            name: super::names::declared_name(function.name),
            args: describe_args(args),
        });
    }
    let (index, bindings, _) = &exact[0];
    Ok(Some(resolved(function, *index, args, bindings)))
}

fn describe_args(args: &[ArgType]) -> String {
    args.iter()
        .map(ArgType::describe)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The call resolved to signature `index` with generics bound by `bindings`.
fn resolved(
    function: &FunctionDescriptor,
    index: u32,
    args: &[ArgType],
    bindings: &Bindings,
) -> Resolved {
    let signature = &function.signatures[index as usize];
    let params = args
        .iter()
        .enumerate()
        .map(|(i, arg)| {
            let param = signature.param_for(i, args.len())?;
            match (param, arg) {
                (Param::Unit | Param::Lambda { .. }, _) => None,
                (Param::AnyDecimal | Param::Any | Param::AnyStruct, ArgType::Type(ty)) => {
                    Some(decimal_target(param, ty))
                }
                (param, _) => bind(param, bindings),
            }
        })
        .collect();
    let returns = match &signature.returns {
        Returns::Type(param) => bind(param, bindings).unwrap_or(SqlType::String),
        Returns::ArgType(n) => match args.get(*n) {
            Some(ArgType::Type(ty)) => ty.clone(),
            _ => bind_arg_param(signature, *n, args.len(), bindings).unwrap_or(SqlType::String),
        },
        Returns::Rule(rule) => apply_rule(rule, args),
    };
    Resolved {
        signature: index,
        params,
        returns,
        kind: function.kind,
    }
}

fn decimal_target(param: &Param, ty: &SqlType) -> SqlType {
    if *param == Param::AnyDecimal
        && let Ok((precision, scale)) = ty.to_decimal_type()
    {
        return SqlType::Decimal { precision, scale };
    }
    ty.clone()
}

fn bind_arg_param(
    signature: &Signature,
    n: usize,
    count: usize,
    bindings: &Bindings,
) -> Option<SqlType> {
    bind(signature.param_for(n, count)?, bindings)
}

/// The parameter types of lambda argument `index` under the overloads that could match the
/// other arguments, so that the caller can type the lambda body.
pub fn lambda_inputs(
    function: &FunctionDescriptor,
    args: &[ArgType],
    index: usize,
) -> Option<Vec<SqlType>> {
    for signature in &function.signatures {
        if !signature.takes(args.len()) {
            continue;
        }
        let mut bindings = Bindings::new();
        let mut ok = true;
        for (i, arg) in args.iter().enumerate() {
            if i == index || matches!(arg, ArgType::Lambda { body: None, .. }) {
                continue;
            }
            let Some(param) = signature.param_for(i, args.len()) else {
                ok = false;
                break;
            };
            if unify(param, arg, &mut bindings).is_none() {
                ok = false;
                break;
            }
        }
        if !ok {
            continue;
        }
        if let Some(Param::Lambda { inputs, .. }) = signature.param_for(index, args.len())
            && let Some(types) = inputs.iter().map(|p| bind(p, &bindings)).collect()
        {
            return Some(types);
        }
    }
    None
}

fn match_signature(signature: &Signature, args: &[ArgType]) -> Option<(usize, Bindings)> {
    if !signature.takes(args.len()) {
        return None;
    }
    let mut bindings = Bindings::new();
    let mut cost = 0;
    for (i, arg) in args.iter().enumerate() {
        cost += unify(signature.param_for(i, args.len())?, arg, &mut bindings)?;
    }
    Some((cost, bindings))
}

/// The number of widenings `arg` needs to fit `param`, binding generics; `None` when it cannot.
fn unify(param: &Param, arg: &ArgType, bindings: &mut Bindings) -> Option<usize> {
    match (param, arg) {
        (Param::Unit, ArgType::Unit) => Some(0),
        (Param::Unit, _) | (_, ArgType::Unit) => None,
        (Param::Lambda { inputs, output }, ArgType::Lambda { arity, body }) => {
            if inputs.len() != *arity {
                return None;
            }
            match body {
                Some(ty) => unify(output, &ArgType::Type(ty.clone()), bindings),
                None => Some(0),
            }
        }
        (Param::Lambda { .. }, _) | (_, ArgType::Lambda { .. }) => None,
        (_, ArgType::Null) => Some(0),
        (param, ArgType::Type(ty)) => unify_type(param, ty, bindings),
    }
}

fn unify_type(param: &Param, ty: &SqlType, bindings: &mut Bindings) -> Option<usize> {
    match param {
        Param::Any => Some(0),
        Param::AnyStruct => matches!(ty, SqlType::Struct(_)).then_some(0),
        Param::AnyDecimal => match ty {
            SqlType::Decimal { .. } => Some(0),
            SqlType::Int | SqlType::Bigint => Some(1),
            _ => None,
        },
        Param::Exact(want) => widening_cost(ty, want),
        Param::Generic(name) => match bindings.get(name) {
            Some(bound) if bound == ty => Some(0),
            Some(bound) => {
                let bound = bound.clone();
                if ty.can_implicitly_cast_to(&bound) && ty.is_numeric() == bound.is_numeric() {
                    Some(1)
                } else if bound.can_implicitly_cast_to(ty) && bound.is_numeric() && ty.is_numeric()
                {
                    bindings.insert(*name, ty.clone());
                    Some(1)
                } else {
                    None
                }
            }
            None => {
                bindings.insert(*name, ty.clone());
                Some(0)
            }
        },
        Param::Array(element) => match ty {
            SqlType::Array(inner) => unify_type(element, inner, bindings),
            _ => None,
        },
        Param::Map(key, value) => match ty {
            SqlType::Map(k, v) => {
                Some(unify_type(key, k, bindings)? + unify_type(value, v, bindings)?)
            }
            _ => None,
        },
        Param::Unit | Param::Lambda { .. } => None,
    }
}

fn widening_cost(from: &SqlType, to: &SqlType) -> Option<usize> {
    if from == to {
        return Some(0);
    }
    if from.is_collection() || to.is_collection() {
        return None;
    }
    if !from.can_implicitly_cast_to(to) {
        return None;
    }
    let rank = |t: &SqlType| match t {
        SqlType::Int => 0,
        SqlType::Bigint => 1,
        SqlType::Decimal { .. } => 2,
        SqlType::Double => 3,
        _ => 0,
    };
    Some((rank(to) - rank(from)).max(1))
}

fn bind(param: &Param, bindings: &Bindings) -> Option<SqlType> {
    Some(match param {
        Param::Exact(ty) => ty.clone(),
        Param::Generic(name) => bindings.get(name)?.clone(),
        Param::Array(element) => SqlType::array(bind(element, bindings)?),
        Param::Map(k, v) => SqlType::map(bind(k, bindings)?, bind(v, bindings)?),
        Param::AnyDecimal | Param::AnyStruct | Param::Any | Param::Unit | Param::Lambda { .. } => {
            return None;
        }
    })
}

fn first_type(args: &[ArgType]) -> Option<&SqlType> {
    args.iter().find_map(|a| match a {
        ArgType::Type(ty) => Some(ty),
        _ => None,
    })
}

/// Result types that depend on decimal precision and scale.
fn apply_rule(rule: &str, args: &[ArgType]) -> SqlType {
    let ty = first_type(args).cloned().unwrap_or(SqlType::Double);
    let (precision, scale) = ty.to_decimal_type().unwrap_or((38, 0));
    match rule {
        // ROUND(DECIMAL(p, s)) and CEIL/FLOOR keep the integer digits, plus one for carry.
        "round_decimal" => SqlType::Decimal {
            precision: (precision - scale).max(1),
            scale: 0,
        },
        "ceil_decimal" => SqlType::Decimal {
            precision: (precision - scale + 1).min(38),
            scale: 0,
        },
        "widest" => args
            .iter()
            .filter_map(|a| match a {
                ArgType::Type(t) => Some(t.clone()),
                _ => None,
            })
            .reduce(|a, b| SqlType::widen_numeric(&a, &b).unwrap_or(a))
            .unwrap_or(ty),
        "sum" => ty,
        // ENTRIES(MAP<STRING, V>, sorted) → ARRAY<STRUCT<K STRING, V V>>
        "entries" => match ty {
            SqlType::Map(_, value) => {
                SqlType::array(SqlType::structure([("K", SqlType::String), ("V", *value)]))
            }
            other => other,
        },
        // TOPK(sort, other..., k) → ARRAY<STRUCT<sort_col, col0, col1, …>> (ksqlDB's
        // `TopkKudaf`: the sort value and the other columns of each of the top rows). An
        // untyped NULL column, which ksqlDB refuses, is taken as a STRING.
        "topk_struct" => {
            let columns = &args[..args.len().saturating_sub(1)];
            let field_type = |arg: &ArgType| match arg {
                ArgType::Type(t) => t.clone(),
                _ => SqlType::String,
            };
            let fields = columns.iter().enumerate().map(|(i, arg)| {
                let name = match i {
                    0 => "sort_col".to_string(),
                    n => format!("col{}", n - 1),
                };
                (name, field_type(arg))
            });
            SqlType::array(SqlType::structure(fields))
        }
        "avg" => match ty {
            SqlType::Decimal { .. } => ty,
            _ => SqlType::Double,
        },
        _ => ty,
    }
}

#[cfg(test)]
#[path = "resolve_tests.rs"]
mod tests;
