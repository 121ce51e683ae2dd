//! One side of a join: its compiled join-key expression, how one of its records becomes its
//! *part* of the joined record (its columns of the joined value, then the `ROWTIME`,
//! `ROWPARTITION`, `ROWOFFSET`, `WINDOWSTART` and `WINDOWEND` of each input it covers, which
//! the joined record carries in its key after the join key: each input's own window, as
//! ksqlDB copies a windowed source's bounds into its row before joining, so that sides with
//! windows of different sizes keep theirs), and the
//! store encodings every join operator shares (a join key as store key, a side's part with
//! its timestamp as store value). Pure helpers: no stores are opened here and nothing is
//! forwarded.

use crate::analyze::WindowType;
use crate::expr::compile::Evaluator;
use crate::state::codec::{decode_row, encode_row, encode_value};
use crate::state::{CodecError, StateError};
use crate::topology::{ProcessingError, Record};
use crate::types::{Row, Value};

use super::super::layout::{InputLayout, eval_row};

pub use super::super::layout::SYSTEM_COLUMNS;

/// The system columns per input of parts stored before the window bounds were carried
/// (`ROWTIME`, `ROWPARTITION`, `ROWOFFSET`): such parts, still in join stores and their
/// changelogs after an upgrade, read with NULL bounds.
const SYSTEM_COLUMNS_WITHOUT_BOUNDS: usize = 3;

/// A join input, as the join operator sees it.
pub struct Side {
    key: Evaluator,
    /// Key columns of a single input's record (`None`: the input is itself a join, whose
    /// value is already its part of the joined row).
    key_count: Option<usize>,
    /// Columns this side contributes to the joined row.
    width: usize,
    /// System column values this side carries ([`SYSTEM_COLUMNS`] per input it covers).
    times: usize,
    /// Key columns of a joined input before its system columns.
    key_width: usize,
    /// The window of the input's key, when windowed: records match only records of the same
    /// window (see [`Side::store_key`]).
    window: Option<WindowType>,
}

impl Side {
    pub fn new(key: Evaluator, layout: InputLayout, width: usize) -> Side {
        Side {
            key,
            key_count: layout.joined.is_none().then_some(layout.key_count),
            width,
            times: SYSTEM_COLUMNS * layout.joined.map_or(1, |j| j.count),
            key_width: layout.joined.map_or(0, |j| j.key_width),
            window: None,
        }
    }

    /// This side for an input whose key is windowed by `window`.
    pub fn windowed(mut self, window: Option<WindowType>) -> Side {
        self.window = window;
        self
    }

    /// The store key under which `record` (whose join key is `key`) is kept and looked up.
    /// A windowed input's key is its windowed key, as ksqlDB joins windowed sources on it:
    /// the join key and the window start, and for a session window its end too (what
    /// Kafka Streams' windowed serdes write), so only records of the same window match;
    /// time windows of different sizes with one start do.
    pub fn store_key(&self, key: &Value, record: &Record) -> Vec<u8> {
        let mut out = key_bytes(key);
        if let (Some(kind), Some(window)) = (self.window, record.window) {
            encode_value(&Value::Bigint(window.start), &mut out);
            if kind == WindowType::Session {
                encode_value(&Value::Bigint(window.end), &mut out);
            }
        }
        out
    }

    /// The join key of `record`, or `None` when it is NULL (such records never match).
    /// A failing key expression is an error for the caller to report.
    pub fn join_key(&self, record: &Record) -> Result<Option<Value>, ProcessingError> {
        match self.key.eval(&eval_row(record)) {
            Ok(Value::Null) => Ok(None),
            Ok(key) => Ok(Some(key)),
            Err(e) => Err(ProcessingError::processing(format!(
                "Error computing the join key: {e}"
            ))),
        }
    }

