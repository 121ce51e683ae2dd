//! The fuzz runner: generates inputs for one target at a time, runs each through weir's code
//! under `catch_unwind`, and reports what broke. Inputs come from grammar-aware generators
//! (whole SQL files, JSON documents, DELIMITED lines, `.proto`, AVRO and JSON schemas) and from
//! byte- and token-level mutation of generated inputs and of ksqlDB's query-validation cases
//! (read at run time from `../shared/qtt` when present, never copied). Input `i` of a run is a
//! pure function of the seed and `i`, so any finding replays with `--start i --inputs 1`, and
//! every finding is also written to a file that `--replay` runs again.
//!
//! A target checks more than "no panic" where it has an oracle: the JSON reader is compared
//! with serde_json (`json_oracle`), DELIMITED rows must survive weir's own writer and a quoted
//! line must read back its fields. A differential failure is a *mismatch*; both panics and
//! mismatches fail the run. The runner knows nothing of any target's format; `guard` catches
//! what `catch_unwind` cannot (aborts, stack overflows, hangs) well enough to name the input.

pub mod corpus;
pub mod csv_model;
pub mod delimited;
pub mod guard;
pub mod json;
pub mod json_expect;
pub mod json_gen;
pub mod json_oracle;
pub mod mutate;
pub mod proto;
pub mod proto_wire;
pub mod schemas;
pub mod sql;
pub mod sql_expr;
pub mod sql_gen;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand::rngs::SmallRng;

pub use corpus::Corpus;

/// What a target found wrong with an input besides panicking: a short kind (findings are
/// grouped by it) and the details.
#[derive(Debug, Clone)]
pub struct Mismatch {
    pub kind: String,
    pub detail: String,
}

impl Mismatch {
    pub fn new(kind: impl Into<String>, detail: impl Into<String>) -> Mismatch {
        Mismatch {
            kind: kind.into(),
            detail: detail.into(),
        }
    }
}

/// One fuzz target: a generator of inputs and the check each input goes through.
pub trait Target: Send {
    /// The name on the command line and in reports.
    fn name(&self) -> &'static str;
    /// Writes input number `i` (the caller seeded `rng` from the run's seed and `i`).
    fn generate(&mut self, rng: &mut SmallRng, input: &mut Vec<u8>);
    /// Runs one input through the code under test. A panic is caught by the runner; an
    /// `Err` is a differential failure. Must depend on `input` alone, so findings replay.
    fn check(&mut self, input: &[u8]) -> Result<(), Mismatch>;
    /// Counters that show how deep the inputs got (parsed, analyzed, compared, …).
    fn stats(&self) -> Vec<(&'static str, u64)>;
    /// The stack the code under test gets in weir: a stream thread's 2 MiB for record
    /// readers, the main thread's 8 MiB for what runs at startup. Inputs run on a thread of
    /// this size, so a missing depth limit overflows here as it would there.
    fn stack_size(&self) -> usize;
}

/// Every target, by name, in the order `all` runs them.
pub const TARGETS: &[&str] = &[
    "sql",
    "json",
    "delimited",
    "protobuf",
    "protobuf-wire",
    "schemas",
];

/// The target called `name`, seeded with `corpus`.
pub fn target(name: &str, corpus: &Corpus) -> Option<Box<dyn Target>> {
    Some(match name {
        "sql" => Box::new(sql::SqlTarget::new(corpus)),
        "json" => Box::new(json::JsonTarget::new(corpus)),
        "delimited" => Box::new(delimited::DelimitedTarget::new(corpus)),
        "protobuf" => Box::new(proto::ProtoTarget::new(corpus)),
        "protobuf-wire" => Box::new(proto_wire::ProtoWireTarget::new()),
        "schemas" => Box::new(schemas::SchemaTarget::new(corpus)),
        _ => return None,
    })
}

/// How a run goes.
#[derive(Debug, Clone)]
pub struct Options {
    /// Inputs per target.
    pub inputs: u64,
    /// The run's seed: input `i` is generated from `(seed, i)`.
    pub seed: u64,
    /// The index of the first input (to replay a finding reported by index).
    pub start: u64,
    /// Where findings are written.
    pub out_dir: PathBuf,
    /// Print a progress line this often (never when `None`).
    pub progress: Option<Duration>,
    /// Multiplies each target's stack: a debug build's frames are several times larger
    /// than the release build's the sizes are meant for.
    pub stack_scale: usize,
}

/// A distinct problem: the first input that showed it and how often it recurred.
#[derive(Debug, Clone)]
pub struct Finding {
    pub kind: String,
    pub detail: String,
    pub index: u64,
    pub input: Vec<u8>,
    pub count: u64,
    pub file: Option<PathBuf>,
}

/// The result of running one target.
#[derive(Debug)]
pub struct Outcome {
    pub target: &'static str,
    pub inputs: u64,
    pub elapsed: Duration,
    pub panics: Vec<Finding>,
    pub mismatches: Vec<Finding>,
    pub stats: Vec<(&'static str, u64)>,
}

impl Outcome {
    pub fn clean(&self) -> bool {
        self.panics.is_empty() && self.mismatches.is_empty()
    }

