//! Unit tests of the aggregate operators: concrete outputs of tumbling, hopping, session and
//! EMIT FINAL aggregation, and of the table undo path.

use super::functions::aggregate_function;
use super::session::SessionAggregate;
use super::windowed::{WindowAggregate, WindowBounds};
use super::{Aggregate, Call, Calls};
use crate::analyze::{WindowSpec, WindowType};
use crate::ops::group_by::Change;
use crate::ops::test_support::run;
use crate::state::{MemoryKeyValueStore, MemorySessionStore, MemoryWindowStore};
use crate::topology::{Record, Window};
use crate::types::{SqlType, Value};

fn count(table: bool) -> Calls {
    Calls {
        calls: vec![Call {
            function: aggregate_function("COUNT", &[], &SqlType::Bigint, &[]).unwrap(),
            args: Vec::new(),
        }],
        table,
    }
}

fn row(key: &str, ts: i64) -> Record {
    Record::new(vec![Value::string(key)], Some(vec![Value::Int(1)]), ts)
}

fn spec(window_type: WindowType, size: u64, advance: Option<u64>, grace: u64) -> WindowSpec {
    WindowSpec {
        window_type,
        size_ms: size,
        advance_ms: advance,
        grace_ms: Some(grace),
        retention_ms: None,
    }
}

/// (key, count, start, end, timestamp) of each output; count `None` for a tombstone.
fn summary(out: Vec<Record>) -> Vec<(String, Option<i64>, i64, i64, i64)> {
    out.into_iter()
        .map(|r| {
            let key = match r.key.first() {
                Some(Value::String(s)) => s.to_string(),
                _ => String::new(),
            };
            let n = r.value.map(|v| match v.first() {
                Some(Value::Bigint(n)) => *n,
                _ => -1,
            });
            let w = r.window.unwrap_or(Window { start: -1, end: -1 });
            (key, n, w.start, w.end, r.timestamp)
        })
        .collect()
}

#[test]
fn hopping_updates_every_window_and_drops_late_records() {
    let bounds = WindowBounds::of(&spec(WindowType::Hopping, 10, Some(5), 0), false);
    let op = WindowAggregate::new(
        count(false),
        None,
        Box::new(MemoryWindowStore::new("w")),
        bounds,
        None,
    );
    let out = run(Box::new(op), vec![row("a", 7), row("a", 12), row("a", 3)]);
    assert_eq!(
        summary(out),
        vec![
            ("a".into(), Some(1), 0, 10, 7),
            ("a".into(), Some(1), 5, 15, 7),
            ("a".into(), Some(2), 5, 15, 12),
            ("a".into(), Some(1), 10, 20, 12),
            // t=3 only falls in [0,10), closed at stream time 12 with no grace: dropped
        ]
    );
}

#[test]
fn emit_final_emits_each_window_once_when_it_closes() {
    let bounds = WindowBounds::of(&spec(WindowType::Tumbling, 2, None, 0), true);
    let op = WindowAggregate::new(
        count(false),
        None,
        Box::new(MemoryWindowStore::new("w")),
        bounds,
        None,
    )
    .emit_final();
    let out = run(
        Box::new(op),
        vec![row("a", 0), row("a", 1), row("a", 2), row("a", 3)],
    );
    assert_eq!(summary(out), vec![("a".into(), Some(2), 0, 2, 1)]);
}

#[test]
fn sessions_merge_with_tombstones_for_merged_sessions() {
    let bounds = WindowBounds::of(&spec(WindowType::Session, 10, None, 100), false);
    let op = SessionAggregate::new(
        count(false),
        None,
        Box::new(MemorySessionStore::new("s")),
        bounds,
    );
    let out = run(Box::new(op), vec![row("a", 0), row("a", 30), row("a", 20)]);
    assert_eq!(
        summary(out),
        vec![
            ("a".into(), Some(1), 0, 0, 0),
            ("a".into(), Some(1), 30, 30, 30),
            ("a".into(), None, 30, 30, 30),
            ("a".into(), Some(2), 20, 30, 30),
        ]
    );
}

#[test]
fn table_rows_retract_and_a_silent_retraction_emits_once() {
    let flagged = |change: Change, ts| {
        Record::new(
            vec![Value::string("g")],
            Some(vec![Value::Int(1), change.value()]),
            ts,
        )
    };
    let op = Aggregate::new(
        count(true),
        None,
        Box::new(MemoryKeyValueStore::new("kv")),
        None,
    );
    let out = run(
        Box::new(op),
        vec![
            flagged(Change::Add, 1),
            flagged(Change::Add, 2),
            flagged(Change::RetractSilently, 3),
            flagged(Change::Add, 3),
            flagged(Change::Retract, 4),
        ],
    );
    assert_eq!(
        summary(out),
        vec![
            ("g".into(), Some(1), -1, -1, 1),
            ("g".into(), Some(2), -1, -1, 2),
            ("g".into(), Some(2), -1, -1, 3),
            ("g".into(), Some(1), -1, -1, 4),
        ]
    );
}

#[test]
fn a_decimal_sum_past_its_precision_refuses_the_row_and_emits_nothing() {
    use crate::expr::compile::{Evaluator, Slot};
    use crate::expr::{ColumnRef, TypedExpr};
    use std::str::FromStr;
    let ty = SqlType::Decimal {
        precision: 4,
        scale: 1,
    };
    let arg = TypedExpr::column(ColumnRef::Input { side: 0, index: 0 }, ty.clone());
    let calls = Calls {
        calls: vec![Call {
            function: aggregate_function("SUM", std::slice::from_ref(&ty), &ty, &[]).unwrap(),
            args: vec![Evaluator::compile(&arg, &|_| Some(Slot::Value(0))).unwrap()],
        }],
        table: false,
    };
    assert!(calls.can_refuse());
    let dec = |text: &str| Value::Decimal(rust_decimal::Decimal::from_str(text).unwrap());
    let input = |text: &str, ts| Record::new(vec![Value::string("g")], Some(vec![dec(text)]), ts);
    let op = Aggregate::new(calls, None, Box::new(MemoryKeyValueStore::new("kv")), None);
    let out = run(
        Box::new(op),
        vec![
            input("500.9", 1),
            input("300.8", 2),
            input("400.8", 3), // 1202.5 needs four integer digits: refused
            input("100.0", 4),
        ],
    );
    let sums: Vec<Value> = out
        .iter()
        .filter_map(|r| r.value.as_ref().and_then(|v| v.first().cloned()))
        .collect();
    assert_eq!(sums, vec![dec("500.9"), dec("801.7"), dec("901.7")]);
}
