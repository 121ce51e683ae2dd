//! STDDEV_SAMP / VAR_SAMP (Welford's running mean and sum of squared deviations, undoable)
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

impl AggregateFunction for Variance {
    fn init(&self) -> Value {
        pack(&[0.0, 0.0, 0.0])
    }

    fn add(&self, acc: Value, args: &[Value]) -> Value {
        let Some(x) = args.first().and_then(as_f64) else {
            return acc;
        };
        let f = fields(&acc, 3);
        let (count, mean, m2) = (f[0] + 1.0, f[1], f[2]);
        let delta = x - mean;
        let mean = mean + delta / count;
        let m2 = m2 + delta * (x - mean);
        pack(&[count, mean, m2])
    }

    fn undo(&self, acc: Value, args: &[Value]) -> Option<Value> {
        let Some(x) = args.first().and_then(as_f64) else {
            return Some(acc);
        };
        let f = fields(&acc, 3);
        let (count, mean, m2) = (f[0], f[1], f[2]);
        if count <= 1.0 {
            return Some(self.init());
        }
        let new_mean = (mean * count - x) / (count - 1.0);
        let m2 = m2 - (x - mean) * (x - new_mean);
        Some(pack(&[count - 1.0, new_mean, m2]))
    }

    fn merge(&self, earlier: Value, later: Value) -> Value {
        let (a, b) = (fields(&earlier, 3), fields(&later, 3));
        let count = a[0] + b[0];
        if count == 0.0 {
            return self.init();
        }
        let delta = b[1] - a[1];
        let mean = a[1] + delta * b[0] / count;
        let m2 = a[2] + b[2] + delta * delta * a[0] * b[0] / count;
        pack(&[count, mean, m2])
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
