//! Stateful queries through `weir run` against the test broker: a GROUP BY that repartitions,
//! a tumbling-window aggregation and a stream-table join end with the tables (and the join
//! output) the in-memory driver computes for the same input; a restart with a valid
//! checkpoint restores only the changelog tail.

mod e2e;
mod harness;
mod support;

use std::time::{Duration, Instant};

use e2e::{
    Input, config, driver_output, final_table, metric, produce_all, read_until, sorted, start,
};
use harness::Workspace;
use support::TestBroker;

const QUERIES: &str = "
CREATE STREAM ORDERS (ID BIGINT KEY, CUSTOMER_ID STRING, AMOUNT BIGINT)
  WITH (KAFKA_TOPIC='orders', VALUE_FORMAT='JSON', PARTITIONS=3);
CREATE TABLE CUSTOMERS (CUSTOMER_ID STRING PRIMARY KEY, NAME STRING)
  WITH (KAFKA_TOPIC='customers', VALUE_FORMAT='JSON', PARTITIONS=3);
CREATE TABLE REVENUE AS
  SELECT CUSTOMER_ID, COUNT(*) AS ORDERS, SUM(AMOUNT) AS TOTAL
  FROM ORDERS GROUP BY CUSTOMER_ID EMIT CHANGES;
CREATE TABLE PER_MINUTE AS
  SELECT CUSTOMER_ID, COUNT(*) AS ORDERS
  FROM ORDERS WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY CUSTOMER_ID EMIT CHANGES;
CREATE STREAM ENRICHED AS
  SELECT O.CUSTOMER_ID AS CUSTOMER_ID, O.ID AS ID, O.AMOUNT AS AMOUNT, C.NAME AS NAME
  FROM ORDERS O JOIN CUSTOMERS C ON O.CUSTOMER_ID = C.CUSTOMER_ID EMIT CHANGES;
";

const BASE: i64 = 1_700_000_000_000;

