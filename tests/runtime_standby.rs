//! Standby replicas (`standby_replicas`, `runtime/standby/`): two `exactly_once_v2` replicas
//! run a GROUP BY table over many keys; one is killed with SIGKILL and the survivor takes its
//! stateful tasks over. With `standby_replicas = 1` the survivor kept standbys of those tasks,
//! so its `weir_restored_records_total` grows by at most 1% of their changelog; with
//! `standby_replicas = 0` it restores the whole changelog of each. Either way a read_committed
//! reader then finds the exact table.
//!
//! `measure_failover_with_and_without_a_standby` (ignored; run it with `--ignored
//! --nocapture`, keys from `STANDBY_MEASURE_KEYS`, default 1,000,000) times SIGKILL → the
//! moved tasks open on the survivor, and SIGKILL → the first output of a moved task, for both
//! settings.

mod e2e;
mod harness;
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};

use e2e::replicas::{Replica, replica, tasks, wait_split};
use e2e::{Input, config, metric, produce_all, wait_ready};
use harness::Workspace;
use support::TestBroker;

const QUERY: &str = "CTAS_BALANCES";
const SINK: &str = "BALANCES";
const PARTITIONS: i32 = 4;
/// Sub-topology 0 re-keys by ACCOUNT into a repartition topic; sub-topology 1 aggregates.
const STATEFUL: &str = "1_";
const QUERIES: &str = "
CREATE STREAM EVENTS (ID BIGINT KEY, ACCOUNT STRING, AMOUNT BIGINT)
  WITH (KAFKA_TOPIC='events', VALUE_FORMAT='JSON', PARTITIONS=4);
CREATE TABLE BALANCES AS
  SELECT ACCOUNT, COUNT(*) AS EVENTS, SUM(AMOUNT) AS TOTAL
  FROM EVENTS GROUP BY ACCOUNT EMIT CHANGES;
";

