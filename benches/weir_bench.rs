//! `weir-bench`: weir's benchmark suite in one command. `cargo bench --bench weir-bench -- all`
//! builds weir in release, runs every workload through the in-memory driver (engine only) and
//! against the test broker next to a raw passthrough (the I/O ceiling), times a 1M-key restore,
//! and writes `benches/results/latest.json` and `benches/README.md`.
//!
//! Run by `cargo test --all-targets` as a bench target without arguments, it only prints its
//! usage, so the test suite stays fast; `tests/bench_smoke.rs` runs the harness in smoke mode.

#[path = "harness/mod.rs"]
mod harness;

/// The allocator of the `weir` binary, so engine-only runs measure what the daemon runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use harness::engine;
use harness::measure::{self, Options};
use harness::procfs;
use harness::report::Report;
use harness::workloads;

#[derive(Parser, Debug)]
#[command(name = "weir-bench", about = "weir's benchmark suite")]
struct Cli {
    #[command(subcommand)]
    command: Option<Run>,
    /// Bids pre-produced per workload against the broker.
    #[arg(long, global = true, default_value_t = 200_000)]
    bids: u64,
    /// Bids piped per workload through the in-memory driver.
    #[arg(long, global = true, default_value_t = 500_000)]
    engine_bids: u64,
    /// Distinct keys of the restore aggregate.
    #[arg(long, global = true, default_value_t = 1_000_000)]
    restore_keys: u64,
    /// Records/s of the latency phase (below saturation).
    #[arg(long, global = true, default_value_t = 1_000)]
    latency_rate: u64,
    /// Time limit of a workload's throughput phase (a slower run reports what it got through).
    #[arg(long, global = true, default_value_t = 180)]
    max_seconds: u64,
    /// `commit_interval` of every weir run (weir's default, "2s", when not given).
    #[arg(long, global = true)]
    commit_interval: Option<String>,
    /// Seconds of the latency phase.
    #[arg(long, global = true, default_value_t = 5)]
    latency_seconds: u64,
    /// Where logs and state of the runs go.
    #[arg(long, global = true)]
    work_dir: Option<PathBuf>,
    /// Do not rewrite benches/README.md and benches/results/latest.json.
    #[arg(long, global = true)]
    no_report: bool,
    /// Also run the peers (Quix Streams, for W1 and W2) over the same input topics after
    /// weir, on the same broker (installs them with `.ci/install-python-peers` on first use).
    #[arg(long, global = true)]
    peers: bool,
}

#[derive(Subcommand, Debug)]
enum Run {
    /// Engine only, every workload against the broker, and the restore.
    All,
    /// Engine-only throughput of the given workloads (W1 … W5, W1-AVRO, W1-PROTOBUF, RESTORE;
    /// all when none), no broker.
    Engine { workloads: Vec<String> },
    /// The given workloads (W1 … W5; all when none) against the broker.
    Broker { workloads: Vec<String> },
    /// The restore of a 1M-key aggregate.
    Restore,
    /// The few-second smoke run that `cargo test --test bench_smoke` also does.
    Smoke,
    /// Internal: the raw consumer→producer ceiling, one JSON line on stdout.
    Passthrough {
        #[arg(long)]
        bootstrap: String,
        /// Comma-separated input topics.
        #[arg(long)]
        inputs: String,
        #[arg(long)]
        output: String,
        #[arg(long)]
        expected: u64,
    },
}

