//! The demo's data and its window on the results: a generator thread that registers a few
//! users and then produces a pageview every 100 ms (event time = now), and a printer thread
//! that reads the sink topics from the beginning and prints each record as it arrives.

use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use tokio::sync::watch;

use super::CommandError;
use super::output::outln;

const USERS: usize = 9;
const REGIONS: usize = 4;
const PAGES: usize = 30;

/// A demo thread's failure, on stderr; a closed stderr leaves nowhere to tell, and is no
/// reason to panic.
fn report(thread: &str, error: impl std::fmt::Display) {
    let _ = writeln!(std::io::stderr(), "demo {thread}: {error}");
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Produces users, then pageviews until `stop` is set.
pub fn generate(bootstrap: &str, stop: Arc<AtomicBool>) -> JoinHandle<()> {
    let bootstrap = bootstrap.to_owned();
    std::thread::spawn(move || {
        let producer: BaseProducer = match ClientConfig::new()
            .set("bootstrap.servers", &bootstrap)
            .set("partitioner", "murmur2_random")
            .set("linger.ms", "5")
            .create()
        {
            Ok(producer) => producer,
            Err(error) => return report("generator", error),
        };
        let send = |topic: &str, key: &str, value: String| {
            let record = BaseRecord::<str, str>::to(topic).key(key).payload(&value);
            if let Err((error, _)) = producer.send(record) {
                report("generator", error);
            }
        };
        for user in 1..=USERS {
            let gender = if user % 2 == 0 { "FEMALE" } else { "MALE" };
            send(
                "users",
                &format!("User_{user}"),
                format!(
                    r#"{{"REGISTERTIME":{},"GENDER":"{gender}","REGIONID":"Region_{}"}}"#,
                    now_ms(),
                    user % REGIONS + 1
                ),
            );
        }
        let mut n: usize = 0;
        while !stop.load(Ordering::Relaxed) {
            n += 1;
            // A cheap deterministic spread over users and pages; every tenth page is "Ad_…",
            // which CONTENT_VIEWS filters out.
            let user = (n * 7) % USERS + 1;
            let page = (n * 13) % PAGES;
            let page = if n.is_multiple_of(10) {
                format!("Ad_{page}")
            } else {
                format!("Page_{page}")
            };
            send(
                "pageviews",
                &format!("User_{user}"),
                format!(r#"{{"VIEWTIME":{},"PAGEID":"{page}"}}"#, now_ms()),
            );
            producer.poll(Duration::ZERO);
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = producer.flush(Duration::from_secs(5));
    })
}

/// Prints every record of `sinks` (name, windowed key) as `[SINK] key → value` until `stop`
/// is set, or until stdout's reader has gone, which it then sends on `reader_gone`.
pub fn print(
    bootstrap: &str,
    sinks: &[(&str, bool)],
    stop: Arc<AtomicBool>,
    reader_gone: watch::Sender<bool>,
) -> JoinHandle<()> {
    let bootstrap = bootstrap.to_owned();
    let windowed: Vec<String> = sinks
        .iter()
        .filter(|s| s.1)
        .map(|s| s.0.to_owned())
        .collect();
    let sinks: Vec<String> = sinks.iter().map(|s| s.0.to_string()).collect();
    std::thread::spawn(move || {
        let consumer: BaseConsumer = match ClientConfig::new()
            .set("bootstrap.servers", &bootstrap)
            .set("group.id", "weir-demo-printer")
            .set("enable.auto.commit", "false")
            .create()
        {
            Ok(consumer) => consumer,
            Err(error) => return report("printer", error),
        };
        let mut assignment = TopicPartitionList::new();
        for sink in &sinks {
            let partitions = consumer
                .fetch_metadata(Some(sink), Duration::from_secs(5))
                .ok()
                .and_then(|m| m.topics().first().map(|t| t.partitions().len()))
                .unwrap_or(0);
            for p in 0..partitions as i32 {
                let _ = assignment.add_partition_offset(sink, p, Offset::Beginning);
            }
        }
        if let Err(error) = consumer.assign(&assignment) {
            return report("printer", error);
        }
        while !stop.load(Ordering::Relaxed) {
            if let Some(Ok(message)) = consumer.poll(Duration::from_millis(200)) {
                let key = if windowed.iter().any(|w| w == message.topic()) {
                    render_windowed(message.key())
                } else {
                    render(message.key())
                };
                let printed = outln!(
                    "[{}] {key} → {}",
                    message.topic(),
                    render(message.payload())
                );
                match printed {
                    Ok(()) => {}
                    Err(CommandError::StdoutClosed) => {
                        reader_gone.send_replace(true);
                        return;
                    }
                    Err(error) => return report("printer", error),
                }
            }
        }
    })
}

/// A windowed KAFKA-format key: the key, then its window start (8 bytes, epoch ms).
fn render_windowed(bytes: Option<&[u8]>) -> String {
    match bytes {
        Some(b) if b.len() >= 8 => {
            let (key, start) = b.split_at(b.len() - 8);
            let start = start.try_into().map(i64::from_be_bytes).unwrap_or_default();
            let at = chrono::DateTime::from_timestamp_millis(start)
                .map_or(start.to_string(), |t| t.format("%H:%M:%S").to_string());
            format!("{} [window from {at} UTC]", render(Some(key)))
        }
        other => render(other),
    }
}

/// Bytes for a terminal: text as is, other bytes as `\xNN` (windowed keys end in binary).
fn render(bytes: Option<&[u8]>) -> String {
    let Some(bytes) = bytes else {
        return "<null>".into();
    };
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c.is_control() {
                out.push_str(&format!("\\x{:02x}", c as u32));
            } else {
                out.push(c);
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn binary_bytes_are_escaped() {
        assert_eq!(
            render(Some(b"Region_1\x00\x01\xff")),
            "Region_1\\x00\\x01\\xff"
        );
        assert_eq!(render(None), "<null>");
        let mut key = b"Region_1".to_vec();
        key.extend_from_slice(&60_000i64.to_be_bytes());
        assert_eq!(
            super::render_windowed(Some(&key)),
            "Region_1 [window from 00:01:00 UTC]"
        );
    }
}
