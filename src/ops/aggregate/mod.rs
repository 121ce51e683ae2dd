//! `aggregate/v1`: folds each group's rows into aggregate results, one accumulator row per
//! group (per group and window when windowed) kept encoded in the step's store, and emits the
//! updated results on every input row (ksqlDB with caching off) unless a record cache holds
//! them back (below). The output key is the grouping values, the output value the results, one
//! per call ([`Grouping::Aggregated`]); the output time is the largest input time the group has
//! seen (Kafka Streams' timestamped stores).
//!
//! Over a table the input rows carry a retract flag (see [`super::group_by`]): a retraction
//! undoes its row instead of adding it, and both emit. A following `tableFilter/v1` (HAVING) is
//! fused into the operator ([`Having`]): it sees the previous and the new result, so a group
//! that stops matching emits one tombstone and a group that never matched emits nothing, as
//! Kafka Streams' `KTableFilter` with old values does.
//!
//! With a record cache ([`cache`]) the updates of a group coalesce and are emitted when the
//! task flushes (before a commit) or the cache evicts them; the HAVING decision then compares
//! the flushed result with the one the store held before the first cached update.
//!
//! - [`functions`]: the aggregate function registry.
//! - [`windowed`]: the TUMBLING and HOPPING variant; [`session`]: the SESSION variant.
//! - [`cache`]: the record cache in front of the stores of this operator and [`windowed`]'s.
//!
//! It must not re-key rows: grouping happened upstream.
//!
//! [`Grouping::Aggregated`]: super::layout::Grouping::Aggregated

pub mod cache;
pub mod functions;
pub mod session;
pub mod windowed;

use crate::expr::compile::{EvalRow, Evaluator};
use crate::state::codec::{decode_row, encode_row};
use crate::state::{CacheBudget, Flushed, KeyValueStore};
use crate::topology::{Port, ProcessingError, Processor, ProcessorContext, Record};
use crate::types::{Row, Value};

use super::group_by::Change;
use super::layout::eval_row;
use cache::{GroupStore, Origin};
use functions::AggregateFunction;

/// One aggregate call: its function and argument evaluators (over the grouped row).
pub struct Call {
    pub function: Box<dyn AggregateFunction>,
    pub args: Vec<Evaluator>,
}

/// The calls of one aggregation and how to fold a row into their accumulators.
pub struct Calls {
    pub calls: Vec<Call>,
    /// Table input: rows end with a retract flag.
    pub table: bool,
}

impl Calls {
    pub fn init(&self) -> Row {
        self.calls.iter().map(|c| c.function.init()).collect()
    }

    /// The change a grouped row makes: always an add over a stream.
    pub fn change(&self, record: &Record) -> Change {
        match record.value.as_ref().and_then(|v| v.last()) {
            Some(flag) if self.table => Change::of(flag),
            _ => Change::Add,
        }
    }

    /// Folds `record` into `acc` (adding, or undoing a retraction). Errors evaluating an
    /// argument are reported and the call's accumulator is left as it was. A call that
    /// refuses the row ([`AggregateFunction::try_add`]) is reported too, and then the row
    /// folds into nothing: `None`, for the caller to skip the record.
    pub fn fold(&self, acc: Row, record: &Record, ctx: &mut ProcessorContext<'_>) -> Option<Row> {
        let row = eval_row(record);
        let retract = self.change(record) != Change::Add;
        let mut args = Vec::new();
        let mut out = Vec::with_capacity(acc.len());
        for (call, acc) in self.calls.iter().zip(acc) {
            args.clear();
            for (i, e) in call.args.iter().enumerate() {
                match e.eval(&row) {
                    Ok(v) => args.push(v),
                    Err(err) => {
                        ctx.report(ProcessingError::processing(format!(
                            "Error evaluating aggregate argument {i}: {err}"
                        )));
                        args.push(Value::Null);
                    }
                }
            }
            if retract {
                match call.function.undo(acc.clone(), &args) {
                    Some(next) => out.push(next),
                    None => {
                        ctx.report(ProcessingError::processing(
                            "aggregate function cannot undo a table update".to_owned(),
                        ));
                        out.push(acc);
                    }
                }
            } else {
                match call.function.try_add(acc, &args) {
                    Ok(next) => out.push(next),
                    Err(reason) => {
                        ctx.report(ProcessingError::processing(reason));
                        return None;
                    }
                }
            }
        }
        Some(out)
    }

