//! The report of a benchmark run: every figure as JSON (`benches/results/latest.json`) and the
//! same as Markdown (`benches/README.md`, which always shows the latest run), with the machine,
//! the build profile and the command that produced it.

use std::fmt::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::BenchResult;
use super::engine::EngineResult;
use super::measure::BrokerResult;
use super::measure::restore::RestoreResult;
use super::windows::WindowCheck;

/// The line of `benches/README.md` after which the text is hand-written (analysis of the
/// figures) and survives a rewrite.
pub const NOTES_MARKER: &str = "<!-- notes: everything below is kept by weir-bench across runs -->";

/// Everything one run measured.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    /// UTC time the run finished (RFC 3339).
    pub finished: String,
    pub cores: usize,
    pub cpu_model: String,
    /// "release" or "debug": how weir and the harness were compiled.
    pub profile: String,
    pub command: String,
    pub bids: u64,
    pub engine: Vec<EngineResult>,
    pub broker: Vec<BrokerResult>,
    pub restore: Option<RestoreResult>,
    /// Runs that failed, with why.
    pub failures: Vec<String>,
}

fn rate(value: f64) -> String {
    if value >= 1e6 {
        format!("{:.2}M", value / 1e6)
    } else if value >= 1e3 {
        format!("{:.1}k", value / 1e3)
    } else {
        format!("{value:.0}")
    }
}

impl Report {
    /// Writes `latest.json` into `results_dir` and the Markdown report to `readme`, keeping
    /// the hand-written part of `readme` from the [`NOTES_MARKER`] line on.
    pub fn write(&self, results_dir: &Path, readme: &Path) -> BenchResult<()> {
        std::fs::create_dir_all(results_dir)
            .map_err(|e| format!("{}: {e}", results_dir.display()))?;
        let json = serde_json::to_string_pretty(self).map_err(|e| format!("report JSON: {e}"))?;
        let path = results_dir.join("latest.json");
        std::fs::write(&path, json + "\n").map_err(|e| format!("{}: {e}", path.display()))?;
        let old = std::fs::read_to_string(readme).unwrap_or_default();
        let notes = old
            .find(NOTES_MARKER)
            .map_or_else(|| format!("{NOTES_MARKER}\n"), |at| old[at..].to_owned());
        let text = format!("{}\n{notes}", self.markdown());
        std::fs::write(readme, text).map_err(|e| format!("{}: {e}", readme.display()))
    }

