//! Graph dispatch, stream time and error routing, with small processors written here.

use std::sync::{Arc, Mutex};

use super::*;
use crate::types::Value;

/// Key and value are UTF-8 text in one column; a null value is a tombstone; `bad` fails.
pub(crate) struct TextSource;

impl RecordDeserializer for TextSource {
    fn deserialize(&mut self, raw: &RawRecord<'_>) -> Result<Record, ProcessingError> {
        let text = |b: &[u8]| {
            std::str::from_utf8(b)
                .map(Value::from)
                .map_err(|e| ProcessingError::processing(e.to_string()))
        };
        if raw.value == Some(b"bad") {
            return Err(ProcessingError::processing("bad value"));
        }
        let key = raw
            .key
            .map(text)
            .transpose()?
            .map(|v| vec![v])
            .unwrap_or_default();
        let value = raw.value.map(text).transpose()?.map(|v| vec![v]);
        let mut record = Record::new(key, value, raw.timestamp);
        record.partition = raw.partition;
        record.offset = raw.offset;
        if !raw.headers.is_empty() {
            record.headers = Some(raw.headers.into());
        }
        Ok(record)
    }
}

/// Writes the first key and value column as text; a value `unwritable` fails.
pub(crate) struct TextSink;

impl RecordSerializer for TextSink {
    fn serialize(
        &mut self,
        record: &Record,
        key: &mut Vec<u8>,
        value: &mut Vec<u8>,
    ) -> Result<Serialized, ProcessingError> {
        let render = |v: &Value, out: &mut Vec<u8>| match v {
            Value::String(s) => out.extend_from_slice(s.as_bytes()),
            Value::Bigint(n) => out.extend_from_slice(n.to_string().as_bytes()),
            other => out.extend_from_slice(format!("{other:?}").as_bytes()),
        };
        if let Some(k) = record.key.first() {
            render(k, key);
        }
        let unwindowed = key.len();
        if let Some(w) = record.window {
            key.extend_from_slice(format!("@{}", w.start).as_bytes());
        }
        if let Some(v) = record.value.as_ref().and_then(|v| v.first()) {
            if v.as_str() == Some("unwritable") {
                return Err(ProcessingError::processing("cannot write"));
            }
            render(v, value);
        }
        Ok(Serialized {
            key: !record.key.is_empty(),
            value: record.value.is_some(),
            partition_key_len: record.window.map(|_| unwindowed),
        })
    }
}

pub(crate) type Sent = (String, Option<String>, Option<String>, i64);

#[derive(Default)]
pub(crate) struct VecCollector {
    pub sent: Vec<Sent>,
    pub fail: bool,
}

impl RecordCollector for VecCollector {
    fn send(&mut self, r: OutgoingRecord<'_>) -> Result<(), String> {
        if self.fail {
            return Err("producer closed".into());
        }
        let text = |b: Option<&[u8]>| b.map(|b| String::from_utf8_lossy(b).into_owned());
        self.sent
            .push((r.topic.to_owned(), text(r.key), text(r.value), r.timestamp));
        Ok(())
    }
}

type Trace = Arc<Mutex<Vec<String>>>;

/// Forwards every record `copies` times, tracing visits; reports values equal to `oops`.
struct Tap {
    tag: &'static str,
    copies: usize,
    trace: Trace,
    hook: bool,
}

impl Processor for Tap {
    fn process(&mut self, port: Port, record: Record, ctx: &mut ProcessorContext<'_>) {
        self.trace
            .lock()
            .unwrap()
            .push(format!("{}:{}:{}", self.tag, port.0, record.timestamp));
        if record.value.as_ref().and_then(|v| v[0].as_str()) == Some("oops") {
            ctx.report(ProcessingError::processing("oops seen"));
            return;
        }
        for _ in 1..self.copies {
            ctx.forward(record.clone());
        }
        ctx.forward(record);
    }

    fn wants_stream_time(&self) -> bool {
        self.hook
    }

    fn on_stream_time(&mut self, ctx: &mut ProcessorContext<'_>) {
        self.trace
            .lock()
            .unwrap()
            .push(format!("{}:time:{}", self.tag, ctx.stream_time()));
    }
}

fn tap(tag: &'static str, copies: usize, trace: &Trace) -> Box<Tap> {
    Box::new(Tap {
        tag,
        copies,
        trace: trace.clone(),
        hook: false,
    })
}