fn main() -> ExitCode {
    // `cargo bench` appends `--bench`; `cargo test --all-targets` runs this with no command.
    let args = std::env::args().filter(|a| a != "--bench" && a != "--test");
    let cli = Cli::parse_from(args);
    let Some(command) = &cli.command else {
        println!(
            "weir-bench: no command given; try `cargo bench --bench weir-bench -- all` (see --help)"
        );
        return ExitCode::SUCCESS;
    };
    match run(&cli, command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("weir-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn profile() -> &'static str {
    if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    }
}

fn run(cli: &Cli, command: &Run) -> Result<(), String> {
    if let Run::Passthrough {
        bootstrap,
        inputs,
        output,
        expected,
    } = command
    {
        let inputs: Vec<&str> = inputs.split(',').collect();
        let result = harness::passthrough::run(bootstrap, &inputs, output, *expected)?;
        println!(
            "{}",
            serde_json::to_string(&result).map_err(|e| format!("passthrough result: {e}"))?
        );
        return Ok(());
    }
    if let Some(interval) = &cli.commit_interval {
        let _ = harness::daemon::COMMIT_INTERVAL.set(interval.clone());
    }
    let work_dir = cli
        .work_dir
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join("weir-bench"));
    std::fs::create_dir_all(&work_dir).map_err(|e| format!("{}: {e}", work_dir.display()))?;
    eprintln!(
        "weir-bench: {} build; logs and state under {}",
        profile(),
        work_dir.display()
    );
    let options = Options {
        bids: cli.bids,
        latency_rate: cli.latency_rate,
        latency_seconds: cli.latency_seconds,
        restore_keys: cli.restore_keys,
        max_seconds: cli.max_seconds,
        weir: PathBuf::from(env!("CARGO_BIN_EXE_weir")),
        bench: Some(std::env::current_exe().map_err(|e| format!("own path: {e}"))?),
        work_dir: work_dir.clone(),
        peers: cli.peers,
        settle: measure::SETTLE,
    };
    let (cores, cpu_model) = procfs::machine();
    let mut report = Report {
        finished: String::new(),
        cores,
        cpu_model,
        profile: profile().to_owned(),
        command: command_line(cli, command),
        bids: cli.bids,
        engine: Vec::new(),
        broker: Vec::new(),
        restore: None,
        failures: Vec::new(),
    };
    let (engine_runs, broker_runs, restore_run): (Vec<String>, Vec<String>, bool) = match command {
        Run::All => (engine_ids(&[]), ids(&[]), true),
        Run::Engine { workloads } => (engine_ids(workloads), Vec::new(), false),
        Run::Broker { workloads } => (Vec::new(), ids(workloads), false),
        Run::Restore => (Vec::new(), Vec::new(), true),
        Run::Smoke => return smoke(&options),
        Run::Passthrough { .. } => return Ok(()),
    };
    {
        let all = workloads::all()
            .into_iter()
            .chain(workloads::registry_variants())
            .chain([workloads::restore()]);
        for workload in all.filter(|w| engine_runs.iter().any(|id| id == w.id)) {
            eprintln!(
                "weir-bench: engine {} ({} bids)",
                workload.id, cli.engine_bids
            );
            match engine::run(&workload, cli.engine_bids) {
                Ok(r) => {
                    eprintln!("  {:.0} records/s per core", r.records_per_cpu_second);
                    report.engine.push(r);
                }
                Err(e) => report.failures.push(format!("engine {}: {e}", workload.id)),
            }
        }
    }
    for workload in workloads::all()
        .iter()
        .filter(|w| broker_runs.iter().any(|id| id == w.id))
    {
        eprintln!("weir-bench: broker {} ({} bids)", workload.id, cli.bids);
        match measure::run(workload, &options) {
            Ok(r) => {
                eprintln!(
                    "  {:.0} records/s wall, {:.0} per core; ceiling {:.0} wall, {:.0} per core",
                    r.records_per_second,
                    r.records_per_cpu_second,
                    r.ceiling_records_per_second,
                    r.ceiling_records_per_cpu_second
                );
                failed_checks(&r, &mut report.failures);
                report.broker.push(r);
            }
            Err(e) => {
                eprintln!("  failed: {e}");
                report.failures.push(format!("broker {}: {e}", workload.id));
            }
        }
    }
    if restore_run {
        eprintln!("weir-bench: restore ({} keys)", cli.restore_keys);
        match measure::restore::run(&options) {
            Ok(r) => {
                eprintln!(
                    "  {:.0} records/s, {:.1} MB/s",
                    r.records_per_second, r.mb_per_second
                );
                report.restore = Some(r);
            }
            Err(e) => {
                eprintln!("  failed: {e}");
                report.failures.push(format!("restore: {e}"));
            }
        }
    }
    report.finished = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let json = serde_json::to_string_pretty(&report).map_err(|e| format!("report: {e}"))?;
    println!("{json}");
    if !cli.no_report {
        let benches = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches");
        merge_previous(&mut report, &benches.join("results/latest.json"));
        report.write(&benches.join("results"), &benches.join("README.md"))?;
        eprintln!("weir-bench: wrote benches/README.md and benches/results/latest.json");
    }
    if report.failures.is_empty() {
        Ok(())
    } else {
        Err(format!("{} run(s) failed", report.failures.len()))
    }
}

