//! LATEST_BY_OFFSET and EARLIEST_BY_OFFSET. Records reach an aggregate in offset order, so
//! "latest" is the last value added and "earliest" the first; NULLs are skipped unless the
//! `ignoreNulls` argument is FALSE. With a count `n` the result is an array of the latest
//! (oldest first) or earliest `n` values. Neither can be undone.

use super::{AggregateFunction, elements};
use crate::types::Value;

pub struct ByOffset {
    pub latest: bool,
    /// `Some(n)`: keep `n` values and return them as an array.
    pub count: Option<usize>,
    pub ignore_nulls: bool,
}

impl AggregateFunction for ByOffset {
    fn init(&self) -> Value {
        Value::array(Vec::new())
    }

    fn add(&self, acc: Value, args: &[Value]) -> Value {
        let item = args.first().cloned().unwrap_or(Value::Null);
        if item.is_null() && self.ignore_nulls {
            return acc;
        }
        let keep = self.count.unwrap_or(1);
        let mut items = elements(&acc);
        if self.latest {
            items.push(item);
            if items.len() > keep {
                items.drain(..items.len() - keep);
            }
        } else if items.len() < keep {
            items.push(item);
        }
        Value::array(items)
    }

    fn merge(&self, earlier: Value, later: Value) -> Value {
        elements(&later)
            .into_iter()
            .fold(earlier, |acc, item| self.add(acc, &[item]))
    }

    fn result(&self, acc: &Value) -> Value {
        let items = elements(acc);
        match self.count {
            Some(_) => Value::array(items),
            None => items.into_iter().next().unwrap_or(Value::Null),
        }
    }
}
