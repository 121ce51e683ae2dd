//! SESSION `aggregate/v1` over a session store: a record merges the sessions of its key within
//! the inactivity gap, emitting a tombstone for each session merged away (at its end time),
//! then the merged session (at the session end), as Kafka Streams does. A session closes at
//! `end + gap + grace` of the operator's observed stream time; a record whose merged session
//! is already closed is dropped and counted. Sessions are kept gap + grace (or RETENTION)
//! after they end. `EMIT FINAL` emits each session once, when it closes, ordered by end.

use crate::state::SessionStore;
use crate::state::codec::{decode_row, encode_row};
use crate::topology::{Port, ProcessingError, Processor, ProcessorContext, Record, Window};
use crate::types::Row;

use super::windowed::{WindowBounds, decode};
use super::{Calls, Having, encode_stored};

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
            ctx.report(ProcessingError::state("session store", e));
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
            ctx.report(ProcessingError::state("session store", e));
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
            ctx.report(ProcessingError::state("session store", e));
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
            ctx.report(ProcessingError::state("session store", e));
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
                    ctx.report(ProcessingError::state("session store", err));
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
        // A refused row is not folded in, but the sessions it merged stay merged: their
        // tombstones are out already.
        let kept = self.calls.can_refuse().then(|| acc.clone());
        let Some(acc) = self.calls.fold(acc, &record, ctx).or(kept) else {
            return;
        };
        self.value_buf.clear();
        encode_stored(&acc, end, &mut self.value_buf);
        if let Err(e) = self.store.put(&self.key_buf, start, end, &self.value_buf) {
            ctx.report(ProcessingError::state("session store", e));
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
