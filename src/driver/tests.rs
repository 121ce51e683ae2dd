//! The driver end to end with small processors built by hand: pass-through, a counting
//! aggregate on a key-value store, a windowed counter, a repartition; restarts from changelogs.

use std::ops::ControlFlow;
use std::sync::Arc;

use super::*;
use crate::state::codec::{decode_row, row_to_bytes};
use crate::state::{KeyValueStore, StoreKind, StoreProvider, StoreSpec, WindowStore};
use crate::topology::tests::{TextSink, TextSource};
use crate::topology::{
    GraphBuilder, Port, ProcessingError, Processor, ProcessorContext, Record, SubTopologySpec,
    TaskGraph, TaskId, TopologyError, TopologyFactory, TopologySpec, Window,
};
use crate::types::Value;

type BuildFn =
    dyn Fn(TaskId, &mut dyn StoreProvider) -> Result<TaskGraph, TopologyError> + Send + Sync;

struct Factory {
    spec: TopologySpec,
    build: Box<BuildFn>,
}

impl TopologyFactory for Factory {
    fn spec(&self) -> &TopologySpec {
        &self.spec
    }

    fn build(
        &self,
        task: TaskId,
        stores: &mut dyn StoreProvider,
    ) -> Result<TaskGraph, TopologyError> {
        (self.build)(task, stores)
    }
}

/// Drops records whose value is `drop`.
struct Filter;

impl Processor for Filter {
    fn process(&mut self, _: Port, record: Record, ctx: &mut ProcessorContext<'_>) {
        if record.value.as_ref().and_then(|v| v[0].as_str()) != Some("drop") {
            ctx.forward(record);
        }
    }
}

/// Counts records per key; a tombstone deletes the key and forwards a tombstone.
struct Count {
    store: Box<dyn KeyValueStore>,
}

impl Processor for Count {
    fn process(&mut self, _: Port, record: Record, ctx: &mut ProcessorContext<'_>) {
        let key = row_to_bytes(&record.key);
        if record.value.is_none() {
            if let Err(e) = self.store.delete(&key) {
                return ctx.report(ProcessingError::processing(e.to_string()));
            }
            return ctx.forward(record);
        }
        let previous = match self.store.get(&key) {
            Ok(Some(bytes)) => match decode_row(&bytes).ok().and_then(|r| r.first()?.as_i64()) {
                Some(n) => n,
                None => return ctx.report(ProcessingError::processing("corrupt count")),
            },
            Ok(None) => 0,
            Err(e) => return ctx.report(ProcessingError::processing(e.to_string())),
        };
        let row = vec![Value::Bigint(previous + 1)];
        if let Err(e) = self.store.put(&key, &row_to_bytes(&row)) {
            return ctx.report(ProcessingError::processing(e.to_string()));
        }
        let key = record.key.clone();
        ctx.forward(record.with_key_value(key, Some(row)));
    }
}

/// Counts per key in tumbling windows of `size` ms with no grace; late records are dropped.
struct WindowedCount {
    store: Box<dyn WindowStore>,
    size: i64,
}

impl Processor for WindowedCount {
    fn process(&mut self, _: Port, record: Record, ctx: &mut ProcessorContext<'_>) {
        let start = record.timestamp - record.timestamp.rem_euclid(self.size);
        let end = start + self.size;
        if end <= ctx.stream_time() {
            ctx.record_late_dropped();
            return;
        }
        let retention = ctx.stream_time().saturating_sub(2 * self.size);
        if let Err(e) = self.store.expire_before(retention) {
            return ctx.report(ProcessingError::processing(e.to_string()));
        }
        let key = row_to_bytes(&record.key);
        let mut count = 0;
        let fetched = self.store.fetch(&key, start, start, &mut |_, v| {
            count = decode_row(v)
                .ok()
                .and_then(|r| r.first()?.as_i64())
                .unwrap_or(0);
            ControlFlow::Break(())
        });
        if let Err(e) = fetched {
            return ctx.report(ProcessingError::processing(e.to_string()));
        }
        let row = vec![Value::Bigint(count + 1)];
        if let Err(e) = self.store.put(&key, start, &row_to_bytes(&row)) {
            return ctx.report(ProcessingError::processing(e.to_string()));
        }
        let key = record.key.clone();
        ctx.forward(
            record
                .with_key_value(key, Some(row))
                .with_window(Window { start, end }),
        );
    }
}

/// Re-keys a record by its value (ksqlDB's `PARTITION BY`/`GROUP BY` before a repartition).
struct SelectKey;

impl Processor for SelectKey {
    fn process(&mut self, _: Port, record: Record, ctx: &mut ProcessorContext<'_>) {
        let Some(value) = record.value.clone() else {
            return;
        };
        ctx.forward(record.with_key_value(value.clone(), Some(value)));
    }
}

