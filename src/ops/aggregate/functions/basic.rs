//! COUNT, SUM, AVG, MIN and MAX. NULL arguments are skipped (COUNT(*) counts rows); SUM of an
//! empty group is 0 of its type; integer sums wrap as Java's do; a DECIMAL sum past its
//! type's precision refuses the row (ksqlDB's "Numeric field overflow"); AVG keeps a DOUBLE sum (a
//! DECIMAL one for DECIMAL input) and a count, and reads 0 for an empty group; MIN and MAX keep
//! the extreme non-NULL value and cannot be undone.

use rust_decimal::Decimal;

use super::{AggregateFunction, as_f64};
use crate::types::decimal::ensure_max;
use crate::types::{SqlType, Value};

pub struct Count {
    /// `COUNT(*)`: every row counts.
    pub star: bool,
}

impl Count {
    fn counts(&self, args: &[Value]) -> bool {
        self.star || args.first().is_some_and(|v| !v.is_null())
    }
}

fn bigint(acc: &Value) -> i64 {
    match acc {
        Value::Bigint(n) => *n,
        _ => 0,
    }
}

impl AggregateFunction for Count {
    fn init(&self) -> Value {
        Value::Bigint(0)
    }

    fn add(&self, acc: Value, args: &[Value]) -> Value {
        let n = bigint(&acc);
        Value::Bigint(if self.counts(args) { n + 1 } else { n })
    }

    fn undo(&self, acc: Value, args: &[Value]) -> Option<Value> {
        let n = bigint(&acc);
        Some(Value::Bigint(if self.counts(args) { n - 1 } else { n }))
    }

    fn merge(&self, earlier: Value, later: Value) -> Value {
        Value::Bigint(bigint(&earlier) + bigint(&later))
    }

    fn result(&self, acc: &Value) -> Value {
        acc.clone()
    }
}

pub struct Sum {
    pub ty: SqlType,
}

/// `a + sign * b` for two values of one numeric type; NULL when they are not.
fn combine(a: &Value, b: &Value, negate: bool) -> Option<Value> {
    Some(match (a, b) {
        (Value::Int(x), Value::Int(y)) => Value::Int(if negate {
            x.wrapping_sub(*y)
        } else {
            x.wrapping_add(*y)
        }),
        (Value::Bigint(x), Value::Bigint(y)) => Value::Bigint(if negate {
            x.wrapping_sub(*y)
        } else {
            x.wrapping_add(*y)
        }),
        (Value::Bigint(x), Value::Int(y)) => Value::Bigint(if negate {
            x.wrapping_sub(i64::from(*y))
        } else {
            x.wrapping_add(i64::from(*y))
        }),
        (Value::Double(x), y) => {
            let y = as_f64(y)?;
            Value::Double(if negate { x - y } else { x + y })
        }
        (Value::Decimal(x), Value::Decimal(y)) => Value::Decimal(if negate {
            x.checked_sub(*y)?
        } else {
            x.checked_add(*y)?
        }),
        _ => return None,
    })
}

impl Sum {
    fn step(&self, acc: Value, args: &[Value], negate: bool) -> Value {
        match args.first() {
            None | Some(Value::Null) => acc,
            Some(v) => combine(&acc, v, negate).unwrap_or(acc),
        }
    }
}

/// Zero of a numeric type (`DECIMAL` with its scale).
fn zero(ty: &SqlType) -> Value {
    match ty {
        SqlType::Int => Value::Int(0),
        SqlType::Bigint => Value::Bigint(0),
        SqlType::Decimal { scale, .. } => Value::Decimal(Decimal::new(0, *scale)),
        _ => Value::Double(0.0),
    }
}

impl AggregateFunction for Sum {
    fn init(&self) -> Value {
        zero(&self.ty)
    }

    fn add(&self, acc: Value, args: &[Value]) -> Value {
        self.step(acc, args, false)
    }

    /// A DECIMAL sum must stay below `10^(precision - scale)` of its type, as ksqlDB's
    /// `DecimalSumKudaf` requires (it throws "Numeric field overflow" otherwise).
    fn try_add(&self, acc: Value, args: &[Value]) -> Result<Value, String> {
        let next = self.add(acc, args);
        if let (Value::Decimal(sum), SqlType::Decimal { precision, scale }) = (&next, &self.ty) {
            ensure_max(sum, *precision, *scale).map_err(|e| e.to_string())?;
        }
        Ok(next)
    }

    fn can_refuse(&self) -> bool {
        matches!(self.ty, SqlType::Decimal { .. })
    }

    fn undo(&self, acc: Value, args: &[Value]) -> Option<Value> {
        Some(self.step(acc, args, true))
    }

    fn merge(&self, earlier: Value, later: Value) -> Value {
        combine(&earlier, &later, false).unwrap_or(earlier)
    }

