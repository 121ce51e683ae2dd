//! `flatMap/v1`: table functions (`EXPLODE`, `CUBE_EXPLODE`). Each input row becomes as many rows as the
//! longest function result; shorter results are padded with NULL; a NULL or empty result
//! contributes no rows. The function outputs are appended to the value row, where
//! [`crate::expr::ColumnRef::TableFunction`] reads them. An argument error is logged and the
//! row produces nothing. It must not change the input columns.

use crate::expr::compile::{CompileError, Evaluator};
use crate::topology::{Port, ProcessingError, Processor, ProcessorContext, Record};
use crate::types::Value;

use super::layout::eval_row;

/// A table function: its argument values to its output rows.
pub type TableFn = fn(&[Value]) -> Vec<Value>;

/// The implementation of table function `name`, if there is one yet.
pub fn table_function(name: &str) -> Result<TableFn, CompileError> {
    match name {
        "EXPLODE" => Ok(|args| {
            args.first()
                .and_then(Value::as_array)
                .map(|items| items.to_vec())
                .unwrap_or_default()
        }),
        "CUBE_EXPLODE" => Ok(|args| {
            args.first()
                .and_then(Value::as_array)
                .map(cube)
                .unwrap_or_default()
        }),
        other => Err(CompileError::Unsupported {
            what: format!("table function {other}"),
        }),
    }
}

/// `CUBE_EXPLODE`: every combination of `columns` with some of them replaced by NULL, in
/// ksqlDB's order (the first column varies slowest, NULL before the value). A column that is
/// NULL already adds no combinations of its own (they would repeat the ones with it nulled).
/// Arrays longer than 30 columns (2^30 rows) produce nothing rather than exhaust memory.
fn cube(columns: &[Value]) -> Vec<Value> {
    let n = columns.len();
    if n > 30 {
        return Vec::new();
    }
    (0u32..1 << n)
        .filter(|mask| {
            columns
                .iter()
                .enumerate()
                .all(|(j, c)| mask & (1 << (n - 1 - j)) == 0 || *c != Value::Null)
        })
        .map(|mask| {
            Value::array(
                columns
                    .iter()
                    .enumerate()
                    .map(|(j, c)| {
                        if mask & (1 << (n - 1 - j)) != 0 {
                            c.clone()
                        } else {
                            Value::Null
                        }
                    })
                    .collect(),
            )
        })
        .collect()
}

pub struct FlatMap {
    functions: Vec<(TableFn, Vec<Evaluator>)>,
}

impl FlatMap {
    pub fn new(functions: Vec<(TableFn, Vec<Evaluator>)>) -> FlatMap {
        FlatMap { functions }
    }
}

impl Processor for FlatMap {
    fn process(&mut self, _port: Port, record: Record, ctx: &mut ProcessorContext<'_>) {
        let Some(value) = &record.value else {
            return;
        };
        let row = eval_row(&record);
        let mut results = Vec::with_capacity(self.functions.len());
        for (function, args) in &self.functions {
            let args: Result<Vec<Value>, _> = args.iter().map(|a| a.eval(&row)).collect();
            match args {
                Ok(args) => results.push(function(&args)),
                Err(e) => {
                    ctx.report(ProcessingError::processing(format!(
                        "Error evaluating table function arguments: {e}"
                    )));
                    return;
                }
            }
        }
        let rows = results.iter().map(Vec::len).max().unwrap_or(0);
        for i in 0..rows {
            let mut out = value.clone();
            out.extend(
                results
                    .iter()
                    .map(|r| r.get(i).cloned().unwrap_or(Value::Null)),
            );
            let key = record.key.clone();
            ctx.forward(record.clone().with_key_value(key, Some(out)));
        }
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
    fn explodes_and_pads_shorter_results() {
        let arg = |slot: Slot| {
            let e = TypedExpr::column(
                ColumnRef::Input { side: 0, index: 0 },
                SqlType::array(SqlType::Int),
            );
            Evaluator::compile(&e, &move |_| Some(slot)).unwrap()
        };
        let explode = table_function("EXPLODE").unwrap();
        let op = FlatMap::new(vec![
            (explode, vec![arg(Slot::Value(0))]),
            (explode, vec![arg(Slot::Value(1))]),
        ]);
        let a = Value::array(vec![Value::Int(1), Value::Int(2)]);
        let b = Value::array(vec![Value::Int(3)]);
        let out = run(
            Box::new(op),
            vec![Record::new(vec![], Some(vec![a.clone(), b.clone()]), 1)],
        );
        let values: Vec<_> = out.into_iter().map(|r| r.value.unwrap()).collect();
        assert_eq!(
            values,
            vec![
                vec![a.clone(), b.clone(), Value::Int(1), Value::Int(3)],
                vec![a, b, Value::Int(2), Value::Null],
            ]
        );
    }

    #[test]
    fn cube_nulls_every_subset_and_skips_repeats_of_null_columns() {
        let cube = table_function("CUBE_EXPLODE").unwrap();
        let arr = |items: Vec<Value>| Value::array(items);
        assert_eq!(
            cube(&[arr(vec![Value::Int(1), Value::Int(2)])]),
            vec![
                arr(vec![Value::Null, Value::Null]),
                arr(vec![Value::Null, Value::Int(2)]),
                arr(vec![Value::Int(1), Value::Null]),
                arr(vec![Value::Int(1), Value::Int(2)]),
            ]
        );
        assert_eq!(
            cube(&[arr(vec![Value::Int(1), Value::Null])]),
            vec![
                arr(vec![Value::Null, Value::Null]),
                arr(vec![Value::Int(1), Value::Null]),
            ]
        );
        assert!(cube(&[Value::Null]).is_empty());
    }
}