    /// The Markdown report.
    pub fn markdown(&self) -> String {
        let mut md = String::new();
        let _ = writeln!(md, "# weir benchmarks\n");
        let _ = writeln!(
            md,
            "Nexmark-style workloads (queries files in [`workloads/`](workloads/)) run by \
             `weir run` against the test broker (nisshi with weir's patch, in-memory storage, on the same machine), \
             next to the I/O ceiling: a raw rdkafka consumer→producer passthrough over the same \
             broker and topics with no parsing. The harness lives in [`harness/`](harness/); a \
             smoke run of every workload is part of `cargo test` (`tests/bench_smoke.rs`).\n"
        );
        let _ = writeln!(md, "## Latest run\n");
        let _ = writeln!(md, "- Command: `{}`", self.command);
        let _ = writeln!(md, "- Finished: {} (UTC)", self.finished);
        let _ = writeln!(
            md,
            "- Machine: {} cores (`nproc`), {}; broker, weir and the harness share them",
            self.cores, self.cpu_model
        );
        let _ = writeln!(
            md,
            "- Build: **{}** (weir binary and engine-only runs)",
            self.profile
        );
        let _ = writeln!(
            md,
            "- Bids per workload: {}; JSON values, BIGINT keys, 2 partitions, 2 stream threads\n",
            self.bids
        );
        if !self.engine.is_empty() {
            let _ = writeln!(
                md,
                "### Engine only (in-memory driver, one thread, no broker)\n"
            );
            let _ = writeln!(
                md,
                "| workload | input records | outputs | CPU s | records/s per core |"
            );
            let _ = writeln!(md, "|---|---:|---:|---:|---:|");
            for e in &self.engine {
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | {:.2} | {} |",
                    e.workload,
                    e.records,
                    e.outputs,
                    e.cpu_seconds,
                    rate(e.records_per_cpu_second)
                );
            }
            let _ = writeln!(md);
        }
        if !self.broker.is_empty() {
            let _ = writeln!(md, "### End to end against the broker\n");
            let _ = writeln!(
                md,
                "Throughput counts input records (W5: each bid is read by all ten queries). \
                 Wall: from the last poll (every 20 ms) that saw weir's consumed counter at \
                 zero to the poll that saw it complete; the ceiling's wall runs from its first \
                 record to its producer's flush. \
                 Per core = records ÷ CPU seconds of the weir process (`/proc/<pid>/stat`). \
                 Latency: input timestamp to output read by a consumer, at a fixed rate. \
                 Ready RSS: when the daemon reports ready, its consumers already reading the \
                 backlog; idle RSS: after the backlog, 15 s without input (one memory trim period of weir). \
                 Checked: after weir stops, the final value of every window in the sink (the \
                 last update per auction and window start, read_committed under exactly-once) \
                 against the bids and highest price the generated input gives it; a run with \
                 any wrong, missing or unexpected window is marked FAILED.\n"
            );
            let _ = writeln!(
                md,
                "| workload | guarantee | records | records/s (wall) | records/s per core | \
                 ceiling records/s | ceiling per core | weir/ceiling wall | weir/ceiling per core | \
                 p50 ms | p99 ms | ready RSS MiB | idle RSS MiB | peak RSS MiB | commits (s spent) | checked |"
            );
            let _ = writeln!(
                md,
                "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
            );
            for b in &self.broker {
                let (p50, p99) = b
                    .latency
                    .as_ref()
                    .map_or(("n/a".into(), "n/a".into()), |l| {
                        (format!("{:.0}", l.p50_ms), format!("{:.0}", l.p99_ms))
                    });
                let _ = writeln!(
                    md,
                    "| {} {} | {} | {} | {} | {} | {} | {} | {:.0}% | {:.0}% | {} | {} | {:.0} | {:.0} | {:.0} | {:.0} ({:.1}) | {} |",
                    b.workload,
                    b.title,
                    b.guarantee,
                    if b.complete {
                        b.records.to_string()
                    } else {
                        format!("{} of {} (time limit)", b.processed, b.records)
                    },
                    rate(b.records_per_second),
                    rate(b.records_per_cpu_second),
                    rate(b.ceiling_records_per_second),
                    rate(b.ceiling_records_per_cpu_second),
                    b.ratio_wall * 100.0,
                    b.ratio_per_core * 100.0,
                    p50,
                    p99,
                    b.ready_rss_mib,
                    b.idle_rss_mib,
                    b.peak_rss_mib,
                    b.commits,
                    b.commit_seconds,
                    b.windows.as_ref().map_or("–".to_owned(), checked)
                );
            }
            self.peers_table(&mut md);
            if let Some(l) = self.broker.iter().find_map(|b| b.latency.as_ref()) {
                let _ = writeln!(
                    md,
                    "\nLatency phase: {} records/s for {} s per workload.",
                    l.rate, l.seconds
                );
            }
            let _ = writeln!(md);
        }
        if let Some(r) = &self.restore {
            let _ = writeln!(
                md,
                "### Restore (fresh state_dir, RocksDB, from the changelog)\n"
            );
            let _ = writeln!(
                md,
                "| keys | changelog records | changelog MB | restore s | records/s | MB/s | start→restored s | CPU s | peak RSS MiB |"
            );
            let _ = writeln!(md, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            let _ = writeln!(
                md,
                "| {} | {} | {:.1} | {:.2} | {} | {:.1} | {:.2} | {:.2} | {:.0} |\n",
                r.keys,
                r.changelog_records,
                r.changelog_bytes as f64 / 1e6,
                r.restore_seconds,
                rate(r.records_per_second),
                r.mb_per_second,
                r.start_to_restored_seconds,
                r.cpu_seconds,
                r.peak_rss_mib
            );
        }
        if !self.failures.is_empty() {
            let _ = writeln!(md, "### Failed runs\n");
            for f in &self.failures {
                let _ = writeln!(md, "- {}", f.replace('\n', " "));
            }
            let _ = writeln!(md);
        }
        let _ = writeln!(md, "## How to run\n");
        let _ = writeln!(
            md,
            "```\ncargo bench --bench weir-bench -- all          # everything (release build)\n\
             cargo bench --bench weir-bench -- engine       # engine-only, no broker\n\
             cargo bench --bench weir-bench -- broker W1 W4 # selected workloads against the broker\n\
             cargo bench --bench weir-bench -- broker W1 W2 --peers # and Quix Streams on the same input\n\
             cargo bench --bench weir-bench -- restore      # the restore run\n\
             cargo bench --bench weir-bench -- all --bids 200000 --restore-keys 1000000\n\
             cargo test --test bench_smoke                  # the smoke run (debug, seconds)\n```\n"
        );
        let _ = writeln!(
            md,
            "Raw figures of the latest run: [`results/latest.json`](results/latest.json). \
             Logs and state of each run stay in the work folder printed at the start."
        );
        md
    }