    fn result(&self, acc: &Value) -> Value {
        match (acc, &self.ty) {
            (Value::Decimal(d), SqlType::Decimal { scale, .. }) => {
                let mut d = *d;
                d.rescale(*scale);
                Value::Decimal(d)
            }
            _ => acc.clone(),
        }
    }
}

/// AVG: accumulator `STRUCT<SUM, COUNT>`.
pub struct Avg {
    pub ty: SqlType,
}

impl Avg {
    fn parts(acc: &Value) -> (Value, i64) {
        match acc {
            Value::Struct(fields) if fields.len() == 2 => (fields[0].clone(), bigint(&fields[1])),
            _ => (Value::Null, 0),
        }
    }

    fn step(&self, acc: Value, args: &[Value], negate: bool) -> Value {
        let value = match args.first() {
            None | Some(Value::Null) => return acc,
            Some(Value::Decimal(d)) => Value::Decimal(*d),
            Some(v) => match as_f64(v) {
                Some(f) => Value::Double(f),
                None => return acc,
            },
        };
        let (sum, count) = Avg::parts(&acc);
        let sum = if sum.is_null() {
            zero_like(&value)
        } else {
            sum
        };
        let Some(sum) = combine(&sum, &value, negate) else {
            return acc;
        };
        let count = if negate { count - 1 } else { count + 1 };
        Value::structure(vec![sum, Value::Bigint(count)])
    }
}

fn zero_like(value: &Value) -> Value {
    match value {
        Value::Decimal(_) => Value::Decimal(Decimal::ZERO),
        _ => Value::Double(0.0),
    }
}

impl AggregateFunction for Avg {
    fn init(&self) -> Value {
        Value::structure(vec![Value::Null, Value::Bigint(0)])
    }

    fn add(&self, acc: Value, args: &[Value]) -> Value {
        self.step(acc, args, false)
    }

    fn undo(&self, acc: Value, args: &[Value]) -> Option<Value> {
        Some(self.step(acc, args, true))
    }

    fn merge(&self, earlier: Value, later: Value) -> Value {
        let ((a, n), (b, m)) = (Avg::parts(&earlier), Avg::parts(&later));
        let sum = match (a.is_null(), b.is_null()) {
            (true, _) => b,
            (_, true) => a,
            _ => combine(&a, &b, false).unwrap_or(a),
        };
        Value::structure(vec![sum, Value::Bigint(n + m)])
    }

    fn result(&self, acc: &Value) -> Value {
        let (sum, count) = Avg::parts(acc);
        match (sum, &self.ty) {
            (Value::Decimal(d), SqlType::Decimal { scale, .. }) if count != 0 => {
                match d.checked_div(Decimal::from(count)) {
                    Some(mut avg) => {
                        avg = avg.round_dp_with_strategy(
                            *scale,
                            rust_decimal::RoundingStrategy::MidpointAwayFromZero,
                        );
                        avg.rescale(*scale);
                        Value::Decimal(avg)
                    }
                    None => Value::Null,
                }
            }
            (_, SqlType::Decimal { scale, .. }) => Value::Decimal(Decimal::new(0, *scale)),
            (Value::Double(s), _) if count != 0 => Value::Double(s / count as f64),
            _ => Value::Double(0.0),
        }
    }
}

pub struct MinMax {
    pub max: bool,
}

impl AggregateFunction for MinMax {
    fn init(&self) -> Value {
        Value::Null
    }

    fn add(&self, acc: Value, args: &[Value]) -> Value {
        let Some(v) = args.first().filter(|v| !v.is_null()) else {
            return acc;
        };
        match v.sql_cmp(&acc) {
            None if acc.is_null() => v.clone(),
            Some(std::cmp::Ordering::Greater) if self.max => v.clone(),
            Some(std::cmp::Ordering::Less) if !self.max => v.clone(),
            _ => acc,
        }
    }

    fn merge(&self, earlier: Value, later: Value) -> Value {
        self.add(earlier, &[later])
    }

    fn result(&self, acc: &Value) -> Value {
        acc.clone()
    }
}

/// SUM_LIST: the sum of the non-NULL elements of every row's array (0 for an empty group).
pub struct SumList {
    pub sum: Sum,
}

impl SumList {
    fn step(&self, acc: Value, args: &[Value], negate: bool) -> Value {
        let Some(Value::Array(items)) = args.first() else {
            return acc;
        };
        items.iter().fold(acc, |acc, item| {
            self.sum.step(acc, std::slice::from_ref(item), negate)
        })
    }
}

impl AggregateFunction for SumList {
    fn init(&self) -> Value {
        self.sum.init()
    }

    fn add(&self, acc: Value, args: &[Value]) -> Value {
        self.step(acc, args, false)
    }

    fn undo(&self, acc: Value, args: &[Value]) -> Option<Value> {
        Some(self.step(acc, args, true))
    }

    fn merge(&self, earlier: Value, later: Value) -> Value {
        self.sum.merge(earlier, later)
    }

    fn result(&self, acc: &Value) -> Value {
        self.sum.result(acc)
    }
}
