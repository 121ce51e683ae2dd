//! The `post` assertions of a case, checked after its outputs: each listed source exists
//! with the given type, schema (compared after normalizing quoting, spacing and type
//! aliases), key format (format and window) and value format; and no topic matches the
//! `topics.blacklist` pattern. `keyFeatures`/`valueFeatures` and `isSource` are not checked.

use serde_json::Value as Json;
use weir::analyze::{Namespace, Source, SourceType, WindowType};
use weir::driver::Driver;
use weir::plan::PlannedFile;

/// The first `post` assertion that does not hold, as a message.
pub fn check(case: &Json, driver: &Driver, planned: &PlannedFile) -> Result<(), String> {
    let Some(post) = case.get("post") else {
        return Ok(());
    };
    for want in post
        .get("sources")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        check_source(want, planned)?;
    }
    if let Some(pattern) = post
        .get("topics")
        .and_then(|t| t.get("blacklist"))
        .and_then(Json::as_str)
    {
        let regex = regex::Regex::new(&format!("^(?:{pattern})$"))
            .map_err(|e| format!("post: bad blacklist pattern {pattern}: {e}"))?;
        if let Some(topic) = driver.topics().names().find(|t| regex.is_match(t)) {
            return Err(format!(
                "post: topic {topic} matches the blacklist {pattern}"
            ));
        }
    }
    Ok(())
}

fn check_source(want: &Json, planned: &PlannedFile) -> Result<(), String> {
    let name = want.get("name").and_then(Json::as_str).unwrap_or_default();
    let source = planned
        .catalog
        .source(name)
        .or_else(|| planned.catalog.source(&name.to_ascii_uppercase()))
        .ok_or_else(|| format!("post: no source {name}"))?;
    if let Some(kind) = want.get("type").and_then(Json::as_str) {
        let got = match source.source_type {
            SourceType::Stream => "stream",
            SourceType::Table => "table",
        };
        if !kind.eq_ignore_ascii_case(got) {
            return Err(format!("post: source {name} is a {got}, expected a {kind}"));
        }
    }
    if let Some(schema) = want.get("schema").and_then(Json::as_str) {
        let got = render_schema(source);
        if normalize(schema) != normalize(&got) {
            return Err(format!(
                "post: source {name} has schema {got}, expected {schema}"
            ));
        }
    }
    if let Some(key) = want.get("keyFormat") {
        check_format(name, "key", key, &source.key_format.format.to_string())?;
        check_window(name, key, source)?;
    }
    if let Some(value) = want.get("valueFormat") {
        check_format(
            name,
            "value",
            value,
            &source.value_format.format.to_string(),
        )?;
    }
    Ok(())
}

fn check_format(name: &str, side: &str, want: &Json, got: &str) -> Result<(), String> {
    let expected = match want {
        Json::String(s) => Some(s.as_str()),
        other => other.get("format").and_then(Json::as_str),
    };
    match expected {
        Some(format) if !format.eq_ignore_ascii_case(got) => Err(format!(
            "post: source {name} has {side} format {got}, expected {format}"
        )),
        _ => Ok(()),
    }
}

fn check_window(name: &str, want: &Json, source: &Source) -> Result<(), String> {
    let Some(obj) = want.as_object() else {
        return Ok(());
    };
    let got_type = source.window.map(|w| match w.window_type {
        WindowType::Tumbling => "TUMBLING",
        WindowType::Hopping => "HOPPING",
        WindowType::Session => "SESSION",
    });
    if let Some(kind) = obj.get("windowType") {
        let want_type = kind.as_str().map(str::to_ascii_uppercase);
        if want_type.as_deref() != got_type {
            return Err(format!(
                "post: source {name} has key window {got_type:?}, expected {want_type:?}"
            ));
        }
    }
    if let Some(size) = obj.get("windowSize").and_then(Json::as_i64) {
        let got = source.window.and_then(|w| w.size_ms).map(|s| s as i64);
        if got != Some(size) {
            return Err(format!(
                "post: source {name} has window size {got:?}, expected {size}"
            ));
        }
    }
    Ok(())
}

/// `NAME TYPE [KEY|HEADERS|HEADER('k')], …` as ksqlDB prints a schema.
fn render_schema(source: &Source) -> String {
    source
        .schema
        .columns
        .iter()
        .map(|c| {
            let suffix = match &c.namespace {
                Namespace::Key => " KEY".to_owned(),
                Namespace::Value => String::new(),
                Namespace::Header { key: None } => " HEADERS".to_owned(),
                Namespace::Header { key: Some(k) } => format!(" HEADER('{k}')"),
            };
            format!("`{}` {}{suffix}", c.name, c.ty)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Drops backquotes and repeated spaces, upper-cases (case-sensitive quoted names are rare
/// enough in the cases to accept the ambiguity) and maps aliases (`INTEGER`, `VARCHAR`,
/// `PRIMARY KEY`), so two renderings of one schema compare equal.
fn normalize(schema: &str) -> String {
    let text = schema
        .replace('`', "")
        .to_ascii_uppercase()
        .replace("PRIMARY KEY", "KEY");
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let mapped = match word.as_str() {
            "INTEGER" => "INT".to_owned(),
            "VARCHAR" => "STRING".to_owned(),
            _ => word.clone(),
        };
        out.push_str(&mapped);
        word.clear();
    };
    for ch in text.chars() {
        if ch.is_alphanumeric() || ch == '_' {
            word.push(ch);
        } else {
            flush(&mut word, &mut out);
            if !(ch == ' ' && (out.ends_with(' ') || out.ends_with('<') || out.ends_with(','))) {
                out.push(ch);
            }
        }
    }
    flush(&mut word, &mut out);
    out.replace(" >", ">").replace(" ,", ",")
}