    /// This side's part for `record` (which must have a value): its columns, then the
    /// [`SYSTEM_COLUMNS`] of each input it covers.
    pub fn part(&self, record: &Record) -> Row {
        let mut row = Vec::with_capacity(self.width + self.times);
        if let Some(key_count) = self.key_count {
            row.extend(record.key.iter().take(key_count).cloned());
            row.resize(key_count, Value::Null);
        }
        if let Some(value) = &record.value {
            row.extend(value.iter().cloned());
        }
        row.resize(self.width, Value::Null);
        let bound = |b: Option<i64>| b.map_or(Value::Null, Value::Bigint);
        match self.key_count {
            Some(_) => row.extend([
                Value::Bigint(record.timestamp),
                Value::Int(record.partition),
                Value::Bigint(record.offset),
                bound(record.window.map(|w| w.start)),
                bound(record.window.map(|w| w.end)),
            ]),
            None => row.extend(
                record
                    .key
                    .iter()
                    .skip(self.key_width)
                    .take(self.times)
                    .cloned(),
            ),
        }
        row.resize(self.width + self.times, Value::Null);
        row
    }

    /// This side's part when it has no record (the missing side of an outer join).
    pub fn null_part(&self) -> Row {
        vec![Value::Null; self.width + self.times]
    }

    /// The system columns of a part of this side, those of a part stored without window
    /// bounds given NULL ones.
    fn system_columns(&self, times: Row) -> Row {
        let inputs = self.times / SYSTEM_COLUMNS;
        if times.len() != inputs * SYSTEM_COLUMNS_WITHOUT_BOUNDS {
            return times;
        }
        let mut out = Vec::with_capacity(self.times);
        for input in times.chunks(SYSTEM_COLUMNS_WITHOUT_BOUNDS) {
            out.extend_from_slice(input);
            out.resize(out.len() + SYSTEM_COLUMNS - input.len(), Value::Null);
        }
        out
    }
}

/// The joined record's key and value from the two sides' parts: the key is the join key
/// (`key`: one column, or a foreign-key join's left primary key) and every input's system
/// columns, the value every input's columns.
pub fn assemble(
    mut key: Row,
    left: &Side,
    mut left_part: Row,
    right: &Side,
    mut right_part: Row,
) -> (Row, Row) {
    let left_times = left.system_columns(left_part.split_off(left.width.min(left_part.len())));
    let right_times = right.system_columns(right_part.split_off(right.width.min(right_part.len())));
    key.reserve(left_times.len() + right_times.len());
    key.extend(left_times);
    key.extend(right_times);
    left_part.extend(right_part);
    (key, left_part)
}

/// A join key as a store key.
pub fn key_bytes(key: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(16);
    encode_value(key, &mut out);
    out
}

/// A side's part and the record's timestamp, as a store value.
pub fn entry_bytes(columns: &[Value], timestamp: i64) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 * (columns.len() + 1));
    encode_row(columns, &mut out);
    encode_value(&Value::Bigint(timestamp), &mut out);
    out
}

/// Reads back [`entry_bytes`].
pub fn decode_entry(store: &str, bytes: &[u8]) -> Result<(Row, i64), StateError> {
    let codec = |source| StateError::Codec {
        store: store.to_owned(),
        source,
    };
    let mut row = decode_row(bytes).map_err(codec)?;
    match row.pop() {
        Some(Value::Bigint(timestamp)) => Ok((row, timestamp)),
        _ => Err(codec(CodecError::Invalid {
            what: "join store entry (no timestamp)",
            offset: bytes.len(),
        })),
    }
}

