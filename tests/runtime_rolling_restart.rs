//! A rolling restart under static membership (issue 16, item 3: "Rolling restart (SIGTERM one
//! replica at a time, exactly once): 0 records restored, 0 duplicated"). Three `weir run`
//! replicas with `static_membership = true` under exactly_once_v2 run a table aggregation over
//! a 6-partition stream and a copy of that stream. Input arrives before and between the
//! restarts. Each replica in turn is stopped with SIGTERM, exits 0 having written a checkpoint
//! for each stateful task it owned, and is started again on its own state directory within the
//! group's session timeout. It gets the same tasks back while the other replicas see no
//! revocation, and no process ever restores a changelog record
//! (`weir_restored_records_total` stays 0). A read_committed reader then finds every input
//! exactly once in the copy and the driver's totals in the table.
//!
//! A second process started on a running replica's state directory joins with the same
//! `group.instance.id`s and fences it: the fenced stream thread fails, saying why, instead of
//! polling on without partitions.

mod e2e;
mod harness;
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use e2e::replicas::{Replica, replica, restart, tasks, wait_split};
use e2e::{
    Input, Output, config, driver_output, final_table, metric, produce_all, read_until, sorted,
    wait_ready,
};
use harness::{Daemon, Workspace};
use support::TestBroker;

const QUERIES: &str = "
CREATE STREAM ORDERS (ID BIGINT KEY, CUSTOMER_ID STRING, AMOUNT BIGINT)
  WITH (KAFKA_TOPIC='orders', VALUE_FORMAT='JSON', PARTITIONS=6);
CREATE TABLE REVENUE AS
  SELECT CUSTOMER_ID, COUNT(*) AS ORDERS, SUM(AMOUNT) AS TOTAL
  FROM ORDERS GROUP BY CUSTOMER_ID EMIT CHANGES;
CREATE STREAM ORDERS_COPY AS SELECT ID, CUSTOMER_ID, AMOUNT FROM ORDERS EMIT CHANGES;
";
const REVENUE: &str = "CTAS_REVENUE";
const COPY: &str = "CSAS_ORDERS_COPY";
/// REVENUE's application id (default service id `weir`): its state directory's name.
const REVENUE_APP_ID: &str = "_weir-weir-CTAS_REVENUE";
/// 6 input partitions: REVENUE's two sub-topologies make 12 tasks, the copy 6.
const REVENUE_TASKS: usize = 12;
const COPY_TASKS: usize = 6;
/// Long enough for a stopped replica to start again and rejoin before the group gives its
/// partitions to the others.
const SESSION_TIMEOUT_MS: u32 = 15_000;

/// Orders `from..from + count`: unique ids, 13 customers, amounts `id % 100`.
fn orders(from: i64, count: i64) -> Vec<Input> {
    (from..from + count)
        .map(|i| Input {
            topic: "orders".into(),
            key: i.to_be_bytes().to_vec(),
            value: Some(
                format!(
                    r#"{{"CUSTOMER_ID":"c{}","AMOUNT":{}}}"#,
                    (i * 7) % 13,
                    i % 100
                )
                .into_bytes(),
            ),
            timestamp: 1_700_000_000_000 + i,
        })
        .collect()
}

/// Customer → (orders, total) from REVENUE's final state.
fn revenue(records: &Output) -> BTreeMap<String, (i64, i64)> {
    final_table(records)
        .into_iter()
        .map(|(key, value)| {
            let json: serde_json::Value = serde_json::from_slice(&value).expect("JSON value");
            let orders = json["ORDERS"].as_i64().unwrap_or(-1);
            let total = json["TOTAL"].as_i64().unwrap_or(-1);
            (String::from_utf8_lossy(&key).into_owned(), (orders, total))
        })
        .collect()
}

/// Changelog records the replica's process has restored, over every query and store.
fn restored(replica: &Replica) -> f64 {
    metric(replica.addr, "weir_restored_records_total", "")
}

/// Revocations the replica's stream threads have been served, over every query.
fn revoked(replica: &Replica) -> f64 {
    // A counter never incremented has no series; an empty sum is -0.0.
    metric(replica.addr, "weir_rebalances_total", "kind=\"revoked\"") + 0.0
}

