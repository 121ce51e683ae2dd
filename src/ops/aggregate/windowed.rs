//! Windowed `aggregate/v1`: TUMBLING and HOPPING over a window store ([`WindowAggregate`]: a
//! record updates every window it falls in), SESSION over a session store
//! ([`SessionAggregate`]: a record merges the sessions within the inactivity gap, emitting a
//! tombstone for each session merged away, then the merged session). Each operator keeps its
//! own observed stream time (the largest timestamp it has seen, as Kafka Streams does); a
//! time window closes at `end + grace`, a session at `end + gap + grace`, and a record for a
//! closed window is dropped and counted with `record_late_dropped`. Without GRACE PERIOD the
//! grace is ksqlDB's default of 24 hours (0 under `EMIT FINAL`). Outputs carry their window; time-window outputs take
//! the largest input time of the window, session outputs the session end.
//!
//! `EMIT FINAL` (`suppress/v1`) is fused in, as ksqlDB runs it with Kafka Streams'
//! emit-on-window-close: nothing is emitted per update; when the close time advances, the
//! windows that closed since the last emission are read back from the store and emitted once.
//! Windows older than the retention (size + grace unless RETENTION says more) are gone from
//! the store before that, exactly as Kafka Streams' window store hides them.

use crate::analyze::WindowSpec;
use crate::state::codec::{decode_row, encode_row};
use crate::state::{SessionStore, WindowStore};
use crate::topology::{Port, ProcessingError, Processor, ProcessorContext, Record, Window};
use crate::types::Row;

use super::{Calls, Having, encode_stored, split_stored};

/// ksqlDB's grace period when a window declares none (24 hours, Kafka Streams' old default).
pub const DEFAULT_GRACE_MS: i64 = 24 * 60 * 60 * 1000;

/// A window clause in the operators' terms (milliseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowBounds {
    /// Size (tumbling, hopping) or inactivity gap (session).
    pub size: i64,
    pub advance: i64,
    pub grace: i64,
    /// How long windows are kept after they start (at least size + grace).
    pub retention: i64,
}

impl WindowBounds {
    /// The bounds of `spec`. Without GRACE PERIOD, `EMIT FINAL` windows close at their end
    /// (ksqlDB's conformance outputs show a grace of 0 there) and others after 24 hours.
    pub fn of(spec: &WindowSpec, emit_final: bool) -> WindowBounds {
        let ms = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        let size = ms(spec.size_ms).max(1);
        let default_grace = if emit_final { 0 } else { DEFAULT_GRACE_MS };
        let grace = spec.grace_ms.map_or(default_grace, ms);
        let retention = spec
            .retention_ms
            .map_or(0, ms)
            .max(size.saturating_add(grace));
        WindowBounds {
            size,
            advance: spec.advance_ms.map_or(size, ms).max(1),
            grace,
            retention,
        }
    }

    /// The starts of the time windows `ts` falls in, ascending.
    pub fn starts(&self, ts: i64) -> Vec<i64> {
        let first = (ts - self.size + self.advance).max(0);
        let mut start = first - first.rem_euclid(self.advance);
        let mut out = Vec::new();
        while start <= ts {
            if start + self.size > ts {
                out.push(start);
            }
            start += self.advance;
        }
        out
    }
}

fn decode(bytes: &[u8], ctx: &mut ProcessorContext<'_>) -> Option<(Row, i64)> {
    match decode_row(bytes) {
        Ok(row) => Some(split_stored(row)),
        Err(e) => {
            ctx.report(ProcessingError::processing(format!("window store: {e}")));
            None
        }
    }
}

/// TUMBLING and HOPPING aggregation.
pub struct WindowAggregate {
    calls: Calls,
    having: Option<Having>,
    store: Box<dyn WindowStore>,
    bounds: WindowBounds,
    observed: i64,
    /// The largest window start written: windows `retention` older are gone.
    max_start: i64,
    /// `EMIT FINAL`: the close time of the last emission (see [`Self::emit_closed`]).
    emit_final: Option<Option<i64>>,
    key_buf: Vec<u8>,
    value_buf: Vec<u8>,
}

impl WindowAggregate {
    pub fn new(
        calls: Calls,
        having: Option<Having>,
        store: Box<dyn WindowStore>,
        bounds: WindowBounds,
    ) -> WindowAggregate {
        WindowAggregate {
            calls,
            having,
            store,
            bounds,
            observed: i64::MIN,
            max_start: i64::MIN,
            emit_final: None,
            key_buf: Vec::new(),
            value_buf: Vec::new(),
        }
    }

