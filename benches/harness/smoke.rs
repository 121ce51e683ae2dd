//! The smoke run: every workload for about a thousand bids through the in-memory driver, and
//! short runs of W1 and W2 against a real broker with their latency phase and passthrough
//! (W2's with its window check), so the whole harness is exercised by `cargo test` in seconds.
//! Figures are not meaningful here; that each stage runs and produces output is (and that
//! W2's windows are exact).

use std::path::Path;
use std::time::Duration;

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

/// Workload `id` against a broker with `bids` bids, a one-second latency phase, a one-second
/// settle (no memory figure is kept), weir at `weir`.
pub fn broker(weir: &Path, work_dir: &Path, id: &str, bids: u64) -> BenchResult<BrokerResult> {
    let options = Options {
        bids,
        latency_rate: 200,
        latency_seconds: 1,
        restore_keys: 0,
        max_seconds: 60,
        weir: weir.to_path_buf(),
        bench: None,
        work_dir: work_dir.to_path_buf(),
        peers: false,
        settle: Duration::from_secs(1),
    };
    let workload = workloads::all()
        .into_iter()
        .find(|w| w.id == id)
        .ok_or_else(|| format!("no workload {id}"))?;
    measure::run(&workload, &options)
}
