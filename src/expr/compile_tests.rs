//! Unit tests of the expression compiler: operators, NULL logic, LIKE, system columns and
//! function calls (a failing call is NULL, the rest of the expression goes on).

use super::*;
use crate::expr::{Comparison, Literal};
use crate::types::ArithmeticOp;

fn lit(v: Literal, ty: SqlType) -> TypedExpr {
    TypedExpr::literal(v, ty)
}

fn col(i: u32, ty: SqlType) -> TypedExpr {
    TypedExpr::column(ColumnRef::Input { side: 0, index: i }, ty)
}

fn layout(c: ColumnRef) -> Option<Slot> {
    match c {
        ColumnRef::Input { side: 0, index } => Some(Slot::Value(index as usize)),
        ColumnRef::System { column, .. } => Some(Slot::System(column)),
        _ => None,
    }
}

fn eval(e: TypedExpr, value: &[Value]) -> Result<Value, EvalError> {
    let row = EvalRow {
        key: &[],
        value,
        timestamp: 7,
        partition: 0,
        offset: 3,
        window: None,
    };
    Evaluator::compile(&e, &layout).unwrap().eval(&row)
}

fn bin(op: ArithmeticOp, l: TypedExpr, r: TypedExpr, ty: SqlType) -> TypedExpr {
    TypedExpr::new(
        ty,
        ExprKind::Arithmetic {
            op,
            left: Box::new(l),
            right: Box::new(r),
        },
    )
}

#[test]
fn integer_arithmetic_wraps_and_division_by_zero_is_an_error() {
    let e = bin(
        ArithmeticOp::Add,
        col(0, SqlType::Int),
        lit(Literal::Int(1), SqlType::Int),
        SqlType::Int,
    );
    assert_eq!(eval(e, &[Value::Int(i32::MAX)]), Ok(Value::Int(i32::MIN)));
    let e = bin(
        ArithmeticOp::Divide,
        col(0, SqlType::Int),
        lit(Literal::Int(0), SqlType::Int),
        SqlType::Int,
    );
    assert_eq!(eval(e, &[Value::Int(1)]), Err(EvalError::DivideByZero));
    let e = bin(
        ArithmeticOp::Add,
        col(0, SqlType::Int),
        lit(Literal::Int(1), SqlType::Int),
        SqlType::Int,
    );
    assert_eq!(eval(e, &[Value::Null]), Ok(Value::Null));
}

#[test]
fn three_valued_logic_and_comparisons() {
    let null_bool = col(0, SqlType::Boolean);
    let f = lit(Literal::Boolean(false), SqlType::Boolean);
    let and = TypedExpr::new(
        SqlType::Boolean,
        ExprKind::And {
            left: Box::new(null_bool.clone()),
            right: Box::new(f),
        },
    );
    assert_eq!(eval(and, &[Value::Null]), Ok(Value::Boolean(false)));
    let cmp = TypedExpr::new(
        SqlType::Boolean,
        ExprKind::Compare {
            op: Comparison::Gt,
            left: Box::new(col(0, SqlType::Int)),
            right: Box::new(lit(Literal::Bigint(2), SqlType::Bigint)),
        },
    );
    assert_eq!(
        eval(cmp.clone(), &[Value::Int(3)]),
        Ok(Value::Boolean(true))
    );
    assert_eq!(eval(cmp, &[Value::Null]), Ok(Value::Boolean(false)));
}

#[test]
fn like_and_system_columns() {
    let like = TypedExpr::new(
        SqlType::Boolean,
        ExprKind::Like {
            operand: Box::new(col(0, SqlType::String)),
            pattern: Box::new(lit(Literal::String("a%c_".into()), SqlType::String)),
            escape: None,
            negated: false,
        },
    );
    assert_eq!(
        eval(like.clone(), &[Value::string("abbcd")]),
        Ok(Value::Boolean(true))
    );
    assert_eq!(
        eval(like, &[Value::string("abc")]),
        Ok(Value::Boolean(false))
    );
    let rowtime = TypedExpr::column(
        ColumnRef::System {
            side: 0,
            column: SystemColumn::Rowtime,
        },
        SqlType::Bigint,
    );
    assert_eq!(eval(rowtime, &[]), Ok(Value::Bigint(7)));
}

