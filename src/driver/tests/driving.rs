//! Piping records: every update emitted, partitioning, repartition topics, errors, misuse.

use std::sync::Arc;

use super::*;
use crate::driver::*;
use crate::state::codec::decode_row;
use crate::topology::{SubTopologySpec, TopologyError, TopologySpec};
use crate::types::Value;

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
fn counting_mode_runs_the_same_records_and_keeps_only_what_tasks_read() {
    let run = |counting: bool| {
        let mut driver = Driver::new();
        driver.create_topic("in", 2);
        driver.register("q", repartitioned()).unwrap();
        if counting {
            driver.count_only();
        }
        for (i, v) in ["red", "blue", "red", "green", "red", "drop"]
            .iter()
            .enumerate()
        {
            pipe(&mut driver, &format!("k{i}"), Some(v), i as i64);
        }
        driver
    };
    let (kept, counted) = (run(false), run(true));
    for topic in ["in", "rep", "out", "app-counts-changelog"] {
        assert_eq!(kept.appended(topic), counted.appended(topic), "{topic}");
    }
    assert_eq!(counted.appended("out"), 6);
    // The repartition topic is read by a task, so it is kept; inputs, sink and changelog are not.
    assert_eq!(outputs(&counted, "rep"), outputs(&kept, "rep"));
    assert!(counted.output("in").is_empty());
    assert!(counted.output("out").is_empty());
    assert!(counted.output("app-counts-changelog").is_empty());
    assert_eq!(kept.output("out").len(), 6);
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

#[test]
fn headers_travel_with_records_through_repartition_topics() {
    let mut driver = Driver::new();
    driver.register("q", repartitioned()).unwrap();
    let headers = [crate::topology::Header {
        key: "abc".into(),
        value: Some(vec![0x21]),
    }];
    driver
        .pipe("in", Some(b"k"), Some(b"red"), Some(1), &headers)
        .unwrap();
    pipe(&mut driver, "k", Some("red"), 2);
    let written: Vec<&[crate::topology::Header]> = driver
        .output("out")
        .iter()
        .map(|r| r.headers.as_slice())
        .collect();
    assert_eq!(written, [&headers[..], &[]]);
}

#[test]
fn a_factory_describes_every_sub_topology() {
    let text = crate::topology::describe(&*repartitioned()).unwrap();
    assert_eq!(
        text,
        "Topologies:
   Sub-topology: 0
    Source: src (topics: [in])
      --> select
    Processor: select (stores: [])
      --> to-rep
      <-- src
    Sink: to-rep (topic: rep)
      <-- select
   Sub-topology: 1
    Source: from-rep (topics: [rep])
      --> count
    Processor: count (stores: [])
      --> sink
      <-- from-rep
    Sink: sink (topic: out)
      <-- count
"
    );
}
