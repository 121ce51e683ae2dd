//! The aggregate function registry: ksqlDB's UDAFs as small [`AggregateFunction`] entries, one
//! file per family ([`basic`]: COUNT, SUM, SUM_LIST, AVG, MIN, MAX; [`collect`]: COLLECT_LIST,
//! COLLECT_SET, HISTOGRAM, COUNT_DISTINCT, TOPK, TOPKDISTINCT, ATTR; [`offset`]: LATEST_BY_OFFSET,
//! EARLIEST_BY_OFFSET; [`stats`]: STDDEV_SAMP, VAR_SAMP, CORRELATION). A function folds the
//! values of one argument row into an accumulator [`Value`] (what the store keeps, encoded),
//! turns the accumulator into its result, and, for table aggregations, undoes a row it added
//! earlier. Constant arguments (TOPK's `k`, COLLECT_LIST's limit) are given once, at build
//! time. Functions never panic on data: a value of an unexpected type is ignored. Aggregates
//! an embedding program installed ([`crate::functions::extra`]) are found after the built-ins,
//! wrapped in [`Extra`].

mod basic;
mod collect;
mod offset;
mod stats;

use crate::functions::extra::{self, CallTypes, ExtraAggregate, Implementation};
use crate::types::{SqlType, Value};

/// One aggregate call's behaviour. `args` are the call's argument values for one row, in order
/// (constant arguments included).
pub trait AggregateFunction: Send + Sync {
    /// The accumulator of an empty group.
    fn init(&self) -> Value;

    /// Folds one row into `acc`.
    fn add(&self, acc: Value, args: &[Value]) -> Value;

    /// [`AggregateFunction::add`], or why the row cannot be folded in: what ksqlDB's UDAFs
    /// throw for a row (a DECIMAL SUM past its precision). The caller reports it and the row
    /// changes nothing. By default a row always folds.
    fn try_add(&self, acc: Value, args: &[Value]) -> Result<Value, String> {
        Ok(self.add(acc, args))
    }

    /// Whether [`AggregateFunction::try_add`] may refuse a row (callers that must keep the
    /// accumulator for that case copy it only then).
    fn can_refuse(&self) -> bool {
        false
    }

    /// Removes a row added earlier (table aggregation); `None` when the function cannot undo
    /// (the analyzer rejects such functions over tables).
    fn undo(&self, acc: Value, args: &[Value]) -> Option<Value> {
        let _ = (acc, args);
        None
    }

    /// The result the query reads.
    fn result(&self, acc: &Value) -> Value;

    /// Combines two accumulators of one key, `earlier` holding older rows (session windows
    /// merging).
    fn merge(&self, earlier: Value, later: Value) -> Value;
}

/// Why a call could not be made into a function.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("aggregate function {name}: {reason}")]
pub struct UnknownAggregate {
    pub name: String,
    pub reason: String,
}

/// The implementation of aggregate `name` called with arguments of `params` types, returning
/// `ty`; `constants` are the values of the arguments after the first (literals), when known.
pub fn aggregate_function(
    name: &str,
    params: &[SqlType],
    ty: &SqlType,
    constants: &[Value],
) -> Result<Box<dyn AggregateFunction>, UnknownAggregate> {
    let int_at = |i: usize| match constants.get(i) {
        Some(Value::Int(v)) => Some(i64::from(*v)),
        Some(Value::Bigint(v)) => Some(*v),
        _ => None,
    };
    let bool_at = |i: usize| match constants.get(i) {
        Some(Value::Boolean(b)) => Some(*b),
        _ => None,
    };
    let upper = name.to_ascii_uppercase();
    let function: Box<dyn AggregateFunction> = match upper.as_str() {
        "COUNT" => Box::new(basic::Count {
            star: params.is_empty(),
        }),
        "SUM" => Box::new(basic::Sum { ty: ty.clone() }),
        "SUM_LIST" => Box::new(basic::SumList {
            sum: basic::Sum { ty: ty.clone() },
        }),
        "ATTR" => Box::new(collect::Attr),
        "AVG" => Box::new(basic::Avg { ty: ty.clone() }),
        "MIN" => Box::new(basic::MinMax { max: false }),
        "MAX" => Box::new(basic::MinMax { max: true }),
        "COLLECT_LIST" => Box::new(collect::CollectList {
            limit: collect_limit(int_at(1)),
        }),
        "COLLECT_SET" => Box::new(collect::CollectSet {
            limit: collect_limit(int_at(1)),
        }),
        "HISTOGRAM" => Box::new(collect::Histogram),
        "COUNT_DISTINCT" => Box::new(collect::CountDistinct),
        "TOPK" | "TOPKDISTINCT" => {
            // `k` is the last argument; any between it and the sort column are kept with it.
            let last = params.len().saturating_sub(1).max(1);
            let k = int_at(last).ok_or_else(|| UnknownAggregate {
                name: upper.clone(),
                reason: "the last argument must be a constant INT".into(),
            })?;
            Box::new(collect::TopK {
                k: usize::try_from(k).unwrap_or(0),
                distinct: upper == "TOPKDISTINCT",
                struct_columns: if last > 1 { last } else { 0 },
            })
        }
        "LATEST_BY_OFFSET" | "EARLIEST_BY_OFFSET" => {
            let (count, ignore_nulls) = match params.len() {
                2 if params[1] == SqlType::Boolean => (None, bool_at(1)),
                2 => (int_at(1), None),
                3 => (int_at(1), bool_at(2)),
                _ => (None, None),
            };
            if params.len() >= 2 && params[1] != SqlType::Boolean && count.is_none() {
                return Err(UnknownAggregate {
                    name: upper,
                    reason: "the count argument must be a constant INT".into(),
                });
            }
            Box::new(offset::ByOffset {
                latest: upper == "LATEST_BY_OFFSET",
                count: count.map(|n| usize::try_from(n).unwrap_or(0)),
                ignore_nulls: ignore_nulls.unwrap_or(true),
            })
        }
        // ksqlDB's STDDEV_SAMP returns the sample variance; STDDEV_SAMPLE its square root.
        "STDDEV_SAMPLE" => Box::new(stats::Variance { sqrt: true }),
        "STDDEV_SAMP" | "VAR_SAMP" => Box::new(stats::Variance { sqrt: false }),
        "CORRELATION" => Box::new(stats::Correlation),
        _ => {
            return Err(UnknownAggregate {
                name: upper,
                reason: "not implemented yet".into(),
            });
        }
    };
    Ok(function)
}

