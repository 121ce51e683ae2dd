//! The smoke run: every workload for about a thousand bids through the in-memory driver, and
//! one short run of W1 against a real broker with its latency phase and passthrough, so the
//! whole harness is exercised by `cargo test` in seconds. Figures are not meaningful here;
//! that each stage runs and produces output is.

use std::path::Path;

use super::BenchResult;
use super::engine::{self, EngineResult};
use super::measure::{self, BrokerResult, Options};
use super::workloads;

/// Engine-only runs of W1–W5, W1's AVRO and PROTOBUF variants and the restore workload with
/// `bids` bids each.
pub fn engine(bids: u64) -> BenchResult<Vec<EngineResult>> {
    let mut results = Vec::new();
    for workload in workloads::all()
        .iter()
        .chain(&workloads::registry_variants())
        .chain([&workloads::restore()])
    {
        let result = engine::run(workload, bids)?;
        if result.outputs == 0 {
            return Err(format!("{} wrote no output for {bids} bids", workload.id));
        }
        results.push(result);
    }
    Ok(results)
}

/// W1 against a broker with `bids` bids, a one-second latency phase, weir at `weir`.
pub fn broker(weir: &Path, work_dir: &Path, bids: u64) -> BenchResult<BrokerResult> {
    let options = Options {
        bids,
        latency_rate: 200,
        latency_seconds: 1,
        restore_keys: 0,
        max_seconds: 60,
        weir: weir.to_path_buf(),
        bench: None,
        work_dir: work_dir.to_path_buf(),
    };
    let w1 = workloads::all()
        .into_iter()
        .find(|w| w.id == "W1")
        .ok_or("no workload W1")?;
    measure::run(&w1, &options)
}
