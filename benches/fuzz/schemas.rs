//! The `schemas` target: weir's AVRO and JSON-schema translators
//! (`analyze::registry::{avro, json_schema}::to_sql_type`). An input's first byte says which
//! (`a` or `j`); the rest is the schema: records, arrays, maps, unions, enums, fixed, logical
//! types with their parameters, named types used again by name (also many times over, so
//! the translated type grows exponentially), Connect's annotations, `oneOf` and type lists,
//! or ksqlDB's cases' schemas, then mutated. No oracle: nothing may panic, hang or exhaust
//! memory.

use rand::Rng;
use rand::rngs::SmallRng;
use rand::seq::IndexedRandom;
use weir::analyze::registry::{avro, json_schema};

use super::{Corpus, Mismatch, Target, mutate};

const MAX_LEN: usize = 16 * 1024;
const DICTIONARY: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "\"type\"",
    "\"record\"",
    "\"fields\"",
    "\"name\"",
    "\"items\"",
    "\"values\"",
    "\"null\"",
    "\"logicalType\"",
    "\"decimal\"",
    "\"precision\"",
    "\"properties\"",
    "\"oneOf\"",
    "\"connect.index\"",
    "\"connect.type\"",
    "4294967296",
    "-1",
];

pub struct SchemaTarget {
    avro_seeds: Vec<String>,
    json_seeds: Vec<String>,
    translated: u64,
    refused: u64,
}

impl SchemaTarget {
    pub fn new(corpus: &Corpus) -> SchemaTarget {
        SchemaTarget {
            avro_seeds: corpus.avro.clone(),
            json_seeds: corpus.json_schema.clone(),
            translated: 0,
            refused: 0,
        }
    }
}

impl Target for SchemaTarget {
    fn name(&self) -> &'static str {
        "schemas"
    }

    fn generate(&mut self, rng: &mut SmallRng, input: &mut Vec<u8>) {
        let is_avro = rng.random_bool(0.5);
        let seeds = if is_avro {
            &self.avro_seeds
        } else {
            &self.json_seeds
        };
        let text = if !seeds.is_empty() && rng.random_ratio(1, 4) {
            seeds[rng.random_range(0..seeds.len())].clone()
        } else if is_avro {
            avro_schema(rng)
        } else {
            json_schema(rng, 0)
        };
        input.push(if is_avro { b'a' } else { b'j' });
        match rng.random_range(0..10) {
            0..=5 => input.extend_from_slice(text.as_bytes()),
            6 | 7 => {
                let other = if is_avro {
                    avro_schema(rng)
                } else {
                    json_schema(rng, 0)
                };
                input.extend_from_slice(mutate::text(rng, &text, DICTIONARY, &other, 4).as_bytes());
            }
            _ => {
                input.extend_from_slice(text.as_bytes());
                mutate::bytes(rng, input, DICTIONARY, text.as_bytes(), 4, MAX_LEN);
            }
        }
    }

    fn check(&mut self, input: &[u8]) -> Result<(), Mismatch> {
        let Some((&kind, rest)) = input.split_first() else {
            return Ok(());
        };
        let text = String::from_utf8_lossy(rest);
        let result = if kind == b'a' {
            avro::to_sql_type(&text)
        } else {
            json_schema::to_sql_type(&text)
        };
        match result {
            Ok(_) => self.translated += 1,
            Err(_) => self.refused += 1,
        }
        Ok(())
    }

    fn stack_size(&self) -> usize {
        // The main thread checks the queries file.
        8 << 20
    }

    fn stats(&self) -> Vec<(&'static str, u64)> {
        vec![("translated", self.translated), ("refused", self.refused)]
    }
}

const AVRO_PRIMITIVES: &[&str] = &[
    "\"int\"",
    "\"long\"",
    "\"float\"",
    "\"double\"",
    "\"string\"",
    "\"bytes\"",
    "\"boolean\"",
    "\"null\"",
];

/// An AVRO schema: usually a record, sometimes a chain of records that reuse each other.
fn avro_schema(rng: &mut SmallRng) -> String {
    // Chains cost up to the translator's limit of 100,000 fields each: a few suffice.
    if rng.random_ratio(1, 300) {
        return avro_chain(rng);
    }
    let mut named = Vec::new();
    if rng.random_ratio(1, 5) {
        return avro_type(rng, 0, &mut named);
    }
    avro_record(rng, 0, &mut named)
}

fn avro_record(rng: &mut SmallRng, depth: usize, named: &mut Vec<String>) -> String {
    let name = format!("R{}", named.len());
    let namespace = if rng.random_ratio(1, 3) {
        ",\"namespace\":\"io.x\""
    } else {
        ""
    };
    named.push(name.clone());
    let fields: Vec<String> = (0..rng.random_range(0..6))
        .map(|i| {
            let ty = avro_type(rng, depth + 1, named);
            format!("{{\"name\":\"f{i}\",\"type\":{ty}}}")
        })
        .collect();
    format!(
        "{{\"type\":\"record\",\"name\":\"{name}\"{namespace},\"fields\":[{}]}}",
        fields.join(",")
    )
}