/// A store failure, reported as a state error (the task stops; the record is not skipped).
pub fn store_error(e: StateError) -> ProcessingError {
    ProcessingError::state("join state store", e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::compile::Slot;
    use crate::expr::{ColumnRef, TypedExpr};
    use crate::types::SqlType;

    fn side(width: usize) -> Side {
        let e = TypedExpr::column(ColumnRef::Input { side: 0, index: 1 }, SqlType::Int);
        let key = Evaluator::compile(&e, &|_| Some(Slot::Value(0))).unwrap();
        Side::new(key, InputLayout::keys(1), width)
    }

    #[test]
    fn parts_are_key_value_padded_to_width_then_system_columns() {
        let s = side(4);
        let mut r = Record::new(vec![Value::Int(1)], Some(vec![Value::Int(2)]), 7);
        r.partition = 3;
        r.offset = 4;
        let (i, n, t) = (Value::Int, Value::Null, Value::Bigint);
        let part = s.part(&r);
        assert_eq!(
            part,
            vec![
                i(1),
                i(2),
                n.clone(),
                n.clone(),
                t(7),
                i(3),
                t(4),
                n.clone(),
                n.clone()
            ]
        );
        let keyless = Record::new(Vec::new(), Some(vec![i(2)]), 0);
        assert_eq!(
            s.part(&keyless)[..4],
            [n.clone(), i(2), n.clone(), n.clone()]
        );
        let (key, value) = assemble(vec![i(9)], &s, part, &s, s.null_part());
        let mut want = vec![i(9), t(7), i(3), t(4)];
        want.resize(1 + 2 * SYSTEM_COLUMNS, n.clone());
        assert_eq!(key, want);
        assert_eq!(value.len(), 8);
        assert_eq!(s.join_key(&r).unwrap(), Some(Value::Int(2)));
        let null = Record::new(vec![Value::Int(1)], Some(vec![Value::Null]), 0);
        assert_eq!(s.join_key(&null).unwrap(), None);
    }

    #[test]
    fn windowed_records_carry_their_own_window_bounds() {
        let s = side(1);
        let mut r = Record::new(vec![Value::Int(1)], Some(Vec::new()), 7);
        r.window = Some(crate::topology::Window {
            start: 0,
            end: 5000,
        });
        let part = s.part(&r);
        assert_eq!(part[4..], [Value::Bigint(0), Value::Bigint(5000)]);
        // A part stored before the bounds were carried reads with NULL bounds.
        let old = vec![
            Value::Int(1),
            Value::Bigint(7),
            Value::Int(-1),
            Value::Bigint(-1),
        ];
        let (key, _) = assemble(vec![Value::Int(9)], &s, old, &s, part);
        assert_eq!(
            key,
            vec![
                Value::Int(9),
                Value::Bigint(7),
                Value::Int(-1),
                Value::Bigint(-1),
                Value::Null,
                Value::Null,
                Value::Bigint(7),
                Value::Int(-1),
                Value::Bigint(-1),
                Value::Bigint(0),
                Value::Bigint(5000),
            ]
        );
    }

    #[test]
    fn windowed_inputs_key_their_stores_by_the_windowed_key() {
        use crate::topology::Window;
        let at = |start, end| {
            let mut r = Record::new(vec![Value::Int(1)], Some(Vec::new()), start);
            r.window = Some(Window { start, end });
            r
        };
        let key = Value::Int(1);
        let time = side(1).windowed(Some(WindowType::Tumbling));
        assert_eq!(
            time.store_key(&key, &at(0, 5000)),
            time.store_key(&key, &at(0, 2000))
        );
        assert_ne!(
            time.store_key(&key, &at(0, 5000)),
            time.store_key(&key, &at(1000, 6000))
        );
        let session = side(1).windowed(Some(WindowType::Session));
        assert_ne!(
            session.store_key(&key, &at(0, 5000)),
            session.store_key(&key, &at(0, 2000))
        );
        assert_eq!(side(1).store_key(&key, &at(0, 5000)), key_bytes(&key));
    }

    #[test]
    fn entries_round_trip_with_their_timestamp() {
        let bytes = entry_bytes(&[Value::Int(1), Value::Null], 42);
        assert_eq!(
            decode_entry("s", &bytes).unwrap(),
            (vec![Value::Int(1), Value::Null], 42)
        );
        assert!(decode_entry("s", &[0x03]).is_err());
    }
}
