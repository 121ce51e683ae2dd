//! `test_udaf` (`TestUdaf`): sums. BIGINT and INT sum into a BIGINT and can undo a row (its
//! `TableUdaf` factories, so they aggregate tables); DOUBLE sums into a DOUBLE; any other
//! type goes to the generic factory, which handles only those three; a STRING sums its
//! lengths from the length of a constant initial string; a `STRUCT<A INT, B INT>` sums each
//! field. A NULL input fails the row, as Java's unboxing does.

use weir::functions::extra::{CallTypes, ExtraAggregate, ExtraFunction};
use weir::types::{SqlType, Value};

use super::{java_length, present};

pub fn functions() -> Vec<ExtraFunction> {
    vec![ExtraFunction::aggregate(
        "test_udaf",
        &[
            ("BIGINT -> BIGINT", 1),
            ("INT -> BIGINT", 1),
            ("DOUBLE -> DOUBLE", 1),
            ("T -> T", 1),
            ("STRING, STRING -> BIGINT", 1),
            ("STRUCT<A INT, B INT> -> STRUCT<A INT, B INT>", 1),
        ],
        build,
    )]
}

fn build(call: &CallTypes<'_>) -> Result<Box<dyn ExtraAggregate>, String> {
    let sum = |ty: SqlType, undo: bool| -> Box<dyn ExtraAggregate> { Box::new(Sum { ty, undo }) };
    Ok(match call.signature {
        0 | 1 => sum(SqlType::Bigint, true),
        2 => sum(SqlType::Double, false),
        // `createSumT`: delegates to the factory of its type, or refuses the type.
        3 => match call.args.first() {
            Some(SqlType::Double) => sum(SqlType::Double, false),
            Some(SqlType::Int) => sum(SqlType::Int, true),
            Some(SqlType::Bigint) => sum(SqlType::Bigint, true),
            Some(other) => return Err(format!("Type {other} is not handled.")),
            None => return Err("no argument".to_string()),
        },
        4 => {
            let initial = call
                .literals
                .get(1)
                .cloned()
                .flatten()
                .ok_or("java.lang.NullPointerException: the initial string is null")?;
            Box::new(SumLengths {
                initial: java_length(&initial),
            })
        }
        _ => Box::new(SumFields),
    })
}

/// Sums numbers of one type (Java's wrapping integer arithmetic).
struct Sum {
    ty: SqlType,
    undo: bool,
}

impl Sum {
    fn combine(&self, a: &Value, b: &Value, sign: i64) -> Value {
        match self.ty {
            SqlType::Double => {
                Value::Double(a.as_f64().unwrap_or(0.0) + sign as f64 * b.as_f64().unwrap_or(0.0))
            }
            SqlType::Int => Value::Int(
                (a.as_i64().unwrap_or(0) as i32)
                    .wrapping_add((sign as i32).wrapping_mul(b.as_i64().unwrap_or(0) as i32)),
            ),
            _ => Value::Bigint(
                a.as_i64()
                    .unwrap_or(0)
                    .wrapping_add(sign.wrapping_mul(b.as_i64().unwrap_or(0))),
            ),
        }
    }
}

impl ExtraAggregate for Sum {
    fn init(&self) -> Value {
        self.combine(&Value::Null, &Value::Null, 1)
    }

    fn add(&self, acc: Value, args: &[Value]) -> Result<Value, String> {
        let value = present(args.first())?;
        Ok(self.combine(&acc, value, 1))
    }

    fn undo(&self, acc: Value, args: &[Value]) -> Option<Value> {
        if !self.undo {
            return None;
        }
        let value = present(args.first()).ok()?;
        Some(self.combine(&acc, value, -1))
    }

    fn result(&self, acc: &Value) -> Value {
        acc.clone()
    }

    fn merge(&self, earlier: Value, later: Value) -> Value {
        self.combine(&earlier, &later, 1)
    }
}

/// Sums string lengths, from the length of the initial string.
struct SumLengths {
    initial: i64,
}

impl ExtraAggregate for SumLengths {
    fn init(&self) -> Value {
        Value::Bigint(self.initial)
    }

    fn add(&self, acc: Value, args: &[Value]) -> Result<Value, String> {
        let length = java_length(present(args.first())?);
        Ok(Value::Bigint(
            acc.as_i64().unwrap_or(0).wrapping_add(length),
        ))
    }

    fn result(&self, acc: &Value) -> Value {
        acc.clone()
    }

    fn merge(&self, earlier: Value, later: Value) -> Value {
        Value::Bigint(
            earlier
                .as_i64()
                .unwrap_or(0)
                .wrapping_add(later.as_i64().unwrap_or(0)),
        )
    }
}

/// Sums fields A and B of `STRUCT<A INT, B INT>`, from zeros.
struct SumFields;

impl SumFields {
    fn fields(value: &Value) -> Result<(i32, i32), String> {
        let fields = value.as_struct().unwrap_or(&[]);
        let field = |i: usize| present(fields.get(i)).map(|v| v.as_i64().unwrap_or(0) as i32);
        Ok((field(0)?, field(1)?))
    }

    fn sum(a: (i32, i32), b: (i32, i32)) -> Value {
        Value::structure(vec![
            Value::Int(a.0.wrapping_add(b.0)),
            Value::Int(a.1.wrapping_add(b.1)),
        ])
    }
}

impl ExtraAggregate for SumFields {
    fn init(&self) -> Value {
        Self::sum((0, 0), (0, 0))
    }

    fn add(&self, acc: Value, args: &[Value]) -> Result<Value, String> {
        let current = Self::fields(present(args.first())?)?;
        Ok(Self::sum(current, Self::fields(&acc)?))
    }

    fn result(&self, acc: &Value) -> Value {
        acc.clone()
    }

    fn merge(&self, earlier: Value, later: Value) -> Value {
        match (Self::fields(&earlier), Self::fields(&later)) {
            (Ok(a), Ok(b)) => Self::sum(a, b),
            _ => earlier,
        }
    }
}
