//! The check of a windowed workload's results (W2, W4 and their peers): the final value of
//! every window in the sink topic against what the generated input says it must be.
//!
//! The expected figures come from the input records themselves (the generator is a pure
//! function of seed and index, so these are the same every run): per (auction, window start),
//! the bids and their highest price, windows tumbling from the epoch. The sink of an
//! `EMIT CHANGES` windowed table holds a sequence of updates per window; the last record of a
//! key is its final value, a tombstone deletes it. Two layouts are read, both written by the
//! harness's own decoding (not weir's serde): weir's, as Kafka Streams writes windowed keys
//! (the BIGINT key's 8 bytes, then the window start as 8 big-endian bytes; value
//! `{"BIDS", "MAX_PRICE"}`), and the Quix Streams peer's (the key as read; value
//! `{"start", "end", "BIDS", "MAX_PRICE"}`). It checks, it does not measure: it runs after
//! the timed phases.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use rdkafka::consumer::BaseConsumer;
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::types::RDKafkaErrorCode;
use serde::{Deserialize, Serialize};

use super::BenchResult;
use super::generator::Event;
use super::kafka;

/// One window's figures: (bids, highest price).
pub type Figures = (u64, i64);

/// A window: (auction, window start in ms).
pub type WindowKey = (i64, i64);

/// How the sink spells a window.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Layout {
    /// weir (ksqlDB): windowed key = BIGINT key bytes + window start; value `BIDS`, `MAX_PRICE`.
    Weir,
    /// Quix Streams: key = BIGINT key bytes; value `start`, `BIDS`, `MAX_PRICE`.
    Quix,
}

/// What the check found: `exact` of `windows` expected windows carry the expected figures.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WindowCheck {
    /// Windows the input makes.
    pub windows: u64,
    /// Of them, those whose final value is right.
    pub exact: u64,
    /// Of them, those whose final value is wrong, and those absent from the sink.
    pub wrong: u64,
    pub missing: u64,
    /// Windows in the sink that the input does not make.
    pub unexpected: u64,
    /// Sink records read.
    pub records: u64,
    /// The first few problems, one sentence each.
    pub examples: Vec<String>,
}

impl WindowCheck {
    /// Every expected window right and nothing else in the sink.
    pub fn passed(&self) -> bool {
        self.exact == self.windows && self.unexpected == 0 && self.windows > 0
    }

    /// "windows exact N/N", with what went wrong when it did.
    pub fn summary(&self) -> String {
        let mut text = format!("windows exact {}/{}", self.exact, self.windows);
        if !self.passed() {
            text.push_str(&format!(
                " (FAILED: {} wrong, {} missing, {} unexpected{})",
                self.wrong,
                self.missing,
                self.unexpected,
                self.examples
                    .first()
                    .map_or(String::new(), |e| format!("; e.g. {e}"))
            ));
        }
        text
    }
}

/// A BIGINT key's value from its 8 big-endian bytes.
fn bigint(bytes: &[u8]) -> Option<i64> {
    bytes.try_into().ok().map(i64::from_be_bytes)
}

/// Adds the bids among `events` to the expected figures per window of `size_ms`.
pub fn add_expected<'a>(
    windows: &mut HashMap<WindowKey, Figures>,
    events: impl IntoIterator<Item = &'a Event>,
    size_ms: i64,
) -> BenchResult<()> {
    for event in events.into_iter().filter(|e| e.topic == "bids") {
        let auction = bigint(&event.key).ok_or("a bid key is not 8 bytes")?;
        let value: serde_json::Value = serde_json::from_slice(&event.value)
            .map_err(|e| format!("a generated bid is not JSON: {e}"))?;
        let price = value["price"]
            .as_i64()
            .ok_or("a generated bid has no price")?;
        let start = event.timestamp - event.timestamp.rem_euclid(size_ms);
        let figures = windows.entry((auction, start)).or_insert((0, i64::MIN));
        figures.0 += 1;
        figures.1 = figures.1.max(price);
    }
    Ok(())
}

