//! weir's benchmark harness, shared by the `weir-bench` bench target (`cargo bench --bench
//! weir-bench -- all`) and the smoke test (`tests/bench_smoke.rs`), so the suite cannot rot.
//!
//! The stages follow one benchmark run:
//! - [`generator`]: deterministic Nexmark-shaped person/auction/bid records, JSON-encoded.
//! - [`workloads`]: W1–W5 and the restore workload: which queries file, which guarantee, which
//!   inputs and which sink to time.
//! - [`engine`]: engine-only throughput through the in-memory driver (no broker).
//! - [`registry_formats`]: the AVRO and PROTOBUF variants of W1: bids re-encoded, a registry.
//! - [`broker`] and [`kafka`]: the test broker on loopback, topics, bulk produce, counts.
//! - [`daemon`]: a `weir run` process, its metrics and its `/proc` CPU and memory figures.
//! - [`passthrough`]: the I/O ceiling, a raw consumer→producer copy with no parsing.
//! - [`measure`]: per-workload runs against the broker, latency at a fixed rate, restore.
//! - [`windows`]: the check of a windowed sink's final windows against the input.
//! - [`peers`]: another stream processor (Quix Streams) over the same input, on request.
//! - [`report`]: the JSON and Markdown reports.
//! - [`smoke`]: the few-second run that `cargo test` does.
//!
//! Nothing here is on weir's own code path: it drives the public library and the binary only.
#![allow(dead_code)]

pub mod broker;
pub mod daemon;
pub mod engine;
pub mod generator;
pub mod kafka;
pub mod measure;
pub mod passthrough;
pub mod peers;
pub mod procfs;
pub mod registry_formats;
pub mod report;
pub mod smoke;
pub mod windows;
pub mod workloads;

/// Errors of the harness: a sentence that says what failed and where.
pub type BenchResult<T> = Result<T, String>;
