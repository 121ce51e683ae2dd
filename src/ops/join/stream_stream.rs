//! Stream-stream joins (`INNER`, `LEFT`, `RIGHT`, `FULL OUTER`) `WITHIN` a time difference,
//! as Kafka Streams' `KStream#join(KStream, JoinWindows)`. Each side's records are buffered
//! in a window store (every record of a key at one timestamp kept, in arrival order); a
//! record joins the other side's records of its key whose time lies within `before` (earlier)
//! and `after` (later) of its own — for a right record the bounds are mirrored — and each
//! match is emitted at the later of the two timestamps.
//!
//! Unmatched records of a preserved side (the left of `LEFT`, the right of `RIGHT`, both of
//! `FULL`):
//! - without `GRACE PERIOD` (ksqlDB's legacy windows), are emitted at once with NULLs;
//! - with one, wait in the outer store until their window closes (the join's stream time
//!   passes their time + `after` (left) or `before` (right) + grace), unless a match arrives
//!   first; closed entries are emitted, oldest first, when a record at stream time arrives.
//!   A record whose window is already closed on arrival is emitted at once.
//!
//! Buffers forget records older than the join's retention (before + after + grace, or 24
//! hours without grace) relative to the newest record their side stored. The stream time is
//! the largest timestamp this join has seen on either side; a rebuilt join (after a restart)
//! starts from the task's stream time, for both. A record with a NULL join key never
//! matches: a preserved side emits it unmatched at once, others drop it; a record with a NULL
//! value is dropped.

use crate::analyze::query::JoinKind;
use crate::state::codec::{decode_row, encode_row};
use crate::state::{KeyValueStore, WindowStore};
use crate::topology::{Port, ProcessingError, Processor, ProcessorContext, Record};
use crate::types::{Row, Value};

use super::side::{Side, assemble, store_error};

/// Kafka Streams' retention for join windows without a grace period (its default 24 hours).
const LEGACY_RETENTION_MS: i64 = 24 * 60 * 60 * 1000;

/// `WITHIN (before, after) [GRACE PERIOD grace]`, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JoinWindows {
    pub before: i64,
    pub after: i64,
    pub grace: Option<i64>,
}

impl JoinWindows {
    fn retention(&self) -> i64 {
        match self.grace {
            Some(grace) => self.before + self.after + grace,
            None => LEGACY_RETENTION_MS.max(self.before + self.after),
        }
    }
}

pub struct StreamStreamJoin {
    /// Left, then right.
    sides: [Side; 2],
    preserved: [bool; 2],
    windows: JoinWindows,
    /// Each side's buffer: left, then right.
    buffers: [Box<dyn WindowStore>; 2],
    /// The newest timestamp stored in each buffer.
    observed: [i64; 2],
    /// Unmatched records of preserved sides waiting for their window to close (with grace).
    outer: Option<Box<dyn KeyValueStore>>,
    /// A lower bound of the times in the outer store (`i64::MAX`: empty; `None`: unknown,
    /// as after a restart), so most records need no scan of it.
    outer_min: Option<i64>,
    stream_time: i64,
}

impl StreamStreamJoin {
    /// `buffers` holds the left side's window store, then the right side's; `outer` is the
    /// outer store, present when the join has a grace period and a preserved side.
    pub fn new(
        left: Side,
        right: Side,
        kind: JoinKind,
        windows: JoinWindows,
        buffers: [Box<dyn WindowStore>; 2],
        outer: Option<Box<dyn KeyValueStore>>,
    ) -> StreamStreamJoin {
        let preserved = match kind {
            JoinKind::Inner => [false, false],
            JoinKind::Left => [true, false],
            JoinKind::Right => [false, true],
            JoinKind::Full => [true, true],
        };
        StreamStreamJoin {
            sides: [left, right],
            preserved,
            outer: outer.filter(|_| windows.grace.is_some()),
            windows,
            buffers,
            observed: [i64::MIN; 2],
            outer_min: None,
            stream_time: i64::MIN,
        }
    }

    /// How far before and after a record of side `this` the other side's records match.
    fn bounds(&self, this: usize) -> (i64, i64) {
        if this == 0 {
            (self.windows.before, self.windows.after)
        } else {
            (self.windows.after, self.windows.before)
        }
    }

