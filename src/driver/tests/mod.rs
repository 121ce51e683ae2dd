//! The driver end to end with small processors built by hand: pass-through, a counting
//! aggregate on a key-value store, a windowed counter, a repartition. This file holds those
//! fixtures; [`driving`] tests piping, outputs and errors, [`restart`] tests restore,
//! [`join_restart`] restores joins planned from SQL and [`aggregate_restore`] the SQL
//! aggregation operators; [`record_cache`] checks what a record cache may change;
//! [`extra_functions`] runs an embedding program's extra aggregate and table functions.

mod aggregate_restore;
mod driving;
mod extra_functions;
mod join_restart;
mod record_cache;
mod restart;

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
