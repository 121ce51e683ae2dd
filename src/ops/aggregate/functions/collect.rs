//! The collection aggregates: COLLECT_LIST (NULLs kept), COLLECT_SET (distinct, first-seen
//! order), HISTOGRAM (counts per STRING, entries that drop to zero removed on undo),
//! COUNT_DISTINCT (exact; NULLs skipped), TOPK and TOPKDISTINCT (the `k` largest non-NULL values,
//! descending; TOPK with other columns keeps STRUCTs of them). Lists, sets and histograms stop
//! growing at ksqlDB's limit of 1000. Sets and removals compare elements as Java's `equals`
//! does ([`Value::java_equals`]: maps with the same entries are one element).

use std::cmp::Ordering;

use super::{AggregateFunction, COLLECT_LIMIT, elements};
use crate::types::Value;

fn first(args: &[Value]) -> Value {
    args.first().cloned().unwrap_or(Value::Null)
}

fn remove_one(acc: Value, item: &Value) -> Value {
    let mut items = elements(&acc);
    if let Some(i) = items.iter().position(|v| v.java_equals(item)) {
        items.remove(i);
    }
    Value::array(items)
}

pub struct CollectList {
    pub limit: usize,
}

impl AggregateFunction for CollectList {
    fn init(&self) -> Value {
        Value::array(Vec::new())
    }

    fn add(&self, acc: Value, args: &[Value]) -> Value {
        let mut items = elements(&acc);
        if items.len() < self.limit {
            items.push(first(args));
        }
        Value::array(items)
    }

    fn undo(&self, acc: Value, args: &[Value]) -> Option<Value> {
        Some(remove_one(acc, &first(args)))
    }

    fn merge(&self, earlier: Value, later: Value) -> Value {
        let mut items = elements(&earlier);
        items.extend(elements(&later));
        items.truncate(self.limit);
        Value::array(items)
    }

    fn result(&self, acc: &Value) -> Value {
        acc.clone()
    }
}

pub struct CollectSet {
    pub limit: usize,
}

impl AggregateFunction for CollectSet {
    fn init(&self) -> Value {
        Value::array(Vec::new())
    }

    fn add(&self, acc: Value, args: &[Value]) -> Value {
        let item = first(args);
        let mut items = elements(&acc);
        if items.len() < self.limit && !items.iter().any(|v| v.java_equals(&item)) {
            items.push(item);
        }
        Value::array(items)
    }

    fn undo(&self, acc: Value, args: &[Value]) -> Option<Value> {
        Some(remove_one(acc, &first(args)))
    }

    fn merge(&self, earlier: Value, later: Value) -> Value {
        elements(&later)
            .into_iter()
            .fold(earlier, |acc, item| self.add(acc, &[item]))
    }

    fn result(&self, acc: &Value) -> Value {
        acc.clone()
    }
}

pub struct Histogram;

impl Histogram {
    fn entries(acc: &Value) -> Vec<(Value, Value)> {
        match acc {
            Value::Map(entries) => entries.to_vec(),
            _ => Vec::new(),
        }
    }

    fn step(acc: Value, args: &[Value], delta: i64) -> Value {
        let item = first(args);
        if item.is_null() {
            return acc;
        }
        count_step(acc, item, delta, COLLECT_LIMIT)
    }

    /// Adds every (value, count) of `later` to `earlier` through `step`.
    fn merge_counts(
        earlier: Value,
        later: &Value,
        step: fn(Value, &[Value], i64) -> Value,
    ) -> Value {
        Histogram::entries(later)
            .into_iter()
            .fold(earlier, |acc, (k, v)| {
                let n = match v {
                    Value::Bigint(n) => n,
                    _ => 0,
                };
                step(acc, &[k], n)
            })
    }
}

/// Moves `item`'s count in a value → count map by `delta`, dropping it at zero; a new item is
/// added only while the map holds fewer than `limit` entries.
fn count_step(acc: Value, item: Value, delta: i64, limit: usize) -> Value {
    let mut entries = Histogram::entries(&acc);
    match entries.iter().position(|(k, _)| *k == item) {
        Some(i) => {
            let n = match entries[i].1 {
                Value::Bigint(n) => n + delta,
                _ => delta,
            };
            if n <= 0 {
                entries.remove(i);
            } else {
                entries[i].1 = Value::Bigint(n);
            }
        }
        None if delta > 0 && entries.len() < limit => entries.push((item, Value::Bigint(delta))),
        None => {}
    }
    Value::Map(entries.into())
}

