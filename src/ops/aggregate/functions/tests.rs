//! Unit tests of the aggregate functions: concrete results for adds, undos and NULLs.

use super::*;

fn fold(f: &dyn AggregateFunction, rows: &[Vec<Value>]) -> Value {
    let acc = rows.iter().fold(f.init(), |acc, r| f.add(acc, r));
    f.result(&acc)
}

fn ints(values: &[i32]) -> Vec<Vec<Value>> {
    values.iter().map(|v| vec![Value::Int(*v)]).collect()
}

fn make(
    name: &str,
    params: &[SqlType],
    ty: SqlType,
    constants: &[Value],
) -> Box<dyn AggregateFunction> {
    aggregate_function(name, params, &ty, constants).unwrap()
}

#[test]
fn count_sum_avg_skip_nulls_and_undo() {
    let count = make("COUNT", &[SqlType::Int], SqlType::Bigint, &[]);
    let rows = vec![vec![Value::Int(1)], vec![Value::Null], vec![Value::Int(3)]];
    assert_eq!(fold(count.as_ref(), &rows), Value::Bigint(2));
    let star = make("COUNT", &[], SqlType::Bigint, &[]);
    assert_eq!(fold(star.as_ref(), &[vec![], vec![]]), Value::Bigint(2));
    let sum = make("SUM", &[SqlType::Int], SqlType::Int, &[]);
    assert_eq!(fold(sum.as_ref(), &rows), Value::Int(4));
    let acc = sum.add(sum.init(), &[Value::Int(5)]);
    let acc = sum.undo(acc, &[Value::Int(5)]).unwrap();
    assert_eq!(sum.result(&acc), Value::Int(0));
    let avg = make("AVG", &[SqlType::Int], SqlType::Double, &[]);
    assert_eq!(fold(avg.as_ref(), &rows), Value::Double(2.0));
    assert_eq!(avg.result(&avg.init()), Value::Double(0.0));
}

#[test]
fn min_max_topk() {
    let max = make("MAX", &[SqlType::Int], SqlType::Int, &[]);
    assert_eq!(fold(max.as_ref(), &ints(&[3, 9, 1])), Value::Int(9));
    let min = make("MIN", &[SqlType::Int], SqlType::Int, &[]);
    assert_eq!(fold(min.as_ref(), &ints(&[3, 9, 1])), Value::Int(1));
    let topk = make(
        "TOPK",
        &[SqlType::Int, SqlType::Int],
        SqlType::Int,
        &[Value::Null, Value::Int(3)],
    );
    let rows: Vec<Vec<Value>> = ints(&[0, 100, 99, 7, 100]);
    assert_eq!(
        fold(topk.as_ref(), &rows),
        Value::array(vec![Value::Int(100), Value::Int(100), Value::Int(99)])
    );
    let distinct = make(
        "TOPKDISTINCT",
        &[SqlType::Int, SqlType::Int],
        SqlType::Int,
        &[Value::Null, Value::Int(3)],
    );
    assert_eq!(
        fold(distinct.as_ref(), &rows),
        Value::array(vec![Value::Int(100), Value::Int(99), Value::Int(7)])
    );
}