/// The replica's tasks of every query, as `<query>/<task>`, sorted.
fn owned(replica: &Replica) -> BTreeSet<String> {
    [REVENUE, COPY]
        .iter()
        .flat_map(|q| {
            tasks(replica, q)
                .into_iter()
                .map(move |t| format!("{q}/{t}"))
        })
        .collect()
}

fn wait_all_split(replicas: &[Replica]) {
    wait_split(replicas, REVENUE, REVENUE_TASKS);
    wait_split(replicas, COPY, COPY_TASKS);
}

/// REVENUE's aggregation tasks (sub-topology 1, the one with the store) among `owned` whose
/// directory in `replica`'s state holds no checkpoint.
fn without_checkpoint(replica: &Replica, owned: &BTreeSet<String>) -> Vec<String> {
    owned
        .iter()
        .filter_map(|t| t.strip_prefix(&format!("{REVENUE}/")))
        .filter(|task| task.starts_with("1_"))
        .filter(|task| {
            let file = replica
                .state_dir()
                .join(REVENUE_APP_ID)
                .join(task)
                .join(".checkpoint");
            !file.is_file()
        })
        .map(str::to_owned)
        .collect()
}

/// The tests run one after the other: two brokers and four daemons at once are more than a
/// two-core CI machine runs within the timeouts.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn a_rolling_restart_under_static_membership_restores_nothing_and_duplicates_nothing() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let started = Instant::now();
    let broker = TestBroker::start();
    let base = config(
        &broker,
        "/nonexistent-overridden",
        "processing_guarantee = \"exactly_once_v2\"\nstatic_membership = true",
    );
    let settings = base.replace(
        "\"session.timeout.ms\" = \"6000\"",
        &format!("\"session.timeout.ms\" = \"{SESSION_TIMEOUT_MS}\""),
    );
    assert_ne!(settings, base, "the session timeout is raised");
    let workspace = Workspace::new(&settings, QUERIES);
    let mut replicas: Vec<Replica> = (0..3).map(|_| replica(&workspace)).collect();
    for r in &replicas {
        wait_ready(r.addr, Duration::from_secs(60));
    }
    wait_all_split(&replicas);

    // State in every store before the first restart: the first batch fully counted.
    let mut all = orders(0, 300);
    produce_all(&broker, &all);
    let expected = revenue(&driver_output(QUERIES, &all, 6, "REVENUE"));
    read_until(&broker, "REVENUE", true, Duration::from_secs(60), |got| {
        revenue(got) == expected
    });

    let mut cycles = Vec::new();
    for i in 0..replicas.len() {
        let batch = orders(all.len() as i64, 200);
        produce_all(&broker, &batch);
        all.extend(batch);

        let tasks_before = owned(&replicas[i]);
        let others_revoked_before: Vec<f64> = others(&replicas, i).map(revoked).collect();
        let restored_before_stop = restored(&replicas[i]);
        let mut stopped = replicas.remove(i);
        stopped.daemon.signal("TERM");
        let stopping = Instant::now();
        let status = stopped.daemon.wait_exit(Duration::from_secs(30));
        assert!(
            status.is_some_and(|s| s.code() == Some(0)),
            "replica {i} exits 0 on SIGTERM: {status:?}; log:\n{}",
            stopped.daemon.log()
        );
        let missing = without_checkpoint(&stopped, &tasks_before);
        assert!(
            missing.is_empty(),
            "replica {i}'s clean stop checkpoints every stateful task; missing {missing:?}"
        );

        replicas.insert(i, restart(&workspace, stopped));
        wait_ready(replicas[i].addr, Duration::from_secs(60));
        wait_all_split(&replicas);
        let cycle = Cycle {
            replica: i,
            restored_before_stop,
            restored_after_restart: restored(&replicas[i]),
            same_tasks_back: owned(&replicas[i]) == tasks_before,
            split_again_after: stopping.elapsed(),
            others_revoked_before,
            others_revoked_after: others(&replicas, i).map(revoked).collect(),
        };
        eprintln!("{cycle:?}");
        cycles.push(cycle);
    }

    let last = orders(all.len() as i64, 200);
    produce_all(&broker, &last);
    all.extend(last);
    let expected = revenue(&driver_output(QUERIES, &all, 6, "REVENUE"));
    read_until(&broker, "REVENUE", true, Duration::from_secs(60), |got| {
        revenue(got) == expected
    });
    let expected_copy = driver_output(QUERIES, &all, 6, "ORDERS_COPY");
    read_until(
        &broker,
        "ORDERS_COPY",
        true,
        Duration::from_secs(60),
        |got| got.len() >= expected_copy.len(),
    );
    let copy: Output = broker
        .read_to_end("ORDERS_COPY", "read_committed", Duration::from_secs(30))
        .into_iter()
        .map(|r| (r.key, r.value))
        .collect();
    let distinct: BTreeSet<&Option<Vec<u8>>> = copy.iter().map(|(key, _)| key).collect();
    let duplicated = copy.len() - distinct.len();
    let restored_at_end: Vec<f64> = replicas.iter().map(restored).collect();
    eprintln!(
        "{} inputs, {} copied, {duplicated} duplicated; restored per replica at the end: \
         {restored_at_end:?}; {:?} in all",
        all.len(),
        copy.len(),
        started.elapsed()
    );
    assert_eq!(duplicated, 0, "no input copied twice");
    assert_eq!(sorted(&copy), sorted(&expected_copy), "every input once");
    // Every process's whole life: the three first runs up to their stops, the three restarted
    // runs up to now.
    let restored_in_all = cycles
        .iter()
        .map(|c| c.restored_before_stop)
        .chain(restored_at_end.iter().copied())
        .sum::<f64>()
        + 0.0;
    assert_eq!(
        restored_in_all, 0.0,
        "changelog records restored in the rolling restart; at the end {restored_at_end:?}, \
         per cycle {cycles:#?}"
    );
    for cycle in &cycles {
        assert!(cycle.same_tasks_back, "own tasks back: {cycles:#?}");
        assert_eq!(
            cycle.others_revoked_before, cycle.others_revoked_after,
            "the other replicas saw no revocation: {cycles:#?}"
        );
    }
}