fn customers() -> Vec<Input> {
    (0..7)
        .map(|c| Input {
            topic: "customers".into(),
            key: format!("c{c}").into_bytes(),
            value: Some(format!(r#"{{"NAME":"customer {c}"}}"#).into_bytes()),
            timestamp: BASE,
        })
        .collect()
}

fn orders(from: i64, count: i64) -> Vec<Input> {
    (from..from + count)
        .map(|i| Input {
            topic: "orders".into(),
            key: i.to_be_bytes().to_vec(),
            value: Some(
                format!(
                    r#"{{"CUSTOMER_ID":"c{}","AMOUNT":{}}}"#,
                    (i * 5) % 8,
                    i % 100
                )
                .into_bytes(),
            ),
            // Three seconds apart: the minute windows fill and close along the way.
            timestamp: BASE + 1_000 + i * 3_000,
        })
        .collect()
}

/// Waits until `query` has consumed `n` records of `topic`.
fn wait_consumed(addr: std::net::SocketAddr, query: &str, topic: &str, n: f64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let labels = format!("query=\"{query}\",topic=\"{topic}\"");
    while metric(addr, "weir_records_consumed_total", &labels) < n {
        assert!(
            Instant::now() < deadline,
            "{query} did not consume {n} records of {topic}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn aggregations_and_a_join_end_where_the_driver_ends() {
    let broker = TestBroker::start();
    let state = tempfile::tempdir().expect("state dir");
    let workspace = Workspace::new(
        &config(&broker, &state.path().display().to_string(), ""),
        QUERIES,
    );
    let (_daemon, addr) = start(&workspace);

    // The table first, so every order finds its customer (as it does in the driver).
    let customers = customers();
    produce_all(&broker, &customers);
    wait_consumed(addr, "CSAS_ENRICHED", "customers", customers.len() as f64);
    let orders = orders(0, 90);
    produce_all(&broker, &orders);

    let inputs: Vec<Input> = customers.into_iter().chain(orders).collect();
    for table in ["REVENUE", "PER_MINUTE"] {
        let expected = final_table(&driver_output(QUERIES, &inputs, 3, table));
        assert!(expected.len() > 5, "{table}: a meaningful expectation");
        read_until(&broker, table, false, Duration::from_secs(60), |got| {
            final_table(got) == expected
        });
    }
    let expected = driver_output(QUERIES, &inputs, 3, "ENRICHED");
    let got = read_until(&broker, "ENRICHED", false, Duration::from_secs(60), |got| {
        got.len() >= expected.len()
    });
    assert_eq!(sorted(&got), sorted(&expected));

    // The stores' size shows in the metrics (measured every few seconds).
    let deadline = Instant::now() + Duration::from_secs(30);
    while metric(addr, "weir_state_store_bytes", "CTAS_REVENUE") <= 0.0 {
        assert!(Instant::now() < deadline, "no state store size reported");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Runs REVENUE over 60 orders, stops cleanly, lets `between` touch the state directory,
/// restarts, and returns the changelog records the restart restored; then checks 30 more
/// orders end where the driver ends.
fn restart_after(between: impl FnOnce(&std::path::Path)) -> f64 {
    let broker = TestBroker::start();
    let state = tempfile::tempdir().expect("state dir");
    let workspace = Workspace::new(
        &config(&broker, &state.path().display().to_string(), ""),
        QUERIES,
    );
    let (mut daemon, addr) = start(&workspace);
    let first = orders(0, 60);
    produce_all(&broker, &first);
    wait_consumed(addr, "CTAS_REVENUE", "orders", 60.0);
    let expected = final_table(&driver_output(QUERIES, &first, 3, "REVENUE"));
    read_until(&broker, "REVENUE", false, Duration::from_secs(60), |got| {
        final_table(got) == expected
    });
    daemon.signal("TERM");
    let status = daemon.wait_exit(Duration::from_secs(30)).expect("stops");
    assert_eq!(status.code(), Some(0));

    between(state.path());
    let (_daemon, addr) = start(&workspace);
    let restored = metric(addr, "weir_restored_records_total", "CTAS_REVENUE");
    let second = orders(60, 30);
    produce_all(&broker, &second);
    let all: Vec<Input> = first.into_iter().chain(second).collect();
    let expected = final_table(&driver_output(QUERIES, &all, 3, "REVENUE"));
    read_until(&broker, "REVENUE", false, Duration::from_secs(60), |got| {
        final_table(got) == expected
    });
    restored
}

#[test]
fn a_restart_with_a_valid_checkpoint_restores_only_the_changelog_tail() {
    // The changelogs hold records, but the checkpoints say the local stores have them all.
    let restored = restart_after(|_| {});
    assert_eq!(restored, 0.0, "nothing to restore after a clean stop");
}

#[test]
fn lost_state_is_restored_from_the_changelog() {
    // A new disk: everything comes back from the changelog topics, which hold at least the
    // latest value of every group and at most one record per order (the record cache
    // coalesces updates between commits).
    let restored = restart_after(|state| std::fs::remove_dir_all(state).expect("wipe state"));
    let groups = final_table(&driver_output(QUERIES, &orders(0, 60), 3, "REVENUE")).len();
    assert!(
        (groups as f64..=60.0).contains(&restored),
        "restored {restored} changelog records, expected {groups} to 60"
    );
}

/// The same aggregations twice in one file: the first pair with the record cache (the
/// config's default, 10 MB), the second after `SET 'cache.max.bytes.buffering'='0'`.
const CACHED_AND_NOT: &str = "
CREATE STREAM ORDERS (ID BIGINT KEY, CUSTOMER_ID STRING, AMOUNT BIGINT)
  WITH (KAFKA_TOPIC='orders', VALUE_FORMAT='JSON', PARTITIONS=3);
CREATE TABLE CACHED AS
  SELECT CUSTOMER_ID, COUNT(*) AS ORDERS, SUM(AMOUNT) AS TOTAL
  FROM ORDERS GROUP BY CUSTOMER_ID EMIT CHANGES;
CREATE TABLE CACHED_PER_MINUTE AS
  SELECT CUSTOMER_ID, COUNT(*) AS ORDERS
  FROM ORDERS WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY CUSTOMER_ID EMIT CHANGES;
SET 'cache.max.bytes.buffering'='0';
CREATE TABLE UNCACHED AS
  SELECT CUSTOMER_ID, COUNT(*) AS ORDERS, SUM(AMOUNT) AS TOTAL
  FROM ORDERS GROUP BY CUSTOMER_ID EMIT CHANGES;
CREATE TABLE UNCACHED_PER_MINUTE AS
  SELECT CUSTOMER_ID, COUNT(*) AS ORDERS
  FROM ORDERS WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY CUSTOMER_ID EMIT CHANGES;
";

#[test]
fn the_record_cache_emits_fewer_updates_with_the_same_final_values() {
    let broker = TestBroker::start();
    let state = tempfile::tempdir().expect("state dir");
    let workspace = Workspace::new(
        &config(&broker, &state.path().display().to_string(), ""),
        CACHED_AND_NOT,
    );
    let (_daemon, _addr) = start(&workspace);
    let orders = orders(0, 600);
    produce_all(&broker, &orders);

    for (cached, uncached) in [
        ("CACHED", "UNCACHED"),
        ("CACHED_PER_MINUTE", "UNCACHED_PER_MINUTE"),
    ] {
        // The driver runs without a cache: its final table is what both must end with.
        let expected = final_table(&driver_output(CACHED_AND_NOT, &orders, 3, uncached));
        assert!(expected.len() > 5, "{uncached}: a meaningful expectation");
        let every_update = driver_output(CACHED_AND_NOT, &orders, 3, uncached).len();
        let without = read_until(&broker, uncached, false, Duration::from_secs(60), |got| {
            got.len() >= every_update && final_table(got) == expected
        });
        assert_eq!(
            without.len(),
            every_update,
            "{uncached}: one output per update"
        );
        let with = read_until(&broker, cached, false, Duration::from_secs(60), |got| {
            final_table(got) == expected
        });
        assert!(
            with.len() < without.len(),
            "{cached}: {} outputs with the cache, {} without",
            with.len(),
            without.len()
        );
    }
}
