//! The checker of a chaos run, on `read_committed` output only: the input topics are the
//! ground truth (read back, so a record the input producer could not confirm still counts
//! exactly as the broker holds it), and every sink is compared with what the input implies:
//!
//! - `COPY` (a stream): every event exactly once, by sequence number;
//! - `TOTALS` (a table): per user, the final COUNT and SUM;
//! - `BY_BUCKET` (a table through a repartition): per bucket, the final COUNT;
//! - `WINDOWED` (a windowed table through a repartition): per bucket and 10 s window, the
//!   final COUNT;
//! - `MATCHED` (a stream-stream join through repartitions of both sides): every sequence
//!   number exactly once;
//! - `CONTROL_COPY` (the ecosystem client's transactional copy loop): every event exactly once.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::time::Duration;

use crate::input::EVENTS;
use crate::support::TestBroker;
use crate::support::kafka::Received;

pub const WINDOW_MS: i64 = 10_000;
const READ_TIMEOUT: Duration = Duration::from_secs(120);

/// One event as the input topic holds it.
#[derive(Clone, Debug)]
struct Event {
    partition: i32,
    offset: i64,
    seq: i64,
    user: String,
    amount: i64,
    bucket: i64,
    timestamp: i64,
}

/// What a check found; `ok()` when nothing is off.
#[derive(Debug, Default)]
pub struct Report {
    pub inputs: usize,
    pub input_duplicates: usize,
    /// Per stream sink: (missing, duplicated).
    pub streams: BTreeMap<&'static str, (usize, usize)>,
    /// Per table sink: (keys expected, keys wrong or missing, keys unexpected).
    pub tables: BTreeMap<&'static str, (usize, usize, usize)>,
    /// A few examples of what is off.
    pub examples: Vec<String>,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.input_duplicates == 0
            && self.streams.values().all(|&(m, d)| m == 0 && d == 0)
            && self.tables.values().all(|&(_, w, u)| w == 0 && u == 0)
    }

    /// Whether anything is duplicated: that never heals by waiting longer.
    pub fn duplicated(&self) -> bool {
        self.input_duplicates > 0 || self.streams.values().any(|&(_, d)| d > 0)
    }

    /// One line: what is off per sink, to follow a run's convergence pass by pass.
    pub fn summary(&self) -> String {
        let mut line = format!("{} inputs", self.inputs);
        for (sink, (missing, duplicated)) in &self.streams {
            line += &format!(", {sink} -{missing}/+{duplicated}");
        }
        for (sink, (_, wrong, unexpected)) in &self.tables {
            line += &format!(", {sink} {wrong} wrong/{unexpected} extra");
        }
        line
    }

    /// Whether weir's sinks are right (the control's stream aside).
    pub fn weir_ok(&self) -> bool {
        self.streams
            .iter()
            .filter(|(name, _)| **name != "CONTROL_COPY")
            .all(|(_, &(m, d))| m == 0 && d == 0)
            && self.tables.values().all(|&(_, w, u)| w == 0 && u == 0)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "inputs: {} (duplicated in the input topic: {})",
            self.inputs, self.input_duplicates
        )?;
        for (sink, (missing, duplicated)) in &self.streams {
            writeln!(f, "{sink}: {missing} missing, {duplicated} duplicated")?;
        }
        for (sink, (expected, wrong, unexpected)) in &self.tables {
            writeln!(
                f,
                "{sink}: {wrong} of {expected} keys wrong or missing, {unexpected} unexpected"
            )?;
        }
        for example in &self.examples {
            writeln!(f, "  e.g. {example}")?;
        }
        Ok(())
    }
}

fn json(record: &Received) -> serde_json::Value {
    record
        .value
        .as_deref()
        .and_then(|v| serde_json::from_slice(v).ok())
        .unwrap_or(serde_json::Value::Null)
}

fn int(value: &serde_json::Value, field: &str) -> i64 {
    value[field].as_i64().unwrap_or(i64::MIN)
}