#[test]
fn functions_and_unimplemented_ones() {
    let call = |name: &str, args: Vec<TypedExpr>, ty: SqlType| {
        TypedExpr::new(
            ty,
            ExprKind::Call {
                function: crate::expr::FunctionRef {
                    name: name.into(),
                    signature: 0,
                    params: vec![],
                },
                args,
            },
        )
    };
    let s = |t: &str| lit(Literal::String(t.into()), SqlType::String);
    let i = |n: i32| lit(Literal::Int(n), SqlType::Int);
    assert_eq!(
        eval(
            call("SUBSTRING", vec![s("hello"), i(2), i(3)], SqlType::String),
            &[]
        ),
        Ok(Value::string("ell"))
    );
    assert_eq!(
        eval(
            call("SUBSTRING", vec![s("hello"), i(-3)], SqlType::String),
            &[]
        ),
        Ok(Value::string("llo"))
    );
    assert_eq!(
        eval(call("UCASE", vec![s("ab")], SqlType::String), &[]),
        Ok(Value::string("AB"))
    );
    assert_eq!(
        eval(
            call("COALESCE", vec![col(0, SqlType::Int), i(4)], SqlType::Int),
            &[Value::Null]
        ),
        Ok(Value::Int(4))
    );
    assert_eq!(
        eval(
            call(
                "GREATEST",
                vec![col(0, SqlType::Int), i(4), i(9)],
                SqlType::Int
            ),
            &[Value::Null]
        ),
        Ok(Value::Int(9))
    );
    assert_eq!(
        eval(call("NULLIF", vec![i(4), i(4)], SqlType::Int), &[]),
        Ok(Value::Null)
    );
    assert_eq!(
        eval(
            call("LPAD", vec![s("ab"), i(5), s("xy")], SqlType::String),
            &[]
        ),
        Ok(Value::string("xyxab"))
    );
    assert_eq!(
        eval(
            call("RPAD", vec![s("abcdef"), i(3), s("x")], SqlType::String),
            &[]
        ),
        Ok(Value::string("abc"))
    );
    let err = Evaluator::compile(&call("NOPE", vec![], SqlType::Int), &layout).unwrap_err();
    assert!(err.to_string().contains("NOPE"));
}

#[test]
fn a_failing_call_is_null_and_reported() {
    let call = TypedExpr::new(
        SqlType::Int,
        ExprKind::Call {
            function: crate::expr::FunctionRef {
                name: "STRINGTODATE".into(),
                signature: 0,
                params: vec![],
            },
            args: vec![
                col(0, SqlType::String),
                lit(Literal::String("yyyyMMdd".into()), SqlType::String),
            ],
        },
    );
    let array = TypedExpr::new(
        SqlType::array(SqlType::Int),
        ExprKind::Array {
            elements: vec![lit(Literal::Int(44), SqlType::Int), call],
        },
    );
    let evaluator = Evaluator::compile(&array, &layout).unwrap();
    let value = [Value::string("foo")];
    let row = EvalRow {
        key: &[],
        value: &value,
        timestamp: 0,
        partition: 0,
        offset: 0,
        window: None,
    };
    let mut errors = Vec::new();
    let result = evaluator.eval_reporting(&row, &mut |e| errors.push(e.to_string()));
    assert_eq!(result, Ok(Value::array(vec![Value::Int(44), Value::Null])));
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].contains("Failed to parse date 'foo'"),
        "{}",
        errors[0]
    );
}

#[test]
fn calls_of_every_arity_are_evaluated() {
    let call = |name: &str, args: Vec<TypedExpr>, ty: SqlType| {
        TypedExpr::new(
            ty,
            ExprKind::Call {
                function: crate::expr::FunctionRef {
                    name: name.into(),
                    signature: 0,
                    params: vec![],
                },
                args,
            },
        )
    };
    let s = |t: &str| lit(Literal::String(t.into()), SqlType::String);
    let i = |n: i32| lit(Literal::Int(n), SqlType::Int);
    assert_eq!(
        eval(call("PI", vec![], SqlType::Double), &[]),
        Ok(Value::Double(std::f64::consts::PI))
    );
    assert_eq!(
        eval(
            call(
                "INSTR",
                vec![s("corporate floor"), s("or"), i(4), i(2)],
                SqlType::Int
            ),
            &[]
        ),
        Ok(Value::Int(14))
    );
    assert_eq!(
        eval(
            call(
                "CONCAT",
                vec![s("a"), s("b"), s("c"), s("d"), s("e")],
                SqlType::String
            ),
            &[]
        ),
        Ok(Value::string("abcde"))
    );
}