    /// Whether some call may refuse a row ([`Calls::fold`] returns `None` only then).
    pub fn can_refuse(&self) -> bool {
        self.calls.iter().any(|c| c.function.can_refuse())
    }

    pub fn results(&self, acc: &[Value]) -> Row {
        self.calls
            .iter()
            .zip(acc)
            .map(|(c, a)| c.function.result(a))
            .collect()
    }
}

/// A fused `HAVING` predicate over the aggregated row.
pub struct Having(pub Evaluator);

impl Having {
    /// Whether the result row of `key` passes.
    pub fn passes(
        &self,
        key: &[Value],
        results: &[Value],
        window: Option<(i64, i64)>,
        ctx: &mut ProcessorContext<'_>,
    ) -> bool {
        let row = EvalRow {
            key,
            value: results,
            timestamp: 0,
            partition: -1,
            offset: -1,
            window,
        };
        match self.0.eval(&row) {
            Ok(Value::Boolean(b)) => b,
            Ok(_) => false,
            Err(e) => {
                ctx.report(ProcessingError::processing(format!(
                    "Error evaluating HAVING predicate: {e}"
                )));
                false
            }
        }
    }

    /// What to emit for a group going from `old` to `new` results: the new row when it
    /// passes, a tombstone when only the old one did, nothing when neither did.
    pub fn decide(
        having: Option<&Having>,
        key: &[Value],
        old: Option<&[Value]>,
        new: Row,
        window: Option<(i64, i64)>,
        ctx: &mut ProcessorContext<'_>,
    ) -> Option<Option<Row>> {
        let Some(having) = having else {
            return Some(Some(new));
        };
        if having.passes(key, &new, window, ctx) {
            return Some(Some(new));
        }
        let old_passed = old.is_some_and(|o| having.passes(key, o, window, ctx));
        old_passed.then_some(None)
    }
}

/// Splits a stored accumulator row into accumulators and the group's timestamp.
pub fn split_stored(mut row: Row) -> (Row, i64) {
    let ts = match row.pop() {
        Some(Value::Bigint(t)) => t,
        _ => i64::MIN,
    };
    (row, ts)
}

/// Encodes accumulators and the group's timestamp for the store.
pub fn encode_stored(acc: &[Value], ts: i64, out: &mut Vec<u8>) {
    encode_row(acc, out);
    encode_row(&[Value::Bigint(ts)], out);
}

/// The results of a stored accumulator row and the group's timestamp; a row that does not
/// decode is reported and read as absent.
pub(super) fn stored_results(
    calls: &Calls,
    bytes: &[u8],
    what: &str,
    ctx: &mut ProcessorContext<'_>,
) -> Option<(Row, i64)> {
    match decode_row(bytes) {
        Ok(row) => {
            let (acc, ts) = split_stored(row);
            Some((calls.results(&acc), ts))
        }
        Err(e) => {
            ctx.report(ProcessingError::processing(format!("{what}: {e}")));
            None
        }
    }
}

/// The non-windowed aggregate over a key-value store.
pub struct Aggregate {
    calls: Calls,
    having: Option<Having>,
    store: GroupStore,
    /// The results before a silent retraction, for the add that follows it (uncached only).
    pending_old: Option<Option<Row>>,
    key_buf: Vec<u8>,
    value_buf: Vec<u8>,
}

impl Aggregate {
    /// The aggregate over `store`, behind a record cache when `cache` has a budget.
    pub fn new(
        calls: Calls,
        having: Option<Having>,
        store: Box<dyn KeyValueStore>,
        cache: Option<CacheBudget>,
    ) -> Aggregate {
        Aggregate {
            calls,
            having,
            store: GroupStore::new(store, cache),
            pending_old: None,
            key_buf: Vec::new(),
            value_buf: Vec::new(),
        }
    }