    /// The peers next to weir on the same input, when the run had them.
    fn peers_table(&self, md: &mut String) {
        let runs: Vec<&BrokerResult> = self
            .broker
            .iter()
            .filter(|b| b.peer.is_some() || b.peer_failure.is_some())
            .collect();
        if runs.is_empty() {
            return;
        }
        let _ = writeln!(
            md,
            "\n#### Peers on the same input (`--peers`)\n\n\
             After weir's run, on the same broker, the peer reads the same `bids` topic from \
             the beginning (weir's bids and its latency phase's) with the same logic \
             ([`peers/quix_app.py`](peers/quix_app.py): at-least-once, RocksDB state with a \
             changelog, W2 writing every window update as EMIT CHANGES does, with ksqlDB's \
             24-hour grace). Per core = records ÷ CPU seconds of the Python process \
             (`/proc/<pid>/stat`, from just before `Application.run` to its last input record); \
             wall from its first record to its last. Its output is checked like weir's.\n"
        );
        let _ = writeln!(
            md,
            "| workload | processor | records | records/s (wall) | records/s per core | CPU s | peak RSS MiB | output | checked |"
        );
        let _ = writeln!(md, "|---|---|---:|---:|---:|---:|---:|---:|---|");
        for b in runs {
            let _ = writeln!(
                md,
                "| {} | weir | {} | {} | {} | {:.2} | {:.0} | – | {} |",
                b.workload,
                b.processed,
                rate(b.records_per_second),
                rate(b.records_per_cpu_second),
                b.cpu_seconds,
                b.peak_rss_mib,
                b.windows.as_ref().map_or("–".to_owned(), checked)
            );
            match (&b.peer, &b.peer_failure) {
                (Some(p), _) => {
                    let output = p.expected_outputs.map_or_else(
                        || format!("{} updates", p.outputs),
                        |e| format!("{} of {e}", p.outputs),
                    );
                    let mut check = p.windows.as_ref().map_or_else(
                        || {
                            if p.passed() {
                                "records exact".to_owned()
                            } else {
                                "**FAILED** records".to_owned()
                            }
                        },
                        checked,
                    );
                    if p.late > 0 {
                        check.push_str(&format!("; {} records dropped as late", p.late));
                    }
                    let _ = writeln!(
                        md,
                        "| {} | {} ({:.0}% of weir per core) | {} | {} | {} | {:.2} | {:.0} | {} | {} |",
                        b.workload,
                        p.peer,
                        p.records_per_cpu_second / b.records_per_cpu_second.max(1e-9) * 100.0,
                        p.records,
                        rate(p.records_per_second),
                        rate(p.records_per_cpu_second),
                        p.cpu_seconds,
                        p.peak_rss_mib,
                        output,
                        check
                    );
                }
                (None, Some(e)) => {
                    let _ = writeln!(
                        md,
                        "| {} | peer **FAILED**: {} | | | | | | | |",
                        b.workload,
                        e.replace('\n', " ").replace('|', "/")
                    );
                }
                (None, None) => {}
            }
        }
    }
}

/// A window check in a table cell: "windows exact N/N", or marked FAILED.
fn checked(check: &WindowCheck) -> String {
    if check.passed() {
        check.summary()
    } else {
        format!("**FAILED** {}", check.summary().replace('|', "/"))
    }
}
