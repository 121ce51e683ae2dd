//! Metrics of real `weir run` processes against the test broker.
//!
//! Lag across a rebalance: two replicas share a query while input flows, a third joins; once
//! input stops and the group's committed lag (read independently, committed offsets against
//! end offsets) is steady, every input partition's `weir_consumer_lag_records` series is on
//! exactly one replica, with the group's lag for that partition, so their sum is the group's
//! lag. The commit interval is long (40 s), so the records read after the rebalance's commit
//! stay uncommitted and the lag compared is not zero. Late drops and aborted transactions: a record for a closed window counts in
//! `weir_late_records_dropped_total`, and a record that fails under the `fail` policy aborts
//! its transaction and counts in `weir_transactions_aborted_total`.

mod e2e;
mod harness;
mod support;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use e2e::replicas::{Replica, replica, wait_split};
use e2e::{Input, config, metric, produce_all, produce_all_to, start, wait_ready};
use harness::{Workspace, http_get};
use support::TestBroker;

const PARTITIONS: i32 = 6;
const QUERY: &str = "CSAS_BIG_ORDERS";
const GROUP: &str = "_weir-metrics-CSAS_BIG_ORDERS";
const QUERIES: &str = "
CREATE STREAM ORDERS (ID BIGINT KEY, AMOUNT BIGINT)
  WITH (KAFKA_TOPIC='orders', VALUE_FORMAT='JSON', PARTITIONS=6);
CREATE STREAM BIG_ORDERS AS SELECT ID, AMOUNT FROM ORDERS WHERE AMOUNT >= 50 EMIT CHANGES;
";