/// The final value per window of one sink record, `None` for a tombstone.
fn decode(
    layout: Layout,
    key: &[u8],
    value: Option<&[u8]>,
) -> BenchResult<(WindowKey, Option<Figures>)> {
    let json = value
        .map(serde_json::from_slice::<serde_json::Value>)
        .transpose()
        .map_err(|e| format!("a sink value is not JSON: {e}"))?;
    let figures = json.as_ref().map(|v| {
        (
            v["BIDS"].as_u64().unwrap_or(0),
            v["MAX_PRICE"].as_i64().unwrap_or(i64::MIN),
        )
    });
    let window = match layout {
        Layout::Weir if key.len() == 16 => (bigint(&key[..8]), bigint(&key[8..])),
        Layout::Quix => (bigint(key), json.as_ref().and_then(|v| v["start"].as_i64())),
        Layout::Weir => (None, None),
    };
    match window {
        (Some(auction), Some(start)) => Ok(((auction, start), figures)),
        _ => Err(format!(
            "a sink record's key {key:02x?} is not a window of {layout:?}"
        )),
    }
}

/// The final figures per window in `topic`, read from the beginning of every partition to
/// its end (the last stable offset under `read_committed`).
pub fn read_final(
    bootstrap: &str,
    topic: &str,
    layout: Layout,
    read_committed: bool,
) -> BenchResult<(HashMap<WindowKey, Figures>, u64)> {
    let isolation = if read_committed {
        "read_committed"
    } else {
        "read_uncommitted"
    };
    let consumer: BaseConsumer = kafka::client(bootstrap)
        .set("group.id", format!("bench-check-{topic}"))
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "true")
        .set("isolation.level", isolation)
        .create()
        .map_err(|e| format!("check consumer: {e}"))?;
    let partitions =
        rdkafka::consumer::Consumer::fetch_metadata(&consumer, Some(topic), kafka::OP_TIMEOUT)
            .map_err(|e| format!("metadata of {topic}: {e}"))?
            .topics()
            .iter()
            .map(|t| t.partitions().len())
            .sum::<usize>();
    if partitions == 0 {
        return Err(format!("the sink topic {topic} does not exist"));
    }
    kafka::assign_all(&consumer, bootstrap, topic, rdkafka::Offset::Beginning)?;
    let mut windows = HashMap::new();
    let mut at_end = BTreeMap::new();
    let mut records = 0u64;
    let deadline = Instant::now() + Duration::from_secs(300);
    while at_end.len() < partitions {
        if Instant::now() > deadline {
            return Err(format!(
                "reading {topic}: {records} records and {} of {partitions} partitions at their \
                 end in 300 s",
                at_end.len()
            ));
        }
        match consumer.poll(Duration::from_millis(200)) {
            Some(Ok(message)) => {
                records += 1;
                at_end.remove(&message.partition());
                let key = message.key().unwrap_or_default();
                match decode(layout, key, message.payload())? {
                    (window, Some(figures)) => windows.insert(window, figures),
                    (window, None) => windows.remove(&window),
                };
            }
            Some(Err(KafkaError::PartitionEOF(partition))) => {
                at_end.insert(partition, ());
            }
            Some(Err(e)) if e.rdkafka_error_code() == Some(RDKafkaErrorCode::PartitionEOF) => {}
            Some(Err(e)) => return Err(format!("reading {topic}: {e}")),
            None => {}
        }
    }
    Ok((windows, records))
}

/// Compares the final windows `found` (read from `records` sink records) with `expected`.
pub fn compare(
    expected: &HashMap<WindowKey, Figures>,
    found: &HashMap<WindowKey, Figures>,
    records: u64,
) -> WindowCheck {
    let mut check = WindowCheck {
        windows: expected.len() as u64,
        records,
        ..WindowCheck::default()
    };
    let mut examples = Vec::new();
    for (window, want) in expected {
        match found.get(window) {
            Some(got) if got == want => check.exact += 1,
            Some(got) => {
                check.wrong += 1;
                examples.push(format!(
                    "auction {} window {}: BIDS {} MAX_PRICE {}, expected {} and {}",
                    window.0, window.1, got.0, got.1, want.0, want.1
                ));
            }
            None => {
                check.missing += 1;
                examples.push(format!(
                    "auction {} window {}: missing, expected BIDS {}",
                    window.0, window.1, want.0
                ));
            }
        }
    }
    for (window, got) in found {
        if !expected.contains_key(window) {
            check.unexpected += 1;
            examples.push(format!(
                "auction {} window {}: BIDS {} not expected",
                window.0, window.1, got.0
            ));
        }
    }
    examples.sort();
    examples.truncate(5);
    check.examples = examples;
    check
}

/// Reads the sink and compares it with `expected`.
pub fn check(
    bootstrap: &str,
    topic: &str,
    layout: Layout,
    read_committed: bool,
    expected: &HashMap<WindowKey, Figures>,
) -> BenchResult<WindowCheck> {
    let (found, records) = read_final(bootstrap, topic, layout, read_committed)?;
    Ok(compare(expected, &found, records))
}
