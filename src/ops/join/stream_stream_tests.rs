//! Unit tests of the stream-stream join: matches within the window, legacy and grace-period
//! outer joins, windowed inputs.

use super::*;
use crate::ops::join::test_support::{int_side, run_join};
use crate::state::{MemoryKeyValueStore, MemoryWindowStore};

fn join(kind: JoinKind, grace: Option<i64>) -> Box<dyn Processor> {
    Box::new(StreamStreamJoin::new(
        int_side(2),
        int_side(2),
        kind,
        JoinWindows {
            before: 10,
            after: 10,
            grace,
        },
        [
            Box::new(MemoryWindowStore::new("l")),
            Box::new(MemoryWindowStore::new("r")),
        ],
        Some(Box::new(MemoryKeyValueStore::new("o"))),
    ))
}

fn rec(key: i32, value: i32, ts: i64) -> Record {
    Record::new(vec![Value::Int(key)], Some(vec![Value::Int(value)]), ts)
}

fn values(out: &[Record]) -> Vec<(Vec<Value>, i64)> {
    out.iter()
        .map(|r| (r.value.clone().unwrap_or_default(), r.timestamp))
        .collect()
}

const N: Value = Value::Null;

#[test]
fn inner_join_matches_within_the_window_only() {
    let i = Value::Int;
    let out = run_join(
        join(JoinKind::Inner, None),
        vec![
            (Port::LEFT, rec(1, 10, 100)),
            (Port::RIGHT, rec(1, 20, 105)),
            (Port::RIGHT, rec(1, 21, 111)),
            (Port::LEFT, rec(1, 11, 101)),
        ],
    );
    assert_eq!(
        values(&out),
        vec![
            (vec![i(1), i(10), i(1), i(20)], 105),
            (vec![i(1), i(11), i(1), i(20)], 105),
            (vec![i(1), i(11), i(1), i(21)], 111),
        ]
    );
}

#[test]
fn windowed_inputs_match_records_of_the_same_window_start_only() {
    use crate::analyze::WindowType;
    use crate::topology::Window;
    let windowed = |kind| int_side(2).windowed(Some(kind));
    let join = |kind| -> Box<dyn Processor> {
        Box::new(StreamStreamJoin::new(
            windowed(kind),
            windowed(kind),
            JoinKind::Inner,
            JoinWindows {
                before: 60_000,
                after: 60_000,
                grace: None,
            },
            [
                Box::new(MemoryWindowStore::new("l")),
                Box::new(MemoryWindowStore::new("r")),
            ],
            None,
        ))
    };
    let at = |value: i32, start: i64, end: i64| {
        let mut r = rec(1, value, start);
        r.window = Some(Window { start, end });
        r
    };
    let i = Value::Int;
    // Time windows of different sizes: one start is one windowed key.
    let out = run_join(
        join(WindowType::Hopping),
        vec![
            (Port::LEFT, at(1, 0, 5000)),
            (Port::LEFT, at(2, 1000, 6000)),
            (Port::RIGHT, at(4, 0, 2000)),
            (Port::RIGHT, at(5, 2000, 4000)),
        ],
    );
    assert_eq!(values(&out), vec![(vec![i(1), i(1), i(1), i(4)], 0)]);
    // Session windows: the end is part of the key as well.
    let out = run_join(
        join(WindowType::Session),
        vec![
            (Port::LEFT, at(1, 0, 5000)),
            (Port::RIGHT, at(4, 0, 2000)),
            (Port::RIGHT, at(5, 0, 5000)),
        ],
    );
    assert_eq!(values(&out), vec![(vec![i(1), i(1), i(1), i(5)], 0)]);
}

#[test]
fn legacy_left_join_emits_unmatched_at_once() {
    let i = Value::Int;
    let out = run_join(
        join(JoinKind::Left, None),
        vec![
            (Port::LEFT, rec(1, 10, 100)),
            (Port::RIGHT, rec(1, 20, 105)),
        ],
    );
    assert_eq!(
        values(&out),
        vec![
            (vec![i(1), i(10), N, N], 100),
            (vec![i(1), i(10), i(1), i(20)], 105),
        ]
    );
}

#[test]
fn outer_join_with_grace_waits_for_the_window_to_close() {
    let i = Value::Int;
    let out = run_join(
        join(JoinKind::Full, Some(5)),
        vec![
            (Port::LEFT, rec(1, 10, 100)),
            (Port::RIGHT, rec(2, 20, 104)),
            (Port::LEFT, rec(2, 11, 110)),
            (Port::LEFT, rec(3, 12, 120)),
        ],
    );
    // Key 2 matched; key 1 (left, closes after 115) and nothing else is emitted at 120.
    assert_eq!(
        values(&out),
        vec![
            (vec![i(2), i(11), i(2), i(20)], 110),
            (vec![i(1), i(10), N, N], 100),
        ]
    );
}

#[test]
fn right_join_keeps_unmatched_right_records_and_late_ones_go_out_at_once() {
    let i = Value::Int;
    let out = run_join(
        join(JoinKind::Right, Some(5)),
        vec![
            (Port::RIGHT, rec(1, 20, 100)),
            (Port::LEFT, rec(9, 10, 200)),
            // Its window (until 70 + 10 + 5) closed long ago: emitted at once.
            (Port::RIGHT, rec(2, 21, 70)),
            // Unmatched left records of a RIGHT join are dropped.
            (Port::LEFT, rec(3, 11, 201)),
        ],
    );
    assert_eq!(
        values(&out),
        vec![
            (vec![N, N, i(1), i(20)], 100),
            (vec![N, N, i(2), i(21)], 70),
        ]
    );
}