/// Event `id` for `account`, of `amount`.
fn event(id: i64, account: &str, amount: i64) -> Input {
    Input {
        topic: "events".into(),
        key: id.to_be_bytes().to_vec(),
        value: Some(format!(r#"{{"ACCOUNT":"{account}","AMOUNT":{amount}}}"#).into_bytes()),
        timestamp: 1_700_000_000_000 + id,
    }
}

/// A read_committed reader of the sink that keeps the table's last value per key and notes
/// when it first saw each key, with the sink partition it came from.
struct TableReader {
    consumer: BaseConsumer,
    table: BTreeMap<String, (i64, i64)>,
    first_seen: BTreeMap<String, (Instant, i32)>,
}

impl TableReader {
    fn new(broker: &TestBroker) -> TableReader {
        let consumer: BaseConsumer = broker
            .client_config()
            .set("group.id", format!("standby-reader-{}", std::process::id()))
            .set("enable.auto.commit", "false")
            .set("isolation.level", "read_committed")
            .create()
            .expect("reader");
        let mut assignment = TopicPartitionList::new();
        for p in 0..PARTITIONS {
            assignment
                .add_partition_offset(SINK, p, Offset::Beginning)
                .expect("partition");
        }
        consumer.assign(&assignment).expect("assign");
        TableReader {
            consumer,
            table: BTreeMap::new(),
            first_seen: BTreeMap::new(),
        }
    }

    /// Reads until `done` holds, or panics after `timeout` saying `what`.
    fn read_until(&mut self, timeout: Duration, what: &str, done: impl Fn(&TableReader) -> bool) {
        let deadline = Instant::now() + timeout;
        while !done(self) {
            assert!(
                Instant::now() < deadline,
                "{what} within {timeout:?}: {} keys read",
                self.table.len()
            );
            for _ in 0..10_000 {
                let Some(Ok(message)) = self.consumer.poll(Duration::from_millis(50)) else {
                    break;
                };
                let key = String::from_utf8_lossy(message.key().unwrap_or_default()).into_owned();
                self.first_seen
                    .entry(key.clone())
                    .or_insert((Instant::now(), message.partition()));
                match message.payload() {
                    Some(value) => {
                        let json: serde_json::Value =
                            serde_json::from_slice(value).expect("JSON value");
                        let events = json["EVENTS"].as_i64().unwrap_or(-1);
                        let total = json["TOTAL"].as_i64().unwrap_or(-1);
                        self.table.insert(key, (events, total));
                    }
                    None => {
                        self.table.remove(&key);
                    }
                }
            }
        }
    }
}

/// How `got` differs from `expected`, for a failure report.
fn table_diff(
    got: &BTreeMap<String, (i64, i64)>,
    expected: &BTreeMap<String, (i64, i64)>,
) -> String {
    let missing = expected.keys().filter(|k| !got.contains_key(*k)).count();
    let extra: Vec<&String> = got
        .keys()
        .filter(|k| !expected.contains_key(*k))
        .take(10)
        .collect();
    let wrong: Vec<String> = expected
        .iter()
        .filter_map(|(k, v)| {
            let g = got.get(k)?;
            (g != v).then(|| format!("{k}: got {g:?}, expected {v:?}"))
        })
        .collect();
    format!(
        "{missing} keys missing, unexpected keys (first 10) {extra:?}, {} wrong (first 10): {:?}",
        wrong.len(),
        &wrong[..wrong.len().min(10)]
    )
}

/// The replicas' log lines about standbys, restores, rebalances and anything not INFO.
fn report_logs(replicas: &mut [Replica]) {
    for (i, r) in replicas.iter_mut().enumerate() {
        let log = r.daemon.log();
        let lines: Vec<&str> = log
            .lines()
            .filter(|l| {
                l.contains("standby")
                    || l.contains("restored")
                    || l.contains("task opened")
                    || !l.contains("\"level\":\"INFO\"")
            })
            .collect();
        eprintln!("--- replica {i} ---\n{}", lines.join("\n"));
    }
}

/// Committed records in each of `partitions` of `topic`, read to their ends.
fn changelog_records(broker: &TestBroker, topic: &str, partitions: &[i32]) -> u64 {
    let consumer: BaseConsumer = broker
        .client_config()
        .set(
            "group.id",
            format!("standby-changelog-{}", std::process::id()),
        )
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "true")
        .set("isolation.level", "read_committed")
        .create()
        .expect("changelog reader");
    let mut assignment = TopicPartitionList::new();
    for p in partitions {
        assignment
            .add_partition_offset(topic, *p, Offset::Beginning)
            .expect("partition");
    }
    consumer.assign(&assignment).expect("assign");
    let mut ended = BTreeSet::new();
    let mut records = 0;
    let deadline = Instant::now() + Duration::from_secs(120);
    while ended.len() < partitions.len() {
        assert!(Instant::now() < deadline, "{topic} read to its end");
        match consumer.poll(Duration::from_millis(200)) {
            Some(Ok(_)) => records += 1,
            Some(Err(KafkaError::PartitionEOF(p))) => {
                ended.insert(p);
            }
            _ => {}
        }
    }
    records
}

/// The changelog topic of the query's aggregate.
fn changelog_topic(broker: &TestBroker) -> String {
    let client: BaseConsumer = broker.client_config().create().expect("client");
    let metadata = client
        .fetch_metadata(None, Duration::from_secs(10))
        .expect("metadata");
    metadata
        .topics()
        .iter()
        .map(|t| t.name().to_owned())
        .find(|t| t.contains(QUERY) && t.ends_with("-changelog"))
        .expect("the aggregate's changelog topic")
}

/// What one failover did.
#[derive(Debug)]
struct Failover {
    /// Committed changelog records of the tasks that moved, when the victim was killed.
    moved_changelog: u64,
    /// `weir_restored_records_total` of the survivor: its growth through the takeover.
    restored: f64,
    /// SIGKILL → the survivor lists every task (the moved ones opened and restored).
    kill_to_owned: Duration,
    /// SIGKILL → the first output of a moved task reaches a read_committed reader.
    kill_to_first_output: Duration,
}

/// Two replicas share `keys` accounts (one event each); the first is killed once the table
/// is complete (and the survivor's standbys, if any, have applied every changelog record of
/// its tasks); then a probe event per account in `probes` and a second event for every
/// hundredth account. Returns what the takeover did once the table is exact again.
fn failover(standby_replicas: usize, keys: i64) -> Failover {
    let broker = TestBroker::start();
    let workspace = Workspace::new(
        &config(
            &broker,
            "/nonexistent-overridden",
            &format!(
                "processing_guarantee = \"exactly_once_v2\"\nstandby_replicas = {standby_replicas}"
            ),
        ),
        QUERIES,
    );
    let mut replicas: Vec<Replica> = (0..2).map(|_| replica(&workspace)).collect();
    for r in &replicas {
        wait_ready(r.addr, Duration::from_secs(60));
    }
    wait_split(&replicas, QUERY, 2 * PARTITIONS as usize);
    let first: Vec<Input> = (0..keys)
        .map(|i| event(i, &format!("a{i}"), i % 100))
        .collect();
    // In slices, each flushed: larger batches overflowed the producer's queue (QueueFull).
    first
        .chunks(10_000)
        .for_each(|slice| produce_all(&broker, slice));
    let mut reader = TableReader::new(&broker);
    let complete = keys as usize;
    reader.read_until(
        Duration::from_secs(600),
        "every account in the table",
        |r| r.table.len() >= complete,
    );

    let moved: Vec<i32> = tasks(&replicas[0], QUERY)
        .iter()
        .filter_map(|t| t.strip_prefix(STATEFUL)?.parse().ok())
        .collect();
    assert!(!moved.is_empty(), "the victim runs stateful tasks");
    let changelog = changelog_topic(&broker);
    let moved_changelog = changelog_records(&broker, &changelog, &moved);
    let survivor = &replicas[1];
    if standby_replicas > 0 {
        let deadline = Instant::now() + Duration::from_secs(300);
        while metric(survivor.addr, "weir_standby_records_applied_total", QUERY)
            < moved_changelog as f64
        {
            assert!(
                Instant::now() < deadline,
                "the survivor's standbys applied the victim's {moved_changelog} changelog records"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    let restored_before = metric(survivor.addr, "weir_restored_records_total", QUERY);

    let mut victim = replicas.remove(0);
    victim.daemon.child.kill().expect("SIGKILL");
    let killed = Instant::now();
    victim.daemon.child.wait().expect("reaped");
    let probes: Vec<Input> = (0..64)
        .map(|i| event(keys + i, &format!("probe{i}"), 1))
        .collect();
    produce_all(&broker, &probes);
    let survivor = &replicas[0];
    let deadline = Instant::now() + Duration::from_secs(300);
    while tasks(survivor, QUERY).len() < 2 * PARTITIONS as usize {
        assert!(
            Instant::now() < deadline,
            "the survivor took every task over"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let kill_to_owned = killed.elapsed();
    reader.read_until(Duration::from_secs(120), "a probe from a moved task", |r| {
        r.first_seen
            .iter()
            .any(|(k, (_, p))| k.starts_with("probe") && moved.contains(p))
    });
    let kill_to_first_output = reader
        .first_seen
        .iter()
        .filter(|(k, (_, p))| k.starts_with("probe") && moved.contains(p))
        .map(|(_, (seen, _))| seen.duration_since(killed))
        .min()
        .unwrap_or_default();

    let again: Vec<Input> = (0..keys)
        .step_by(100)
        .map(|i| event(keys + 64 + i, &format!("a{i}"), 1))
        .collect();
    again
        .chunks(10_000)
        .for_each(|slice| produce_all(&broker, slice));
    let mut expected: BTreeMap<String, (i64, i64)> =
        (0..keys).map(|i| (format!("a{i}"), (1, i % 100))).collect();
    for i in (0..keys).step_by(100) {
        expected.insert(format!("a{i}"), (2, i % 100 + 1));
    }
    for i in 0..64 {
        expected.insert(format!("probe{i}"), (1, 1));
    }
    let exact = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        reader.read_until(Duration::from_secs(300), "the exact table", |r| {
            r.table == expected
        })
    }));
    if exact.is_err() {
        report_logs(&mut replicas);
        panic!(
            "the table is not exact: {}",
            table_diff(&reader.table, &expected)
        );
    }
    let survivor = &replicas[0];
    let restored = metric(survivor.addr, "weir_restored_records_total", QUERY) - restored_before;
    let failover = Failover {
        moved_changelog,
        restored,
        kill_to_owned,
        kill_to_first_output,
    };
    eprintln!(
        "standby_replicas = {standby_replicas}, {keys} keys: {failover:?} (moved tasks: {moved:?})"
    );
    let log = replicas[0].daemon.log();
    let standby_lines: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("standby") || l.contains("store restored"))
        .collect();
    eprintln!(
        "the survivor's standby and restore log lines:\n{}",
        standby_lines.join("\n")
    );
    failover
}

/// Both scenarios one after the other: four daemons and two brokers at once are more than a
/// two-core machine runs within the timeouts.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn a_task_failing_over_to_its_standby_restores_at_most_one_percent_of_its_changelog() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let failover = failover(1, 20_000);
    assert!(
        failover.moved_changelog >= 5_000,
        "the moved tasks have a changelog worth restoring: {failover:?}"
    );
    assert!(
        failover.restored <= failover.moved_changelog as f64 / 100.0,
        "at most 1% of the moved tasks' changelog restored: {failover:?}"
    );
}

#[test]
fn without_a_standby_a_failed_over_task_restores_its_whole_changelog() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let failover = failover(0, 20_000);
    assert!(
        failover.restored >= failover.moved_changelog as f64,
        "the whole changelog of the moved tasks restored: {failover:?}"
    );
}