fn store(name: &str, kind: StoreKind) -> StoreSpec {
    StoreSpec {
        name: name.into(),
        kind,
        changelog: Some(format!("app-{name}-changelog")),
    }
}

/// in → filter → count → out
fn counting() -> Arc<Factory> {
    Arc::new(Factory {
        spec: TopologySpec {
            sub_topologies: vec![SubTopologySpec {
                id: 0,
                sources: vec!["in".into()],
                sinks: vec!["out".into()],
                stores: vec![store("counts", StoreKind::KeyValue)],
            }],
            repartition_topics: vec![],
        },
        build: Box::new(|_, stores| {
            let mut g = GraphBuilder::new();
            let src = g.source("src", "in", Box::new(TextSource));
            let filter = g.processor("filter", Box::new(Filter));
            let count = g.processor(
                "count",
                Box::new(Count {
                    store: stores.key_value("counts")?,
                }),
            );
            let sink = g.sink("sink", "out", Box::new(TextSink));
            g.connect_source(src, filter)?;
            g.connect(filter, count)?;
            g.connect(count, sink)?;
            g.build()
        }),
    })
}

/// in → windowed count → out
fn windowed() -> Arc<Factory> {
    Arc::new(Factory {
        spec: TopologySpec {
            sub_topologies: vec![SubTopologySpec {
                id: 0,
                sources: vec!["in".into()],
                sinks: vec!["out".into()],
                stores: vec![store("wcounts", StoreKind::Window)],
            }],
            repartition_topics: vec![],
        },
        build: Box::new(|_, stores| {
            let mut g = GraphBuilder::new();
            let src = g.source("src", "in", Box::new(TextSource));
            let count = g.processor(
                "count",
                Box::new(WindowedCount {
                    store: stores.window("wcounts")?,
                    size: 10,
                }),
            );
            let sink = g.sink("sink", "out", Box::new(TextSink));
            g.connect_source(src, count)?;
            g.connect(count, sink)?;
            g.build()
        }),
    })
}

/// sub-topology 0: in → select key → rep; sub-topology 1: rep → count → out
fn repartitioned() -> Arc<Factory> {
    Arc::new(Factory {
        spec: TopologySpec {
            sub_topologies: vec![
                SubTopologySpec {
                    id: 0,
                    sources: vec!["in".into()],
                    sinks: vec!["rep".into()],
                    stores: vec![],
                },
                SubTopologySpec {
                    id: 1,
                    sources: vec!["rep".into()],
                    sinks: vec!["out".into()],
                    stores: vec![store("counts", StoreKind::KeyValue)],
                },
            ],
            repartition_topics: vec!["rep".into()],
        },
        build: Box::new(|task, stores| {
            let mut g = GraphBuilder::new();
            if task.sub_topology == 0 {
                let src = g.source("src", "in", Box::new(TextSource));
                let select = g.processor("select", Box::new(SelectKey));
                let sink = g.sink("to-rep", "rep", Box::new(TextSink));
                g.connect_source(src, select)?;
                g.connect(select, sink)?;
            } else {
                let src = g.source("from-rep", "rep", Box::new(TextSource));
                let count = g.processor(
                    "count",
                    Box::new(Count {
                        store: stores.key_value("counts")?,
                    }),
                );
                let sink = g.sink("sink", "out", Box::new(TextSink));
                g.connect_source(src, count)?;
                g.connect(count, sink)?;
            }
            g.build()
        }),
    })
}

type Out = (Option<String>, Option<String>, i64);

fn outputs(driver: &Driver, topic: &str) -> Vec<Out> {
    let text = |b: &Option<Vec<u8>>| b.as_ref().map(|b| String::from_utf8_lossy(b).into_owned());
    driver
        .output(topic)
        .iter()
        .map(|r| (text(&r.key), text(&r.value), r.timestamp))
        .collect()
}

fn out(key: &str, value: Option<&str>, ts: i64) -> Out {
    (Some(key.into()), value.map(Into::into), ts)
}

fn pipe(driver: &mut Driver, key: &str, value: Option<&str>, ts: i64) {
    driver
        .pipe(
            "in",
            Some(key.as_bytes()),
            value.map(str::as_bytes),
            Some(ts),
            &[],
        )
        .unwrap();
}