#[test]
fn integer_constants_give_what_the_same_constant_read_from_a_column_gives() {
    // `x op 7` holds the constant in its node and has an integer fast path; `x op y` with
    // `y` = 7 in the row takes the general path. They must agree on every value and type.
    // Both run as closures (the integer program, tested on its own, would take both).
    let closures = |e: TypedExpr, row: &[Value]| {
        let row = EvalRow {
            key: &[],
            value: row,
            timestamp: 7,
            partition: 0,
            offset: 3,
            window: None,
        };
        Evaluator::compile(&e, &layout)
            .unwrap()
            .general_only()
            .eval(&row)
    };
    let lefts = [
        Value::Null,
        Value::Int(0),
        Value::Int(-13),
        Value::Int(i32::MAX),
        Value::Int(i32::MIN),
        Value::Bigint(0),
        Value::Bigint(1_234_567_890_123),
        Value::Bigint(i64::MAX),
        Value::Bigint(i64::MIN),
    ];
    let constants = [
        (Literal::Int(7), SqlType::Int),
        (Literal::Int(-1), SqlType::Int),
        (Literal::Int(0), SqlType::Int),
        (Literal::Bigint(1000), SqlType::Bigint),
        (Literal::Bigint(-1), SqlType::Bigint),
        (Literal::Bigint(1 << 32), SqlType::Bigint),
    ];
    let arithmetic = [
        ArithmeticOp::Add,
        ArithmeticOp::Subtract,
        ArithmeticOp::Multiply,
        ArithmeticOp::Divide,
        ArithmeticOp::Modulus,
    ];
    let comparisons = [
        Comparison::Eq,
        Comparison::NotEq,
        Comparison::Lt,
        Comparison::LtEq,
        Comparison::Gt,
        Comparison::GtEq,
        Comparison::Distinct,
        Comparison::NotDistinct,
    ];
    for left in &lefts {
        let left_ty = match left {
            Value::Int(_) => SqlType::Int,
            _ => SqlType::Bigint,
        };
        for (constant, constant_ty) in &constants {
            let row = [left.clone(), constant.to_value()];
            let result_ty = if left_ty == SqlType::Int && *constant_ty == SqlType::Int {
                SqlType::Int
            } else {
                SqlType::Bigint
            };
            // The node with the constant in it, then with the constant read from column 1.
            let agree = |make: &dyn Fn(TypedExpr) -> TypedExpr, what: String| {
                let fast = make(lit(constant.clone(), constant_ty.clone()));
                let general = make(col(1, constant_ty.clone()));
                assert_eq!(closures(fast, &row), closures(general, &row), "{what}");
            };
            for op in arithmetic {
                agree(
                    &|right| bin(op, col(0, left_ty.clone()), right, result_ty.clone()),
                    format!("{left:?} {op:?} {constant:?}"),
                );
            }
            for op in comparisons {
                agree(
                    &|right| {
                        TypedExpr::new(
                            SqlType::Boolean,
                            ExprKind::Compare {
                                op,
                                left: Box::new(col(0, left_ty.clone())),
                                right: Box::new(right),
                            },
                        )
                    },
                    format!("{left:?} {op:?} {constant:?}"),
                );
            }
        }
    }
}

#[test]
fn map_constructors_iterate_as_the_java_hash_map_ksqldb_builds() {
    // `MapBuilder` puts the entries into a `new HashMap<>(4)`, which a JVM iterates as
    // "bar", "baz", "foo"; a repeated key keeps its first place and takes the last value.
    let entry = |k: &str, v: i32| {
        (
            lit(Literal::String(k.into()), SqlType::String),
            lit(Literal::Int(v), SqlType::Int),
        )
    };
    let map = TypedExpr::new(
        SqlType::map(SqlType::String, SqlType::Int),
        ExprKind::Map {
            entries: vec![
                entry("foo", 1),
                entry("bar", 2),
                entry("baz", 3),
                entry("foo", 4),
            ],
        },
    );
    let keys: Vec<Value> = match eval(map, &[]) {
        Ok(Value::Map(entries)) => entries
            .iter()
            .map(|(k, v)| {
                assert!(k.as_str() != Some("foo") || *v == Value::Int(4));
                k.clone()
            })
            .collect(),
        other => panic!("{other:?}"),
    };
    assert_eq!(keys, ["bar", "baz", "foo"].map(Value::string));
}
