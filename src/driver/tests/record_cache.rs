//! The record cache changes only how many intermediate updates an aggregate emits: over random
//! inputs, commit points and budgets (tiny ones evict on nearly every write), the cached run
//! of GROUP BY aggregates (with and without HAVING, over a stream and over a table), of
//! windowed aggregates with EMIT CHANGES and of EMIT FINAL ends with the same value (and
//! time and headers) per key as the uncached run, emits no more records, emits exactly the
//! same EMIT FINAL results, and leaves changelogs that restore the same stores, also when the
//! cached run restarts (commit, restore from the changelogs) midway.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use proptest::prelude::*;

use crate::driver::{Driver, StoredRecord};
use crate::plan::{PlannedFile, plan_file};
use crate::topology::Header;

const QUERIES: &str = "
CREATE STREAM S (ID STRING KEY, G STRING, V INT) WITH (kafka_topic='in', format='JSON');
CREATE TABLE COUNTS AS SELECT G, COUNT(*) AS N, SUM(V) AS T FROM S GROUP BY G;
CREATE TABLE PASSING AS SELECT G, COUNT(*) AS N, SUM(V) AS T FROM S GROUP BY G
  HAVING SUM(V) > 10;
CREATE TABLE PER_SECOND AS SELECT G, COUNT(*) AS N, SUM(V) AS T FROM S
  WINDOW TUMBLING (SIZE 1 SECOND, GRACE PERIOD 2 SECONDS) GROUP BY G HAVING COUNT(*) > 1;
CREATE TABLE HOPPING AS SELECT G, COUNT(*) AS N FROM S
  WINDOW HOPPING (SIZE 2 SECONDS, ADVANCE BY 1 SECOND, GRACE PERIOD 1 SECOND) GROUP BY G;
CREATE TABLE FINAL AS SELECT G, COUNT(*) AS N, SUM(V) AS T FROM S
  WINDOW TUMBLING (SIZE 1 SECOND, GRACE PERIOD 1 SECOND) GROUP BY G EMIT FINAL;
CREATE TABLE LATEST (ID STRING PRIMARY KEY, G STRING, V INT) WITH (kafka_topic='latest', format='JSON');
CREATE TABLE BY_GROUP AS SELECT G, COUNT(*) AS N, SUM(V) AS T FROM LATEST GROUP BY G
  HAVING COUNT(*) > 1;
";

/// Sinks whose final value per key must not change.
const TABLES: [&str; 5] = ["COUNTS", "PASSING", "PER_SECOND", "HOPPING", "BY_GROUP"];

fn planned() -> &'static PlannedFile {
    static PLANNED: OnceLock<PlannedFile> = OnceLock::new();
    PLANNED.get_or_init(|| plan_file(QUERIES, "svc").expect("queries plan"))
}

/// One input: a row for the stream and the table (a tombstone for the table when `value` is
/// `None`), its time, and whether a commit follows it.
#[derive(Debug, Clone)]
struct Input {
    id: u8,
    group: u8,
    value: Option<i8>,
    timestamp: i64,
    header: bool,
    commit: bool,
}

fn inputs() -> impl Strategy<Value = Vec<Input>> {
    proptest::collection::vec(
        (
            0u8..6,
            0u8..4,
            proptest::option::weighted(0.9, -5i8..15),
            0i64..1_500,
            // Mostly in order; now and then a record up to 3 s back (late for some windows).
            prop_oneof![8 => Just(0i64), 1 => 0i64..3_000],
            any::<bool>(),
            proptest::bool::weighted(0.1),
        ),
        1..60,
    )
    .prop_map(|raw| {
        let mut now = 1_000_i64;
        raw.into_iter()
            .map(|(id, group, value, step, back, header, commit)| {
                now += step;
                Input {
                    id,
                    group,
                    value,
                    timestamp: (now - back).max(0),
                    header,
                    commit,
                }
            })
            .collect()
    })
}

fn budgets() -> impl Strategy<Value = usize> {
    prop_oneof![Just(1usize), 100usize..400, 400usize..4_000, Just(1 << 20)]
}

fn driver(cache: usize) -> Driver {
    let mut driver = Driver::new();
    driver.create_topic("in", 2);
    driver.create_topic("latest", 2);
    driver.record_cache(cache);
    for query in &planned().queries {
        let built = crate::ops::build(query).expect("query builds");
        driver
            .register(&query.id, Arc::new(built))
            .expect("query registers");
    }
    driver
}