    /// The per-target report: counts, elapsed time, each finding with its input.
    pub fn report(&self) -> String {
        let mut out = String::new();
        let secs = self.elapsed.as_secs_f64();
        let _ = writeln!(
            out,
            "{}: {} inputs in {:.1}s ({:.0}/s), {} distinct panics, {} distinct mismatches",
            self.target,
            self.inputs,
            secs,
            self.inputs as f64 / secs.max(1e-9),
            self.panics.len(),
            self.mismatches.len()
        );
        let stats: Vec<String> = self.stats.iter().map(|(k, v)| format!("{k} {v}")).collect();
        let _ = writeln!(out, "  {}", stats.join(", "));
        for (label, findings) in [("PANIC", &self.panics), ("MISMATCH", &self.mismatches)] {
            for f in findings {
                let _ = writeln!(
                    out,
                    "  {label} {} (x{}), first at input #{}: {}",
                    f.kind, f.count, f.index, f.detail
                );
                let _ = writeln!(out, "    input: {}", show(&f.input, 600));
                if let Some(file) = &f.file {
                    let _ = writeln!(out, "    written to {}", file.display());
                }
            }
        }
        out
    }
}

/// Input bytes for a report: UTF-8 text escaped like a Rust string, cut at `limit` chars.
pub fn show(input: &[u8], limit: usize) -> String {
    let text = String::from_utf8_lossy(input);
    let mut escaped: String = text.escape_debug().take(limit).collect();
    if text.escape_debug().nth(limit).is_some() {
        escaped.push('…');
    }
    let lossy = if std::str::from_utf8(input).is_err() {
        " (not UTF-8; lossy)"
    } else {
        ""
    };
    format!("\"{escaped}\"{lossy} [{} bytes]", input.len())
}

/// The rng of input `index`: distinct, reproducible streams per input.
pub fn input_rng(seed: u64, index: u64) -> SmallRng {
    let mixed = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17)
        ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03);
    SmallRng::seed_from_u64(mixed)
}

/// Runs `options.inputs` inputs through `target`, on a thread with the target's stack.
pub fn run(target: &mut dyn Target, options: &Options) -> Outcome {
    let stack = target.stack_size() * options.stack_scale.max(1);
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name(format!("fuzz-{}", target.name()))
            .stack_size(stack)
            .spawn_scoped(scope, || run_here(target, options))
            .expect("spawn the fuzz thread")
            .join()
            .expect("the fuzz thread catches every panic")
    })
}

fn run_here(target: &mut dyn Target, options: &Options) -> Outcome {
    let name = target.name();
    let _hook = guard::QuietPanics::install();
    let watch = guard::Watch::start(name, options.seed);
    let started = Instant::now();
    let mut last_progress = started;
    let mut panics: BTreeMap<String, Finding> = BTreeMap::new();
    let mut mismatches: BTreeMap<String, Finding> = BTreeMap::new();
    let mut input = Vec::new();
    for index in options.start..options.start.saturating_add(options.inputs) {
        let mut rng = input_rng(options.seed, index);
        input.clear();
        target.generate(&mut rng, &mut input);
        if options.inputs == 1 {
            // Replaying one input by index: show it and keep it before it runs (it may hang).
            let file = write_finding(&options.out_dir, name, "replay", &input);
            eprintln!("{name}: input #{index}: {}", show(&input, 4000));
            if let Some(file) = file {
                eprintln!("  written to {}", file.display());
            }
        }
        watch.enter(index);
        let result = catch_unwind(AssertUnwindSafe(|| target.check(&input)));
        watch.leave();
        let (map, kind, detail) = match result {
            Ok(Ok(())) => {
                if index & 0xfff == 0
                    && let Some(every) = options.progress
                    && last_progress.elapsed() >= every
                {
                    last_progress = Instant::now();
                    eprintln!(
                        "{name}: {} inputs, {} panics, {} mismatches, {:.0}s",
                        index - options.start + 1,
                        panics.len(),
                        mismatches.len(),
                        started.elapsed().as_secs_f64()
                    );
                }
                continue;
            }
            Ok(Err(m)) => (&mut mismatches, m.kind, m.detail),
            Err(_) => {
                let (location, message) = guard::take_panic();
                (&mut panics, location, message)
            }
        };
        let finding = map.entry(kind.clone()).or_insert_with(|| {
            let file = write_finding(&options.out_dir, name, &kind, &input);
            let finding = Finding {
                kind,
                detail,
                index,
                input: input.clone(),
                count: 0,
                file,
            };
            eprintln!(
                "{name}: new finding at input #{index}: {} — {}\n  input: {}",
                finding.kind,
                finding.detail,
                show(&finding.input, 600)
            );
            finding
        });
        finding.count += 1;
    }
    Outcome {
        target: name,
        inputs: options.inputs,
        elapsed: started.elapsed(),
        panics: panics.into_values().collect(),
        mismatches: mismatches.into_values().collect(),
        stats: target.stats(),
    }
}

/// Runs one saved input through `target` (the `--replay` mode).
pub fn replay(target: &mut dyn Target, input: &[u8]) -> Result<(), Mismatch> {
    let _hook = guard::QuietPanics::install();
    match catch_unwind(AssertUnwindSafe(|| target.check(input))) {
        Ok(result) => result,
        Err(_) => {
            let (location, message) = guard::take_panic();
            Err(Mismatch::new(format!("panic at {location}"), message))
        }
    }
}

/// Writes a finding's input to `<dir>/<target>-<hash>.bin`; `None` if that fails.
fn write_finding(dir: &Path, target: &str, kind: &str, input: &[u8]) -> Option<PathBuf> {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    kind.hash(&mut hasher);
    input.hash(&mut hasher);
    std::fs::create_dir_all(dir).ok()?;
    let path = dir.join(format!("{target}-{:016x}.bin", hasher.finish()));
    std::fs::write(&path, input).ok()?;
    Some(path)
}
