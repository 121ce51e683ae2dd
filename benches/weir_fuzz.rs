//! `weir-fuzz`: fuzzing on stable Rust, without cargo-fuzz. One command runs the targets in
//! release mode:
//!
//! ```text
//! cargo bench --bench weir-fuzz -- all --inputs 10000000 --seed 1
//! cargo bench --bench weir-fuzz -- json delimited --inputs 1000000
//! cargo bench --bench weir-fuzz -- json --replay /tmp/weir-fuzz/json-….bin
//! cargo bench --bench weir-fuzz -- sql --seed 1 --start 123456 --inputs 1
//! ```
//!
//! Targets: `sql` (parser, analyzer dry run and planner on whole queries files), `json` (the
//! JSON record reader, differential against serde_json), `delimited` (the DELIMITED reader
//! against a model of ksqlDB's Commons CSV reading, and writer round trips), `protobuf` (the
//! `.proto` schema reader), `protobuf-wire` (the PROTOBUF codec on record bytes, round trips)
//! and `schemas` (the AVRO and JSON-schema translators); `all` runs them one after another.
//! Seeds come from `../shared/qtt` when it exists (or `WEIR_QTT_DIR`). Each target prints its
//! input count, distinct panics and mismatches with their inputs, and the elapsed time;
//! findings are written to `--out` (default `$TMPDIR/weir-fuzz`), and the process exits
//! non-zero if there was any. Without a target it prints its usage and succeeds (`cargo test
//! --all-targets` runs it so). The bounded run in `cargo test` is `tests/fuzz_smoke.rs`; the
//! module doc of `benches/fuzz/mod.rs` says how inputs are made.

#[path = "fuzz/mod.rs"]
mod fuzz;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

#[derive(Parser, Debug)]
#[command(name = "weir-fuzz", about = "Fuzz weir's parsers and readers")]
struct Cli {
    /// Targets to run: sql, json, delimited, protobuf, protobuf-wire, schemas, or all.
    targets: Vec<String>,
    /// Inputs per target.
    #[arg(long, default_value_t = 100_000)]
    inputs: u64,
    /// The run's seed; input `i` is generated from the seed and `i`.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Index of the first input, to replay a finding reported by index.
    #[arg(long, default_value_t = 0)]
    start: u64,
    /// Where inputs that found something are written.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Run one saved input through the (single) target instead of generating.
    #[arg(long)]
    replay: Option<PathBuf>,
}

fn main() -> ExitCode {
    // `cargo bench` appends `--bench`; `cargo test --all-targets` runs this with no target.
    let args = std::env::args().filter(|a| a != "--bench" && a != "--test");
    let cli = Cli::parse_from(args);
    if cli.targets.is_empty() {
        println!(
            "weir-fuzz: no target given; try `cargo bench --bench weir-fuzz -- all --inputs 10000000` (see --help)"
        );
        return ExitCode::SUCCESS;
    }
    let names: Vec<&str> = if cli.targets.iter().any(|t| t == "all") {
        fuzz::TARGETS.to_vec()
    } else {
        cli.targets.iter().map(String::as_str).collect()
    };
    if let Some(bad) = names.iter().find(|n| !fuzz::TARGETS.contains(n)) {
        eprintln!(
            "weir-fuzz: unknown target `{bad}`; one of {:?} or all",
            fuzz::TARGETS
        );
        return ExitCode::FAILURE;
    }
    run(&cli, &names)
}

fn run(cli: &Cli, names: &[&str]) -> ExitCode {
    let corpus = fuzz::Corpus::load();
    if let Some(path) = &cli.replay {
        let [name] = names else {
            eprintln!("weir-fuzz: --replay takes exactly one target");
            return ExitCode::FAILURE;
        };
        let input = match std::fs::read(path) {
            Ok(input) => input,
            Err(e) => {
                eprintln!("weir-fuzz: {}: {e}", path.display());
                return ExitCode::FAILURE;
            }
        };
        let mut target = fuzz::target(name, &corpus).expect("known target");
        let stack = target.stack_size() * if cfg!(debug_assertions) { 8 } else { 1 };
        println!("input: {}", fuzz::show(&input, 4000));
        let result = std::thread::scope(|scope| {
            std::thread::Builder::new()
                .stack_size(stack)
                .spawn_scoped(scope, || fuzz::replay(target.as_mut(), &input))
                .expect("spawn the replay thread")
                .join()
                .expect("replay catches every panic")
        });
        return match result {
            Ok(()) => {
                println!("{name}: ok");
                ExitCode::SUCCESS
            }
            Err(m) => {
                println!("{name}: {}\n  {}", m.kind, m.detail);
                ExitCode::FAILURE
            }
        };
    }
    let options = fuzz::Options {
        inputs: cli.inputs,
        seed: cli.seed,
        start: cli.start,
        out_dir: cli
            .out
            .clone()
            .unwrap_or_else(|| std::env::temp_dir().join("weir-fuzz")),
        progress: Some(Duration::from_secs(60)),
        // Sizes are the release build's; debug frames are several times larger.
        stack_scale: if cfg!(debug_assertions) { 8 } else { 1 },
    };
    println!(
        "weir-fuzz: {} inputs per target from #{}, seed {}, findings to {}",
        options.inputs,
        options.start,
        options.seed,
        options.out_dir.display()
    );
    let mut clean = true;
    for name in names {
        let mut target = fuzz::target(name, &corpus).expect("known target");
        let outcome = fuzz::run(target.as_mut(), &options);
        print!("{}", outcome.report());
        clean &= outcome.clean();
    }
    println!(
        "weir-fuzz: {} — {} target(s), {} inputs each, seed {}",
        if clean {
            "ok, no panics or mismatches"
        } else {
            "FAILED"
        },
        names.len(),
        options.inputs,
        options.seed
    );
    if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