fn avro_type(rng: &mut SmallRng, depth: usize, named: &mut Vec<String>) -> String {
    let choice = if depth > 4 {
        0
    } else {
        rng.random_range(0..12)
    };
    match choice {
        0..=2 => AVRO_PRIMITIVES
            .choose(rng)
            .copied()
            .unwrap_or("\"int\"")
            .to_string(),
        3 => avro_record(rng, depth, named),
        4 => format!(
            "{{\"type\":\"array\",\"items\":{}}}",
            avro_type(rng, depth + 1, named)
        ),
        5 => format!(
            "{{\"type\":\"map\",\"values\":{}}}",
            avro_type(rng, depth + 1, named)
        ),
        6 => {
            let branches: Vec<String> = (0..rng.random_range(0..4))
                .map(|_| avro_type(rng, depth + 1, named))
                .collect();
            format!("[{}]", branches.join(","))
        }
        7 => {
            let logical = [
                r#"{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}"#,
                r#"{"type":"bytes","logicalType":"decimal","precision":4294967296,"scale":2}"#,
                r#"{"type":"fixed","name":"F","size":8,"logicalType":"decimal","scale":70}"#,
                r#"{"type":"int","logicalType":"date"}"#,
                r#"{"type":"int","logicalType":"time-millis"}"#,
                r#"{"type":"long","logicalType":"timestamp-millis"}"#,
                r#"{"type":"int","connect.name":"org.apache.kafka.connect.data.Time"}"#,
                r#"{"type":"bytes","logicalType":"decimal","precision":0}"#,
            ];
            logical
                .choose(rng)
                .copied()
                .unwrap_or("\"int\"")
                .to_string()
        }
        8 => r#"{"type":"enum","name":"E","symbols":["A","B"]}"#.to_string(),
        9 if !named.is_empty() => {
            let name = named.choose(rng).cloned().unwrap_or_default();
            if rng.random_bool(0.5) {
                format!("\"{name}\"")
            } else {
                format!("\"io.x.{name}\"")
            }
        }
        10 => format!("{{\"type\":{}}}", avro_type(rng, depth + 1, named)),
        _ => "\"Unknown\"".to_string(),
    }
}

/// Records that each hold the previous one several times, by name.
fn avro_chain(rng: &mut SmallRng) -> String {
    let length = rng.random_range(2..40);
    let width = rng.random_range(1..4);
    let mut out =
        String::from(r#"{"type":"record","name":"C0","fields":[{"name":"x","type":"int"}]}"#);
    for i in 1..length {
        let fields: Vec<String> = (0..width)
            .map(|k| format!("{{\"name\":\"f{k}\",\"type\":\"C{}\"}}", i - 1))
            .collect();
        let first = format!("{{\"name\":\"d\",\"type\":{out}}}");
        out = format!(
            "{{\"type\":\"record\",\"name\":\"C{i}\",\"fields\":[{first},{}]}}",
            fields.join(",")
        );
    }
    out
}

/// A JSON schema (Confluent's JSON_SR dialect with Connect annotations).
fn json_schema(rng: &mut SmallRng, depth: usize) -> String {
    let choice = if depth > 4 {
        0
    } else {
        rng.random_range(0..10)
    };
    match choice {
        0..=2 => {
            let simple = [
                r#"{"type":"integer"}"#,
                r#"{"type":"integer","connect.type":"int32"}"#,
                r#"{"type":"number"}"#,
                r#"{"type":"string"}"#,
                r#"{"type":"string","connect.type":"bytes"}"#,
                r#"{"type":"boolean"}"#,
                r#"{"type":"null"}"#,
                r#"{"type":["null","string"]}"#,
                r#"{"type":["integer","string"]}"#,
                r#"{"type":"number","title":"org.apache.kafka.connect.data.Decimal","connect.parameters":{"scale":"2","connect.decimal.precision":"4"}}"#,
                r#"{"type":"number","title":"org.apache.kafka.connect.data.Decimal","connect.parameters":{"scale":99}}"#,
                r#"{"type":"integer","title":"org.apache.kafka.connect.data.Timestamp"}"#,
                r#"{"type":"unknown"}"#,
                r#"{}"#,
            ];
            simple.choose(rng).copied().unwrap_or("{}").to_string()
        }
        3..=5 => {
            let properties: Vec<String> = (0..rng.random_range(0..6))
                .map(|i| {
                    let inner = json_schema(rng, depth + 1);
                    let inner = match inner.strip_suffix('}') {
                        Some(body) if body.len() > 1 && rng.random_bool(0.5) => {
                            format!("{body},\"connect.index\":{}}}", rng.random_range(0..5))
                        }
                        _ => inner,
                    };
                    format!("\"p{i}\":{inner}")
                })
                .collect();
            format!(
                "{{\"type\":\"object\",\"properties\":{{{}}}}}",
                properties.join(",")
            )
        }
        6 => format!(
            "{{\"type\":\"object\",\"additionalProperties\":{}}}",
            json_schema(rng, depth + 1)
        ),
        7 => format!(
            "{{\"type\":\"array\",\"items\":{}}}",
            json_schema(rng, depth + 1)
        ),
        _ => {
            let combinator = if rng.random_bool(0.5) {
                "oneOf"
            } else {
                "anyOf"
            };
            let branches: Vec<String> = (0..rng.random_range(0..4))
                .map(|_| json_schema(rng, depth + 1))
                .collect();
            format!("{{\"{combinator}\":[{}]}}", branches.join(","))
        }
    }
}
