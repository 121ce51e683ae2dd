//! `flatMap/v1`: table functions (`EXPLODE`, `CUBE_EXPLODE`). Each input row becomes as many rows as the
//! longest function result; shorter results are padded with NULL; a NULL or empty result
//! contributes no rows. The function outputs are appended to the value row, where
//! [`crate::expr::ColumnRef::TableFunction`] reads them. An argument error is logged and the
//! row produces nothing. It must not change the input columns. Table functions an embedding
//! program installed ([`crate::functions::extra`]) are found after the built-ins.

use std::sync::Arc;

use crate::expr::compile::{CompileError, Evaluator};
use crate::functions::extra::{self, CallTypes, Implementation};
use crate::topology::{Port, ProcessingError, Processor, ProcessorContext, Record};
use crate::types::{SqlType, Value};

use super::layout::eval_row;

/// A table function: its argument values to its output rows, or why they have none.
pub type TableFn = Arc<dyn Fn(&[Value]) -> Result<Vec<Value>, String> + Send + Sync>;

/// `CUBE_EXPLODE` refuses arrays longer than this (2^20 rows), as ksqlDB does.
const CUBE_MAX_COLUMNS: usize = 20;

/// The implementation of table function `name` resolved to overload `signature`, called with
/// arguments of `args` types, returning `returns`; `literals` holds the value of each literal
/// argument.
pub fn table_function(
    name: &str,
    signature: u32,
    args: &[SqlType],
    returns: &SqlType,
    literals: &[Option<Value>],
) -> Result<TableFn, CompileError> {
    match name {
        "EXPLODE" => Ok(Arc::new(|args| {
            Ok(args
                .first()
                .and_then(Value::as_array)
                .map(|items| items.to_vec())
                .unwrap_or_default())
        })),
        "CUBE_EXPLODE" => Ok(Arc::new(|args| {
            match args.first().and_then(Value::as_array) {
                Some(columns) => cube(columns),
                None => Ok(Vec::new()),
            }
        })),
        other => match extra::implementation(other) {
            Some(Implementation::Table(factory)) => factory(&CallTypes {
                signature,
                args,
                returns,
                literals,
            })
            .map(Arc::from)
            .map_err(|reason| CompileError::Unsupported {
                what: format!("table function {other}: {reason}"),
            }),
            _ => Err(CompileError::Unsupported {
                what: format!("table function {other}"),
            }),
        },
    }
}

/// Every combination of the columns with some of them replaced by NULL, the all-NULL row
/// first, in ksqlDB's order (the last column varies fastest); a column that is already NULL does
/// not double the rows.
fn cube(columns: &[Value]) -> Result<Vec<Value>, String> {
    let n = columns.len();
    if n > CUBE_MAX_COLUMNS {
        return Err(format!(
            "cube_explode: too many columns ({n}); max is {CUBE_MAX_COLUMNS}"
        ));
    }
    let present: u32 = (0..n)
        .filter(|&i| !columns[i].is_null())
        .map(|i| 1 << (n - 1 - i))
        .sum();
    let rows = (0..1u32 << n)
        .filter(|mask| mask & present == *mask)
        .map(|mask| {
            let row = (0..n)
                .map(|i| {
                    if mask & (1 << (n - 1 - i)) == 0 {
                        Value::Null
                    } else {
                        columns[i].clone()
                    }
                })
                .collect();
            Value::array(row)
        })
        .collect();
    Ok(rows)
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
            let rows = args
                .map_err(|e| format!("Error evaluating table function arguments: {e}"))
                .and_then(|args| function(&args));
            match rows {
                Ok(rows) => results.push(rows),
                Err(e) => {
                    ctx.report(ProcessingError::processing(e));
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

    /// A built-in table function, whose implementation needs no types.
    fn builtin(name: &str) -> TableFn {
        table_function(name, 0, &[], &SqlType::String, &[]).unwrap()
    }

    #[test]
    fn explodes_and_pads_shorter_results() {
        let arg = |slot: Slot| {
            let e = TypedExpr::column(
                ColumnRef::Input { side: 0, index: 0 },
                SqlType::array(SqlType::Int),
            );
            Evaluator::compile(&e, &move |_| Some(slot)).unwrap()
        };
        let explode = builtin("EXPLODE");
        let op = FlatMap::new(vec![
            (explode.clone(), vec![arg(Slot::Value(0))]),
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
    fn cube_explode_skips_duplicate_null_combinations() {
        let cube_explode = builtin("CUBE_EXPLODE");
        let arr = |v: Vec<Value>| vec![Value::array(v)];
        assert_eq!(
            cube_explode(&arr(vec![Value::Int(1), Value::Int(2)])),
            Ok(vec![
                Value::array(vec![Value::Null, Value::Null]),
                Value::array(vec![Value::Null, Value::Int(2)]),
                Value::array(vec![Value::Int(1), Value::Null]),
                Value::array(vec![Value::Int(1), Value::Int(2)]),
            ])
        );
        assert_eq!(
            cube_explode(&arr(vec![Value::Int(1), Value::Null])),
            Ok(vec![
                Value::array(vec![Value::Null, Value::Null]),
                Value::array(vec![Value::Int(1), Value::Null]),
            ])
        );
        assert_eq!(cube_explode(&[Value::Null]), Ok(vec![]));
        assert!(cube_explode(&arr(vec![Value::Int(0); 21])).is_err());
    }
}