    /// `EMIT FINAL` (`suppress/v1` fused in): no output per update; each window is emitted
    /// once, when it closes.
    pub fn emit_final(mut self) -> WindowAggregate {
        self.emit_final = Some(None);
        self
    }

    /// Emits the windows that closed since the last emission: those starting after the last
    /// emitted range and ending at or before `close`, by key then start (Kafka Streams'
    /// emit-on-window-close). Windows that fell out of retention are gone and never emitted.
    fn emit_closed(&mut self, close: i64, record: &Record, ctx: &mut ProcessorContext<'_>) {
        let Some(last) = self.emit_final else {
            return;
        };
        if last.is_some_and(|l| l >= close) {
            return;
        }
        let upper = close - self.bounds.size;
        if upper < 0 {
            return;
        }
        let lower = last.map_or(0, |l| l - self.bounds.size + 1);
        let mut closed: Vec<(Vec<u8>, i64, Vec<u8>)> = Vec::new();
        let scan = self.store.scan(&mut |key, start, value| {
            if (lower..=upper).contains(&start) {
                closed.push((key.to_vec(), start, value.to_vec()));
            }
            std::ops::ControlFlow::Continue(())
        });
        if let Err(e) = scan {
            ctx.report(ProcessingError::processing(format!("window store: {e}")));
            return;
        }
        for (key, start, value) in closed {
            let (Ok(key), Some((acc, ts))) = (decode_row(&key), decode(&value, ctx)) else {
                continue;
            };
            let window = Window {
                start,
                end: start + self.bounds.size,
            };
            let results = self.calls.results(&acc);
            if let Some(h) = &self.having
                && !h.passes(&key, &results, Some((window.start, window.end)), ctx)
            {
                continue;
            }
            let mut out = record.clone().with_key_value(key, Some(results));
            out.timestamp = ts;
            out.window = Some(window);
            ctx.forward(out);
        }
        self.emit_final = Some(Some(close));
    }

    fn update(&mut self, start: i64, record: &Record, ctx: &mut ProcessorContext<'_>) {
        let window = Window {
            start,
            end: start + self.bounds.size,
        };
        let previous = match self.store.get(&self.key_buf, start) {
            Ok(Some(bytes)) => decode(&bytes, ctx),
            Ok(None) => None,
            Err(e) => {
                ctx.report(ProcessingError::processing(format!("window store: {e}")));
                return;
            }
        };
        let old_results = previous.as_ref().map(|(acc, _)| self.calls.results(acc));
        let (acc, old_ts) = previous.unwrap_or_else(|| (self.calls.init(), i64::MIN));
        let acc = self.calls.fold(acc, record, ctx);
        let ts = record.timestamp.max(old_ts);
        self.value_buf.clear();
        encode_stored(&acc, ts, &mut self.value_buf);
        if let Err(e) = self.store.put(&self.key_buf, start, &self.value_buf) {
            ctx.report(ProcessingError::processing(format!("window store: {e}")));
            return;
        }
        self.max_start = self.max_start.max(start);
        if self.emit_final.is_some() {
            return;
        }
        let results = self.calls.results(&acc);
        let bounds = Some((window.start, window.end));
        let emit = Having::decide(
            self.having.as_ref(),
            &record.key,
            old_results.as_deref(),
            results,
            bounds,
            ctx,
        );
        if let Some(value) = emit {
            let mut out = record.clone().with_key_value(record.key.clone(), value);
            out.timestamp = ts;
            out.window = Some(window);
            ctx.forward(out);
        }
    }
}

impl WindowAggregate {
    /// After a restart, stream time and the last emission are recovered from the restored
    /// store: the largest time it holds is the largest accepted record time.
    fn recover(&mut self, ctx: &mut ProcessorContext<'_>) {
        let mut latest = i64::MIN;
        let mut max_start = i64::MIN;
        let scan = self.store.scan(&mut |_, start, value| {
            if let Ok((_, ts)) = decode_row(value).map(split_stored) {
                latest = latest.max(ts);
            }
            max_start = max_start.max(start);
            std::ops::ControlFlow::Continue(())
        });
        if let Err(e) = scan {
            ctx.report(ProcessingError::processing(format!("window store: {e}")));
        }
        self.observed = latest;
        self.max_start = max_start;
        if latest != i64::MIN && self.emit_final.is_some() {
            self.emit_final = Some(Some(latest.saturating_sub(self.bounds.grace)));
        }
    }
}