fn pipe(driver: &mut Driver, input: &Input, commits: bool) {
    let key = format!("\"k{}\"", input.id);
    let value = input
        .value
        .map(|v| format!(r#"{{"G": "g{}", "V": {v}}}"#, input.group));
    let headers = [Header {
        key: "seen".into(),
        value: Some(input.timestamp.to_string().into_bytes()),
    }];
    let headers: &[Header] = if input.header { &headers } else { &[] };
    for topic in ["in", "latest"] {
        driver
            .pipe(
                topic,
                Some(key.as_bytes()),
                value.as_deref().map(str::as_bytes),
                Some(input.timestamp),
                headers,
            )
            .expect("driver runs the record");
    }
    if commits && input.commit {
        driver.commit().expect("commit");
    }
}

type Final = BTreeMap<Vec<u8>, (Vec<u8>, i64, Vec<Header>)>;

/// The last value per key with its time and headers; a tombstone removes the key.
fn final_table(records: &[&StoredRecord]) -> Final {
    let mut table = Final::new();
    for r in records {
        let key = r.key.clone().unwrap_or_default();
        match &r.value {
            Some(v) => {
                table.insert(key, (v.clone(), r.timestamp, r.headers.clone()));
            }
            None => {
                table.remove(&key);
            }
        }
    }
    table
}

/// The last value per key of every changelog topic: what a restore rebuilds.
fn restored_stores(driver: &Driver) -> BTreeMap<String, BTreeMap<Vec<u8>, Vec<u8>>> {
    driver
        .topics()
        .names()
        .filter(|name| name.ends_with("-changelog"))
        .map(|name| {
            let table = final_table(&driver.output(name))
                .into_iter()
                .map(|(k, (v, _, _))| (k, v))
                .collect();
            (name.to_owned(), table)
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn the_cache_changes_only_how_many_intermediate_updates_are_emitted(
        inputs in inputs(),
        budget in budgets(),
        restart_at in any::<prop::sample::Index>(),
    ) {
        let mut uncached = driver(0);
        for input in &inputs {
            pipe(&mut uncached, input, false);
        }
        let restart_at = restart_at.index(inputs.len());
        let mut cached = driver(budget);
        for (i, input) in inputs.iter().enumerate() {
            if i == restart_at {
                cached.restart().expect("restart");
            }
            pipe(&mut cached, input, true);
        }
        cached.commit().expect("final commit");

        for sink in TABLES {
            let (want, got) = (uncached.output(sink), cached.output(sink));
            prop_assert!(
                got.len() <= want.len(),
                "{sink}: {} records with the cache, {} without", got.len(), want.len()
            );
            prop_assert_eq!(final_table(&got), final_table(&want), "{}", sink);
        }
        let strip = |records: Vec<&StoredRecord>| -> Vec<_> {
            records
                .into_iter()
                .map(|r| (r.key.clone(), r.value.clone(), r.timestamp, r.headers.clone()))
                .collect()
        };
        prop_assert_eq!(strip(cached.output("FINAL")), strip(uncached.output("FINAL")));
        prop_assert_eq!(restored_stores(&cached), restored_stores(&uncached));
        prop_assert!(cached.processing_log().is_empty(), "{:?}", cached.processing_log());
    }
}

#[test]
fn a_large_cache_emits_one_update_per_key_and_commit() {
    let mut uncached = driver(0);
    let mut cached = driver(1 << 20);
    let inputs: Vec<Input> = (0..40)
        .map(|i| Input {
            id: (i % 5) as u8,
            group: (i % 2) as u8,
            value: Some(3),
            timestamp: 1_000 + i * 10,
            header: false,
            commit: false,
        })
        .collect();
    for input in &inputs {
        pipe(&mut uncached, input, false);
        pipe(&mut cached, input, false);
    }
    assert!(
        cached.output("COUNTS").is_empty(),
        "held back until the commit"
    );
    cached.commit().expect("commit");
    let groups = final_table(&uncached.output("COUNTS")).len();
    assert_eq!(groups, 2);
    assert_eq!(uncached.output("COUNTS").len(), inputs.len());
    assert_eq!(
        cached.output("COUNTS").len(),
        groups,
        "one record per group"
    );
    assert_eq!(
        final_table(&cached.output("COUNTS")),
        final_table(&uncached.output("COUNTS"))
    );
}
