//! Parses every statement list of ksqlDB's query-validation tests (`../shared/qtt`, or the
//! directory in `WEIR_QTT_DIR`) with weir's parser, prints the parse rate and the most common
//! failure causes, and holds the rate above a floor so it cannot regress. Cases that expect an
//! exception may legitimately fail and are counted apart. A second test feeds mangled corpus
//! statements to the parser and only checks that it does not panic.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use weir::sql::{parse_file, render_all};

/// Share of the cases without `expectedException` that must parse.
const PARSE_RATE_FLOOR: f64 = 0.99;

struct Case {
    name: String,
    source: String,
    expects_exception: bool,
    /// ksqlDB's expected error message, when the case expects one.
    expected_message: String,
}

fn qtt_dir() -> Option<PathBuf> {
    support::qtt::dir()
}

fn load_cases(dir: &Path) -> Vec<Case> {
    support::qtt::expanded_cases(dir, "JSON")
        .into_iter()
        .map(|case| Case {
            name: case.label(),
            expects_exception: case.test.get("expectedException").is_some(),
            expected_message: case.test["expectedException"]["message"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            source: case.source,
        })
        .collect()
}

/// A message with its quoted parts blanked, so failures group by cause.
fn cause(message: &str) -> String {
    let quoted = regex::Regex::new(r"`[^`]*`|'[^']*'").expect("valid regex");
    quoted.replace_all(message, "_").to_string()
}

#[test]
fn qtt_corpus_parses() {
    let Some(dir) = qtt_dir() else { return };
    let cases = load_cases(&dir);
    let (mut ok, mut failed, mut exception_ok, mut exception_failed) = (0, 0, 0, 0);
    let mut syntax_accepted: Vec<&Case> = Vec::new();
    let mut causes: BTreeMap<String, (usize, String)> = BTreeMap::new();
    for case in &cases {
        match (parse_file(&case.source), case.expects_exception) {
            (Ok(_), false) => ok += 1,
            (Ok(_), true) => {
                exception_ok += 1;
                if case.expected_message.contains("Syntax") {
                    syntax_accepted.push(case);
                }
            }
            (Err(_), true) => exception_failed += 1,
            (Err(diagnostics), false) => {
                failed += 1;
                for diagnostic in &diagnostics {
                    let entry = causes.entry(cause(&diagnostic.message)).or_default();
                    entry.0 += 1;
                    if entry.1.is_empty() {
                        entry.1 = format!(
                            "{}\n{}",
                            case.name,
                            render_all(std::slice::from_ref(diagnostic), &case.source, "case.sql")
                        );
                    }
                }
            }
        }
    }
    let total = ok + failed;
    let rate = if total == 0 {
        1.0
    } else {
        ok as f64 / total as f64
    };
    println!("qtt cases: {}", cases.len());
    println!(
        "without expectedException: {total}, parsed {ok}, failed {failed} ({:.2}% parse)",
        rate * 100.0
    );
    println!("with expectedException: parsed {exception_ok}, failed {exception_failed}");
    println!(
        "syntax errors in ksqlDB that weir accepts: {}",
        syntax_accepted.len()
    );
    for case in &syntax_accepted {
        println!(
            "  {}: {}",
            case.name,
            case.expected_message.replace('\n', " / ")
        );
    }
    let mut ranked: Vec<_> = causes.into_iter().collect();
    ranked.sort_by_key(|(_, (count, _))| std::cmp::Reverse(*count));
    for (message, (count, example)) in ranked.iter().take(20) {
        println!("\n{count:>5} × {message}\n  e.g. {example}");
    }
    assert!(
        rate >= PARSE_RATE_FLOOR,
        "parse rate {rate:.4} fell below {PARSE_RATE_FLOOR}"
    );
}

/// Truncated and token-mangled corpus statements must give diagnostics, never a panic.
#[test]
fn mangled_qtt_statements_do_not_panic() {
    let Some(dir) = qtt_dir() else { return };
    // Bounded for CI; set WEIR_FUZZ_SECONDS for a longer run.
    let budget = std::env::var("WEIR_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(5);
    let started = std::time::Instant::now();
    let mut seed: u64 = 0x5eed;
    let mut next = move |bound: usize| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((seed >> 33) as usize) % bound.max(1)
    };
    // Parsing alone, then the whole front end (parse, analyze, plan) on the same text.
    let exercise = |text: &str| {
        let _ = parse_file(text);
        let _ = weir::plan::plan_file(text, "fuzz");
    };
    let cases = load_cases(&dir);
    let mut inputs = 0u64;
    'rounds: loop {
        for case in cases.iter().skip(next(7)).step_by(7) {
            if started.elapsed().as_secs() >= budget {
                break 'rounds;
            }
            let words: Vec<&str> = case.source.split_inclusive(char::is_whitespace).collect();
            let chars: Vec<char> = case.source.chars().collect();
            let truncated: String = chars[..next(chars.len() + 1)].iter().collect();
            exercise(&truncated);
            let victim = next(words.len());
            let deleted: String = words
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != victim)
                .map(|(_, w)| *w)
                .collect();
            exercise(&deleted);
            let mut duplicated = words.clone();
            if let Some(word) = words.get(victim) {
                duplicated.insert(victim, word);
            }
            exercise(&duplicated.concat());
            let mut swapped = words.clone();
            let other = next(words.len());
            if victim < swapped.len() && other < swapped.len() {
                swapped.swap(victim, other);
            }
            exercise(&swapped.concat());
            inputs += 4;
        }
    }
    println!(
        "front end survived {inputs} mangled inputs in {:?}",
        started.elapsed()
    );
}
