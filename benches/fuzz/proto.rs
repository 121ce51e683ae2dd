//! The PROTOBUF target: weir's `.proto` reader and its translation to SQL types
//! (`analyze::registry::protobuf::to_sql_type`). Inputs are schema texts, generated (proto2 and
//! proto3: packages, imports, options, nested and qualified messages, enums, `oneof`, maps,
//! `repeated`, well-known and `confluent.type.Decimal` fields with their `field_meta`, comments,
//! long chains of messages that use each other) or taken from ksqlDB's cases, then mutated.
//! A line holding only [`REFERENCE`] splits an input into the schema and its references; the
//! message asked for by full name is picked from the input's hash. No oracle: nothing may
//! panic, hang or exhaust memory.

use std::hash::{Hash, Hasher};

use rand::Rng;
use rand::rngs::SmallRng;
use rand::seq::IndexedRandom;
use weir::analyze::SchemaReference;
use weir::analyze::registry::protobuf;

use super::{Corpus, Mismatch, Target, mutate};

const MAX_LEN: usize = 16 * 1024;
/// Separates the schema from its references in an input.
pub const REFERENCE: &str = "//@reference";

const SCALARS: &[&str] = &[
    "double", "float", "int32", "int64", "uint32", "uint64", "sint32", "sint64", "fixed32",
    "fixed64", "sfixed32", "sfixed64", "bool", "string", "bytes",
];
const WELL_KNOWN: &[&str] = &[
    "google.protobuf.Timestamp",
    ".google.protobuf.Timestamp",
    "google.type.Date",
    "google.type.TimeOfDay",
    "confluent.type.Decimal",
    "google.protobuf.Any",
];
const DICTIONARY: &[&str] = &[
    "message",
    "enum",
    "oneof",
    "map<",
    ">",
    "repeated",
    "optional",
    "required",
    "package",
    "import",
    "option",
    "reserved",
    "extend",
    "syntax",
    "{",
    "}",
    ";",
    "=",
    "[",
    "]",
    "\"",
    "//",
    "/*",
    "*/",
    ".",
    "confluent.type.Decimal",
    "(confluent.field_meta)",
    "params",
    "key",
    "value",
    "\"precision\"",
    "\"scale\"",
];

pub struct ProtoTarget {
    seeds: Vec<String>,
    translated: u64,
    refused: u64,
}

impl ProtoTarget {
    pub fn new(corpus: &Corpus) -> ProtoTarget {
        ProtoTarget {
            seeds: corpus.protobuf.clone(),
            translated: 0,
            refused: 0,
        }
    }
}