impl Processor for WindowAggregate {
    fn process(&mut self, _port: Port, record: Record, ctx: &mut ProcessorContext<'_>) {
        if record.value.is_none() {
            return;
        }
        if self.observed == i64::MIN {
            self.recover(ctx);
        }
        self.observed = self.observed.max(record.timestamp);
        let close = self.observed.saturating_sub(self.bounds.grace);
        self.key_buf.clear();
        encode_row(&record.key, &mut self.key_buf);
        for start in self.bounds.starts(record.timestamp) {
            if start + self.bounds.size > close {
                self.update(start, &record, ctx);
            } else {
                ctx.record_late_dropped();
            }
        }
        // As Kafka Streams' window store: windows starting more than `retention` before the
        // newest window start are gone.
        let horizon = self.max_start.saturating_sub(self.bounds.retention);
        if let Err(e) = self.store.expire_before(horizon) {
            ctx.report(ProcessingError::processing(format!("window store: {e}")));
        }
        self.emit_closed(close, &record, ctx);
    }
}

/// SESSION aggregation.
pub struct SessionAggregate {
    calls: Calls,
    having: Option<Having>,
    store: Box<dyn SessionStore>,
    bounds: WindowBounds,
    observed: i64,
    /// `EMIT FINAL`: the close time of the last emission.
    emit_final: Option<Option<i64>>,
    key_buf: Vec<u8>,
    value_buf: Vec<u8>,
}

impl SessionAggregate {
    pub fn new(
        calls: Calls,
        having: Option<Having>,
        store: Box<dyn SessionStore>,
        bounds: WindowBounds,
    ) -> SessionAggregate {
        SessionAggregate {
            calls,
            having,
            store,
            bounds,
            observed: i64::MIN,
            emit_final: None,
            key_buf: Vec::new(),
            value_buf: Vec::new(),
        }
    }

    /// `EMIT FINAL`: no output per update; each session is emitted once, when it closes.
    pub fn emit_final(mut self) -> SessionAggregate {
        self.emit_final = Some(None);
        self
    }

    /// Emits the sessions that closed (ended before `close`) since the last emission, by end.
    fn emit_closed(&mut self, close: i64, record: &Record, ctx: &mut ProcessorContext<'_>) {
        let Some(last) = self.emit_final else {
            return;
        };
        if last.is_some_and(|l| l >= close) {
            return;
        }
        let mut closed: Vec<(i64, Vec<u8>, i64, Vec<u8>)> = Vec::new();
        let scan = self.store.scan(&mut |key, start, end, value| {
            if end < close && last.is_none_or(|l| end >= l) {
                closed.push((end, key.to_vec(), start, value.to_vec()));
            }
            std::ops::ControlFlow::Continue(())
        });
        if let Err(e) = scan {
            ctx.report(ProcessingError::processing(format!("session store: {e}")));
            return;
        }
        closed.sort_by(|a, b| (a.0, &a.1, a.2).cmp(&(b.0, &b.1, b.2)));
        for (end, key, start, value) in closed {
            let (Ok(key), Some((acc, _))) = (decode_row(&key), decode(&value, ctx)) else {
                continue;
            };
            let results = self.calls.results(&acc);
            if let Some(h) = &self.having
                && !h.passes(&key, &results, Some((start, end)), ctx)
            {
                continue;
            }
            let mut out = record.clone().with_key_value(key, Some(results));
            out.timestamp = end;
            out.window = Some(Window { start, end });
            ctx.forward(out);
        }
        self.emit_final = Some(Some(close));
    }
}

impl SessionAggregate {
    /// Sessions that ended more than gap + grace (or RETENTION) ago are gone, as in Kafka
    /// Streams: a record in reach of one starts a new session instead. Runs after the record
    /// (and after emitting closed sessions).
    fn expire(&mut self, ctx: &mut ProcessorContext<'_>) {
        if let Err(e) = self
            .store
            .expire_before(self.observed.saturating_sub(self.bounds.retention))
        {
            ctx.report(ProcessingError::processing(format!("session store: {e}")));
        }
    }
}

