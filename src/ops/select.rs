//! `select/v1`: the projection. Evaluates the key expressions into the record key and the
//! value expressions into the record value, in output-schema order. A record with a null
//! Kafka key (an empty key row) keeps it; after a repartition, a null value has all-NULL key
//! columns. A tombstone keeps its
//! (re-evaluated) key and stays a tombstone. An expression error is logged and that column is
//! NULL, as ksqlDB does. It must not filter rows.

use crate::expr::compile::Evaluator;
use crate::topology::{Port, ProcessingError, Processor, ProcessorContext, Record};
use crate::types::Value;

use super::layout::eval_row;

pub struct Select {
    keys: Vec<(String, Evaluator)>,
    values: Vec<(String, Evaluator)>,
    /// After a repartition: per key column, whether it is computed for a null value (it reads
    /// only key columns) or NULL. `None`: the input was not re-keyed.
    null_value_keys: Option<Vec<bool>>,
}

impl Select {
    /// `keys` and `values` are (column name, compiled expression) in output order;
    /// `null_value_keys` is set when the input comes back from a repartition (`PARTITION BY`).
    pub fn new(
        keys: Vec<(String, Evaluator)>,
        values: Vec<(String, Evaluator)>,
        null_value_keys: Option<Vec<bool>>,
    ) -> Select {
        Select {
            keys,
            values,
            null_value_keys,
        }
    }
}

fn eval_all(
    columns: &[(String, Evaluator)],
    record: &Record,
    ctx: &mut ProcessorContext<'_>,
) -> Vec<Value> {
    let row = eval_row(record);
    let mut values = Vec::with_capacity(columns.len());
    for (name, e) in columns {
        // A failed function call evaluates to NULL (ksqlDB) and goes to the processing log;
        // nothing is collected unless a call fails.
        let mut failed_calls = Vec::new();
        let value = e.eval_reporting(&row, &mut |err| failed_calls.push(err));
        for err in failed_calls {
            ctx.report(ProcessingError::processing(format!(
                "Error computing expression for column {name}: {err} (it evaluated to NULL)"
            )));
        }
        values.push(value.unwrap_or_else(|err| {
            ctx.report(ProcessingError::processing(format!(
                "Error computing expression for column {name}: {err}"
            )));
            Value::Null
        }));
    }
    values
}

impl Processor for Select {
    fn process(&mut self, _port: Port, record: Record, ctx: &mut ProcessorContext<'_>) {
        let key = if let (Some(computed), true) = (&self.null_value_keys, record.is_tombstone()) {
            // ksqlDB evaluates PARTITION BY on a null value only from key columns.
            let all = eval_all(&self.keys, &record, ctx);
            all.into_iter()
                .zip(computed)
                .map(|(v, &ok)| if ok { v } else { Value::Null })
                .collect()
        } else if self.null_value_keys.is_none() && record.key.is_empty() {
            // A null input key passes through as a null key (ksqlDB keeps the Kafka key).
            Vec::new()
        } else {
            eval_all(&self.keys, &record, ctx)
        };
        let value = if record.is_tombstone() {
            None
        } else {
            Some(eval_all(&self.values, &record, ctx))
        };
        ctx.forward(record.with_key_value(key, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::compile::Slot;
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
}