#[test]
fn every_update_is_emitted_and_tombstones_delete() {
    let mut driver = Driver::new();
    driver.register("q", counting()).unwrap();
    pipe(&mut driver, "a", Some("x"), 1);
    pipe(&mut driver, "a", Some("drop"), 2);
    pipe(&mut driver, "b", Some("x"), 3);
    pipe(&mut driver, "a", Some("x"), 4);
    pipe(&mut driver, "a", None, 5);
    pipe(&mut driver, "a", Some("x"), 6);
    assert_eq!(
        outputs(&driver, "out"),
        [
            out("a", Some("1"), 1),
            out("b", Some("1"), 3),
            out("a", Some("2"), 4),
            out("a", None, 5),
            out("a", Some("1"), 6),
        ]
    );
    // Every store write reached the changelog: 4 puts and 1 delete.
    let changelog = driver.output("app-counts-changelog");
    assert_eq!(changelog.len(), 5);
    assert_eq!(changelog[3].value, None);
    assert_eq!(
        decode_row(changelog[0].key.as_deref().unwrap()).unwrap(),
        vec![Value::from("a")]
    );
}

#[test]
fn restart_restores_from_changelogs_and_gives_the_same_outputs() {
    let inputs: Vec<(&str, Option<&str>, i64)> = vec![
        ("a", Some("x"), 1),
        ("b", Some("x"), 2),
        ("a", Some("x"), 3),
        ("a", None, 4),
        ("b", Some("x"), 5),
        ("a", Some("x"), 6),
        ("b", Some("x"), 7),
    ];
    let mut straight = Driver::new();
    straight.register("q", counting()).unwrap();
    for &(k, v, ts) in &inputs {
        pipe(&mut straight, k, v, ts);
    }
    let mut restarted = Driver::new();
    restarted.register("q", counting()).unwrap();
    for (i, &(k, v, ts)) in inputs.iter().enumerate() {
        if i == 3 || i == 5 {
            restarted.restart().unwrap();
        }
        pipe(&mut restarted, k, v, ts);
    }
    assert_eq!(outputs(&restarted, "out"), outputs(&straight, "out"));
    // The second restart replays the five writes made before it (4 puts, 1 delete).
    assert_eq!(restarted.restored(), [("counts".to_owned(), 5)]);
}

#[test]
fn windows_close_and_stay_closed_across_a_restart() {
    let mut driver = Driver::new();
    driver.register("q", windowed()).unwrap();
    pipe(&mut driver, "k", Some("v"), 1);
    pipe(&mut driver, "k", Some("v"), 5);
    pipe(&mut driver, "k", Some("v"), 12);
    driver.restart().unwrap();
    pipe(&mut driver, "k", Some("v"), 3); // window [0, 10) closed at stream time 12
    pipe(&mut driver, "k", Some("v"), 15);
    assert_eq!(
        outputs(&driver, "out"),
        [
            out("k@0", Some("1"), 1),
            out("k@0", Some("2"), 5),
            out("k@10", Some("1"), 12),
            out("k@10", Some("2"), 15),
        ]
    );
    assert_eq!(driver.late_dropped(), 1);
}

#[test]
fn windowed_outputs_are_partitioned_by_their_unwindowed_key() {
    let mut driver = Driver::new();
    driver.create_topic("in", 4);
    driver.register("q", windowed()).unwrap();
    for ts in [1, 11, 21, 31] {
        pipe(&mut driver, "key", Some("v"), ts);
    }
    let expected = driver.topics().partition_for("out", Some(b"key")).unwrap();
    let partitions: Vec<i32> = driver.output("out").iter().map(|r| r.partition).collect();
    assert_eq!(partitions, [expected; 4]);
}

#[test]
fn repartition_topics_are_real_topics_between_sub_topologies() {
    let mut driver = Driver::new();
    driver.create_topic("in", 2);
    driver.register("q", repartitioned()).unwrap();
    assert_eq!(driver.topics().partitions("rep"), Some(2));
    assert_eq!(driver.topics().partitions("app-counts-changelog"), Some(2));
    for (i, v) in ["red", "blue", "red", "green", "red"].iter().enumerate() {
        let key = format!("k{i}");
        pipe(&mut driver, &key, Some(v), i as i64);
    }
    let counted: Vec<Out> = outputs(&driver, "out");
    assert_eq!(counted.len(), 5);
    assert_eq!(counted[4], out("red", Some("3"), 4));
    assert_eq!(driver.output("rep").len(), 5);
    // Each colour is counted by the task of the partition its key hashes to.
    let partitions: Vec<i32> = driver.output("rep").iter().map(|r| r.partition).collect();
    let red = driver.topics().partition_for("rep", Some(b"red")).unwrap();
    assert_eq!(partitions[0], red);
    assert_eq!(partitions[2], red);
    driver.restart().unwrap();
    pipe(&mut driver, "k9", Some("red"), 9);
    assert_eq!(outputs(&driver, "out")[5], out("red", Some("4"), 9));
}