    fn process_side(
        &mut self,
        this: usize,
        record: Record,
        ctx: &mut ProcessorContext<'_>,
    ) -> Result<(), ProcessingError> {
        let other = 1 - this;
        let ts = record.timestamp;
        if self.stream_time == i64::MIN {
            // Rebuilt (a restart): resume from the task's stream time, which covers this
            // join's inputs, so windows closed before the restart stay closed.
            self.stream_time = ctx.stream_time();
            self.observed = [
                self.observed[0].max(ctx.stream_time()),
                self.observed[1].max(ctx.stream_time()),
            ];
        }
        self.stream_time = self.stream_time.max(ts);
        if record.value.is_none() {
            return Ok(());
        }
        let key = match self.sides[this].join_key(&record)? {
            Some(key) => key,
            None if self.preserved[this] => {
                let part = self.sides[this].part(&record);
                let null = self.sides[other].null_part();
                let (key, value) = self.assemble(this, Value::Null, part, null);
                ctx.forward(record.with_key_value(key, Some(value)));
                return Ok(());
            }
            None => return Ok(()),
        };
        let key_bytes = self.sides[this].store_key(&key, &record);
        let part = self.sides[this].part(&record);
        self.buffer(this, &key_bytes, ts, &part)?;
        if ts == self.stream_time {
            self.emit_closed(&record, ctx)?;
        }
        let (before, after) = self.bounds(this);
        let retention = self.windows.retention();
        let from = (ts - before)
            .max(0)
            .max(self.observed[other].saturating_sub(retention) + 1);
        let to = (ts + after).max(0);
        let mut matches: Vec<(i64, Vec<u8>)> = Vec::new();
        self.buffers[other]
            .fetch(&key_bytes, from, to, &mut |start, bytes| {
                matches.push((start, bytes.to_vec()));
                std::ops::ControlFlow::Continue(())
            })
            .map_err(store_error)?;
        let name = self.buffers[other].name().to_owned();
        let mut matched = false;
        for (other_ts, bytes) in matches {
            if let Some(outer) = self.outer.as_mut() {
                outer
                    .delete(&outer_key(other_ts, other, &key_bytes))
                    .map_err(store_error)?;
            }
            for other_row in decode_rows(&name, &bytes)? {
                matched = true;
                let (out_key, value) = self.assemble(this, key.clone(), part.clone(), other_row);
                let mut out = record.clone().with_key_value(out_key, Some(value));
                out.timestamp = ts.max(other_ts);
                ctx.forward(out);
            }
        }
        if matched || !self.preserved[this] {
            return Ok(());
        }
        match self.outer.as_mut() {
            Some(outer) if to >= self.stream_time => {
                let okey = outer_key(ts, this, &key_bytes);
                let mut rows = match outer.get(&okey).map_err(store_error)? {
                    Some(bytes) => decode_rows(outer.name(), &bytes)?,
                    None => Vec::new(),
                };
                rows.push(row_with_key(&key, part));
                outer.put(&okey, &encode_rows(&rows)).map_err(store_error)?;
                self.outer_min = self.outer_min.map(|min| min.min(ts));
            }
            _ => {
                let null = self.sides[other].null_part();
                let (key, value) = self.assemble(this, key, part, null);
                ctx.forward(record.with_key_value(key, Some(value)));
            }
        }
        Ok(())
    }

    /// Appends `part` to side `this`'s buffer under (key, ts), unless its retention has
    /// already passed (as a segmented store drops writes to expired segments).
    fn buffer(
        &mut self,
        this: usize,
        key: &[u8],
        ts: i64,
        part: &[Value],
    ) -> Result<(), ProcessingError> {
        let retention = self.windows.retention();
        self.observed[this] = self.observed[this].max(ts);
        let horizon = self.observed[this].saturating_sub(retention);
        let store = &mut self.buffers[this];
        store.expire_before(horizon + 1).map_err(store_error)?;
        if ts <= horizon {
            return Ok(());
        }
        let mut rows = match store.get(key, ts).map_err(store_error)? {
            Some(bytes) => decode_rows(store.name(), &bytes)?,
            None => Vec::new(),
        };
        rows.push(part.to_vec());
        store.put(key, ts, &encode_rows(&rows)).map_err(store_error)
    }

