//! Analyzes every case of ksqlDB's query-validation tests (`../shared/qtt`, or the directory in
//! `WEIR_QTT_DIR`) and counts the cases where weir agrees with ksqlDB: a case that expects an
//! exception passes when weir rejects it (and, reported apart, when the message matches); any
//! other case passes when it analyzes without error and every `post.sources[].schema` equals
//! weir's output schema. Cases on Schema Registry formats (AVRO, PROTOBUF, JSON_SR) are counted
//! apart. Prints totals and the most common failure causes, and holds the rate above a floor.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use weir::analyze::{AnalyzeOptions, Namespace};
use weir::plan::plan_file_with;
use weir::types::SqlType;

/// Share of the non-Schema-Registry cases that must agree with ksqlDB.
const AGREEMENT_FLOOR: f64 = 0.96;
/// Share of every case (Schema Registry formats included) that must agree with ksqlDB.
const OVERALL_FLOOR: f64 = 0.97;

struct Case {
    name: String,
    /// The case's topic schemas, as its Schema Registry.
    registry: std::sync::Arc<dyn weir::analyze::SchemaSource>,
    source: String,
    properties: BTreeMap<String, String>,
    expected_exception: Option<String>,
    /// (source name, schema text) from `post.sources`.
    schemas: Vec<(String, String)>,
    schema_registry: bool,
}

fn qtt_dir() -> Option<PathBuf> {
    support::qtt::dir()
}

fn load_cases(dir: &Path) -> Vec<Case> {
    let mut cases = Vec::new();
    for case in support::qtt::expanded_cases(dir, "") {
        if !case.enabled() {
            continue;
        }
        let test = &case.test;
        let properties: BTreeMap<String, String> = test["properties"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| {
                (
                    k.clone(),
                    v.as_str()
                        .map(String::from)
                        .unwrap_or_else(|| v.to_string()),
                )
            })
            .collect();
        let schemas: Vec<(String, String)> = test["post"]["sources"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| {
                Some((
                    s["name"].as_str()?.to_string(),
                    s["schema"].as_str()?.to_string(),
                ))
            })
            .collect();
        let registry_formats = ["AVRO", "PROTOBUF", "JSON_SR"];
        let schema_registry = registry_formats
            .iter()
            .any(|f| case.source.to_uppercase().contains(f))
            || properties.values().any(|v| {
                registry_formats
                    .iter()
                    .any(|f| v.to_uppercase().contains(f))
            });
        cases.push(Case {
            name: case.label(),
            registry: support::qtt::CaseSchemas::of(test),
            expected_exception: test
                .get("expectedException")
                .map(|e| e["message"].as_str().unwrap_or_default().to_string()),
            properties,
            schemas,
            schema_registry,
            source: case.source,
        });
    }
    cases
}

