//! Windowed `aggregate/v1`: TUMBLING and HOPPING over a window store ([`WindowAggregate`]: a
//! record updates every window it falls in), and the window bounds shared with SESSION
//! ([`super::session`]). Each operator keeps its
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
//!
//! With a record cache ([`super::cache`]) a window's updates coalesce until the task flushes
//! or the cache evicts; a window that expires, or closes under `EMIT FINAL`, is written from
//! the cache to the store first, so expiry and the emission scan see what they would without
//! it. `EMIT FINAL` forwards nothing from the cache: it only saves store and changelog writes.

use crate::analyze::WindowSpec;
use crate::state::codec::{decode_row, encode_row};
use crate::state::{CacheBudget, Flushed, WindowStore, cached::split_window_key};
use crate::topology::{Port, ProcessingError, Processor, ProcessorContext, Record, Window};
use crate::types::Row;

use super::cache::{Origin, WindowedStore};
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
        let first = ts
            .saturating_sub(self.size)
            .saturating_add(self.advance)
            .max(0);
        let mut start = first - first.rem_euclid(self.advance);
        let mut out = Vec::new();
        while start <= ts {
            if start.saturating_add(self.size) > ts {
                out.push(start);
            }
            start = match start.checked_add(self.advance) {
                Some(next) => next,
                None => break,
            };
        }
        out
    }
}

pub(super) fn decode(bytes: &[u8], ctx: &mut ProcessorContext<'_>) -> Option<(Row, i64)> {
    match decode_row(bytes) {
        Ok(row) => Some(split_stored(row)),
        Err(e) => {
            ctx.report(ProcessingError::state("window store", e));
            None
        }
    }
}

