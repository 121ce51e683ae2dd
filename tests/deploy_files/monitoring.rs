//! `deploy/prometheus/alerts.yaml` and `deploy/grafana/weir.json`: both parse, the alerts
//! cover what an operator must hear about, and every metric either file queries is one weir
//! exports, by the names in the code's registry (`Metrics::names`), so a renamed metric
//! cannot leave a dashboard panel or an alert silently empty.

use super::*;

/// PromQL words that are neither metrics nor functions.
const KEYWORDS: [&str; 12] = [
    "by",
    "without",
    "and",
    "or",
    "unless",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "offset",
    "inf",
];

/// The metric names a PromQL expression selects: identifiers that are not keywords, not
/// function calls, and not inside label matchers, ranges, grouping clauses or strings.
fn metric_names(expr: &str) -> Vec<String> {
    let strings = regex::Regex::new(r#""[^"]*""#).expect("regex");
    let braces = regex::Regex::new(r"\{[^}]*\}|\[[^\]]*\]").expect("regex");
    let grouping =
        regex::Regex::new(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
            .expect("regex");
    let identifier = regex::Regex::new(r"\b[a-zA-Z_:][a-zA-Z0-9_:]*").expect("regex");
    let text = strings.replace_all(expr, "");
    let text = braces.replace_all(&text, " ");
    let text = grouping.replace_all(&text, " ");
    identifier
        .find_iter(&text)
        .filter(|m| !text[m.end()..].trim_start().starts_with('('))
        .map(|m| m.as_str().to_owned())
        .filter(|word| !KEYWORDS.contains(&word.to_ascii_lowercase().as_str()))
        .collect()
}

/// Panics unless every metric `expr` selects is exported by weir (a histogram's series by
/// its family name plus `_bucket`, `_sum` or `_count`); returns how many it selects.
fn check_exported(expr: &str, exported: &[String], what: &str) -> usize {
    let names = metric_names(expr);
    for name in &names {
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suffix| name.strip_suffix(suffix))
            .filter(|base| exported.iter().any(|e| e == base))
            .unwrap_or(name);
        assert!(
            exported.iter().any(|e| e == family),
            "{what}: `{name}` in `{expr}` is not a metric weir exports ({exported:?})"
        );
    }
    names.len()
}

#[test]
fn metric_names_are_read_from_promql() {
    assert_eq!(
        metric_names(
            r#"histogram_quantile(0.99, sum by (query, le) (rate(weir_commit_latency_seconds_bucket{query=~"$q"}[5m]))) > 8e9"#
        ),
        ["weir_commit_latency_seconds_bucket"]
    );
    assert_eq!(
        metric_names("deriv(sum by (query) (a_b)[15m:1m]) > 0 unless on (x) c"),
        ["a_b", "c"]
    );
}

#[test]
fn alert_rules_query_exported_metrics_and_cover_the_essentials() {
    let exported = weir::telemetry::Metrics::new().names();
    let docs = load_yaml("deploy/prometheus/alerts.yaml");
    let groups = list(&docs[0]["groups"], "alerts.yaml: groups");
    let mut alerts = Vec::new();
    for group in groups {
        for rule in list(&group["rules"], "alerts.yaml: rules") {
            let name = text(&rule["alert"], "alerts.yaml: alert").to_owned();
            let expr = text(&rule["expr"], &format!("alerts.yaml: {name}: expr"));
            let selected = check_exported(expr, &exported, &format!("alerts.yaml: {name}"));
            assert!(selected > 0, "alerts.yaml: {name} selects no metric");
            text(
                &rule["labels"]["severity"],
                &format!("alerts.yaml: {name}: labels.severity"),
            );
            text(
                &rule["annotations"]["summary"],
                &format!("alerts.yaml: {name}: annotations.summary"),
            );
            alerts.push(name);
        }
    }
    for wanted in [
        "WeirLagGrowing",
        "WeirNoCommits",
        "WeirReplicaNotReady",
        "WeirTransactionsAborting",
        "WeirLateRecordsDropped",
        "WeirPendingCompactionHigh",
    ] {
        assert!(
            alerts.iter().any(|a| a == wanted),
            "no alert {wanted}: {alerts:?}"
        );
    }
}

/// Every `expr` (panel targets) and variable `query` string anywhere in the dashboard.
fn dashboard_queries(node: &serde_json::Value, out: &mut Vec<String>) {
    match node {
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("expr" | "definition", serde_json::Value::String(s)) => out.push(s.clone()),
                    _ => dashboard_queries(value, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|i| dashboard_queries(i, out)),
        _ => {}
    }
}

#[test]
fn dashboard_panels_query_exported_metrics() {
    let exported = weir::telemetry::Metrics::new().names();
    let dashboard: serde_json::Value = serde_json::from_str(&read("deploy/grafana/weir.json"))
        .unwrap_or_else(|e| panic!("deploy/grafana/weir.json is not valid JSON: {e}"));
    let panels = dashboard["panels"].as_array().expect("panels");
    for panel in panels.iter().filter(|p| p["type"] != "row") {
        let title = panel["title"].as_str().expect("a panel title");
        let targets = panel["targets"].as_array().map_or(0, Vec::len);
        assert!(targets > 0, "weir.json: panel {title:?} has no query");
    }
    let mut queries = Vec::new();
    dashboard_queries(&dashboard, &mut queries);
    let mut selected = std::collections::BTreeSet::new();
    for query in &queries {
        // `label_values(metric, label)`: the metric is its first argument.
        let query = query
            .strip_prefix("label_values(")
            .and_then(|rest| rest.rsplit_once(',').map(|(metric, _)| metric))
            .unwrap_or(query);
        check_exported(query, &exported, "weir.json");
        selected.extend(metric_names(query));
    }
    for wanted in [
        "weir_records_consumed_total",
        "weir_consumer_lag_records",
        "weir_commit_latency_seconds_bucket",
        "weir_rebalances_total",
        "weir_transactions_aborted_total",
        "weir_late_records_dropped_total",
        "weir_state_store_bytes",
        "weir_state_store_estimated_keys",
        "process_resident_memory_bytes",
        "process_cpu_seconds_total",
    ] {
        assert!(
            selected.contains(wanted),
            "weir.json: no panel shows {wanted}"
        );
    }
}
