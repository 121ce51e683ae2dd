//! STDDEV_SAMP / VAR_SAMP (count, sum and sum of squared deviations, undoable)
//! and CORRELATION (running sums). A group with fewer than two values has deviation 0.0,
//! as in ksqlDB; CORRELATION of fewer than two pairs is NaN.

use super::{AggregateFunction, as_f64};
use crate::types::Value;

fn fields(acc: &Value, n: usize) -> Vec<f64> {
    match acc {
        Value::Struct(f) if f.len() == n => f.iter().map(|v| as_f64(v).unwrap_or(0.0)).collect(),
        _ => vec![0.0; n],
    }
}

fn pack(values: &[f64]) -> Value {
    Value::structure(values.iter().map(|v| Value::Double(*v)).collect())
}

pub struct Variance {
    pub sqrt: bool,
}

/// The sum of squared deviations after adding `x` to a group of `count` values summing to
/// `sum` (ksqlDB's update, which rounds like its outputs).
fn m2_step(count: f64, sum: f64, x: f64) -> f64 {
    let (n, total) = (count + 1.0, sum + x);
    (n * x - total).powi(2) / (n * count)
}

impl AggregateFunction for Variance {
    /// `STRUCT<COUNT, SUM, M2>`.
    fn init(&self) -> Value {
        pack(&[0.0, 0.0, 0.0])
    }

    fn add(&self, acc: Value, args: &[Value]) -> Value {
        let Some(x) = args.first().and_then(as_f64) else {
            return acc;
        };
        let f = fields(&acc, 3);
        let (count, sum, m2) = (f[0], f[1], f[2]);
        if count == 0.0 {
            return pack(&[1.0, x, 0.0]);
        }
        pack(&[count + 1.0, sum + x, m2 + m2_step(count, sum, x)])
    }

    fn undo(&self, acc: Value, args: &[Value]) -> Option<Value> {
        let Some(x) = args.first().and_then(as_f64) else {
            return Some(acc);
        };
        let f = fields(&acc, 3);
        let (count, sum, m2) = (f[0], f[1], f[2]);
        if count <= 1.0 {
            return Some(self.init());
        }
        let (before, rest) = (count - 1.0, sum - x);
        Some(pack(&[before, rest, m2 - m2_step(before, rest, x)]))
    }

    fn merge(&self, earlier: Value, later: Value) -> Value {
        let (a, b) = (fields(&earlier, 3), fields(&later, 3));
        if a[0] == 0.0 {
            return later;
        }
        if b[0] == 0.0 {
            return earlier;
        }
        let count = a[0] + b[0];
        let delta = a[1] / a[0] - b[1] / b[0];
        let m2 = a[2] + b[2] + delta * delta * a[0] * b[0] / count;
        pack(&[count, a[1] + b[1], m2])
    }

    fn result(&self, acc: &Value) -> Value {
        let f = fields(acc, 3);
        if f[0] < 2.0 {
            return Value::Double(0.0);
        }
        let variance = f[2] / (f[0] - 1.0);
        Value::Double(if self.sqrt { variance.sqrt() } else { variance })
    }
}

pub struct Correlation;

impl AggregateFunction for Correlation {
    fn init(&self) -> Value {
        pack(&[0.0; 6])
    }

    fn add(&self, acc: Value, args: &[Value]) -> Value {
        let (Some(x), Some(y)) = (args.first().and_then(as_f64), args.get(1).and_then(as_f64))
        else {
            return acc;
        };
        let f = fields(&acc, 6);
        pack(&[
            f[0] + 1.0,
            f[1] + x,
            f[2] + y,
            f[3] + x * x,
            f[4] + y * y,
            f[5] + x * y,
        ])
    }

    fn merge(&self, earlier: Value, later: Value) -> Value {
        let (a, b) = (fields(&earlier, 6), fields(&later, 6));
        let sums: Vec<f64> = a.iter().zip(&b).map(|(x, y)| x + y).collect();
        pack(&sums)
    }

    fn result(&self, acc: &Value) -> Value {
        let f = fields(acc, 6);
        let n = f[0];
        if n < 2.0 {
            return Value::Double(f64::NAN);
        }
        let cov = n * f[5] - f[1] * f[2];
        let sx = (n * f[3] - f[1] * f[1]).sqrt();
        let sy = (n * f[4] - f[2] * f[2]).sqrt();
        Value::Double(cov / (sx * sy))
    }
}