/// Splits `a, b<c, d>, e(1, 2)` on top-level commas.
fn split_top(text: &str) -> Vec<String> {
    let (mut depth, mut quoted, mut start, mut out) = (0i32, false, 0, Vec::new());
    for (i, c) in text.char_indices() {
        match c {
            '`' | '\'' => quoted = !quoted,
            '<' | '(' if !quoted => depth += 1,
            '>' | ')' if !quoted => depth -= 1,
            ',' if depth == 0 && !quoted => {
                out.push(text[start..i].trim().to_string());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(text[start..].trim().to_string());
    out.retain(|s| !s.is_empty());
    out
}

/// A `post.sources[].schema` text as (name, type, namespace text).
fn parse_schema(text: &str) -> Option<Vec<(String, SqlType, String)>> {
    split_top(text)
        .into_iter()
        .map(|column| {
            let (name, rest) = if let Some(stripped) = column.strip_prefix('`') {
                let end = stripped.find('`')?;
                (
                    stripped[..end].to_string(),
                    stripped[end + 1..].trim().to_string(),
                )
            } else {
                let (n, r) = column.split_once(char::is_whitespace)?;
                (n.to_uppercase(), r.trim().to_string())
            };
            let (ty_text, ns) = if let Some(t) = rest.strip_suffix(" PRIMARY KEY") {
                (t.to_string(), "KEY".to_string())
            } else if let Some(t) = rest.strip_suffix(" KEY") {
                (t.to_string(), "KEY".to_string())
            } else if let Some(t) = rest.strip_suffix(" HEADERS") {
                (t.to_string(), "HEADERS".to_string())
            } else if let Some(pos) = rest.rfind(" HEADER(") {
                (rest[..pos].to_string(), rest[pos + 1..].to_string())
            } else {
                (rest.clone(), String::new())
            };
            Some((name, ty_text.trim().parse::<SqlType>().ok()?, ns))
        })
        .collect()
}

fn namespace_text(ns: &Namespace) -> String {
    match ns {
        Namespace::Key => "KEY".into(),
        Namespace::Value => String::new(),
        Namespace::Header { key: None } => "HEADERS".into(),
        Namespace::Header { key: Some(k) } => format!("HEADER('{k}')"),
    }
}

fn cause(message: &str) -> String {
    let quoted = regex::Regex::new(r"`[^`]*`|'[^']*'|\([^)]*\)").expect("regex");
    let first_line = message.lines().next().unwrap_or_default();
    quoted
        .replace_all(first_line, "_")
        .chars()
        .take(110)
        .collect()
}

#[test]
fn qtt_corpus_analyzes_like_ksqldb() {
    let Some(dir) = qtt_dir() else {
        println!("note: no qtt corpus; skipping");
        return;
    };
    let cases = load_cases(&dir);
    let (mut pass, mut fail, mut sr_pass, mut sr_total) = (0usize, 0usize, 0usize, 0usize);
    let (mut exc_total, mut exc_rejected, mut exc_message) = (0usize, 0usize, 0usize);
    let mut causes: BTreeMap<String, (usize, String)> = BTreeMap::new();
    let mut failures: Vec<String> = Vec::new();
    for case in &cases {
        let options = AnalyzeOptions {
            properties: case.properties.clone(),
            allow_no_queries: true,
            schemas: Some(case.registry.clone()),
        };
        // Planning too, so that every analyzed case also goes through the planner.
        let result = plan_file_with(&case.source, "qtt", &options);
        let verdict: Result<(), String> = match (&case.expected_exception, &result) {
            (Some(message), Err(diagnostics)) => {
                if !case.schema_registry {
                    exc_total += 1;
                    exc_rejected += 1;
                    if diagnostics
                        .iter()
                        .any(|d| d.message.contains(message.as_str()))
                    {
                        exc_message += 1;
                    }
                }
                Ok(())
            }
            (Some(message), Ok(_)) => {
                if !case.schema_registry {
                    exc_total += 1;
                }
                Err(format!(
                    "accepted; ksqlDB rejects: {}",
                    message.lines().next().unwrap_or_default()
                ))
            }
            (None, Err(diagnostics)) => Err(diagnostics[0].message.clone()),
            (None, Ok(file)) => {
                let mut verdict = Ok(());
                for (name, text) in &case.schemas {
                    let Some(source) = file.catalog.source(name) else {
                        verdict = Err(format!("no source named {name}"));
                        break;
                    };
                    let mine: Vec<(String, SqlType, String)> = source
                        .schema
                        .columns
                        .iter()
                        .map(|c| (c.name.clone(), c.ty.clone(), namespace_text(&c.namespace)))
                        .collect();
                    match parse_schema(text) {
                        Some(expected) if expected == mine => {}
                        Some(_) => {
                            verdict = Err(format!(
                                "schema of {name} differs: expected {text}, got {}",
                                source.schema
                            ));
                            break;
                        }
                        None => {
                            verdict = Err(format!("unreadable expected schema {text}"));
                            break;
                        }
                    }
                }
                verdict
            }
        };
        if case.schema_registry {
            sr_total += 1;
            if verdict.is_ok() {
                sr_pass += 1;
            }
        } else if verdict.is_ok() {
            pass += 1;
        } else {
            fail += 1;
        }
        match verdict {
            Ok(()) => {}
            Err(why) => {
                let entry = causes.entry(cause(&why)).or_default();
                entry.0 += 1;
                if entry.1.is_empty() {
                    entry.1 = format!("{}: {}", case.name, why.lines().next().unwrap_or_default());
                }
                failures.push(format!(
                    "{}: {}",
                    case.name,
                    why.lines().next().unwrap_or_default()
                ));
            }
        }
    }
    let total = pass + fail;
    let rate = pass as f64 / total.max(1) as f64;
    println!(
        "analyzer agrees with ksqlDB on {pass}/{total} cases ({:.1}%)",
        rate * 100.0
    );
    println!(
        "  expected-exception cases: {exc_rejected}/{exc_total} rejected, {exc_message} with ksqlDB's message"
    );
    println!("  Schema Registry format cases (counted apart): {sr_pass}/{sr_total}");
    let (all_pass, all_total) = (pass + sr_pass, total + sr_total);
    let overall = all_pass as f64 / all_total.max(1) as f64;
    println!(
        "over every case: {all_pass}/{all_total} ({:.1}%)",
        overall * 100.0
    );
    let mut ranked: Vec<_> = causes.into_iter().collect();
    ranked.sort_by_key(|entry| std::cmp::Reverse(entry.1.0));
    println!("top failure causes:");
    for (cause, (count, example)) in ranked.iter().take(40) {
        println!("{count:5}  {cause}\n        e.g. {example}");
    }
    if std::env::var_os("WEIR_CORPUS_VERBOSE").is_some() {
        for f in &failures {
            println!("FAIL {f}");
        }
    }
    assert!(
        overall >= OVERALL_FLOOR,
        "overall agreement {overall:.3} fell below the floor {OVERALL_FLOOR}"
    );
    assert!(
        rate >= AGREEMENT_FLOOR,
        "agreement {rate:.3} fell below the floor {AGREEMENT_FLOOR}"
    );
}