/// What one replica's stop and restart did.
#[derive(Debug)]
#[allow(dead_code)] // Read through Debug, in the report.
struct Cycle {
    replica: usize,
    /// `weir_restored_records_total` of the process that was stopped, just before the stop.
    restored_before_stop: f64,
    /// The same of the restarted process once every task is assigned again.
    restored_after_restart: f64,
    same_tasks_back: bool,
    /// From SIGTERM to every task of both queries split over the three replicas again.
    split_again_after: Duration,
    /// Revocations of the other two replicas before the stop and after the restart.
    others_revoked_before: Vec<f64>,
    others_revoked_after: Vec<f64>,
}

/// The replicas other than the `i`-th.
fn others(replicas: &[Replica], i: usize) -> impl Iterator<Item = &Replica> {
    replicas
        .iter()
        .enumerate()
        .filter(move |(j, _)| *j != i)
        .map(|(_, r)| r)
}

#[test]
fn a_replica_fenced_by_a_process_with_its_id_fails_saying_why() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let broker = TestBroker::start();
    let workspace = Workspace::new(
        &config(
            &broker,
            "/nonexistent-overridden",
            "processing_guarantee = \"at_least_once\"\nstatic_membership = true",
        ),
        "CREATE STREAM ORDERS (ID BIGINT KEY, AMOUNT BIGINT)
           WITH (KAFKA_TOPIC='orders', VALUE_FORMAT='JSON', PARTITIONS=2);
         CREATE STREAM ORDERS_COPY AS SELECT ID, AMOUNT FROM ORDERS EMIT CHANGES;",
    );
    let mut first = replica(&workspace);
    wait_ready(first.addr, Duration::from_secs(60));
    // Same state directory, same replica id: the same group.instance.id, and under
    // at_least_once no transactional producer that would be fenced first.
    let state_dir = first.state_dir().display().to_string();
    let mut twin = Daemon::spawn(workspace.command(&["run", "--state-dir", &state_dir]));
    twin.http_addr();
    let line = first.daemon.wait_for_line(
        "another weir process runs with this replica's id",
        Duration::from_secs(60),
    );
    assert!(line.contains("group.instance.id"), "{line}");
}