#[test]
fn topk_with_other_columns_keeps_structs_of_the_top_rows() {
    let topk = make(
        "TOPK",
        &[SqlType::Double, SqlType::String, SqlType::Int, SqlType::Int],
        SqlType::array(SqlType::structure([
            ("sort_col", SqlType::Double),
            ("col0", SqlType::String),
            ("col1", SqlType::Int),
        ])),
        &[Value::Null, Value::Null, Value::Null, Value::Int(2)],
    );
    let row = |sort: Value, name: &str, n: Value| vec![sort, Value::string(name), n, Value::Int(2)];
    let kept = |sort: f64, name: &str, n: Value| {
        Value::Struct(vec![Value::Double(sort), Value::string(name), n].into())
    };
    let rows = vec![
        row(Value::Double(1.5), "a", Value::Int(1)),
        row(Value::Null, "skipped", Value::Int(2)),
        row(Value::Double(9.0), "b", Value::Null),
        row(Value::Double(1.5), "c", Value::Int(3)),
        row(Value::Double(9.0), "d", Value::Int(4)),
    ];
    // A NULL sort value is skipped, a NULL other column is kept, and an equal sort value goes
    // after the one already kept.
    assert_eq!(
        fold(topk.as_ref(), &rows),
        Value::array(vec![
            kept(9.0, "b", Value::Null),
            kept(9.0, "d", Value::Int(4))
        ])
    );
    // Merging (session windows) keeps the earlier rows first among equals.
    let earlier = fold(topk.as_ref(), &rows[..1]);
    let later = fold(topk.as_ref(), &rows[3..4]);
    assert_eq!(
        topk.merge(earlier, later),
        Value::array(vec![
            kept(1.5, "a", Value::Int(1)),
            kept(1.5, "c", Value::Int(3))
        ])
    );
}

#[test]
fn topk_needs_a_constant_k_last() {
    let params = [SqlType::Int, SqlType::String, SqlType::Int];
    let ty = SqlType::Int;
    assert!(
        aggregate_function(
            "TOPK",
            &params,
            &ty,
            &[Value::Null, Value::Null, Value::Null]
        )
        .is_err()
    );
    assert!(
        aggregate_function(
            "TOPK",
            &params,
            &ty,
            &[Value::Null, Value::Null, Value::Int(1)]
        )
        .is_ok()
    );
}

#[test]
fn collections_and_histogram() {
    let list = make("COLLECT_LIST", &[SqlType::Int], SqlType::Int, &[]);
    let rows = vec![vec![Value::Int(1)], vec![Value::Null], vec![Value::Int(1)]];
    assert_eq!(
        fold(list.as_ref(), &rows),
        Value::array(vec![Value::Int(1), Value::Null, Value::Int(1)])
    );
    let set = make("COLLECT_SET", &[SqlType::Int], SqlType::Int, &[]);
    assert_eq!(
        fold(set.as_ref(), &rows),
        Value::array(vec![Value::Int(1), Value::Null])
    );
    let histogram = make("HISTOGRAM", &[SqlType::String], SqlType::String, &[]);
    let a = vec![Value::string("a")];
    let acc = histogram.add(histogram.add(histogram.init(), &a), &[Value::string("b")]);
    let acc = histogram.undo(acc, &a).unwrap();
    assert_eq!(
        histogram.result(&acc),
        Value::map(vec![(Value::string("b"), Value::Bigint(1))])
    );
    let distinct = make("COUNT_DISTINCT", &[SqlType::Int], SqlType::Bigint, &[]);
    assert_eq!(fold(distinct.as_ref(), &rows), Value::Bigint(1));
}

#[test]
fn collect_set_holds_maps_with_the_same_entries_once() {
    let entry = |k: &str, v: i64| (Value::string(k), Value::Bigint(v));
    let ab = Value::map(vec![entry("a", 1), entry("b", 2)]);
    let ba = Value::map(vec![entry("b", 2), entry("a", 1)]);
    let ty = SqlType::map(SqlType::String, SqlType::Bigint);
    let set = make("COLLECT_SET", std::slice::from_ref(&ty), ty.clone(), &[]);
    let rows = vec![vec![ab.clone()], vec![ba.clone()]];
    assert_eq!(fold(set.as_ref(), &rows), Value::array(vec![ab.clone()]));
    // Undoing the other order removes it too, as Java's `List.remove(Object)` would.
    let acc = rows.iter().fold(set.init(), |acc, r| set.add(acc, r));
    let acc = set.undo(acc, &[ba]).unwrap();
    assert_eq!(set.result(&acc), Value::array(Vec::new()));
}