/// The implementation of the installed extra aggregate `name` resolved to overload
/// `signature` (otherwise like [`aggregate_function`]); `None` when `name` is no extra
/// aggregate.
pub fn extra_aggregate(
    name: &str,
    signature: u32,
    params: &[SqlType],
    ty: &SqlType,
    constants: &[Value],
) -> Option<Result<Box<dyn AggregateFunction>, UnknownAggregate>> {
    let Implementation::Aggregate { factory, .. } = extra::implementation(name)? else {
        return None;
    };
    let literals: Vec<Option<Value>> = constants
        .iter()
        .map(|v| (!v.is_null()).then(|| v.clone()))
        .collect();
    let built = factory(&CallTypes {
        signature,
        args: params,
        returns: ty,
        literals: &literals,
    });
    Some(match built {
        Ok(function) => Ok(Box::new(Extra(function)) as Box<dyn AggregateFunction>),
        Err(reason) => Err(UnknownAggregate {
            name: name.to_ascii_uppercase(),
            reason,
        }),
    })
}

/// An extra aggregate as an [`AggregateFunction`]: a row it refuses leaves the accumulator
/// as it was.
pub struct Extra(pub Box<dyn ExtraAggregate>);

impl AggregateFunction for Extra {
    fn init(&self) -> Value {
        self.0.init()
    }

    fn add(&self, acc: Value, args: &[Value]) -> Value {
        match self.0.add(acc.clone(), args) {
            Ok(next) => next,
            Err(error) => {
                tracing::warn!(%error, "an extra aggregate refused a row");
                acc
            }
        }
    }

    fn undo(&self, acc: Value, args: &[Value]) -> Option<Value> {
        self.0.undo(acc, args)
    }

    fn result(&self, acc: &Value) -> Value {
        self.0.result(acc)
    }

    fn merge(&self, earlier: Value, later: Value) -> Value {
        self.0.merge(earlier, later)
    }
}

/// ksqlDB's default `ksql.functions.collect_{list,set}.limit`.
const COLLECT_LIMIT: usize = 1000;

fn collect_limit(given: Option<i64>) -> usize {
    match given {
        Some(n) if n > 0 => usize::try_from(n).unwrap_or(COLLECT_LIMIT),
        _ => COLLECT_LIMIT,
    }
}

/// The elements of an array accumulator (empty for anything else).
fn elements(acc: &Value) -> Vec<Value> {
    match acc {
        Value::Array(items) => items.to_vec(),
        _ => Vec::new(),
    }
}

/// A numeric value as `f64` (`None` for NULL and non-numbers).
fn as_f64(value: &Value) -> Option<f64> {
    use rust_decimal::prelude::ToPrimitive;
    match value {
        Value::Int(v) => Some(f64::from(*v)),
        Value::Bigint(v) => Some(*v as f64),
        Value::Double(v) => Some(*v),
        Value::Decimal(d) => d.to_f64(),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
