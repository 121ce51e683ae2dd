//! The SQL target: the whole front end as `weir check`, `weir explain` and `weir lock` run it
//! on a queries file, minus the file system: `sql::parse_file`, then `plan::plan_file_with`
//! (which parses again, dry-runs the analyzer against a scratch catalog and plans every
//! query), every diagnostic rendered against the text, and for a planned file each query's
//! EXPLAIN text and the lock file. Sources declared without columns find schemas in a stand-in
//! registry (AVRO, PROTOBUF and JSON schemas by topic), so inference runs too. Inputs are
//! generated files ([`SqlGen`]), ksqlDB's cases' statements, and token- and byte-level mutants
//! of both. No oracle: nothing may panic.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use rand::Rng;
use rand::rngs::SmallRng;
use weir::analyze::{AnalyzeOptions, RegisteredSchema, SchemaSide, SchemaSource};
use weir::lock::LockFile;
use weir::sql::render_all;

use super::sql_gen::SqlGen;
use super::{Corpus, Mismatch, Target, mutate};

const MAX_LEN: usize = 16 * 1024;

/// Words and punctuation of the dialect, for mutation.
const DICTIONARY: &[&str] = &[
    "CREATE",
    "STREAM",
    "TABLE",
    "AS",
    "SELECT",
    "FROM",
    "WHERE",
    "GROUP BY",
    "HAVING",
    "PARTITION BY",
    "EMIT CHANGES",
    "EMIT FINAL",
    "WINDOW",
    "TUMBLING",
    "HOPPING",
    "SESSION",
    "SIZE",
    "ADVANCE BY",
    "RETENTION",
    "GRACE PERIOD",
    "JOIN",
    "LEFT",
    "FULL",
    "OUTER",
    "ON",
    "WITHIN",
    "INSERT INTO",
    "WITH",
    "KEY",
    "PRIMARY KEY",
    "HEADERS",
    "HEADER",
    "STRUCT<",
    "ARRAY<",
    "MAP<",
    ">",
    "CAST(",
    "CASE",
    "WHEN",
    "THEN",
    "ELSE",
    "END",
    "AND",
    "OR",
    "NOT",
    "NULL",
    "IS",
    "BETWEEN",
    "LIKE",
    "IN",
    "->",
    "=>",
    ":=",
    "(",
    ")",
    ",",
    ";",
    "'",
    "`",
    "\"",
    "*",
    ".",
    "[",
    "]",
    "-",
    "+",
    "/",
    "%",
    "=",
    "<>",
    "SET",
    "UNSET",
    "TYPE",
    "DECIMAL(",
    "ROWTIME",
    "WINDOWSTART",
    "EXPLODE(",
    "COUNT(*)",
    "LATEST_BY_OFFSET(",
    "TRANSFORM(",
    "--",
    "/*",
    "*/",
    "\n",
    "VALUE_FORMAT='JSON'",
    "KAFKA_TOPIC='t'",
    "FORMAT='AVRO'",
];

pub struct SqlTarget {
    seeds: Vec<String>,
    registry: Arc<dyn SchemaSource>,
    stats: Stats,
}

#[derive(Default)]
struct Stats {
    parsed: u64,
    planned: u64,
    queries: u64,
}

impl SqlTarget {
    pub fn new(corpus: &Corpus) -> SqlTarget {
        SqlTarget {
            seeds: corpus.sql.clone(),
            registry: Arc::new(StandInRegistry),
            stats: Stats::default(),
        }
    }
}

impl Target for SqlTarget {
    fn name(&self) -> &'static str {
        "sql"
    }

    fn generate(&mut self, rng: &mut SmallRng, input: &mut Vec<u8>) {
        let seed = (!self.seeds.is_empty() && rng.random_ratio(2, 5))
            .then(|| self.seeds[rng.random_range(0..self.seeds.len())].clone());
        let text = seed.unwrap_or_else(|| SqlGen::new(rng).file());
        match rng.random_range(0..10) {
            0..=3 => input.extend_from_slice(text.as_bytes()),
            4..=7 => {
                let other = match self.seeds.is_empty() || rng.random_bool(0.5) {
                    true => SqlGen::new(rng).file(),
                    false => self.seeds[rng.random_range(0..self.seeds.len())].clone(),
                };
                let mutated = mutate::text(rng, &text, DICTIONARY, &other, 4);
                input.extend_from_slice(mutated.as_bytes());
            }
            _ => {
                input.extend_from_slice(text.as_bytes());
                let other = SqlGen::new(rng).file();
                mutate::bytes(rng, input, DICTIONARY, other.as_bytes(), 6, MAX_LEN);
            }
        }
    }

    fn check(&mut self, input: &[u8]) -> Result<(), Mismatch> {
        let text = String::from_utf8_lossy(input);
        match weir::sql::parse_file(&text) {
            Ok(_) => self.stats.parsed += 1,
            Err(diagnostics) => {
                let _ = render_all(&diagnostics, &text, "fuzz.sql");
            }
        }
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        input.hash(&mut hasher);
        let hash = hasher.finish();
        let mut properties = BTreeMap::new();
        if hash & 1 == 1 {
            properties.insert(
                "ksql.persistence.default.format.value".into(),
                "JSON".into(),
            );
        }
        let options = AnalyzeOptions {
            properties,
            allow_no_queries: hash & 2 == 2,
            schemas: (hash & 4 == 4).then(|| Arc::clone(&self.registry)),
        };
        match weir::plan::plan_file_with(&text, "fuzz", &options) {
            Ok(planned) => {
                self.stats.planned += 1;
                self.stats.queries += planned.queries.len() as u64;
                for query in &planned.queries {
                    let _ = query.to_string();
                }
                let _ = LockFile::new(planned.locked()).to_toml();
            }
            Err(diagnostics) => {
                let _ = render_all(&diagnostics, &text, "fuzz.sql");
            }
        }
        Ok(())
    }

    fn stack_size(&self) -> usize {
        // The main thread checks the queries file.
        8 << 20
    }

    fn stats(&self) -> Vec<(&'static str, u64)> {
        vec![
            ("parsed", self.stats.parsed),
            ("planned", self.stats.planned),
            ("queries planned", self.stats.queries),
        ]
    }
}

/// Schemas by topic: `t` has AVRO records, `u` PROTOBUF messages, `s0` a JSON schema.
#[derive(Debug)]
struct StandInRegistry;

impl SchemaSource for StandInRegistry {
    fn schema(&self, topic: &str, side: SchemaSide, _id: Option<i64>) -> Option<RegisteredSchema> {
        let text = match (topic, side) {
            ("t", SchemaSide::Value) => {
                r#"{"type":"record","name":"V","fields":[{"name":"ID","type":"long"},{"name":"A","type":["null","string"]},{"name":"M","type":{"type":"map","values":"int"}}]}"#
            }
            ("t", SchemaSide::Key) => r#""long""#,
            ("u", _) => {
                "syntax = \"proto3\"; message M { int64 ID = 1; string A = 2; repeated double B = 3; message N { int32 X = 1; } N C = 4; }"
            }
            ("s0", _) => {
                r#"{"type":"object","properties":{"ID":{"type":"integer"},"A":{"type":"string"},"V":{"type":"array","items":{"type":"number"}}}}"#
            }
            _ => return None,
        };
        Some(RegisteredSchema {
            text: text.to_string(),
            references: Vec::new(),
        })
    }
}
