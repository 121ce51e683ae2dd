//! `filter/v1` and `tableFilter/v1`: forwards the rows whose predicate is TRUE. On a stream a
//! failing row is dropped. On a table a failing row (or a delete) becomes a tombstone for its
//! key only when the key's previous row passed, as Kafka Streams' `KTable.filter` does over
//! ksqlDB's materialized tables (it sees old values and forwards nothing for a key that never
//! was in its result); a store of the keys whose last row passed stands in for the old
//! values. Without that store (a table filter planned without one) every failing row becomes
//! a tombstone. A predicate error is logged and counts as not TRUE. It must not change a
//! forwarded row.

use crate::expr::compile::Evaluator;
use crate::state::KeyValueStore;
use crate::state::codec::encode_row;
use crate::topology::{Port, ProcessingError, Processor, ProcessorContext, Record};
use crate::types::Value;

use super::layout::eval_row;

/// What a failing row turns into.
enum Failing {
    /// Stream: nothing.
    Dropped,
    /// Table without memory: a tombstone, always.
    Tombstone,
    /// Table: a tombstone when the key is in `passed` (the keys whose last row passed).
    TombstoneIfPassed {
        passed: Box<dyn KeyValueStore>,
        /// The leading key columns that identify a row (a joined row's key carries more).
        key_width: usize,
        key: Vec<u8>,
    },
}

pub struct Filter {
    predicate: Evaluator,
    failing: Failing,
}

impl Filter {
    /// A stream filter (`table` false) or a table filter that tombstones every failing row.
    pub fn new(predicate: Evaluator, table: bool) -> Filter {
        let failing = if table {
            Failing::Tombstone
        } else {
            Failing::Dropped
        };
        Filter { predicate, failing }
    }

    /// A table filter that remembers in `passed` which keys (the first `key_width` key
    /// columns) are in its result.
    pub fn table(predicate: Evaluator, passed: Box<dyn KeyValueStore>, key_width: usize) -> Filter {
        Filter {
            predicate,
            failing: Failing::TombstoneIfPassed {
                passed,
                key_width,
                key: Vec::new(),
            },
        }
    }

    fn passes(&self, record: &Record, ctx: &mut ProcessorContext<'_>) -> bool {
        // A failed function call evaluates to NULL (ksqlDB) and goes to the processing log.
        let mut failed_calls = Vec::new();
        let verdict = self
            .predicate
            .eval_reporting(&eval_row(record), &mut |err| failed_calls.push(err));
        for err in failed_calls {
            ctx.report(ProcessingError::processing(format!(
                "Error evaluating predicate: {err} (it evaluated to NULL)"
            )));
        }
        match verdict {
            Ok(Value::Boolean(b)) => b,
            Ok(_) => false,
            Err(e) => {
                ctx.report(ProcessingError::processing(format!(
                    "Error evaluating predicate: {e}"
                )));
                false
            }
        }
    }
}

fn store_error(e: crate::state::StateError) -> ProcessingError {
    ProcessingError::state("filter state store", e)
}

impl Processor for Filter {
    fn process(&mut self, _port: Port, record: Record, ctx: &mut ProcessorContext<'_>) {
        let pass = !record.is_tombstone() && self.passes(&record, ctx);
        match &mut self.failing {
            Failing::Dropped if !pass => {}
            Failing::Dropped => ctx.forward(record),
            Failing::Tombstone if pass || record.is_tombstone() => ctx.forward(record),
            Failing::Tombstone => {
                let key = record.key.clone();
                ctx.forward(record.with_key_value(key, None));
            }
            Failing::TombstoneIfPassed {
                passed,
                key_width,
                key,
            } => {
                key.clear();
                encode_row(&record.key[..record.key.len().min(*key_width)], key);
                let was_passed = match passed.get(key) {
                    Ok(found) => found.is_some(),
                    Err(e) => return ctx.report(store_error(e)),
                };
                if pass {
                    if !was_passed && let Err(e) = passed.put(key, &[]) {
                        return ctx.report(store_error(e));
                    }
                    ctx.forward(record);
                } else if was_passed {
                    if let Err(e) = passed.delete(key) {
                        return ctx.report(store_error(e));
                    }
                    let key = record.key.clone();
                    ctx.forward(record.with_key_value(key, None));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::compile::Slot;
    use crate::expr::{ColumnRef, ExprKind, TypedExpr};
    use crate::ops::test_support::run;
    use crate::types::SqlType;

    fn not_null() -> Evaluator {
        let e = TypedExpr::new(
            SqlType::Boolean,
            ExprKind::IsNull {
                operand: Box::new(TypedExpr::column(
                    ColumnRef::Input { side: 0, index: 0 },
                    SqlType::Int,
                )),
                negated: true,
            },
        );
        Evaluator::compile(&e, &|_| Some(Slot::Value(0))).unwrap()
    }

    #[test]
    fn stream_filter_drops_and_table_filter_tombstones() {
        let rec = |v: Value| Record::new(vec![], Some(vec![v]), 1);
        let out = run(
            Box::new(Filter::new(not_null(), false)),
            vec![rec(Value::Int(1)), rec(Value::Null)],
        );
        assert_eq!(out, vec![rec(Value::Int(1))]);
        let out = run(
            Box::new(Filter::new(not_null(), true)),
            vec![rec(Value::Null)],
        );
        assert_eq!(out, vec![Record::new(vec![], None, 1)]);
    }

    #[test]
    fn table_filter_tombstones_only_keys_that_passed() {
        let rec =
            |k: i32, v: Option<Value>| Record::new(vec![Value::Int(k)], v.map(|v| vec![v]), 1);
        let store = Box::new(crate::state::MemoryKeyValueStore::new("WhereFilter-Passed"));
        let out = run(
            Box::new(Filter::table(not_null(), store, 1)),
            vec![
                rec(1, Some(Value::Null)), // never passed: nothing
                rec(1, None),              // delete of a key never passed: nothing
                rec(1, Some(Value::Int(5))),
                rec(1, Some(Value::Int(6))),
                rec(1, Some(Value::Null)), // passed before: tombstone
                rec(1, None),              // already gone: nothing
                rec(2, Some(Value::Int(7))),
                rec(2, None), // delete of a passed key: tombstone
            ],
        );
        assert_eq!(
            out,
            vec![
                rec(1, Some(Value::Int(5))),
                rec(1, Some(Value::Int(6))),
                rec(1, None),
                rec(2, Some(Value::Int(7))),
                rec(2, None),
            ]
        );
    }
}
