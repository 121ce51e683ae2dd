//! The UDAFs over several columns (ksqlDB's `Pair`, `Triple`, `Quadruple`, `Quintuple` and
//! `VariadicArgs` inputs), each with the constant arguments of its factory after them:
//!
//! - `MULTI_ARG`, `FOUR_ARG`, `FIVE_ARG`: sum a BIGINT column, the lengths of STRING columns
//!   (and, for `FIVE_ARG`, an INT column), NULL counting 0, from the INT constant plus the
//!   lengths of the STRING constants.
//! - `VAR_ARG`: the BIGINT column plus the lengths of any number of STRING columns, from 0;
//!   `MID_VAR_ARG` the same, its result plus its two INT constants.
//! - `GENERIC_VAR_ARG` (columns of any types `A, B, C...`) and `OBJ_COL_ARG` (an INT, then
//!   columns of any type): the list of the first column's values of the rows where every
//!   column is non-NULL.

use weir::functions::extra::{CallTypes, ExtraAggregate, ExtraFunction};
use weir::types::Value;

use super::{NULL_POINTER, java_length};

pub fn functions() -> Vec<ExtraFunction> {
    let summing = |name: &'static str, signature: &'static str, columns: usize| {
        ExtraFunction::aggregate(name, &[(signature, columns)], move |call| {
            summing_columns(call, columns)
        })
    };
    vec![
        summing("MULTI_ARG", "BIGINT, STRING, INT, STRING... -> BIGINT", 2),
        summing(
            "FOUR_ARG",
            "BIGINT, STRING, STRING, STRING, INT, STRING... -> BIGINT",
            4,
        ),
        summing(
            "FIVE_ARG",
            "BIGINT, STRING, STRING, STRING, INT, INT, STRING... -> BIGINT",
            5,
        ),
        ExtraFunction::aggregate("VAR_ARG", &[("BIGINT, STRING... -> BIGINT", 2)], |_| {
            Ok(Box::new(SumColumns {
                start: 0,
                constants: 0,
                bonus: 0,
            }))
        }),
        ExtraFunction::aggregate(
            "MID_VAR_ARG",
            &[("BIGINT, STRING..., INT, INT -> BIGINT", 2)],
            middle_variadic,
        ),
        ExtraFunction::aggregate("GENERIC_VAR_ARG", &[("A, B, C... -> ARRAY<A>", 3)], |_| {
            Ok(Box::new(NonNullRows))
        }),
        ExtraFunction::aggregate("OBJ_COL_ARG", &[("INT, ANY... -> ARRAY<INT>", 2)], |_| {
            Ok(Box::new(NonNullRows))
        }),
    ]
}

/// `MULTI_ARG`, `FOUR_ARG`, `FIVE_ARG`: `columns` per-row arguments, then an INT and any
/// number of STRING constants that make the start.
fn summing_columns(
    call: &CallTypes<'_>,
    columns: usize,
) -> Result<Box<dyn ExtraAggregate>, String> {
    let constants = &call.literals[columns.min(call.literals.len())..];
    let mut start = 0i64;
    for (i, constant) in constants.iter().enumerate() {
        let Some(value) = constant.as_ref().filter(|v| !v.is_null()) else {
            return Err(NULL_POINTER.to_string());
        };
        start += if i == 0 {
            value.as_i64().unwrap_or(0)
        } else {
            java_length(value)
        };
    }
    Ok(Box::new(SumColumns {
        start,
        constants: constants.len(),
        bonus: 0,
    }))
}

/// `MID_VAR_ARG`: its last two arguments are INT constants added to the result.
fn middle_variadic(call: &CallTypes<'_>) -> Result<Box<dyn ExtraAggregate>, String> {
    let n = call.literals.len();
    let mut bonus = 0i64;
    for constant in &call.literals[n.saturating_sub(2)..] {
        match constant.as_ref().and_then(Value::as_i64) {
            Some(v) => bonus += v,
            None => return Err(NULL_POINTER.to_string()),
        }
    }
    Ok(Box::new(SumColumns {
        start: 0,
        constants: 2,
        bonus,
    }))
}

/// Sums the first column's number and the other columns' numbers or string lengths (NULL
/// counts 0) over the per-row arguments: all but the last `constants`.
struct SumColumns {
    start: i64,
    constants: usize,
    /// Added to the result only (`MID_VAR_ARG`'s `map`).
    bonus: i64,
}

impl ExtraAggregate for SumColumns {
    fn init(&self) -> Value {
        Value::Bigint(self.start)
    }

    fn add(&self, acc: Value, args: &[Value]) -> Result<Value, String> {
        let columns = &args[..args.len().saturating_sub(self.constants)];
        let mut total = acc.as_i64().unwrap_or(0);
        for value in columns {
            let amount = match value {
                Value::String(_) => java_length(value),
                number => number.as_i64().unwrap_or(0),
            };
            total = total.wrapping_add(amount);
        }
        Ok(Value::Bigint(total))
    }

    fn result(&self, acc: &Value) -> Value {
        Value::Bigint(acc.as_i64().unwrap_or(0).wrapping_add(self.bonus))
    }

    fn merge(&self, earlier: Value, later: Value) -> Value {
        Value::Bigint(
            earlier
                .as_i64()
                .unwrap_or(0)
                .wrapping_add(later.as_i64().unwrap_or(0)),
        )
    }
}

/// Collects the first column of the rows whose arguments (all per-row) are all non-NULL.
struct NonNullRows;

impl ExtraAggregate for NonNullRows {
    fn init(&self) -> Value {
        Value::array(Vec::new())
    }

    fn add(&self, acc: Value, args: &[Value]) -> Result<Value, String> {
        if args.is_empty() || args.iter().any(Value::is_null) {
            return Ok(acc);
        }
        let mut list = acc.as_array().unwrap_or(&[]).to_vec();
        list.push(args[0].clone());
        Ok(Value::array(list))
    }

    fn result(&self, acc: &Value) -> Value {
        acc.clone()
    }

    fn merge(&self, earlier: Value, later: Value) -> Value {
        let mut list = earlier.as_array().unwrap_or(&[]).to_vec();
        list.extend(later.as_array().unwrap_or(&[]).iter().cloned());
        Value::array(list)
    }
}
