//! Seed inputs taken at run time from ksqlDB's query-validation cases (`../shared/qtt` next to
//! the repository, or the folder in `WEIR_QTT_DIR`): every case's statements as one file, the
//! JSON and DELIMITED record payloads of its inputs and outputs, and its registered PROTOBUF,
//! AVRO and JSON schemas. Nothing is copied into the repository; without the folder the seeds
//! are empty and the generators work alone.

use std::path::PathBuf;

use serde_json::Value;

/// Seeds by kind.
#[derive(Debug, Default, Clone)]
pub struct Corpus {
    /// Whole queries files: a case's statements joined with `;\n`.
    pub sql: Vec<String>,
    /// JSON documents as ksqlDB's cases write record keys and values.
    pub json: Vec<String>,
    /// Record payloads of cases that use DELIMITED.
    pub delimited: Vec<String>,
    /// `.proto` texts (schemas and their references).
    pub protobuf: Vec<String>,
    /// AVRO schemas as JSON text.
    pub avro: Vec<String>,
    /// JSON schemas as JSON text.
    pub json_schema: Vec<String>,
}

impl Corpus {
    /// The folder of cases, when it exists.
    pub fn dir() -> Option<PathBuf> {
        let dir = std::env::var_os("WEIR_QTT_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/qtt"));
        dir.is_dir().then_some(dir)
    }

    /// Loads the seeds, or an empty corpus (with a note on stderr) without the folder.
    pub fn load() -> Corpus {
        let Some(dir) = Corpus::dir() else {
            eprintln!("weir-fuzz: no qtt corpus (../shared/qtt or WEIR_QTT_DIR); generators only");
            return Corpus::default();
        };
        let mut corpus = Corpus::default();
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return corpus;
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        paths.sort();
        for path in paths {
            let Some(file) = std::fs::read_to_string(&path)
                .ok()
                .and_then(|text| serde_json::from_str::<Value>(&text).ok())
            else {
                continue;
            };
            for case in file["tests"].as_array().into_iter().flatten() {
                corpus.add_case(case);
            }
        }
        corpus.json.sort();
        corpus.json.dedup();
        corpus.delimited.sort();
        corpus.delimited.dedup();
        corpus
    }

    fn add_case(&mut self, case: &Value) {
        let statements: Vec<&str> = case["statements"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let joined = statements.join(";\n");
        let formats: Vec<&str> = case["format"]
            .as_array()
            .map(|list| list.iter().filter_map(Value::as_str).collect())
            .unwrap_or_else(|| vec!["JSON"]);
        for format in &formats {
            self.sql.push(joined.replace("{FORMAT}", format));
        }
        let delimited = joined.contains("DELIMITED") || formats.contains(&"DELIMITED");
        for record in ["inputs", "outputs"]
            .iter()
            .flat_map(|k| case[*k].as_array().into_iter().flatten())
        {
            for side in ["key", "value"] {
                match &record[side] {
                    Value::Null => {}
                    Value::String(text) if delimited => self.delimited.push(text.clone()),
                    other => self.json.push(other.to_string()),
                }
            }
        }
        for topic in case["topics"].as_array().into_iter().flatten() {
            for side in ["key", "value"] {
                let format = topic[format!("{side}Format")]
                    .as_str()
                    .or_else(|| topic["format"].as_str())
                    .unwrap_or_default()
                    .to_ascii_uppercase();
                let schema = &topic[format!("{side}Schema")];
                match (format.as_str(), schema) {
                    (_, Value::Null) => {}
                    ("PROTOBUF" | "PROTOBUF_NOSR", Value::String(text)) => {
                        self.protobuf.push(text.clone())
                    }
                    ("JSON_SR" | "JSON", other) => self.json_schema.push(other.to_string()),
                    (_, Value::String(text)) if text.contains("message") => {
                        self.protobuf.push(text.clone())
                    }
                    (_, other) => self.avro.push(other.to_string()),
                }
                for reference in topic[format!("{side}SchemaReferences")]
                    .as_array()
                    .into_iter()
                    .flatten()
                {
                    if let Some(text) = reference["schema"].as_str() {
                        self.protobuf.push(text.to_string());
                    }
                }
            }
        }
    }
}