fn raw<'a>(topic: &'a str, key: &'a str, value: Option<&'a str>, ts: i64) -> RawRecord<'a> {
    RawRecord {
        topic,
        partition: 0,
        offset: ts,
        timestamp: ts,
        key: Some(key.as_bytes()),
        value: value.map(str::as_bytes),
        headers: &[],
    }
}

fn task_id() -> TaskId {
    TaskId {
        sub_topology: 0,
        partition: 0,
    }
}

#[test]
fn dispatch_is_depth_first_in_child_order() {
    let trace = Trace::default();
    let mut g = GraphBuilder::new();
    let src = g.source("src", "in", Box::new(TextSource));
    let a = g.processor("a", tap("a", 2, &trace));
    let b = g.processor("b", tap("b", 1, &trace));
    let c = g.processor("c", tap("c", 1, &trace));
    let out_b = g.sink("sink-b", "out-b", Box::new(TextSink));
    let out_c = g.sink("sink-c", "out-c", Box::new(TextSink));
    g.connect_source(src, a).unwrap();
    g.connect(a, b).unwrap();
    g.connect(a, c).unwrap();
    g.connect(b, out_b).unwrap();
    g.connect(c, out_c).unwrap();
    let mut task = Task::new(task_id(), g.build().unwrap());
    let mut out = VecCollector::default();
    task.enqueue(&raw("in", "k", Some("v"), 5)).unwrap();
    task.process_all(&mut out).unwrap();
    assert_eq!(
        *trace.lock().unwrap(),
        ["a:0:5", "b:0:5", "c:0:5", "b:0:5", "c:0:5"]
    );
    let topics: Vec<&str> = out.sent.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(topics, ["out-b", "out-c", "out-b", "out-c"]);
}

#[test]
fn lowest_timestamp_first_and_stream_time_never_goes_back() {
    let trace = Trace::default();
    let mut g = GraphBuilder::new();
    let left = g.source("left", "l", Box::new(TextSource));
    let right = g.source("right", "r", Box::new(TextSource));
    let join = g.processor(
        "join",
        Box::new(Tap {
            tag: "j",
            copies: 1,
            trace: trace.clone(),
            hook: true,
        }),
    );
    let sink = g.sink("sink", "out", Box::new(TextSink));
    g.connect_source_port(left, join, Port::LEFT).unwrap();
    g.connect_source_port(right, join, Port::RIGHT).unwrap();
    g.connect(join, sink).unwrap();
    let mut task = Task::new(task_id(), g.build().unwrap());
    assert_eq!(task.stream_time(), NO_STREAM_TIME);
    for r in [raw("l", "k", Some("a"), 30), raw("l", "k", Some("b"), 10)] {
        task.enqueue(&r).unwrap();
    }
    assert!(!task.all_inputs_buffered());
    task.enqueue(&raw("r", "k", Some("c"), 20)).unwrap();
    assert!(task.all_inputs_buffered());
    assert_eq!(task.buffered(), 3);
    let mut out = VecCollector::default();
    // Heads are l@30 and r@20: the right record goes first, then l@30, then l@10 (late).
    task.process_all(&mut out).unwrap();
    assert_eq!(
        *trace.lock().unwrap(),
        ["j:1:20", "j:time:20", "j:0:30", "j:time:30", "j:0:10"]
    );
    assert_eq!(task.stream_time(), 30);
    assert_eq!(out.sent.len(), 3);
}

#[test]
fn tombstones_pass_through_to_sinks() {
    let trace = Trace::default();
    let mut g = GraphBuilder::new();
    let src = g.source("src", "in", Box::new(TextSource));
    let p = g.processor("p", tap("p", 1, &trace));
    let sink = g.sink("sink", "out", Box::new(TextSink));
    g.connect_source(src, p).unwrap();
    g.connect(p, sink).unwrap();
    let mut task = Task::new(task_id(), g.build().unwrap());
    task.enqueue(&raw("in", "k", None, 1)).unwrap();
    let mut out = VecCollector::default();
    task.process_all(&mut out).unwrap();
    assert_eq!(out.sent, [("out".into(), Some("k".into()), None, 1)]);
}

