//! The conformance runner: every case of ksqlDB's query-validation tests (`../shared/qtt`, or
//! `$WEIR_QTT_DIR`) through the planner, the operator builder and the in-memory driver.
//! Functions of ksqlDB's test build that cases call are registered first, as extra functions
//! (`test_functions/`), as ksqlDB's harness loads its test-jars.
//! Prints per-file counts and `N passed, M failed, K skipped`, the failures per cause
//! (`causes.rs`: test-jar UDF not registered, unsupported by design, known gap) and the pass
//! rate of the runnable cases with and without those calling test-jar UDFs (registered or
//! not), and how many cases expecting an exception get ksqlDB's message, differ by design or
//! differ otherwise (`messages.rs`); writes a per-case JSON report
//! (with each failure's `category`) to `$CARGO_TARGET_DIR/conformance-report.json` (or the
//! temp dir), and fails only when a case listed in `tests/conformance/ratchet.txt` does not
//! pass. `BLESS=1` rewrites the ratchet from the current passes. The case files are data and
//! are never copied into the repository.

mod case;
mod causes;
mod codec;
mod expected;
mod messages;
mod post;
mod raw;
mod registry;
mod test_functions;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::{Value as Json, json};

use case::Status;
use causes::Cause;

const RATCHET: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/conformance/ratchet.txt");

fn qtt_dir() -> Option<PathBuf> {
    if let Ok(dir) = std::env::var("WEIR_QTT_DIR") {
        return Some(PathBuf::from(dir));
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .skip(1)
        .map(|a| a.join("shared/qtt"))
        .find(|p| p.is_dir())
}

struct Result_ {
    file: String,
    name: String,
    format: String,
    status: Status,
    /// weir's message for a case that expects an exception and gets one.
    message: Option<case::ErrorMessage>,
    /// Whether the case uses a Schema Registry format (see [`registry_format`]).
    registry_format: bool,
    /// Whether the case calls a function of ksqlDB's test build (see `causes.rs`).
    calls_test_jar: bool,
    /// Whether one of them is not registered by the runner (`test_functions/`).
    calls_unregistered: bool,
}

impl Result_ {
    fn id(&self) -> String {
        format!("{} / {} / {}", self.file, self.name, self.format)
    }

    /// Why the case fails, when it does.
    fn cause(&self) -> Option<Cause> {
        match &self.status {
            Status::Failed(why) | Status::Error(why) => {
                Some(causes::cause(self.calls_unregistered, why))
            }
            Status::Passed | Status::Skipped(_) => None,
        }
    }
}

fn run_file(path: &Path, results: &mut Vec<Result_>) {
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let parsed: Result<Json, String> = std::fs::read_to_string(path)
        .map_err(|e| e.to_string())
        .and_then(|t| {
            let mut doc = serde_json::from_str(&t).map_err(|e| e.to_string())?;
            raw::annotate(&mut doc, &t);
            Ok(doc)
        });
    let doc = match parsed {
        Ok(doc) => doc,
        Err(e) => {
            results.push(Result_ {
                file,
                name: "<file>".into(),
                format: "-".into(),
                status: Status::Error(e),
                message: None,
                registry_format: false,
                calls_test_jar: false,
                calls_unregistered: false,
            });
            return;
        }
    };
    for case in doc
        .get("tests")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        let name = case
            .get("name")
            .and_then(Json::as_str)
            .unwrap_or("<unnamed>")
            .to_owned();
        let formats: Vec<Option<String>> = match case.get("format").and_then(Json::as_array) {
            Some(list) => list.iter().map(|f| f.as_str().map(str::to_owned)).collect(),
            None => vec![None],
        };
        for format in formats {
            let statements = statements(case, format.as_deref());
            let registry_format = registry_format(case, format.as_deref(), &statements);
            let (status, message) = match case::skip_reason(case) {
                Some(why) => (Status::Skipped(why), None),
                None => {
                    std::panic::catch_unwind(|| case::run(case, format.as_deref(), &statements))
                        .unwrap_or_else(|panic| {
                            let text = panic
                                .downcast_ref::<String>()
                                .cloned()
                                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                                .unwrap_or_default();
                            (Status::Error(format!("panic: {text}")), None)
                        })
                }
            };
            results.push(Result_ {
                file: file.clone(),
                name: name.clone(),
                format: format.unwrap_or_else(|| "-".into()),
                status,
                message,
                registry_format,
                calls_test_jar: causes::calls_test_jar_function(&statements),
                calls_unregistered: causes::calls_unregistered_test_jar_function(&statements),
            });
        }
    }
}