fn events(broker: &TestBroker) -> Vec<Event> {
    broker
        .read_to_end(EVENTS, "read_uncommitted", READ_TIMEOUT)
        .iter()
        .map(|record| {
            let value = json(record);
            Event {
                partition: record.partition,
                offset: record.offset,
                seq: int(&value, "SEQ"),
                user: record.key_str().unwrap_or_default(),
                amount: int(&value, "AMOUNT"),
                bucket: int(&value, "BUCKET"),
                timestamp: record.timestamp,
            }
        })
        .collect()
}

/// Counts per sequence number in a stream sink: (the missing sequence numbers, duplicated).
fn exactly_once(
    truth: &[Event],
    seqs: impl Iterator<Item = i64>,
    sink: &'static str,
    examples: &mut Vec<String>,
) -> (Vec<i64>, usize) {
    let mut seen: HashMap<i64, usize> = HashMap::new();
    for seq in seqs {
        *seen.entry(seq).or_default() += 1;
    }
    let missing: Vec<&Event> = truth
        .iter()
        .filter(|e| !seen.contains_key(&e.seq))
        .collect();
    let duplicated: usize = seen.values().map(|n| n - 1).sum();
    if !missing.is_empty() {
        // Where the missing events sit in the input: per partition, the offset range.
        let mut ranges: BTreeMap<i32, (i64, i64, usize)> = BTreeMap::new();
        for event in &missing {
            let range = ranges
                .entry(event.partition)
                .or_insert((event.offset, event.offset, 0));
            range.0 = range.0.min(event.offset);
            range.1 = range.1.max(event.offset);
            range.2 += 1;
        }
        examples.push(format!(
            "{sink}: {} missing, e.g. seq {} (timestamp {}); by input partition (first, last offset, count): {ranges:?}",
            missing.len(),
            missing[0].seq,
            missing[0].timestamp,
        ));
    }
    if let Some((seq, n)) = seen.iter().find(|(_, n)| **n > 1) {
        examples.push(format!("{sink}: seq {seq} {n} times"));
    }
    (missing.iter().map(|e| e.seq).collect(), duplicated)
}

/// Where a stream sink's missing records are when read uncommitted: present at an offset
/// (written, but hidden from `read_committed`: a marker or aborted-range fault) or absent
/// (never written, or lost). Reported per output partition with the offset range.
fn locate_missing(
    broker: &TestBroker,
    sink: &'static str,
    field: &str,
    missing: &[i64],
    examples: &mut Vec<String>,
) {
    let wanted: std::collections::HashSet<i64> = missing.iter().copied().collect();
    let mut found: BTreeMap<i32, (i64, i64, usize)> = BTreeMap::new();
    let mut present = 0;
    for record in broker.read_to_end(sink, "read_uncommitted", READ_TIMEOUT) {
        if wanted.contains(&int(&json(&record), field)) {
            present += 1;
            let range = found
                .entry(record.partition)
                .or_insert((record.offset, record.offset, 0));
            range.0 = range.0.min(record.offset);
            range.1 = range.1.max(record.offset);
            range.2 += 1;
        }
    }
    examples.push(format!(
        "{sink}: of {} missing, {present} copies are in the topic read uncommitted (hidden from read_committed), by output partition (first, last offset, count): {found:?}; the rest were never written",
        missing.len()
    ));
}

/// Compares a table sink's final rows (the last value per key) with `expected`.
fn table(
    records: &[Received],
    expected: &BTreeMap<String, String>,
    row: impl Fn(&serde_json::Value) -> (String, String),
    sink: &'static str,
    examples: &mut Vec<String>,
) -> (usize, usize, usize) {
    let mut last: BTreeMap<Vec<u8>, &Received> = BTreeMap::new();
    for record in records {
        last.insert(record.key.clone().unwrap_or_default(), record);
    }
    let actual: BTreeMap<String, String> = last
        .values()
        .filter(|r| r.value.is_some())
        .map(|r| row(&json(r)))
        .collect();
    let wrong: Vec<&String> = expected
        .iter()
        .filter(|(k, v)| actual.get(*k) != Some(*v))
        .map(|(k, _)| k)
        .collect();
    let unexpected = actual.keys().filter(|k| !expected.contains_key(*k)).count();
    for key in wrong.iter().take(5) {
        examples.push(format!(
            "{sink}: {key}: expected {:?}, got {:?}",
            expected.get(*key),
            actual.get(*key)
        ));
    }
    (expected.len(), wrong.len(), unexpected)
}

