//! Test helper: runs records through one processor inside a real task and collects what it
//! forwards. Test-only.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use crate::topology::{
    GraphBuilder, OutgoingRecord, Port, ProcessingError, Processor, ProcessorContext, RawRecord,
    Record, RecordCollector, RecordDeserializer, Task, TaskId,
};

/// A source that hands out queued records, whatever bytes it is given.
pub(crate) struct Queue(pub(crate) Arc<Mutex<VecDeque<Record>>>);

impl RecordDeserializer for Queue {
    fn deserialize(&mut self, _raw: &RawRecord<'_>) -> Result<Record, ProcessingError> {
        self.0
            .lock()
            .ok()
            .and_then(|mut q| q.pop_front())
            .ok_or_else(|| ProcessingError::processing("queue empty"))
    }
}

/// A processor that keeps what it receives.
pub(crate) struct Collect(pub(crate) Arc<Mutex<Vec<Record>>>);

impl Processor for Collect {
    fn process(&mut self, _port: Port, record: Record, _ctx: &mut ProcessorContext<'_>) {
        if let Ok(mut out) = self.0.lock() {
            out.push(record);
        }
    }
}

/// A collector that drops every output.
pub(crate) struct Discard;

impl RecordCollector for Discard {
    fn send(&mut self, _record: OutgoingRecord<'_>) -> Result<(), String> {
        Ok(())
    }
}

/// Feeds `inputs` to `processor` in order and returns everything it forwarded.
pub(crate) fn run(processor: Box<dyn Processor>, inputs: Vec<Record>) -> Vec<Record> {
    let count = inputs.len();
    let queue = Arc::new(Mutex::new(VecDeque::from(inputs)));
    let out = Arc::new(Mutex::new(Vec::new()));
    let mut graph = GraphBuilder::new();
    let source = graph.source("in", "in", Box::new(Queue(queue)));
    let node = graph.processor("op", processor);
    let sink = graph.processor("collect", Box::new(Collect(out.clone())));
    graph.connect_source(source, node).unwrap();
    graph.connect(node, sink).unwrap();
    let mut task = Task::new(TaskId::default(), graph.build().unwrap());
    for offset in 0..count {
        let raw = RawRecord {
            topic: "in",
            partition: 0,
            offset: offset as i64,
            timestamp: 0,
            key: None,
            value: None,
            headers: &[],
        };
        task.enqueue(&raw).unwrap();
        task.process_all(&mut Discard).unwrap();
    }
    out.lock().unwrap().clone()
}
