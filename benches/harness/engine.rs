//! Engine-only throughput: a workload's queries planned, built and registered in the in-memory
//! driver, and its pre-generated records piped through one by one on this thread, in three
//! rounds of which the median is reported. No broker, no serialization beyond the formats
//! the operators read and write themselves (JSON, or AVRO/PROTOBUF against an in-process
//! registry for the variants of [`registry_formats`](super::registry_formats)). The driver runs in its counting mode: records are run
//! and counted, not kept.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use weir::driver::Driver;
use weir::ops::RegistryOptions;
use weir::registry::{MemoryRegistry, SchemaRegistry};

use super::BenchResult;
use super::generator::Event;
use super::procfs;
use super::registry_formats::{self, ValueFormat};
use super::workloads::Workload;

/// What one engine-only run measured.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EngineResult {
    pub workload: String,
    /// Input records piped (bids, plus auctions for W3).
    pub records: u64,
    /// Records the queries wrote to their sink topics.
    pub outputs: u64,
    pub wall_seconds: f64,
    pub cpu_seconds: f64,
    /// Input records per CPU second of the piping thread.
    pub records_per_cpu_second: f64,
}

/// Registers every query of `sql` in a fresh driver; registry formats use `registry`.
pub fn driver_for(
    sql: &str,
    registry: Option<Arc<MemoryRegistry>>,
) -> BenchResult<(Driver, Vec<String>)> {
    let planned = weir::plan::plan_file(sql, "weir").map_err(|e| format!("planning: {e:?}"))?;
    let mut driver = Driver::new();
    let mut sinks = Vec::new();
    for query in &planned.queries {
        let options = registry.clone().map(|registry| RegistryOptions {
            registry: registry as Arc<dyn SchemaRegistry>,
            unavailable_wait: Duration::ZERO,
        });
        let topology = weir::ops::build_with_registry(query, options)
            .map_err(|e| format!("building {}: {e}", query.id))?;
        driver
            .register(&query.id, Arc::new(topology))
            .map_err(|e| format!("registering {}: {e}", query.id))?;
        sinks.push(query.sink.clone());
    }
    Ok((driver, sinks))
}

/// Rounds per workload; the median round is reported (the machine's other load varies).
const ROUNDS: usize = 3;

/// Pipes `bids` bids (and the workload's other inputs) through a fresh driver [`ROUNDS`]
/// times and reports the median round.
pub fn run(workload: &Workload, bids: u64) -> BenchResult<EngineResult> {
    let sql = workload.sql()?;
    let mut events = workload.events(bids, 1_700_000_000_000);
    let mut registry = None;
    if workload.value_format != ValueFormat::Json {
        let (memory, id) = registry_formats::registry_for(workload.value_format, "bids")?;
        events = events
            .iter()
            .map(|e| registry_formats::encode(e, workload.value_format, id))
            .collect::<BenchResult<_>>()?;
        registry = Some(memory);
    }
    let mut rounds = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        rounds.push(round(workload, &sql, &events, registry.clone())?);
    }
    rounds.sort_by(|a, b| a.cpu_seconds.total_cmp(&b.cpu_seconds));
    let Round {
        outputs,
        wall_seconds,
        cpu_seconds,
    } = rounds[ROUNDS / 2];
    let records = events.len() as u64;
    // /proc ticks are 10 ms: short runs fall back to wall time (one thread, so close to CPU).
    let per = if cpu_seconds >= 0.5 {
        cpu_seconds
    } else {
        wall_seconds
    };
    Ok(EngineResult {
        workload: workload.id.to_owned(),
        records,
        outputs,
        wall_seconds,
        cpu_seconds,
        records_per_cpu_second: records as f64 / per.max(1e-9),
    })
}

#[derive(Clone, Copy)]
struct Round {
    outputs: u64,
    wall_seconds: f64,
    cpu_seconds: f64,
}

/// One timed pass of `events` through a fresh driver in counting mode (the engine is
/// measured, not the driver's storage).
fn round(
    workload: &Workload,
    sql: &str,
    events: &[Event],
    registry: Option<Arc<MemoryRegistry>>,
) -> BenchResult<Round> {
    let (mut driver, sinks) = driver_for(sql, registry)?;
    driver.count_only();
    let cpu_before = procfs::thread_cpu_seconds().unwrap_or(0.0);
    let started = Instant::now();
    for event in events {
        driver
            .pipe(
                event.topic,
                Some(&event.key),
                Some(&event.value),
                Some(event.timestamp),
                &[],
            )
            .map_err(|e| format!("{}: piping into {}: {e}", workload.id, event.topic))?;
    }
    let wall_seconds = started.elapsed().as_secs_f64();
    let cpu_seconds = procfs::thread_cpu_seconds().unwrap_or(0.0) - cpu_before;
    Ok(Round {
        outputs: sinks.iter().map(|s| driver.appended(s)).sum(),
        wall_seconds,
        cpu_seconds,
    })
}