/// The formats the acceptance figure counts as Schema Registry formats (the set).
const REGISTRY_FORMATS: &[&str] = &["AVRO", "PROTOBUF", "PROTOBUF_NOSR", "JSON_SR"];

/// Whether a case uses a registry format: as its `format` entry, in its statements, or
/// through schemas on its topics. Only for the figure; the runner treats all cases alike.
fn registry_format(case: &Json, format: Option<&str>, statements: &str) -> bool {
    let upper = statements.to_ascii_uppercase();
    format.is_some_and(|f| REGISTRY_FORMATS.contains(&f))
        || REGISTRY_FORMATS
            .iter()
            .any(|f| upper.contains(&format!("'{f}'")))
        || case
            .get("topics")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .any(|t| t.get("keySchema").is_some() || t.get("valueSchema").is_some())
}

fn statements(case: &Json, format: Option<&str>) -> String {
    let mut out = String::new();
    for s in case
        .get("statements")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        let s = s.as_str().unwrap_or("");
        let s = match format {
            Some(f) => s.replace("{FORMAT}", f),
            None => s.to_owned(),
        };
        out.push_str(s.trim_end());
        if !s.trim_end().ends_with(';') {
            out.push(';');
        }
        out.push('\n');
    }
    out
}

fn main() -> ExitCode {
    let Some(dir) = qtt_dir() else {
        eprintln!("conformance: no qtt directory (set WEIR_QTT_DIR); nothing to run");
        return ExitCode::SUCCESS;
    };
    // ksqlDB's harness loads its test-jars' functions besides the built-ins; so does this.
    if let Err(e) = test_functions::install() {
        eprintln!("conformance: could not register the test functions: {e}");
        return ExitCode::FAILURE;
    }
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    paths.retain(|p| p.extension().is_some_and(|e| e == "json"));
    paths.sort();
    // Cases panic only on bugs; keep their messages out of the summary.
    std::panic::set_hook(Box::new(|_| {}));
    let mut results = Vec::new();
    for path in &paths {
        run_file(path, &mut results);
    }
    let _ = std::panic::take_hook();
    report(&results);
    ratchet(&results)
}

fn counts<'a>(results: impl Iterator<Item = &'a Result_>) -> [usize; 4] {
    let mut c = [0; 4];
    for r in results {
        c[match r.status {
            Status::Passed => 0,
            Status::Failed(_) => 1,
            Status::Error(_) => 2,
            Status::Skipped(_) => 3,
        }] += 1;
    }
    c
}