/// Prints what the checks of a broker run found and lists the failed ones: a window check
/// that did not pass, a peer that failed or whose output is wrong.
fn failed_checks(r: &measure::BrokerResult, failures: &mut Vec<String>) {
    if let Some(check) = &r.windows
        && !check.passed()
    {
        failures.push(format!("broker {}: weir {}", r.workload, check.summary()));
    }
    if let Some(e) = &r.peer_failure {
        eprintln!("  peer failed: {e}");
        failures.push(format!("peer {}: {e}", r.workload));
    }
    if let Some(p) = &r.peer {
        let check = p.windows.as_ref().map_or_else(
            || format!("outputs {} of {:?}", p.outputs, p.expected_outputs),
            |w| w.summary(),
        );
        eprintln!(
            "  {}: {:.0} records/s wall, {:.0} per core ({} records, {:.2} CPU s); {check}; \
             {} late",
            p.peer,
            p.records_per_second,
            p.records_per_cpu_second,
            p.records,
            p.cpu_seconds,
            p.late
        );
        if !p.passed() {
            failures.push(format!("peer {} {}: {check}", r.workload, p.peer));
        }
    }
}

/// A partial run (say `restore` alone) keeps the other sections of the previous report, and
/// the report lists both commands.
fn merge_previous(report: &mut Report, previous: &std::path::Path) {
    let Some(old) = std::fs::read_to_string(previous)
        .ok()
        .and_then(|text| serde_json::from_str::<Report>(&text).ok())
    else {
        return;
    };
    let mut kept = false;
    for old_engine in old.engine {
        if !report
            .engine
            .iter()
            .any(|e| e.workload == old_engine.workload)
        {
            report.engine.push(old_engine);
            kept = true;
        }
    }
    for old_broker in old.broker {
        if !report
            .broker
            .iter()
            .any(|b| b.workload == old_broker.workload)
        {
            report.broker.push(old_broker);
            kept = true;
        }
    }
    if report.restore.is_none() && old.restore.is_some() {
        report.restore = old.restore;
        kept = true;
    }
    if kept {
        report.command = format!("{}` then `{}", old.command, report.command);
    }
}

/// Workload ids to run against the broker: the given ones, or all.
fn ids(given: &[String]) -> Vec<String> {
    if given.is_empty() {
        workloads::all().iter().map(|w| w.id.to_owned()).collect()
    } else {
        given.iter().map(|g| g.to_uppercase()).collect()
    }
}

/// Workload ids to run through the driver: the given ones, or all with the AVRO and
/// PROTOBUF variants of W1 and the restore one.
fn engine_ids(given: &[String]) -> Vec<String> {
    let mut all = ids(given);
    if given.is_empty() {
        all.extend(
            workloads::registry_variants()
                .iter()
                .map(|w| w.id.to_owned()),
        );
        all.push(workloads::restore().id.to_owned());
    }
    all
}

/// The command that reproduces this run.
fn command_line(cli: &Cli, command: &Run) -> String {
    let what = match command {
        Run::All => "all".to_owned(),
        Run::Engine { workloads } => format!("engine {}", workloads.join(" ")).trim().to_owned(),
        Run::Broker { workloads } => format!("broker {}", workloads.join(" ")).trim().to_owned(),
        Run::Restore => "restore".to_owned(),
        Run::Smoke => "smoke".to_owned(),
        Run::Passthrough { .. } => "passthrough".to_owned(),
    };
    let mut commit = cli
        .commit_interval
        .as_ref()
        .map_or(String::new(), |c| format!(" --commit-interval {c}"));
    if cli.peers {
        commit.push_str(" --peers");
    }
    format!(
        "cargo bench --bench weir-bench -- {what}{commit} --bids {} --engine-bids {} --restore-keys {} \
         --latency-rate {} --latency-seconds {} --max-seconds {}",
        cli.bids,
        cli.engine_bids,
        cli.restore_keys,
        cli.latency_rate,
        cli.latency_seconds,
        cli.max_seconds
    )
}

fn smoke(options: &Options) -> Result<(), String> {
    for r in harness::smoke::engine(1_000)? {
        eprintln!(
            "engine {}: {} records, {} outputs",
            r.workload, r.records, r.outputs
        );
    }
    for id in ["W1", "W2"] {
        let r = harness::smoke::broker(&options.weir, &options.work_dir, id, 1_000)?;
        let check = r.windows.as_ref().map_or(String::new(), |c| c.summary());
        eprintln!(
            "broker {id}: {} records in {:.2} s {check}",
            r.records, r.wall_seconds
        );
        if r.windows.as_ref().is_some_and(|c| !c.passed()) {
            return Err(format!("broker {id}: {check}"));
        }
    }
    Ok(())
}