#[test]
fn by_offset_and_stddev() {
    let latest = make("LATEST_BY_OFFSET", &[SqlType::Int], SqlType::Int, &[]);
    let rows = vec![vec![Value::Int(1)], vec![Value::Int(2)], vec![Value::Null]];
    assert_eq!(fold(latest.as_ref(), &rows), Value::Int(2));
    let keep_nulls = make(
        "LATEST_BY_OFFSET",
        &[SqlType::Int, SqlType::Boolean],
        SqlType::Int,
        &[Value::Null, Value::Boolean(false)],
    );
    assert_eq!(fold(keep_nulls.as_ref(), &rows), Value::Null);
    let earliest = make(
        "EARLIEST_BY_OFFSET",
        &[SqlType::Int, SqlType::Int],
        SqlType::Int,
        &[Value::Null, Value::Int(2)],
    );
    assert_eq!(
        fold(earliest.as_ref(), &rows),
        Value::array(vec![Value::Int(1), Value::Int(2)])
    );
    let stddev = make("STDDEV_SAMPLE", &[SqlType::Int], SqlType::Double, &[]);
    assert_eq!(
        fold(stddev.as_ref(), &ints(&[0, 10])),
        Value::Double(50f64.sqrt())
    );
    let samp = make("STDDEV_SAMP", &[SqlType::Int], SqlType::Double, &[]);
    assert_eq!(fold(samp.as_ref(), &ints(&[0, 10])), Value::Double(50.0));
    assert_eq!(fold(stddev.as_ref(), &ints(&[5])), Value::Double(0.0));
}

#[test]
fn attr_and_sum_list() {
    let attr = make("ATTR", &[SqlType::String], SqlType::String, &[]);
    let s = |v: &str| vec![Value::string(v)];
    let acc = attr.add(attr.add(attr.init(), &s("a")), &s("a"));
    assert_eq!(attr.result(&acc), Value::string("a"));
    let acc = attr.add(acc, &s("b"));
    assert_eq!(attr.result(&acc), Value::Null);
    let acc = attr.undo(acc, &s("b")).unwrap();
    assert_eq!(attr.result(&acc), Value::string("a"));
    let sum_list = make(
        "SUM_LIST",
        &[SqlType::Array(Box::new(SqlType::Int))],
        SqlType::Int,
        &[],
    );
    let row = vec![Value::array(vec![
        Value::Int(1),
        Value::Null,
        Value::Int(2),
    ])];
    assert_eq!(fold(sum_list.as_ref(), &[row.clone(), row]), Value::Int(6));
}

#[test]
fn variance_undoes_and_merges() {
    let var = make("VAR_SAMP", &[SqlType::Int], SqlType::Double, &[]);
    let add = |acc, v: i32| var.add(acc, &[Value::Int(v)]);
    let acc = add(add(add(var.init(), 0), 10), 5);
    let acc = var.undo(acc, &[Value::Int(5)]).unwrap();
    assert_eq!(var.result(&acc), Value::Double(50.0));
    let merged = var.merge(add(var.init(), 0), add(var.init(), 10));
    assert_eq!(var.result(&merged), Value::Double(50.0));
}

#[test]
fn a_decimal_sum_refuses_a_row_that_overflows_its_precision() {
    use std::str::FromStr;
    let ty = SqlType::Decimal {
        precision: 3,
        scale: 1,
    };
    let sum = make("SUM", std::slice::from_ref(&ty), ty.clone(), &[]);
    let dec = |text: &str| Value::Decimal(rust_decimal::Decimal::from_str(text).unwrap());
    let acc = sum.try_add(sum.init(), &[dec("50.9")]).unwrap();
    let err = sum.try_add(acc.clone(), &[dec("50.8")]).unwrap_err();
    assert!(
        err.starts_with("Numeric field overflow: A field with precision 3 and scale 1"),
        "{err}"
    );
    assert_eq!(sum.try_add(acc, &[dec("-60.9")]), Ok(dec("-10.0")));
    // Other sums never refuse.
    let ints = make("SUM", &[SqlType::Int], SqlType::Int, &[]);
    assert!(!ints.can_refuse());
    assert_eq!(
        ints.try_add(Value::Int(i32::MAX), &[Value::Int(1)]),
        Ok(Value::Int(i32::MIN))
    );
}