    /// Emits (and forgets) the outer store's entries whose window has closed, in order of
    /// time (right before left at equal times, as Kafka Streams orders them), stopping once
    /// both sides have an entry still open.
    fn emit_closed(
        &mut self,
        record: &Record,
        ctx: &mut ProcessorContext<'_>,
    ) -> Result<(), ProcessingError> {
        let Some(outer) = self.outer.as_mut() else {
            return Ok(());
        };
        let grace = self.windows.grace.unwrap_or(0);
        let (before, after) = (self.windows.before, self.windows.after);
        let stream_time = self.stream_time;
        if let Some(min) = self.outer_min
            && (min == i64::MAX || min.saturating_add(before.min(after) + grace) >= stream_time)
        {
            return Ok(());
        }
        let mut open = [false; 2];
        let mut first_open: Option<i64> = None;
        let mut closed: Vec<(Vec<u8>, i64, usize, Vec<u8>)> = Vec::new();
        let mut bad = None;
        outer
            .scan(&mut |k, v| {
                let Some((ts, side)) = parse_outer_key(k) else {
                    bad = Some(k.to_vec());
                    return std::ops::ControlFlow::Break(());
                };
                if open[0] && open[1] {
                    return std::ops::ControlFlow::Break(());
                }
                let look_back = if side == 0 { after } else { before };
                if ts + look_back + grace >= stream_time {
                    open[side] = true;
                    first_open.get_or_insert(ts);
                } else {
                    closed.push((k.to_vec(), ts, side, v.to_vec()));
                }
                std::ops::ControlFlow::Continue(())
            })
            .map_err(store_error)?;
        if bad.is_some() {
            return Err(ProcessingError::processing(format!(
                "join state store {}: malformed outer-join entry",
                outer.name()
            )));
        }
        self.outer_min = Some(first_open.unwrap_or(i64::MAX));
        let name = outer.name().to_owned();
        for (k, _, _, _) in &closed {
            outer.delete(k).map_err(store_error)?;
        }
        for (_, ts, side, bytes) in closed {
            for mut row in decode_rows(&name, &bytes)? {
                let key = if row.is_empty() {
                    Value::Null
                } else {
                    row.remove(0)
                };
                let other = 1 - side;
                let null = self.sides[other].null_part();
                let (key, value) = self.assemble(side, key, row, null);
                let mut out = record.clone().with_key_value(key, Some(value));
                out.timestamp = ts;
                ctx.forward(out);
            }
        }
        Ok(())
    }

    /// The joined key and value of this side's and the other side's parts, left first.
    fn assemble(&self, this: usize, key: Value, this_part: Row, other_part: Row) -> (Row, Row) {
        let [left, right] = &self.sides;
        if this == 0 {
            assemble(vec![key], left, this_part, right, other_part)
        } else {
            assemble(vec![key], left, other_part, right, this_part)
        }
    }
}

impl Processor for StreamStreamJoin {
    fn process(&mut self, port: Port, record: Record, ctx: &mut ProcessorContext<'_>) {
        let this = if port == Port::RIGHT { 1 } else { 0 };
        if let Err(e) = self.process_side(this, record, ctx) {
            ctx.report(e);
        }
    }
}

/// The outer store's key: time, side (right `0` before left `1`, as Kafka Streams orders
/// them) and join key, so a scan visits entries oldest first.
fn outer_key(ts: i64, side: usize, key: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(9 + key.len());
    out.extend_from_slice(&((ts as u64) ^ (1 << 63)).to_be_bytes());
    out.push(if side == 0 { 1 } else { 0 });
    out.extend_from_slice(key);
    out
}

/// The time and side of an outer store key.
fn parse_outer_key(key: &[u8]) -> Option<(i64, usize)> {
    let ts = u64::from_be_bytes(key.get(..8)?.try_into().ok()?) ^ (1 << 63);
    let side = if *key.get(8)? == 1 { 0 } else { 1 };
    Some((ts as i64, side))
}

/// An outer store row: the join key, then the side's part.
fn row_with_key(key: &Value, part: Row) -> Row {
    let mut row = Vec::with_capacity(part.len() + 1);
    row.push(key.clone());
    row.extend(part);
    row
}

/// Several rows as one store value (an array of arrays).
fn encode_rows(rows: &[Row]) -> Vec<u8> {
    let values: Vec<Value> = rows.iter().map(|r| Value::array(r.clone())).collect();
    let mut out = Vec::new();
    encode_row(&values, &mut out);
    out
}

fn decode_rows(store: &str, bytes: &[u8]) -> Result<Vec<Row>, ProcessingError> {
    let values = decode_row(bytes)
        .map_err(|e| ProcessingError::state(&format!("join state store {store}"), e))?;
    values
        .into_iter()
        .map(|v| match v {
            Value::Array(items) => Ok(items.to_vec()),
            _ => Err(ProcessingError::processing(format!(
                "join state store {store}: entry is not a list of rows"
            ))),
        })
        .collect()
}

#[cfg(test)]
#[path = "stream_stream_tests.rs"]
mod tests;