/// Brokers and replicas of both tests at once are more than a two-core machine runs in time.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn orders(from: i64, count: i64) -> Vec<Input> {
    (from..from + count)
        .map(|i| Input {
            topic: "orders".into(),
            key: i.to_be_bytes().to_vec(),
            value: Some(format!(r#"{{"AMOUNT":{}}}"#, i % 100).into_bytes()),
            timestamp: 1_700_000_000_000 + i,
        })
        .collect()
}

/// The labels and value of every series of `name` in a `/metrics` text.
fn series(text: &str, name: &str) -> Vec<(BTreeMap<String, String>, f64)> {
    let prefix = format!("{name}{{");
    text.lines()
        .filter_map(|line| {
            let rest = line.strip_prefix(&prefix)?;
            let (labels, value) = rest.rsplit_once("} ")?;
            let labels = labels
                .split("\",")
                .filter_map(|pair| {
                    let (key, value) = pair.split_once("=\"")?;
                    Some((key.to_owned(), value.trim_end_matches('"').to_owned()))
                })
                .collect();
            Some((labels, value.parse().ok()?))
        })
        .collect()
}

/// Partition → lag of each `weir_consumer_lag_records` series of [`QUERY`] on `replica`.
fn exported_lag(replica: &Replica) -> BTreeMap<i32, f64> {
    let (_, text) = http_get(replica.addr, "/metrics");
    series(&text, "weir_consumer_lag_records")
        .into_iter()
        .filter(|(labels, _)| labels.get("query").map(String::as_str) == Some(QUERY))
        .filter_map(|(labels, value)| Some((labels.get("partition")?.parse().ok()?, value)))
        .collect()
}

/// Whether the replicas' lag series cover each partition once, each with the group's lag.
fn check_lag(group: &[i64], exported: &[BTreeMap<i32, f64>]) -> Result<(), String> {
    for (partition, lag) in (0..PARTITIONS).zip(group) {
        let owners: Vec<(usize, f64)> = exported
            .iter()
            .enumerate()
            .filter_map(|(i, series)| Some((i, *series.get(&partition)?)))
            .collect();
        match owners.as_slice() {
            [(_, value)] if *value == *lag as f64 => {}
            _ => {
                return Err(format!(
                    "partition {partition}: group lag {lag}, exported by (replica, lag) {owners:?}"
                ));
            }
        }
    }
    let total: f64 = exported.iter().flat_map(|s| s.values()).sum();
    let expected: i64 = group.iter().sum();
    if total != expected as f64 {
        return Err(format!("sum of exported lag {total}, group lag {expected}"));
    }
    Ok(())
}

#[test]
fn after_a_rebalance_each_partition_lag_is_on_one_replica_and_sums_to_the_group_lag() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let broker = TestBroker::start();
    let base = config(
        &broker,
        "/nonexistent-overridden",
        "service_id = \"metrics\"",
    );
    let interval = "commit_interval = \"200ms\"\n";
    assert!(base.contains(interval), "e2e::config changed: {base}");
    let base = base.replace(interval, "commit_interval = \"40s\"\n");
    let stats = "\"heartbeat.interval.ms\" = \"1000\"\n";
    assert!(base.contains(stats), "e2e::config changed: {base}");
    let text = base.replace(
        stats,
        &format!("{stats}\"statistics.interval.ms\" = \"500\"\n"),
    );
    let workspace = Workspace::new(&text, QUERIES);
    let mut replicas: Vec<Replica> = (0..2).map(|_| replica(&workspace)).collect();
    for r in &replicas {
        wait_ready(r.addr, Duration::from_secs(60));
    }
    wait_split(&replicas, QUERY, PARTITIONS as usize);

    let flowing = AtomicBool::new(true);
    std::thread::scope(|scope| {
        let bootstrap = broker.bootstrap().to_owned();
        let flowing = &flowing;
        let producer = scope.spawn(move || {
            let mut next = 0;
            while flowing.load(Ordering::Relaxed) {
                produce_all_to(&bootstrap, &orders(next, 60));
                next += 60;
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        wait_metric(&replicas, "weir_records_consumed_total", 100.0);
        replicas.push(replica(&workspace));
        wait_split(&replicas, QUERY, PARTITIONS as usize);
        wait_metric(&replicas[2..], "weir_records_consumed_total", 1.0);
        flowing.store(false, Ordering::Relaxed);
        producer.join().expect("producer thread");
    });

    let deadline = Instant::now() + Duration::from_secs(60);
    let mut previous: Option<Vec<i64>> = None;
    loop {
        let group = broker.group_lag(GROUP, "orders", PARTITIONS, "read_uncommitted");
        let exported: Vec<BTreeMap<i32, f64>> = replicas.iter().map(exported_lag).collect();
        let steady = previous.as_ref() == Some(&group);
        let checked = check_lag(&group, &exported);
        if steady && checked.is_ok() {
            // Uncommitted records since the rebalance: the sums compared are not 0 = 0.
            assert!(
                group.iter().sum::<i64>() > 0,
                "the group committed everything before the lag was compared: {group:?}"
            );
            eprintln!("lag agreed: group {group:?}, exported by replica {exported:?}");
            break;
        }
        if Instant::now() > deadline {
            for (i, r) in replicas.iter_mut().enumerate() {
                eprintln!("--- replica {i} log ---\n{}", r.daemon.log());
            }
            panic!("lag never agreed: group {group:?}, steady {steady}, {checked:?}");
        }
        previous = Some(group);
        std::thread::sleep(Duration::from_millis(500));
    }
    // The first two replicas gave partitions up when the third joined.
    for r in &replicas[..2] {
        let revoked = metric(r.addr, "weir_rebalances_total", "kind=\"revoked\"");
        let assigned = metric(r.addr, "weir_rebalances_total", "kind=\"assigned\"");
        assert!(revoked >= 1.0 && assigned >= 2.0, "{revoked} {assigned}");
    }
}

/// Waits until the sum of `name` over `replicas` reaches `at_least`.
fn wait_metric(replicas: &[Replica], name: &str, at_least: f64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let total: f64 = replicas.iter().map(|r| metric(r.addr, name, QUERY)).sum();
        if total >= at_least {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{name} stayed at {total}, below {at_least}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

const LATE_AND_FAILING: &str = "
CREATE STREAM CLICKS (USER_ID STRING KEY, N BIGINT)
  WITH (KAFKA_TOPIC='clicks', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE CLICKS_PER_MINUTE AS
  SELECT USER_ID, COUNT(*) AS C FROM CLICKS
  WINDOW TUMBLING (SIZE 1 MINUTE, GRACE PERIOD 0 SECONDS)
  GROUP BY USER_ID EMIT CHANGES;
CREATE STREAM PAYMENTS (ID BIGINT KEY, AMOUNT BIGINT)
  WITH (KAFKA_TOPIC='payments', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM BIG_PAYMENTS AS SELECT ID, AMOUNT FROM PAYMENTS WHERE AMOUNT > 10 EMIT CHANGES;
";

#[test]
fn late_records_and_aborted_transactions_are_counted() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let broker = TestBroker::start();
    let state = tempfile::tempdir().expect("state dir");
    let text = config(
        &broker,
        &state.path().display().to_string(),
        "processing_guarantee = \"exactly_once_v2\"",
    ) + "[errors]\non_deserialization = \"fail\"\n";
    let workspace = Workspace::new(&text, LATE_AND_FAILING);
    let (mut daemon, addr) = start(&workspace);

    let base = 1_700_000_040_000_i64;
    let click = |offset_ms: i64| Input {
        topic: "clicks".into(),
        key: b"u1".to_vec(),
        value: Some(br#"{"N":1}"#.to_vec()),
        timestamp: base + offset_ms,
    };
    // The third falls in the first window, closed by the second (grace 0): dropped.
    produce_all(&broker, &[click(0), click(5 * 60_000), click(1_000)]);
    let payment = |value: &[u8]| Input {
        topic: "payments".into(),
        key: 1_i64.to_be_bytes().to_vec(),
        value: Some(value.to_vec()),
        timestamp: base,
    };
    // The first opens a transaction; the second fails under the `fail` policy, which aborts it.
    produce_all(
        &broker,
        &[payment(br#"{"AMOUNT":20}"#), payment(b"not json")],
    );

    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let late = metric(
            addr,
            "weir_late_records_dropped_total",
            "CTAS_CLICKS_PER_MINUTE",
        );
        let aborted = metric(addr, "weir_transactions_aborted_total", "CSAS_BIG_PAYMENTS");
        if late == 1.0 && aborted >= 1.0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "late drops {late} (want 1), aborts {aborted} (want >= 1)\n{}",
            daemon.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // The windowed query committed its transactions and aborted none.
    let clean = metric(
        addr,
        "weir_transactions_aborted_total",
        "CTAS_CLICKS_PER_MINUTE",
    );
    assert_eq!(clean, 0.0);
}
