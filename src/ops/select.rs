//! `select/v1`: the projection. Evaluates the key expressions into the record key and the
//! value expressions into the record value, in output-schema order. A record with a null
//! Kafka key (an empty key row) keeps it; after a repartition, a null value has all-NULL key
//! columns. A tombstone keeps its
//! (re-evaluated) key and stays a tombstone. An expression error is logged and that column is
//! NULL, as ksqlDB does. It must not filter rows.

use crate::expr::compile::{Evaluator, Slot};
use crate::topology::{Port, ProcessingError, Processor, ProcessorContext, Record};
use crate::types::Value;

use super::layout::eval_row;

pub struct Select {
    keys: Vec<(String, Evaluator)>,
    values: Vec<(String, Evaluator)>,
    /// After a repartition: per key column, whether it is computed for a null value (it reads
    /// only key columns) or NULL. `None`: the input was not re-keyed.
    null_value_keys: Option<Vec<bool>>,
    /// The key expressions are the input's key columns in order: a key of that width passes
    /// through as it is.
    keys_pass_through: bool,
    /// The next output value is evaluated here; it then trades places with the input value,
    /// whose storage is reused for the record after (no allocation per record).
    scratch: Vec<Value>,
}

impl Select {
    /// `keys` and `values` are (column name, compiled expression) in output order;
    /// `null_value_keys` is set when the input comes back from a repartition (`PARTITION BY`).
    pub fn new(
        keys: Vec<(String, Evaluator)>,
        values: Vec<(String, Evaluator)>,
        null_value_keys: Option<Vec<bool>>,
    ) -> Select {
        let keys_pass_through = keys
            .iter()
            .enumerate()
            .all(|(i, (_, e))| e.column() == Some(Slot::Key(i)));
        Select {
            keys,
            values,
            null_value_keys,
            keys_pass_through,
            scratch: Vec::new(),
        }
    }
}

/// Evaluates `columns` over `record` into `out` (cleared first).
fn eval_into(
    columns: &[(String, Evaluator)],
    record: &Record,
    ctx: &mut ProcessorContext<'_>,
    out: &mut Vec<Value>,
) {
    out.clear();
    let row = eval_row(record);
    for (name, e) in columns {
        // A column copied as it is cannot fail.
        if let Some(slot) = e.column() {
            out.push(row.read(slot));
            continue;
        }
        // A failed function call evaluates to NULL (ksqlDB) and goes to the processing log;
        // nothing is collected unless a call fails.
        let mut failed_calls = Vec::new();
        let value = e.eval_reporting(&row, &mut |err| failed_calls.push(err));
        for err in failed_calls {
            ctx.report(ProcessingError::processing(format!(
                "Error computing expression for column {name}: {err} (it evaluated to NULL)"
            )));
        }
        out.push(value.unwrap_or_else(|err| {
            ctx.report(ProcessingError::processing(format!(
                "Error computing expression for column {name}: {err}"
            )));
            Value::Null
        }));
    }
}

fn eval_all(
    columns: &[(String, Evaluator)],
    record: &Record,
    ctx: &mut ProcessorContext<'_>,
) -> Vec<Value> {
    let mut values = Vec::with_capacity(columns.len());
    eval_into(columns, record, ctx, &mut values);
    values
}

impl Processor for Select {
    fn process(&mut self, _port: Port, mut record: Record, ctx: &mut ProcessorContext<'_>) {
        let tombstone = record.is_tombstone();
        // The input key is taken as the output key only after the values have read it.
        let mut key_as_is = false;
        let key = if let (Some(computed), true) = (&self.null_value_keys, tombstone) {
            // ksqlDB evaluates PARTITION BY on a null value only from key columns.
            let all = eval_all(&self.keys, &record, ctx);
            all.into_iter()
                .zip(computed)
                .map(|(v, &ok)| if ok { v } else { Value::Null })
                .collect()
        } else if self.null_value_keys.is_none() && record.key.is_empty() {
            // A null input key passes through as a null key (ksqlDB keeps the Kafka key).
            Vec::new()
        } else if self.keys_pass_through && record.key.len() == self.keys.len() {
            key_as_is = true;
            Vec::new()
        } else {
            eval_all(&self.keys, &record, ctx)
        };
        let value = if tombstone {
            None
        } else {
            eval_into(&self.values, &record, ctx, &mut self.scratch);
            let mut value = record.value.take().unwrap_or_default();
            std::mem::swap(&mut value, &mut self.scratch);
            self.scratch.clear();
            Some(value)
        };
        if !key_as_is {
            record.key = key;
        }
        record.value = value;
        ctx.forward(record);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::{ColumnRef, TypedExpr};
    use crate::ops::test_support::run;
    use crate::types::SqlType;

    #[test]
    fn projects_key_and_value_columns() {
        let col = |slot: Slot| {
            let e = TypedExpr::column(ColumnRef::Input { side: 0, index: 0 }, SqlType::Int);
            Evaluator::compile(&e, &move |_| Some(slot)).unwrap()
        };
        let select = Select::new(
            vec![("K".into(), col(Slot::Value(1)))],
            vec![("V".into(), col(Slot::Key(0)))],
            None,
        );
        let input = Record::new(
            vec![Value::Int(1)],
            Some(vec![Value::Int(2), Value::Int(3)]),
            5,
        );
        let out = run(
            Box::new(select),
            vec![input, Record::new(vec![Value::Int(9)], None, 6)],
        );
        assert_eq!(
            out[0],
            Record::new(vec![Value::Int(3)], Some(vec![Value::Int(1)]), 5)
        );
        assert_eq!(out[1], Record::new(vec![Value::Null], None, 6));
    }

    #[test]
    fn a_key_of_the_input_columns_passes_through_and_values_still_read_it() {
        let col = |slot: Slot| {
            let e = TypedExpr::column(ColumnRef::Input { side: 0, index: 0 }, SqlType::Int);
            Evaluator::compile(&e, &move |_| Some(slot)).unwrap()
        };
        let select = Select::new(
            vec![("K".into(), col(Slot::Key(0)))],
            vec![
                ("V".into(), col(Slot::Value(1))),
                ("K2".into(), col(Slot::Key(0))),
                ("W".into(), col(Slot::Value(0))),
            ],
            None,
        );
        let record = |key: Vec<Value>, value: Vec<i32>, ts| {
            Record::new(key, Some(value.into_iter().map(Value::Int).collect()), ts)
        };
        let out = run(
            Box::new(select),
            vec![
                record(vec![Value::Int(1)], vec![10, 11], 1),
                // Wider than the output key: the key is evaluated, not passed through.
                record(vec![Value::Int(2), Value::Int(3)], vec![20, 21], 2),
                // A null key stays null; the key column reads NULL.
                record(vec![], vec![30], 3),
                record(vec![Value::Int(4)], vec![40, 41], 4),
            ],
        );
        let expected = |key: Vec<Value>, value: Vec<Value>, ts| Record::new(key, Some(value), ts);
        assert_eq!(
            out,
            vec![
                expected(
                    vec![Value::Int(1)],
                    vec![Value::Int(11), Value::Int(1), Value::Int(10)],
                    1
                ),
                expected(
                    vec![Value::Int(2)],
                    vec![Value::Int(21), Value::Int(2), Value::Int(20)],
                    2
                ),
                expected(vec![], vec![Value::Null, Value::Null, Value::Int(30)], 3),
                expected(
                    vec![Value::Int(4)],
                    vec![Value::Int(41), Value::Int(4), Value::Int(40)],
                    4
                ),
            ]
        );
    }
}