#[test]
fn processing_errors_go_to_the_log_and_processing_continues() {
    let mut driver = Driver::new();
    driver.register("q", counting()).unwrap();
    pipe(&mut driver, "a", Some("bad"), 1);
    pipe(&mut driver, "a", Some("x"), 2);
    assert_eq!(driver.processing_log().len(), 1);
    assert_eq!(outputs(&driver, "out"), [out("a", Some("1"), 2)]);

    driver.fail_on_error(true);
    let err = driver
        .pipe("in", Some(b"a"), Some(b"bad"), Some(3), &[])
        .unwrap_err();
    assert!(matches!(err, DriverError::Processing { .. }), "{err}");
    assert!(err.to_string().contains("DESERIALIZATION_ERROR"), "{err}");
    assert_eq!(driver.processing_log().len(), 2);
}

#[test]
fn misuse_is_reported() {
    let mut driver = Driver::new();
    assert!(matches!(
        driver.pipe("nope", None, None, None, &[]),
        Err(DriverError::UnknownTopic { .. })
    ));
    driver.create_topic("in", 1);
    assert!(matches!(
        driver.pipe_to("in", Some(3), None, None, None, &[]),
        Err(DriverError::UnknownPartition { .. })
    ));
    driver.register("q", counting()).unwrap();
    assert!(matches!(
        driver.register("q", counting()),
        Err(DriverError::DuplicateQuery { .. })
    ));
    driver.clock().set(1_000);
    driver
        .pipe("in", Some(b"k"), Some(b"v"), None, &[])
        .unwrap();
    assert_eq!(driver.output("out")[0].timestamp, 1_000);
}

#[test]
fn inputs_of_a_sub_topology_must_be_co_partitioned() {
    let mut driver = Driver::new();
    driver.create_topic("l", 2);
    driver.create_topic("r", 3);
    let factory = Arc::new(Factory {
        spec: TopologySpec {
            sub_topologies: vec![SubTopologySpec {
                id: 0,
                sources: vec!["l".into(), "r".into()],
                sinks: vec![],
                stores: vec![],
            }],
            repartition_topics: vec![],
        },
        build: Box::new(|_, _| Err(TopologyError::UnknownSubTopology { sub_topology: 0 })),
    });
    let err = driver.register("join", factory).unwrap_err();
    assert!(err.to_string().contains("l: 2, r: 3"), "{err}");
}

#[test]
fn a_query_whose_tasks_cannot_be_built_is_not_registered() {
    let mut driver = Driver::new();
    let factory = |store_name: &'static str| {
        Arc::new(Factory {
            spec: counting().spec.clone(),
            build: Box::new(move |_, stores| {
                stores.window(store_name)?;
                Err(TopologyError::UnknownSubTopology { sub_topology: 0 })
            }),
        })
    };
    let err = driver.register("q", factory("counts")).unwrap_err();
    assert!(
        err.to_string().contains("declared as a key-value store"),
        "{err}"
    );
    let err = driver.register("q", factory("other")).unwrap_err();
    assert!(err.to_string().contains("not declared"), "{err}");
    driver.register("q", counting()).unwrap();
}

#[test]
fn headers_and_explicit_partitions_are_kept_on_topics() {
    let mut driver = Driver::new();
    driver.create_topic("in", 3);
    let headers = [crate::topology::Header {
        key: "h".into(),
        value: Some(vec![1, 2]),
    }];
    driver
        .pipe_to("in", Some(2), Some(b"k"), Some(b"v"), Some(7), &headers)
        .unwrap();
    let stored = driver.topics().partition("in", 2);
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].headers, headers);
    assert_eq!((stored[0].offset, stored[0].timestamp), (0, 7));
}

mod restart_property {
    use super::*;
    use proptest::prelude::*;

    type Input = (u8, Option<bool>, i64, bool);

    fn run(
        factory: fn() -> Arc<Factory>,
        partitions: i32,
        inputs: &[Input],
        restarts: bool,
    ) -> Vec<Out> {
        let mut driver = Driver::new();
        driver.create_topic("in", partitions);
        driver.register("q", factory()).unwrap();
        for &(key, value, ts, restart) in inputs {
            if restarts && restart {
                driver.restart().unwrap();
            }
            let value = value.map(|drop| if drop { "drop" } else { "x" });
            pipe(&mut driver, &format!("k{key}"), value, ts);
        }
        outputs(&driver, "out")
    }

    proptest! {
        #[test]
        fn restarting_anywhere_changes_no_output(
            inputs in proptest::collection::vec(
                (0u8..3, proptest::option::of(any::<bool>()), 0i64..60, any::<bool>()),
                0..25,
            ),
            partitions in 1i32..3,
        ) {
            for factory in [counting as fn() -> Arc<Factory>, windowed, repartitioned] {
                prop_assert_eq!(
                    run(factory, partitions, &inputs, true),
                    run(factory, partitions, &inputs, false)
                );
            }
        }
    }
}