/// TUMBLING and HOPPING aggregation.
pub struct WindowAggregate {
    calls: Calls,
    having: Option<Having>,
    store: WindowedStore,
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
    /// The aggregate over `store`, behind a record cache when `cache` has a budget.
    pub fn new(
        calls: Calls,
        having: Option<Having>,
        store: Box<dyn WindowStore>,
        bounds: WindowBounds,
        cache: Option<CacheBudget>,
    ) -> WindowAggregate {
        WindowAggregate {
            calls,
            having,
            store: WindowedStore::new(store, cache),
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
        let upper = close.saturating_sub(self.bounds.size);
        if upper < 0 {
            return;
        }
        let lower = last.map_or(0, |l| l.saturating_sub(self.bounds.size).saturating_add(1));
        // Window starts are multiples of the advance: with none in range there is nothing
        // to emit, and the range stays open for the next record (no store scan).
        let first_start = lower
            .saturating_add(self.bounds.advance - 1)
            .div_euclid(self.bounds.advance)
            .saturating_mul(self.bounds.advance);
        if first_start > upper {
            return;
        }
        // The scan must see every closed window's latest value: those in the cache go to the
        // store now, and leave the cache (nothing updates a closed window).
        if let WindowedStore::Cached(store) = &mut self.store
            && let Err(e) = store.flush_and_drop_through(upper)
        {
            ctx.report(ProcessingError::state("window store", e));
            return;
        }
        let mut closed: Vec<(Vec<u8>, i64, Vec<u8>)> = Vec::new();
        let scan = self.store.store().scan(&mut |key, start, value| {
            if (lower..=upper).contains(&start) {
                closed.push((key.to_vec(), start, value.to_vec()));
            }
            std::ops::ControlFlow::Continue(())
        });
        if let Err(e) = scan {
            ctx.report(ProcessingError::state("window store", e));
            return;
        }
        for (key, start, value) in closed {
            let (Ok(key), Some((acc, ts))) = (decode_row(&key), decode(&value, ctx)) else {
                continue;
            };
            let window = Window {
                start,
                end: start.saturating_add(self.bounds.size),
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
            end: start.saturating_add(self.bounds.size),
        };
        let previous = match self.store.get(&self.key_buf, start) {
            Ok(Some(bytes)) => decode(&bytes, ctx),
            Ok(None) => None,
            Err(e) => {
                ctx.report(ProcessingError::state("window store", e));
                return;
            }
        };
        let cached = self.store.is_cached();
        let old_results = match &previous {
            Some((acc, _)) if !cached && self.emit_final.is_none() => Some(self.calls.results(acc)),
            _ => None,
        };
        let (acc, old_ts) = previous.unwrap_or_else(|| (self.calls.init(), i64::MIN));
        // A refused row changes nothing and emits nothing (ksqlDB's UDAF throws).
        let Some(acc) = self.calls.fold(acc, record, ctx) else {
            return;
        };
        let ts = record.timestamp.max(old_ts);
        self.value_buf.clear();
        encode_stored(&acc, ts, &mut self.value_buf);
        let WindowedStore::Direct(store) = &mut self.store else {
            return self.cache_update(start, record, ctx);
        };
        if let Err(e) = store.put(&self.key_buf, start, &self.value_buf) {
            ctx.report(ProcessingError::state("window store", e));
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
    /// Cached: the update stays in the cache; what the cache evicts is forwarded.
    fn cache_update(&mut self, start: i64, record: &Record, ctx: &mut ProcessorContext<'_>) {
        let WindowedStore::Cached(store) = &mut self.store else {
            return;
        };
        let origin = Origin::of(record);
        if let Err(e) = store.put(&self.key_buf, start, &self.value_buf, origin) {
            ctx.report(ProcessingError::state("window store", e));
            return;
        }
        self.max_start = self.max_start.max(start);
        match store.evict() {
            Ok(flushed) => self.forward_flushed(flushed, ctx),
            Err(e) => ctx.report(ProcessingError::state("window store", e)),
        }
    }

    /// Forwards flushed windows (`EMIT CHANGES` only): each window's latest result, against
    /// the result the store held before its first cached update.
    fn forward_flushed(&self, flushed: Vec<Flushed<Origin>>, ctx: &mut ProcessorContext<'_>) {
        if self.emit_final.is_some() {
            return;
        }
        for entry in flushed {
            let (Some((_, start)), Some(value)) = (split_window_key(&entry.key), &entry.value)
            else {
                continue;
            };
            let Some((acc, ts)) = decode(value, ctx) else {
                continue;
            };
            let old = entry
                .prior
                .as_deref()
                .and_then(|prior| decode(prior, ctx))
                .map(|(acc, _)| self.calls.results(&acc));
            let window = Window {
                start,
                end: start.saturating_add(self.bounds.size),
            };
            let origin = entry.context;
            let emit = Having::decide(
                self.having.as_ref(),
                &origin.key,
                old.as_deref(),
                self.calls.results(&acc),
                Some((window.start, window.end)),
                ctx,
            );
            if let Some(value) = emit {
                ctx.forward(origin.output(value, ts, Some(window)));
            }
        }
    }

    /// As Kafka Streams' window store: windows starting more than `retention` before the
    /// newest window start are gone. Cached windows among them are written (and, under
    /// `EMIT CHANGES`, forwarded) first.
    fn expire(&mut self, ctx: &mut ProcessorContext<'_>) {
        let horizon = self.max_start.saturating_sub(self.bounds.retention);
        if let WindowedStore::Cached(store) = &mut self.store {
            match store.flush_and_drop_through(horizon.saturating_sub(1)) {
                Ok(flushed) => self.forward_flushed(flushed, ctx),
                Err(e) => ctx.report(ProcessingError::state("window store", e)),
            }
        }
        if let Err(e) = self.store.store().expire_before(horizon) {
            ctx.report(ProcessingError::state("window store", e));
        }
    }

    /// After a restart, stream time and the last emission are recovered from the restored
    /// store: the largest time it holds is the largest accepted record time.
    fn recover(&mut self, ctx: &mut ProcessorContext<'_>) {
        let mut latest = i64::MIN;
        let mut max_start = i64::MIN;
        let scan = self.store.store().scan(&mut |_, start, value| {
            if let Ok((_, ts)) = decode_row(value).map(split_stored) {
                latest = latest.max(ts);
            }
            max_start = max_start.max(start);
            std::ops::ControlFlow::Continue(())
        });
        if let Err(e) = scan {
            ctx.report(ProcessingError::state("window store", e));
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
            if start.saturating_add(self.bounds.size) > close {
                self.update(start, &record, ctx);
            } else {
                ctx.record_late_dropped();
            }
        }
        self.expire(ctx);
        self.emit_closed(close, &record, ctx);
    }

    fn wants_flush(&self) -> bool {
        self.store.is_cached()
    }

    fn flush(&mut self, ctx: &mut ProcessorContext<'_>) {
        let WindowedStore::Cached(store) = &mut self.store else {
            return;
        };
        match store.flush() {
            Ok(flushed) => self.forward_flushed(flushed, ctx),
            Err(e) => ctx.report(ProcessingError::state("window store", e)),
        }
    }
}