/// Reads every sink and compares it with the input; on the `last` pass of a run, also says
/// where a stream sink's missing records are (a second, uncommitted read of that sink).
pub fn check(broker: &TestBroker, with_control: bool, last: bool) -> Report {
    let truth = events(broker);
    let mut report = Report {
        inputs: truth.len(),
        ..Report::default()
    };
    let mut by_seq: HashMap<i64, usize> = HashMap::new();
    for event in &truth {
        *by_seq.entry(event.seq).or_default() += 1;
    }
    report.input_duplicates = by_seq.values().map(|n| n - 1).sum();
    let examples = &mut report.examples;

    let copy = broker.read_to_end("COPY", "read_committed", READ_TIMEOUT);
    let copied = copy.iter().map(|r| int(&json(r), "SEQ"));
    let (missing, duplicated) = exactly_once(&truth, copied, "COPY", examples);
    if last && !missing.is_empty() {
        locate_missing(broker, "COPY", "SEQ", &missing, examples);
    }
    report.streams.insert("COPY", (missing.len(), duplicated));

    let matched = broker.read_to_end("MATCHED", "read_committed", READ_TIMEOUT);
    let joined = matched.iter().map(|r| int(&json(r), "S"));
    let (missing, duplicated) = exactly_once(&truth, joined, "MATCHED", examples);
    if last && !missing.is_empty() {
        locate_missing(broker, "MATCHED", "S", &missing, examples);
    }
    report
        .streams
        .insert("MATCHED", (missing.len(), duplicated));

    if with_control {
        let control = broker.read_to_end("CONTROL_COPY", "read_committed", READ_TIMEOUT);
        let copied = control.iter().map(|r| int(&json(r), "SEQ"));
        let (missing, duplicated) = exactly_once(&truth, copied, "CONTROL_COPY", examples);
        if last && !missing.is_empty() {
            locate_missing(broker, "CONTROL_COPY", "SEQ", &missing, examples);
        }
        report
            .streams
            .insert("CONTROL_COPY", (missing.len(), duplicated));
    }

    let mut totals: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    let mut buckets: BTreeMap<i64, i64> = BTreeMap::new();
    let mut windows: BTreeMap<(i64, i64), i64> = BTreeMap::new();
    for event in &truth {
        let total = totals.entry(event.user.clone()).or_default();
        total.0 += 1;
        total.1 += event.amount;
        *buckets.entry(event.bucket).or_default() += 1;
        let start = event.timestamp - event.timestamp.rem_euclid(WINDOW_MS);
        *windows.entry((event.bucket, start)).or_default() += 1;
    }

    let records = broker.read_to_end("TOTALS", "read_committed", READ_TIMEOUT);
    let expected = totals
        .iter()
        .map(|(user, (n, total))| (user.clone(), format!("{n}/{total}")))
        .collect();
    let rows = |v: &serde_json::Value| {
        (
            v["U"].as_str().unwrap_or_default().to_owned(),
            format!("{}/{}", int(v, "N"), int(v, "TOTAL")),
        )
    };
    report.tables.insert(
        "TOTALS",
        table(&records, &expected, rows, "TOTALS", examples),
    );

    let records = broker.read_to_end("BY_BUCKET", "read_committed", READ_TIMEOUT);
    let expected = buckets
        .iter()
        .map(|(b, n)| (b.to_string(), n.to_string()))
        .collect();
    let rows = |v: &serde_json::Value| (int(v, "B").to_string(), int(v, "N").to_string());
    report.tables.insert(
        "BY_BUCKET",
        table(&records, &expected, rows, "BY_BUCKET", examples),
    );

    let records = broker.read_to_end("WINDOWED", "read_committed", READ_TIMEOUT);
    let expected = windows
        .iter()
        .map(|((b, start), n)| (format!("{b}@{start}"), n.to_string()))
        .collect();
    let rows = |v: &serde_json::Value| {
        (
            format!("{}@{}", int(v, "B"), int(v, "WS")),
            int(v, "N").to_string(),
        )
    };
    report.tables.insert(
        "WINDOWED",
        table(&records, &expected, rows, "WINDOWED", examples),
    );
    report
}