#[test]
#[ignore = "a measurement: minutes per run; cargo test --test runtime_standby -- --ignored --nocapture"]
fn measure_failover_with_and_without_a_standby() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let keys = std::env::var("STANDBY_MEASURE_KEYS")
        .ok()
        .and_then(|k| k.parse().ok())
        .unwrap_or(1_000_000);
    let with = failover(1, keys);
    let without = failover(0, keys);
    eprintln!(
        "MEASURED {keys} keys, 2 replicas, exactly_once_v2, 4 partitions:\n  \
         with a standby:    kill -9 -> moved tasks open {:?}, -> first output {:?}; restored {} of {} changelog records\n  \
         without a standby: kill -9 -> moved tasks open {:?}, -> first output {:?}; restored {} of {} changelog records",
        with.kill_to_owned,
        with.kill_to_first_output,
        with.restored,
        with.moved_changelog,
        without.kill_to_owned,
        without.kill_to_first_output,
        without.restored,
        without.moved_changelog,
    );
}

/// Three replicas, each keeping a standby of every task it does not run
/// (`standby_replicas = 2`): one is killed while the table is being built, with a transaction
/// open. The survivors take over its tasks (and trade some of their own, as the range assignor
/// moves them), and all they restore together is at most 1% of the changelog: every task
/// that moved had a warm standby. The table a read_committed reader sees is exact.
#[test]
fn a_kill_mid_stream_with_a_standby_everywhere_restores_almost_nothing_and_stays_exact() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let broker = TestBroker::start();
    let workspace = Workspace::new(
        &config(
            &broker,
            "/nonexistent-overridden",
            "processing_guarantee = \"exactly_once_v2\"\nstandby_replicas = 2",
        ),
        QUERIES,
    );
    let mut replicas: Vec<Replica> = (0..3).map(|_| replica(&workspace)).collect();
    for r in &replicas {
        wait_ready(r.addr, Duration::from_secs(60));
    }
    wait_split(&replicas, QUERY, 2 * PARTITIONS as usize);
    let keys: i64 = 20_000;
    let events: Vec<Input> = (0..keys)
        .map(|i| event(i, &format!("a{i}"), i % 100))
        .collect();
    let (first, second) = events.split_at(keys as usize / 2);
    first
        .chunks(10_000)
        .for_each(|slice| produce_all(&broker, slice));
    let mut reader = TableReader::new(&broker);
    reader.read_until(Duration::from_secs(120), "a quarter of the table", |r| {
        r.table.len() >= keys as usize / 4
    });
    let restored = |replicas: &[Replica]| -> f64 {
        replicas
            .iter()
            .map(|r| metric(r.addr, "weir_restored_records_total", QUERY))
            .sum()
    };
    let mut victim = replicas.remove(0);
    let restored_before = restored(&replicas);
    victim.daemon.child.kill().expect("SIGKILL");
    victim.daemon.child.wait().expect("reaped");
    // New accounts, and a second event for every 50th account of the first half: their
    // counts come out right only from the state the killed replica's tasks had.
    let updates: Vec<Input> = (0..keys / 2)
        .step_by(50)
        .map(|i| event(keys + i, &format!("a{i}"), 1))
        .collect();
    second
        .iter()
        .chain(&updates)
        .cloned()
        .collect::<Vec<_>>()
        .chunks(10_000)
        .for_each(|slice| produce_all(&broker, slice));
    let mut expected: BTreeMap<String, (i64, i64)> =
        (0..keys).map(|i| (format!("a{i}"), (1, i % 100))).collect();
    for i in (0..keys / 2).step_by(50) {
        expected.insert(format!("a{i}"), (2, i % 100 + 1));
    }
    let exact = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        reader.read_until(Duration::from_secs(300), "the exact table", |r| {
            r.table == expected
        })
    }));
    if exact.is_err() {
        report_logs(&mut replicas);
        panic!(
            "the table is not exact: {}",
            table_diff(&reader.table, &expected)
        );
    }
    wait_split(&replicas, QUERY, 2 * PARTITIONS as usize);
    let changelog = changelog_records(
        &broker,
        &changelog_topic(&broker),
        &(0..PARTITIONS).collect::<Vec<_>>(),
    );
    let restored = restored(&replicas) - restored_before;
    eprintln!(
        "3 replicas, standby_replicas = 2, kill mid-stream: restored {restored} of {changelog} changelog records"
    );
    assert!(
        restored <= changelog as f64 / 100.0,
        "at most 1% of the changelog restored: {restored} of {changelog}"
    );
}
