//! Overload resolution: picks the signature of a function for the argument types at a call,
//! following ksqlDB's `UdfIndex`: an exact match wins, otherwise the overload needing the
//! fewest implicit widenings (INT < BIGINT < DECIMAL < DOUBLE, STRING to temporal types);
//! untyped `NULL` matches any parameter. Generics bind on first use. Lambda arguments are
//! typed by the caller once their parameter types are known ([`lambda_inputs`]).

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
    let describe = || {
        args.iter()
            .map(ArgType::describe)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let Some((index, cost, bindings)) = best else {
        if !args.is_empty()
            && args.iter().all(|a| *a == ArgType::Null)
            && function.signatures.len() > 1
        {
            return Err(ResolveError::Ambiguous {
                name: function.name.to_string(),
                args: describe(),
            });
        }
        return Err(ResolveError::NoMatch {
            name: function.name.to_string(),
            args: describe(),
        });
    };
    let mixed_variadic = function.signatures.iter().all(|s| s.variadic.is_some()) && widened > 1;
    if cost > 0 && !args.contains(&ArgType::Null) && (tie || mixed_variadic) {
        return Err(ResolveError::Ambiguous {
            name: function.name.to_string(),
            args: describe(),
        });
    }
    let signature = &function.signatures[index as usize];
    let params = args
        .iter()
        .enumerate()
        .map(|(i, arg)| {
            let param = param_at(signature, i, args.len())?;
            match (param, arg) {
                (Param::Unit | Param::Lambda { .. }, _) => None,
                (Param::AnyDecimal | Param::Any | Param::AnyStruct, ArgType::Type(ty)) => {
                    Some(decimal_target(param, ty))
                }
                (param, _) => bind(param, &bindings),
            }
        })
        .collect();
    let returns = match &signature.returns {
        Returns::Type(param) => bind(param, &bindings).unwrap_or(SqlType::String),
        Returns::ArgType(n) => match args.get(*n) {
            Some(ArgType::Type(ty)) => ty.clone(),
            _ => param_at(signature, *n, args.len())
                .and_then(|p| bind(p, &bindings))
                .unwrap_or(SqlType::String),
        },
        Returns::Rule(rule) => apply_rule(rule, args),
    };
    Ok(Resolved {
        signature: index,
        params,
        returns,
        kind: function.kind,
    })
}

fn decimal_target(param: &Param, ty: &SqlType) -> SqlType {
    if *param == Param::AnyDecimal
        && let Ok((precision, scale)) = ty.to_decimal_type()
    {
        return SqlType::Decimal { precision, scale };
    }
    ty.clone()
}

/// The parameter that argument `i` of `n` arguments fills: arguments before the variadic
/// parameter fill those before it, the last arguments fill the parameters after it, and the
/// ones between repeat it.
fn param_at(signature: &Signature, i: usize, n: usize) -> Option<&Param> {
    let params = &signature.params;
    match signature.variadic {
        Some(v) if i >= v => {
            let after = params.len() - v - 1;
            if i + after >= n {
                params.get((i + params.len()).checked_sub(n)?)
            } else {
                params.get(v)
            }
        }
        _ => params.get(i),
    }
}

/// The parameter types of lambda argument `index` under the overloads that could match the
/// other arguments, so that the caller can type the lambda body.
pub fn lambda_inputs(
    function: &FunctionDescriptor,
    args: &[ArgType],
    index: usize,
) -> Option<Vec<SqlType>> {
    for signature in &function.signatures {
        if !arity_fits(signature, args.len()) {
            continue;
        }
        let mut bindings = Bindings::new();
        let mut ok = true;
        for (i, arg) in args.iter().enumerate() {
            if i == index || matches!(arg, ArgType::Lambda { body: None, .. }) {
                continue;
            }
            let Some(param) = param_at(signature, i, args.len()) else {
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
        if let Some(Param::Lambda { inputs, .. }) = param_at(signature, index, args.len())
            && let Some(types) = inputs.iter().map(|p| bind(p, &bindings)).collect()
        {
            return Some(types);
        }
    }
    None
}

fn arity_fits(signature: &Signature, n: usize) -> bool {
    if signature.variadic.is_some() {
        n + 1 >= signature.params.len()
    } else {
        n == signature.params.len()
    }
}

fn match_signature(signature: &Signature, args: &[ArgType]) -> Option<(usize, Bindings)> {
    if !arity_fits(signature, args.len()) {
        return None;
    }
    let mut bindings = Bindings::new();
    let mut cost = 0;
    for (i, arg) in args.iter().enumerate() {
        cost += unify(param_at(signature, i, args.len())?, arg, &mut bindings)?;
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
        // ROUND(DECIMAL(p, s)) and TRUNC keep the integer digits (ksqlDB's
        // `provideDecimalSchema`, which does not add one for a carry).
        "round_decimal" => SqlType::Decimal {
            precision: (precision - scale).max(1),
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
        // TOPK(col, other..., k): the sorted column and the others, side by side.
        "topk" => {
            let columns = &args[..args.len().saturating_sub(1)];
            SqlType::array(SqlType::structure(columns.iter().enumerate().map(
                |(i, arg)| {
                    let name = match i {
                        0 => "sort_col".to_string(),
                        _ => format!("col{}", i - 1),
                    };
                    let ty = match arg {
                        ArgType::Type(ty) => ty.clone(),
                        _ => SqlType::String,
                    };
                    (name, ty)
                },
            )))
        }
        "avg" => match ty {
            SqlType::Decimal { .. } => ty,
            _ => SqlType::Double,
        },
        _ => ty,
    }
}
