//! The integer shortcut against the general closures, on random expressions and rows: they
//! must give the same value or the same error, including NULLs, overflow, division by zero
//! and slots holding other types.

use proptest::prelude::*;

use super::*;
use crate::expr::compile::Evaluator;

/// Column `i` of the test rows is INT for even `i`, BIGINT for odd.
const COLUMNS: u32 = 4;

fn column_type(index: u32) -> SqlType {
    if index.is_multiple_of(2) {
        SqlType::Int
    } else {
        SqlType::Bigint
    }
}

fn layout(column: ColumnRef) -> Option<Slot> {
    match column {
        ColumnRef::Input { side: 0, index } => Some(Slot::Value(index as usize)),
        ColumnRef::System { column, .. } => Some(Slot::System(column)),
        _ => None,
    }
}

fn leaf() -> impl Strategy<Value = TypedExpr> {
    let ints = prop_oneof![
        Just(0),
        Just(-1),
        Just(7),
        Just(i32::MIN),
        Just(i32::MAX),
        any::<i32>()
    ];
    let longs = prop_oneof![
        Just(0),
        Just(1000),
        Just(i64::MIN),
        Just(i64::MAX),
        any::<i64>()
    ];
    prop_oneof![
        (0..COLUMNS).prop_map(|i| TypedExpr::column(
            ColumnRef::Input { side: 0, index: i },
            column_type(i)
        )),
        ints.prop_map(|v| TypedExpr::literal(Literal::Int(v), SqlType::Int)),
        longs.prop_map(|v| TypedExpr::literal(Literal::Bigint(v), SqlType::Bigint)),
    ]
}

fn arithmetic_op() -> impl Strategy<Value = ArithmeticOp> {
    prop_oneof![
        Just(ArithmeticOp::Add),
        Just(ArithmeticOp::Subtract),
        Just(ArithmeticOp::Multiply),
        Just(ArithmeticOp::Divide),
        Just(ArithmeticOp::Modulus),
    ]
}

fn number() -> impl Strategy<Value = TypedExpr> {
    leaf().prop_recursive(3, 12, 2, |inner| {
        (arithmetic_op(), inner.clone(), inner).prop_map(|(op, left, right)| {
            // INT only when both sides are INT, as the type checker decides.
            let ty = if left.ty == SqlType::Int && right.ty == SqlType::Int {
                SqlType::Int
            } else {
                SqlType::Bigint
            };
            TypedExpr::new(
                ty,
                ExprKind::Arithmetic {
                    op,
                    left: Box::new(left),
                    right: Box::new(right),
                },
            )
        })
    })
}

fn comparison() -> impl Strategy<Value = Comparison> {
    prop_oneof![
        Just(Comparison::Eq),
        Just(Comparison::NotEq),
        Just(Comparison::Lt),
        Just(Comparison::LtEq),
        Just(Comparison::Gt),
        Just(Comparison::GtEq),
    ]
}

fn expression() -> impl Strategy<Value = TypedExpr> {
    prop_oneof![
        number(),
        (comparison(), number(), number()).prop_map(|(op, left, right)| TypedExpr::new(
            SqlType::Boolean,
            ExprKind::Compare {
                op,
                left: Box::new(left),
                right: Box::new(right),
            },
        )),
    ]
}

/// A value for column `index`: mostly of its type, sometimes NULL, zero, or (rarely) of
/// another type, which the shortcut must leave to the general path.
fn cell(index: u32) -> impl Strategy<Value = Value> {
    let typed = if index.is_multiple_of(2) {
        any::<i32>().prop_map(Value::Int).boxed()
    } else {
        any::<i64>().prop_map(Value::Bigint).boxed()
    };
    let zero = if index.is_multiple_of(2) {
        Value::Int(0)
    } else {
        Value::Bigint(0)
    };
    prop_oneof![
        6 => typed,
        2 => Just(zero),
        2 => Just(Value::Null),
        1 => Just(Value::Double(2.5)),
        1 => Just(Value::Date(3)),
    ]
}

fn row() -> impl Strategy<Value = Vec<Value>> {
    (cell(0), cell(1), cell(2), cell(3)).prop_map(|(a, b, c, d)| vec![a, b, c, d])
}

proptest! {
    #[test]
    fn the_integer_shortcut_agrees_with_the_general_closures(
        expr in expression(),
        values in row(),
    ) {
        let fast = Evaluator::compile(&expr, &layout).unwrap();
        prop_assume!(fast.has_integer_program());
        let general = Evaluator::compile(&expr, &layout).unwrap().general_only();
        let row = EvalRow {
            key: &[],
            value: &values,
            timestamp: 1,
            partition: 0,
            offset: 2,
            window: None,
        };
        prop_assert_eq!(fast.eval(&row), general.eval(&row));
    }
}

#[test]
fn only_integer_arithmetic_and_comparisons_get_a_program() {
    let int_column = TypedExpr::column(ColumnRef::Input { side: 0, index: 0 }, SqlType::Int);
    let double_column = TypedExpr::column(ColumnRef::Input { side: 0, index: 1 }, SqlType::Double);
    let times = |left: &TypedExpr, right: &TypedExpr, ty: SqlType| {
        TypedExpr::new(
            ty,
            ExprKind::Arithmetic {
                op: ArithmeticOp::Multiply,
                left: Box::new(left.clone()),
                right: Box::new(right.clone()),
            },
        )
    };
    let has_program = |e: &TypedExpr| IntProgram::compile(e, &layout).is_some();
    assert!(has_program(&times(&int_column, &int_column, SqlType::Int)));
    assert!(!has_program(&times(
        &int_column,
        &double_column,
        SqlType::Double
    )));
    // A lone column is copied by the evaluator's own shortcut, not run as a program.
    assert!(!has_program(&int_column));
    let distinct = TypedExpr::new(
        SqlType::Boolean,
        ExprKind::Compare {
            op: Comparison::Distinct,
            left: Box::new(int_column.clone()),
            right: Box::new(int_column.clone()),
        },
    );
    assert!(!has_program(&distinct));
}
