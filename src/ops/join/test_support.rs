//! Test helper: runs records through one join processor inside a real task, each record on
//! the port it names, and collects what the join forwards (with the fixtures of
//! [`crate::ops::test_support`]). Test-only.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use crate::expr::compile::{Evaluator, Slot};
use crate::expr::{ColumnRef, TypedExpr};
use crate::ops::layout::InputLayout;
use crate::ops::test_support::{Collect, Discard, Queue};
use crate::topology::{GraphBuilder, Port, Processor, RawRecord, Record, Task, TaskId};
use crate::types::SqlType;

use super::side::Side;

/// A side of one INT key column (the join key) and `width - 1` value columns.
pub(crate) fn int_side(width: usize) -> Side {
    let e = TypedExpr::column(ColumnRef::Input { side: 0, index: 0 }, SqlType::Int);
    let key = Evaluator::compile(&e, &|_| Some(Slot::Key(0))).unwrap();
    Side::new(key, InputLayout::keys(1), width)
}

/// Feeds `inputs` to `join` in order, each on its port, and returns what it forwarded.
pub(crate) fn run_join(join: Box<dyn Processor>, inputs: Vec<(Port, Record)>) -> Vec<Record> {
    let left = Arc::new(Mutex::new(VecDeque::new()));
    let right = Arc::new(Mutex::new(VecDeque::new()));
    let out = Arc::new(Mutex::new(Vec::new()));
    let mut graph = GraphBuilder::new();
    let l = graph.source("l", "l", Box::new(Queue(left.clone())));
    let r = graph.source("r", "r", Box::new(Queue(right.clone())));
    let node = graph.processor("join", join);
    let sink = graph.processor("collect", Box::new(Collect(out.clone())));
    graph.connect_source_port(l, node, Port::LEFT).unwrap();
    graph.connect_source_port(r, node, Port::RIGHT).unwrap();
    graph.connect(node, sink).unwrap();
    let mut task = Task::new(TaskId::default(), graph.build().unwrap());
    for (offset, (port, record)) in inputs.into_iter().enumerate() {
        let (queue, topic) = if port == Port::RIGHT {
            (&right, "r")
        } else {
            (&left, "l")
        };
        queue.lock().unwrap().push_back(record);
        let raw = RawRecord {
            topic,
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