    fn load(&mut self, ctx: &mut ProcessorContext<'_>) -> Option<(Row, i64)> {
        let stored = match self.store.get(&self.key_buf) {
            Ok(s) => s?,
            Err(e) => {
                ctx.report(ProcessingError::state("aggregate store", e));
                return None;
            }
        };
        match decode_row(&stored) {
            Ok(row) => Some(split_stored(row)),
            Err(e) => {
                ctx.report(ProcessingError::processing(format!(
                    "aggregate store {}: {e}",
                    self.store.name()
                )));
                None
            }
        }
    }

    /// Forwards flushed groups: each group's latest result, against the result the store
    /// held before its first cached update.
    fn forward_flushed(&self, flushed: Vec<Flushed<Origin>>, ctx: &mut ProcessorContext<'_>) {
        for entry in flushed {
            let Some(value) = entry.value else {
                continue;
            };
            let Some((results, ts)) = stored_results(&self.calls, &value, "aggregate store", ctx)
            else {
                continue;
            };
            let old = entry
                .prior
                .and_then(|prior| stored_results(&self.calls, &prior, "aggregate store", ctx));
            let origin = entry.context;
            let emit = Having::decide(
                self.having.as_ref(),
                &origin.key,
                old.as_ref().map(|(results, _)| results.as_slice()),
                results,
                None,
                ctx,
            );
            if let Some(value) = emit {
                ctx.forward(origin.output(value, ts, None));
            }
        }
    }

    /// Cached: the update stays in the cache; what the cache evicts to stay within the
    /// thread's budget is forwarded. A silent retraction never evicts, so the add that follows
    /// it lands in the same cached update.
    fn cache_update(&mut self, record: &Record, change: Change, ctx: &mut ProcessorContext<'_>) {
        let GroupStore::Cached(store) = &mut self.store else {
            return;
        };
        if let Err(e) = store.put(&self.key_buf, &self.value_buf, Origin::of(record)) {
            ctx.report(ProcessingError::state("aggregate store", e));
            return;
        }
        if change == Change::RetractSilently {
            return;
        }
        match store.evict() {
            Ok(flushed) => self.forward_flushed(flushed, ctx),
            Err(e) => ctx.report(ProcessingError::state("aggregate store", e)),
        }
    }
}

impl Processor for Aggregate {
    fn process(&mut self, _port: Port, record: Record, ctx: &mut ProcessorContext<'_>) {
        if record.value.is_none() {
            return;
        }
        self.key_buf.clear();
        encode_row(&record.key, &mut self.key_buf);
        let previous = self.load(ctx);
        let cached = self.store.is_cached();
        let mut old_results = match &previous {
            Some((acc, _)) if !cached => Some(self.calls.results(acc)),
            _ => None,
        };
        let change = self.calls.change(&record);
        let (acc, old_ts) = previous.unwrap_or_else(|| (self.calls.init(), i64::MIN));
        // A refused row changes nothing and emits nothing (ksqlDB's UDAF throws).
        let Some(acc) = self.calls.fold(acc, &record, ctx) else {
            return;
        };
        if let Some(pending) = self.pending_old.take() {
            old_results = pending;
        }
        let ts = record.timestamp.max(old_ts);
        self.value_buf.clear();
        encode_stored(&acc, ts, &mut self.value_buf);
        let GroupStore::Direct(store) = &mut self.store else {
            return self.cache_update(&record, change, ctx);
        };
        if let Err(e) = store.put(&self.key_buf, &self.value_buf) {
            ctx.report(ProcessingError::state("aggregate store", e));
            return;
        }
        if change == Change::RetractSilently {
            self.pending_old = Some(old_results);
            return;
        }
        let results = self.calls.results(&acc);
        let emit = Having::decide(
            self.having.as_ref(),
            &record.key,
            old_results.as_deref(),
            results,
            None,
            ctx,
        );
        if let Some(value) = emit {
            let key = record.key.clone();
            let mut out = record.with_key_value(key, value);
            out.timestamp = ts;
            ctx.forward(out);
        }
    }

    fn wants_flush(&self) -> bool {
        self.store.is_cached()
    }

    fn flush(&mut self, ctx: &mut ProcessorContext<'_>) {
        let GroupStore::Cached(store) = &mut self.store else {
            return;
        };
        match store.flush() {
            Ok(flushed) => self.forward_flushed(flushed, ctx),
            Err(e) => ctx.report(ProcessingError::state("aggregate store", e)),
        }
    }
}

#[cfg(test)]
mod tests;