fn report(results: &[Result_]) {
    let files: BTreeSet<&str> = results.iter().map(|r| r.file.as_str()).collect();
    for file in files {
        let [p, f, e, s] = counts(results.iter().filter(|r| r.file == file));
        println!("{file}: {p} passed, {f} failed, {e} errors, {s} skipped");
    }
    let rows: Vec<Json> = results
        .iter()
        .map(|r| {
            let (status, reason) = match &r.status {
                Status::Passed => ("passed", String::new()),
                Status::Failed(why) => ("failed", why.clone()),
                Status::Error(why) => ("error", why.clone()),
                Status::Skipped(why) => ("skipped", why.clone()),
            };
            json!({"file": r.file, "name": r.name, "format": r.format, "status": status,
                   "reason": reason, "category": r.cause().map(Cause::label),
                   "messageMatches": r.message.as_ref().map(|m| m.matches),
                   "messageMismatch": r.message.as_ref()
                       .and_then(|m| m.mismatch).map(messages::Mismatch::label),
                   "message": r.message.as_ref().map(|m| m.actual.as_str()),
                   "registryFormat": r.registry_format})
        })
        .collect();
    let dir = std::env::var_os("CARGO_TARGET_DIR").map_or_else(std::env::temp_dir, PathBuf::from);
    let path = dir.join("conformance-report.json");
    match std::fs::write(
        &path,
        serde_json::to_string_pretty(&rows).unwrap_or_default(),
    ) {
        Ok(()) => println!("report: {}", path.display()),
        Err(e) => eprintln!("could not write {}: {e}", path.display()),
    }
    let [p, f, e, s] = counts(results.iter());
    let expecting: Vec<&case::ErrorMessage> =
        results.iter().filter_map(|r| r.message.as_ref()).collect();
    let matching = expecting.iter().filter(|m| m.matches).count();
    let mismatches = |design: bool| {
        expecting
            .iter()
            .filter(|m| m.mismatch.is_some_and(|why| why.by_design() == design))
            .count()
    };
    println!(
        "expected-exception cases passing: {n}; ksqlDB's message: {matching} of {n}; \
         by design: {} (refused statement or syntax error, messages.rs); other: {}",
        mismatches(true),
        mismatches(false),
        n = expecting.len(),
    );
    println!("{p} passed, {} failed, {s} skipped", f + e);
    println!(
        "skipped: {s} of {} cases ({:.1} %)",
        results.len(),
        percent(s, results.len())
    );
    report_causes(results);
    let [rp, rf, re, rs] = counts(results.iter().filter(|r| r.registry_format));
    let all = rp + rf + re + rs;
    println!(
        "registry-format cases passing: {rp} of {all} ({:.1} %; {} failed, {rs} skipped)",
        percent(rp, all),
        rf + re
    );
}

/// The failures per cause, and the pass rate of the runnable (not skipped) cases with and
/// without the cases that call test-jar functions.
fn report_causes(results: &[Result_]) {
    for cause in Cause::ALL {
        let n = results.iter().filter(|r| r.cause() == Some(cause)).count();
        println!("failed, {}: {n}", cause.label());
    }
    let runnable: Vec<&Result_> = results
        .iter()
        .filter(|r| !matches!(r.status, Status::Skipped(_)))
        .collect();
    let passed = |rs: &[&Result_]| rs.iter().filter(|r| r.status == Status::Passed).count();
    let all = passed(&runnable);
    println!(
        "runnable cases passing, all: {all} of {} ({:.1} %)",
        runnable.len(),
        percent(all, runnable.len())
    );
    let production: Vec<&Result_> = runnable
        .iter()
        .copied()
        .filter(|r| !r.calls_test_jar)
        .collect();
    let ok = passed(&production);
    println!(
        "runnable cases passing, without the {} that call test-jar UDFs: {ok} of {} ({:.1} %)",
        runnable.len() - production.len(),
        production.len(),
        percent(ok, production.len())
    );
}

fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        return 0.0;
    }
    part as f64 * 100.0 / whole as f64
}

fn ratchet(results: &[Result_]) -> ExitCode {
    let passed: BTreeSet<String> = results
        .iter()
        .filter(|r| r.status == Status::Passed)
        .map(Result_::id)
        .collect();
    if std::env::var_os("BLESS").is_some() {
        let text: String = passed.iter().map(|id| format!("{id}\n")).collect();
        if let Err(e) = std::fs::write(RATCHET, text) {
            eprintln!("could not write {RATCHET}: {e}");
            return ExitCode::FAILURE;
        }
        eprintln!("ratchet: wrote {} cases to {RATCHET}", passed.len());
        return ExitCode::SUCCESS;
    }
    let listed = std::fs::read_to_string(RATCHET).unwrap_or_default();
    let regressions: Vec<&str> = listed
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !passed.contains(*l))
        .collect();
    if regressions.is_empty() {
        return ExitCode::SUCCESS;
    }
    eprintln!("{} ratcheted cases no longer pass:", regressions.len());
    for id in regressions {
        let why = results
            .iter()
            .find(|r| r.id() == id)
            .map_or("not found".to_owned(), |r| format!("{:?}", r.status));
        eprintln!("  {id}: {why}");
    }
    ExitCode::FAILURE
}