impl Target for ProtoTarget {
    fn name(&self) -> &'static str {
        "protobuf"
    }

    fn generate(&mut self, rng: &mut SmallRng, input: &mut Vec<u8>) {
        let mut text = if !self.seeds.is_empty() && rng.random_ratio(1, 4) {
            self.seeds[rng.random_range(0..self.seeds.len())].clone()
        } else {
            // Chains cost up to the translators' limit of 100,000 fields each: a few suffice.
            match rng.random_range(0..300) {
                0 => chain(rng),
                1..=10 => nested(rng),
                _ => schema(rng),
            }
        };
        if rng.random_ratio(1, 4) {
            text.push('\n');
            text.push_str(REFERENCE);
            text.push('\n');
            text.push_str(&schema(rng));
        }
        match rng.random_range(0..10) {
            0..=4 => input.extend_from_slice(text.as_bytes()),
            5..=7 => {
                let other = schema(rng);
                input.extend_from_slice(mutate::text(rng, &text, DICTIONARY, &other, 4).as_bytes());
            }
            _ => {
                input.extend_from_slice(text.as_bytes());
                let other = schema(rng);
                mutate::bytes(
                    rng,
                    input,
                    DICTIONARY,
                    other.as_bytes(),
                    4,
                    MAX_LEN.max(input.len()),
                );
            }
        }
    }

    fn check(&mut self, input: &[u8]) -> Result<(), Mismatch> {
        let text = String::from_utf8_lossy(input);
        let mut parts = text.split(REFERENCE);
        let main = parts.next().unwrap_or_default();
        let references: Vec<SchemaReference> = parts
            .enumerate()
            .map(|(i, text)| SchemaReference {
                name: format!("ref{i}.proto"),
                text: text.to_string(),
            })
            .collect();
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        input.hash(&mut hasher);
        let hash = hasher.finish();
        // A message named in the text (or not), as `VALUE_SCHEMA_FULL_NAME` would name it.
        let names: Vec<&str> = text
            .split("message")
            .skip(1)
            .filter_map(|rest| rest.split_whitespace().next())
            .collect();
        let full_name = match hash % 4 {
            0 if !names.is_empty() => Some(names[(hash >> 8) as usize % names.len()].to_string()),
            1 => Some(".M0".to_string()),
            _ => None,
        };
        match protobuf::to_sql_type(main, &references, full_name.as_deref()) {
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

/// A schema of a few messages and enums.
pub fn schema(rng: &mut SmallRng) -> String {
    let mut out = String::new();
    if rng.random_bool(0.8) {
        let syntax = if rng.random_bool(0.8) {
            "proto3"
        } else {
            "proto2"
        };
        out.push_str(&format!("syntax = \"{syntax}\";\n"));
    }
    let package = rng
        .random_bool(0.4)
        .then(|| ["a", "a.b", "io.x"].choose(rng).copied().unwrap_or("a"));
    if let Some(package) = package {
        out.push_str(&format!("package {package};\n"));
    }
    if rng.random_ratio(1, 3) {
        out.push_str("import \"google/protobuf/timestamp.proto\";\nimport \"confluent/type/decimal.proto\";\n");
    }
    if rng.random_ratio(1, 4) {
        out.push_str("option java_package = \"io.x\"; // a comment\n/* block\n comment */\n");
    }
    let messages = rng.random_range(1..5);
    for i in 0..messages {
        if rng.random_ratio(1, 5) {
            out.push_str(&format!(
                "enum E{i} {{ E{i}_A = 0; E{i}_B = 1; option allow_alias = true; }}\n"
            ));
        }
        message(rng, &format!("M{i}"), messages, 0, &mut out);
    }
    out
}

fn message(rng: &mut SmallRng, name: &str, messages: usize, depth: usize, out: &mut String) {
    out.push_str(&format!("message {name} {{\n"));
    let fields = rng.random_range(0..7);
    for n in 1..=fields {
        match rng.random_range(0..12) {
            0 if depth < 3 => message(rng, &format!("N{n}"), messages, depth + 1, out),
            1 => out.push_str(&format!("  enum F{n} {{ X = 0; }}\n  F{n} f{n} = {n};\n")),
            2 => {
                out.push_str(&format!("  oneof choice{n} {{\n"));
                for k in 0..rng.random_range(0..3) {
                    let ty = type_name(rng, messages);
                    out.push_str(&format!("    {ty} c{n}_{k} = {};\n", 100 + k));
                }
                out.push_str("  }\n");
            }
            3 => {
                let key = ["string", "int32", "int64", "bool", "M0"]
                    .choose(rng)
                    .copied()
                    .unwrap_or("string");
                let value = type_name(rng, messages);
                out.push_str(&format!("  map<{key}, {value}> m{n} = {n};\n"));
            }
            4 => {
                let params = [
                    "params: [{ value: \"4\", key: \"precision\" }, { value: \"2\", key: \"scale\" }]",
                    "params: [{ key: \"precision\", value: \"0\" }]",
                    "params: [{ key: \"scale\", value: \"9\" }, { key: \"precision\", value: \"3\" }]",
                    "params: [{ key: \"precision\", value: \"99999999999\" }]",
                    "params: [{ key: \"precision\" }]",
                    "params: [{ key: \"scale\", value: \"",
                ];
                let params = params.choose(rng).copied().unwrap_or("");
                out.push_str(&format!(
                    "  confluent.type.Decimal d{n} = {n} [(confluent.field_meta) = {{ {params} }}];\n"
                ));
            }
            5 => out.push_str("  reserved 2, 15, 9 to 11;\n  option deprecated = true;\n"),
            _ => {
                let label = ["", "", "repeated ", "optional ", "required "]
                    .choose(rng)
                    .copied()
                    .unwrap_or("");
                let ty = type_name(rng, messages);
                out.push_str(&format!("  {label}{ty} f{n} = {n};\n"));
            }
        }
    }
    out.push_str("}\n");
}

fn type_name(rng: &mut SmallRng, messages: usize) -> String {
    match rng.random_range(0..10) {
        0..=4 => SCALARS.choose(rng).copied().unwrap_or("int32").to_string(),
        5 => WELL_KNOWN
            .choose(rng)
            .copied()
            .unwrap_or("google.type.Date")
            .to_string(),
        6 => format!("E{}", rng.random_range(0..messages)),
        7 => format!(".a.M{}", rng.random_range(0..messages)),
        8 => format!("M{}.N1", rng.random_range(0..messages)),
        _ => format!("M{}", rng.random_range(0..messages)),
    }
}

/// Messages that each use the next one several times: a type that grows exponentially.
fn chain(rng: &mut SmallRng) -> String {
    let length = rng.random_range(2..40);
    let width = rng.random_range(1..5);
    let mut out = String::from("syntax = \"proto3\";\n");
    for i in 0..length {
        out.push_str(&format!("message C{i} {{"));
        for k in 0..width {
            if i + 1 < length {
                out.push_str(&format!(" C{} f{k} = {};", i + 1, k + 1));
            } else {
                out.push_str(&format!(" int32 f{k} = {};", k + 1));
            }
        }
        out.push_str(" }\n");
    }
    out
}

/// Messages nested inside each other, deeper than any real schema.
fn nested(rng: &mut SmallRng) -> String {
    let depth = *[10usize, 100, 1000, 3000].choose(rng).unwrap_or(&100);
    let mut out = String::from("syntax = \"proto3\";\n");
    for i in 0..depth {
        out.push_str(&format!("message N{i} {{ int32 f = 1; "));
    }
    out.push_str(&"}".repeat(depth));
    out
}