#[test]
fn per_record_errors_carry_context_and_do_not_stop_the_task() {
    let trace = Trace::default();
    let mut g = GraphBuilder::new();
    let src = g.source("src", "in", Box::new(TextSource));
    let p = g.processor("p", tap("p", 1, &trace));
    let sink = g.sink("sink", "out", Box::new(TextSink));
    g.connect_source(src, p).unwrap();
    g.connect(p, sink).unwrap();
    let mut task = Task::new(task_id(), g.build().unwrap());
    for (v, ts) in [("bad", 1), ("oops", 2), ("unwritable", 3), ("fine", 4)] {
        task.enqueue(&raw("in", "k", Some(v), ts)).unwrap();
    }
    let mut out = VecCollector::default();
    task.process_all(&mut out).unwrap();
    assert_eq!(out.sent.len(), 1);
    let errors: Vec<ProcessingError> = task.drain_errors().collect();
    let summary: Vec<(ProcessingErrorKind, &str, i64)> = errors
        .iter()
        .map(|e| (e.kind, &*e.node, e.offset))
        .collect();
    assert_eq!(
        summary,
        [
            (ProcessingErrorKind::Deserialization, "src", 1),
            (ProcessingErrorKind::Processing, "p", 2),
            (ProcessingErrorKind::Serialization, "sink", 3),
        ]
    );
    assert!(
        errors[1].to_string().contains("task 0_0, node p, in[0]@2"),
        "{}",
        errors[1]
    );
    assert_eq!(task.drain_errors().count(), 0);
}

#[test]
fn a_collector_failure_stops_the_task() {
    let trace = Trace::default();
    let mut g = GraphBuilder::new();
    let src = g.source("src", "in", Box::new(TextSource));
    let p = g.processor("p", tap("p", 1, &trace));
    let sink = g.sink("sink", "out", Box::new(TextSink));
    g.connect_source(src, p).unwrap();
    g.connect(p, sink).unwrap();
    let mut task = Task::new(task_id(), g.build().unwrap());
    task.enqueue(&raw("in", "k", Some("v"), 1)).unwrap();
    let mut out = VecCollector {
        fail: true,
        ..VecCollector::default()
    };
    let err = task.process_next(&mut out).unwrap_err();
    assert!(
        matches!(err, TaskError::Collect { ref topic, .. } if topic == "out"),
        "{err}"
    );
    assert!(matches!(
        task.enqueue(&raw("nope", "k", None, 1)),
        Err(TaskError::UnknownTopic { .. })
    ));
}

#[test]
fn malformed_graphs_are_refused() {
    let trace = Trace::default();
    let mut g = GraphBuilder::new();
    let src = g.source("src", "in", Box::new(TextSource));
    let a = g.processor("a", tap("a", 1, &trace));
    let sink = g.sink("sink", "out", Box::new(TextSink));
    let b = g.processor("b", tap("b", 1, &trace));
    g.connect_source(src, a).unwrap();
    assert!(matches!(
        g.connect(b, a),
        Err(TopologyError::ChildBeforeParent { .. })
    ));
    assert!(matches!(
        g.connect(sink, b),
        Err(TopologyError::SinkWithChildren { .. })
    ));
    assert!(matches!(
        g.connect(a, NodeId(99)),
        Err(TopologyError::UnknownNode { id: 99 })
    ));
    g.connect(a, sink).unwrap();
    assert!(matches!(g.build(), Err(TopologyError::Unreachable { ref node }) if node == "b"));

    let mut g = GraphBuilder::new();
    g.source("one", "in", Box::new(TextSource));
    g.source("two", "in", Box::new(TextSource));
    assert!(matches!(
        g.build(),
        Err(TopologyError::DuplicateSource { .. })
    ));
}

#[test]
fn graphs_describe_themselves_like_kafka_streams() {
    let trace = Trace::default();
    let mut g = GraphBuilder::new();
    let src = g.source("KSTREAM-SOURCE-0", "input", Box::new(TextSource));
    let a = g.processor("Aggregate", tap("a", 1, &trace));
    let sink = g.sink("KSTREAM-SINK-2", "OUTPUT", Box::new(TextSink));
    g.connect_source(src, a).unwrap();
    g.connect(a, sink).unwrap();
    g.uses_stores(a, &["Aggregate-Materialize"]).unwrap();
    let mut text = String::new();
    g.build().unwrap().describe(0, &mut text);
    assert_eq!(
        text,
        "   Sub-topology: 0
    Source: KSTREAM-SOURCE-0 (topics: [input])
      --> Aggregate
    Processor: Aggregate (stores: [Aggregate-Materialize])
      --> KSTREAM-SINK-2
      <-- KSTREAM-SOURCE-0
    Sink: KSTREAM-SINK-2 (topic: OUTPUT)
      <-- Aggregate
"
    );
}