impl SessionAggregate {
    /// After a restart, stream time and the last emission are recovered from the restored
    /// store (the latest session end is the largest accepted record time).
    fn recover(&mut self, ctx: &mut ProcessorContext<'_>) {
        let mut latest = i64::MIN;
        let scan = self.store.scan(&mut |_, _, end, _| {
            latest = latest.max(end);
            std::ops::ControlFlow::Continue(())
        });
        if let Err(e) = scan {
            ctx.report(ProcessingError::processing(format!("session store: {e}")));
        }
        self.observed = latest;
        if latest != i64::MIN && self.emit_final.is_some() {
            let close = latest
                .saturating_sub(self.bounds.grace)
                .saturating_sub(self.bounds.size);
            self.emit_final = Some(Some(close));
        }
    }
}

impl Processor for SessionAggregate {
    fn process(&mut self, _port: Port, record: Record, ctx: &mut ProcessorContext<'_>) {
        if self.observed == i64::MIN {
            self.recover(ctx);
        }
        self.aggregate(record, ctx);
        self.expire(ctx);
    }
}

impl SessionAggregate {
    fn aggregate(&mut self, record: Record, ctx: &mut ProcessorContext<'_>) {
        if record.value.is_none() {
            return;
        }
        let ts = record.timestamp;
        let gap = self.bounds.size;
        self.observed = self.observed.max(ts);
        let close = self
            .observed
            .saturating_sub(self.bounds.grace)
            .saturating_sub(gap);
        self.key_buf.clear();
        encode_row(&record.key, &mut self.key_buf);
        let mut found: Vec<(i64, i64, Vec<u8>)> = Vec::new();
        let scan = self.store.find_sessions(
            &self.key_buf,
            ts.saturating_sub(gap),
            ts.saturating_add(gap),
            &mut |start, end, value| {
                found.push((start, end, value.to_vec()));
                std::ops::ControlFlow::Continue(())
            },
        );
        if let Err(e) = scan {
            ctx.report(ProcessingError::processing(format!("session store: {e}")));
            return;
        }
        let (mut start, mut end) = (ts, ts);
        let mut merged: Vec<(i64, i64, Row)> = Vec::new();
        for (s, e, bytes) in &found {
            start = start.min(*s);
            end = end.max(*e);
            if let Some((acc, _)) = decode(bytes, ctx) {
                merged.push((*s, *e, acc));
            }
        }
        if end < close {
            ctx.record_late_dropped();
            self.emit_closed(close, &record, ctx);
            return;
        }
        let mut acc = self.calls.init();
        for (_, _, session) in &merged {
            acc = self
                .calls
                .calls
                .iter()
                .zip(acc.into_iter().zip(session.iter().cloned()))
                .map(|(c, (a, b))| c.function.merge(a, b))
                .collect();
        }
        // Kafka Streams removes every merged session (tombstone, at its end) unless the
        // record falls on an existing single-instant session at its own time.
        let mut old_results = None;
        if (start, end) == (ts, ts) {
            old_results = merged.first().map(|(_, _, acc)| self.calls.results(acc));
        } else {
            for (s, e, session) in &merged {
                if let Err(err) = self.store.remove(&self.key_buf, *s, *e) {
                    ctx.report(ProcessingError::processing(format!("session store: {err}")));
                }
                if self.emit_final.is_some() {
                    continue;
                }
                let passed = match &self.having {
                    Some(h) => h.passes(
                        &record.key,
                        &self.calls.results(session),
                        Some((*s, *e)),
                        ctx,
                    ),
                    None => true,
                };
                if passed {
                    let mut out = record.clone().with_key_value(record.key.clone(), None);
                    out.timestamp = *e;
                    out.window = Some(Window { start: *s, end: *e });
                    ctx.forward(out);
                }
            }
        }
        let acc = self.calls.fold(acc, &record, ctx);
        self.value_buf.clear();
        encode_stored(&acc, end, &mut self.value_buf);
        if let Err(e) = self.store.put(&self.key_buf, start, end, &self.value_buf) {
            ctx.report(ProcessingError::processing(format!("session store: {e}")));
            return;
        }
        if self.emit_final.is_some() {
            self.emit_closed(close, &record, ctx);
            return;
        }
        let results = self.calls.results(&acc);
        let emit = Having::decide(
            self.having.as_ref(),
            &record.key,
            old_results.as_deref(),
            results,
            Some((start, end)),
            ctx,
        );
        if let Some(value) = emit {
            let mut out = record.clone().with_key_value(record.key.clone(), value);
            out.timestamp = end;
            out.window = Some(Window { start, end });
            ctx.forward(out);
        }
    }
}