impl AggregateFunction for Histogram {
    fn init(&self) -> Value {
        Value::Map(Vec::new().into())
    }

    fn add(&self, acc: Value, args: &[Value]) -> Value {
        Histogram::step(acc, args, 1)
    }

    fn undo(&self, acc: Value, args: &[Value]) -> Option<Value> {
        Some(Histogram::step(acc, args, -1))
    }

    fn merge(&self, earlier: Value, later: Value) -> Value {
        Histogram::merge_counts(earlier, &later, Histogram::step)
    }

    fn result(&self, acc: &Value) -> Value {
        acc.clone()
    }
}

pub struct CountDistinct;

impl AggregateFunction for CountDistinct {
    fn init(&self) -> Value {
        Value::array(Vec::new())
    }

    fn add(&self, acc: Value, args: &[Value]) -> Value {
        let item = first(args);
        let mut items = elements(&acc);
        if !item.is_null() && !items.iter().any(|v| v.java_equals(&item)) {
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
        Value::Bigint(elements(acc).len() as i64)
    }
}

/// TOPK and TOPKDISTINCT: the `k` rows with the largest non-NULL sort values, descending, a
/// new value after the equal ones already kept (ksqlDB's `TopkKudaf` appends and sorts
/// stably). With other columns (`TOPK(sort, other..., k)`) each kept row is a STRUCT of the
/// sort value and those columns, in argument order.
pub struct TopK {
    pub k: usize,
    pub distinct: bool,
    /// How many leading arguments make up a kept STRUCT; 0 keeps the sort value alone.
    pub struct_columns: usize,
}

impl TopK {
    /// The value a kept item sorts by.
    fn sort_value<'a>(&self, item: &'a Value) -> &'a Value {
        match item {
            Value::Struct(fields) if self.struct_columns > 0 => {
                fields.first().unwrap_or(&Value::Null)
            }
            other => other,
        }
    }

    fn insert(&self, acc: Value, item: Value) -> Value {
        let sort = self.sort_value(&item);
        let mut items = elements(&acc);
        if sort.is_null() || (self.distinct && items.iter().any(|v| self.sort_value(v) == sort)) {
            return acc;
        }
        let at = items
            .iter()
            .position(|v| sort.sql_cmp(self.sort_value(v)) == Some(Ordering::Greater))
            .unwrap_or(items.len());
        items.insert(at, item);
        items.truncate(self.k);
        Value::array(items)
    }
}

impl AggregateFunction for TopK {
    fn init(&self) -> Value {
        Value::array(Vec::new())
    }

    fn add(&self, acc: Value, args: &[Value]) -> Value {
        let item = match self.struct_columns {
            0 => first(args),
            n => {
                let mut fields: Vec<Value> = args.iter().take(n).cloned().collect();
                fields.resize(n, Value::Null);
                Value::Struct(fields.into())
            }
        };
        self.insert(acc, item)
    }

    fn merge(&self, earlier: Value, later: Value) -> Value {
        elements(&later)
            .into_iter()
            .fold(earlier, |acc, item| self.insert(acc, item))
    }

    fn result(&self, acc: &Value) -> Value {
        acc.clone()
    }
}

/// ATTR: the value when every row of the group has the same one (NULL included as a value),
/// NULL otherwise or for an empty group. Keeps a count per distinct value, so it can undo.
pub struct Attr;

impl Attr {
    fn step(acc: Value, args: &[Value], delta: i64) -> Value {
        count_step(acc, first(args), delta, usize::MAX)
    }
}

impl AggregateFunction for Attr {
    fn init(&self) -> Value {
        Value::Map(Vec::new().into())
    }

    fn add(&self, acc: Value, args: &[Value]) -> Value {
        Attr::step(acc, args, 1)
    }

    fn undo(&self, acc: Value, args: &[Value]) -> Option<Value> {
        Some(Attr::step(acc, args, -1))
    }

    fn merge(&self, earlier: Value, later: Value) -> Value {
        Histogram::merge_counts(earlier, &later, Attr::step)
    }

    fn result(&self, acc: &Value) -> Value {
        match Histogram::entries(acc).as_slice() {
            [(only, _)] => only.clone(),
            _ => Value::Null,
        }
    }
}
