//! ksqlDB's query-validation cases (`../shared/qtt`, or the folder in `WEIR_QTT_DIR`), loaded
//! and expanded once per `format` entry with `{FORMAT}` replaced, for the corpus tests. Each
//! test derives what it needs from the case's JSON; this module only finds and expands them.

use std::path::{Path, PathBuf};

/// One case, expanded for one format.
pub struct QttCase {
    /// The file name, e.g. `joins.json`.
    pub file: String,
    /// The case as written in the file.
    pub test: serde_json::Value,
    /// The format this expansion is for (the default when the case lists none).
    pub format: String,
    /// The statements joined with `;\n`, `{FORMAT}` replaced.
    pub source: String,
}

impl QttCase {
    /// `file / case name / format`, for reports.
    pub fn label(&self) -> String {
        let name = self.test["name"].as_str().unwrap_or("?");
        format!("{} / {name} / {}", self.file, self.format)
    }

    /// False when the case says `"enabled": false`.
    pub fn enabled(&self) -> bool {
        self.test["enabled"] != serde_json::Value::Bool(false)
    }
}

/// The corpus folder, or `None` (with a note) when it is absent.
pub fn dir() -> Option<PathBuf> {
    let dir = std::env::var_os("WEIR_QTT_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/qtt"));
    if dir.is_dir() {
        Some(dir)
    } else {
        println!("note: no qtt corpus at {}; skipping", dir.display());
        None
    }
}

/// Every case of every file in `dir`, in file order, once per format (`default_format` when
/// the case lists none). Cases without statements are left out.
pub fn expanded_cases(dir: &Path, default_format: &str) -> Vec<QttCase> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read qtt dir")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    paths.sort();
    let mut cases = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path).expect("read qtt file");
        let json: serde_json::Value = serde_json::from_str(&text).expect("qtt file is JSON");
        let file = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        for test in json["tests"].as_array().into_iter().flatten() {
            let Some(statements) = test["statements"].as_array() else {
                continue;
            };
            let joined = statements
                .iter()
                .filter_map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(";\n");
            let formats: Vec<String> = match test["format"].as_array() {
                Some(list) => list
                    .iter()
                    .filter_map(|f| f.as_str().map(String::from))
                    .collect(),
                None => vec![default_format.to_string()],
            };
            for format in formats {
                cases.push(QttCase {
                    file: file.clone(),
                    test: test.clone(),
                    source: joined.replace("{FORMAT}", &format),
                    format,
                });
            }
        }
    }
    cases
}

/// The Schema Registry of a case: the `keySchema`/`valueSchema` of its `topics` (AVRO and
/// JSON schemas as JSON text, PROTOBUF schemas as written, `*SchemaReferences` as imports).
#[derive(Debug, Default)]
pub struct CaseSchemas {
    /// (topic, side) → schema.
    schemas: std::collections::BTreeMap<(String, bool), weir::analyze::RegisteredSchema>,
}

impl CaseSchemas {
    pub fn of(test: &serde_json::Value) -> std::sync::Arc<dyn weir::analyze::SchemaSource> {
        let mut schemas = std::collections::BTreeMap::new();
        for topic in test["topics"].as_array().into_iter().flatten() {
            let Some(name) = topic["name"].as_str() else {
                continue;
            };
            for (is_key, field) in [(true, "key"), (false, "value")] {
                let schema = &topic[format!("{field}Schema")];
                let text = match schema {
                    serde_json::Value::Null => continue,
                    serde_json::Value::String(text) => text.clone(),
                    other => other.to_string(),
                };
                let references = topic[format!("{field}SchemaReferences")]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|r| {
                        Some(weir::analyze::SchemaReference {
                            name: r["name"].as_str()?.to_string(),
                            text: r["schema"].as_str()?.to_string(),
                        })
                    })
                    .collect();
                schemas.insert(
                    (name.to_string(), is_key),
                    weir::analyze::RegisteredSchema { text, references },
                );
            }
        }
        std::sync::Arc::new(CaseSchemas { schemas })
    }
}

impl weir::analyze::SchemaSource for CaseSchemas {
    fn schema(
        &self,
        topic: &str,
        side: weir::analyze::SchemaSide,
        _id: Option<i64>,
    ) -> Option<weir::analyze::RegisteredSchema> {
        self.schemas
            .get(&(topic.to_string(), side == weir::analyze::SchemaSide::Key))
            .cloned()
    }
}
