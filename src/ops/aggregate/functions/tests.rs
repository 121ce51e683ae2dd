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
fn topk_carries_other_columns_in_structs() {
    let params = [
        SqlType::Bigint,
        SqlType::String,
        SqlType::Double,
        SqlType::Int,
    ];
    let constants = [Value::Null, Value::Null, Value::Null, Value::Int(3)];
    let topk = make("TOPK", &params, SqlType::Bigint, &constants);
    let row = |v: Option<i64>, name: Option<&str>| {
        vec![
            v.map_or(Value::Null, Value::Bigint),
            name.map_or(Value::Null, Value::string),
            Value::Double(0.5),
            Value::Int(3),
        ]
    };
    let item = |v: i64, name: Option<&str>| {
        Value::structure(vec![
            Value::Bigint(v),
            name.map_or(Value::Null, Value::string),
            Value::Double(0.5),
        ])
    };
    let rows = vec![
        row(Some(0), Some("zero")),
        row(None, Some("skipped: no sort value")),
        row(Some(100), None),
        row(Some(99), Some("two")),
        row(Some(100), Some("three")),
        row(Some(-1), Some("too small")),
    ];
    // Equal sort values keep their arrival order; NULL other columns are kept as NULL.
    assert_eq!(
        fold(topk.as_ref(), &rows),
        Value::array(vec![
            item(100, None),
            item(100, Some("three")),
            item(99, Some("two")),
        ])
    );
    // Session merging interleaves two sorted lists the same way.
    let earlier = rows[..3]
        .iter()
        .fold(topk.init(), |acc, r| topk.add(acc, r));
    let later = rows[3..]
        .iter()
        .fold(topk.init(), |acc, r| topk.add(acc, r));
    assert_eq!(
        topk.result(&topk.merge(earlier, later)),
        Value::array(vec![
            item(100, None),
            item(100, Some("three")),
            item(99, Some("two")),
        ])
    );
    // A value that is no larger than the smallest of a full list changes nothing.
    let full = rows.iter().fold(topk.init(), |acc, r| topk.add(acc, r));
    assert_eq!(topk.add(full.clone(), &row(Some(99), Some("late"))), full);
    // Arguments shorter than the call (a bad row) leave the list as it is.
    assert_eq!(topk.add(full.clone(), &[Value::Bigint(1000)]), full);
}

#[test]
fn topk_needs_a_constant_k() {
    let params = [SqlType::Int, SqlType::String, SqlType::Int];
    assert!(
        aggregate_function(
            "TOPK",
            &params,
            &SqlType::Int,
            &[Value::Null, Value::Null, Value::Null]
        )
        .is_err()
    );
    let zero = [Value::Null, Value::Null, Value::Int(0)];
    let topk = make("TOPK", &params, SqlType::Int, &zero);
    let row = [Value::Int(1), Value::string("a"), Value::Int(0)];
    assert_eq!(
        topk.result(&topk.add(topk.init(), &row)),
        Value::array(vec![])
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
