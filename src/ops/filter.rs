//! `filter/v1` and `tableFilter/v1`: forwards the rows whose predicate is TRUE. On a stream a
//! failing row is dropped; on a table it becomes a tombstone for its key (the row may have
//! passed before), as Kafka Streams' `KTable.filter` without a store does. A predicate error is
//! logged and counts as not TRUE. It must not change a forwarded row.

use crate::expr::compile::Evaluator;
use crate::topology::{Port, ProcessingError, Processor, ProcessorContext, Record};
use crate::types::Value;

use super::layout::eval_row;

pub struct Filter {
    predicate: Evaluator,
    /// Table semantics: rows that fail become tombstones instead of disappearing.
    table: bool,
}

impl Filter {
    pub fn new(predicate: Evaluator, table: bool) -> Filter {
        Filter { predicate, table }
    }
}

impl Processor for Filter {
    fn process(&mut self, _port: Port, record: Record, ctx: &mut ProcessorContext<'_>) {
        if record.is_tombstone() {
            if self.table {
                ctx.forward(record);
            }
            return;
        }
        let pass = match self.predicate.eval(&eval_row(&record)) {
            Ok(Value::Boolean(b)) => b,
            Ok(_) => false,
            Err(e) => {
                ctx.report(ProcessingError::processing(format!(
                    "Error evaluating predicate: {e}"
                )));
                false
            }
        };
        if pass {
            ctx.forward(record);
        } else if self.table {
            let key = record.key.clone();
            ctx.forward(record.with_key_value(key, None));
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
}
