//! The DELIMITED target: weir's CSV record reader and writer. An input is one delimiter byte
//! followed by the payload. Each payload is read as that many STRING columns as the oracle
//! ([`csv_model`], ksqlDB's Commons CSV reading) finds fields, and the fields must agree (an
//! empty field is NULL; a payload ksqlDB fails must fail); then it is read again into columns
//! of primitive types picked from its hash (no oracle: no panic), and a row of random values
//! of those types must survive weir's writer and reader unchanged (an empty STRING or BYTES
//! reads back as NULL, as in ksqlDB).

use std::hash::{Hash, Hasher};

use rand::rngs::SmallRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use weir::format::{Delimiter, Format, FormatError, Role, RowSerde, SerdeColumn, SerdeOptions};
use weir::types::{SqlType, Value};

use super::csv_model;
use super::mutate::AWKWARD_CHARS;
use super::{Corpus, Mismatch, Target, mutate};

const MAX_LEN: usize = 4 * 1024;
const DELIMITERS: &[u8] = b",,,,|\t ;\"'x";
const DICTIONARY: &[&str] = &[
    "\"", "\"\"", ",", "\r\n", "\n", "\r", " ", "\t", "\x0b", "|", "",
];

pub struct DelimitedTarget {
    seeds: Vec<String>,
    stats: Stats,
}

#[derive(Default)]
struct Stats {
    read: u64,
    refused: u64,
    round_trips: u64,
}

impl DelimitedTarget {
    pub fn new(corpus: &Corpus) -> DelimitedTarget {
        DelimitedTarget {
            seeds: corpus.delimited.clone(),
            stats: Stats::default(),
        }
    }
}

impl Target for DelimitedTarget {
    fn name(&self) -> &'static str {
        "delimited"
    }

    fn generate(&mut self, rng: &mut SmallRng, input: &mut Vec<u8>) {
        let delimiter = *DELIMITERS.choose(rng).unwrap_or(&b',');
        input.push(delimiter);
        let mut payload = if !self.seeds.is_empty() && rng.random_ratio(1, 5) {
            self.seeds[rng.random_range(0..self.seeds.len())].clone()
        } else {
            line(rng, delimiter)
        };
        if rng.random_ratio(1, 3) {
            let other = line(rng, delimiter);
            payload = mutate::text(rng, &payload, DICTIONARY, &other, 3);
        }
        input.extend_from_slice(payload.as_bytes());
        if rng.random_ratio(1, 4) {
            let other = line(rng, delimiter);
            mutate::bytes(rng, input, DICTIONARY, other.as_bytes(), 3, MAX_LEN);
        }
    }

    fn check(&mut self, input: &[u8]) -> Result<(), Mismatch> {
        let Some((&delimiter, payload)) = input.split_first() else {
            return Ok(());
        };
        // A space or tab is given by name (`VALUE_DELIMITER='SPACE'`): blank text is refused.
        let name = match delimiter {
            b' ' => "SPACE".to_string(),
            b'\t' => "TAB".to_string(),
            other => char::from(other).to_string(),
        };
        // Delimiters the configuration refuses (blank, the quote) never reach a reader.
        let Ok(delimiter_option) = Delimiter::parse(&name) else {
            return Ok(());
        };
        let options = SerdeOptions {
            delimiter: Some(delimiter_option),
            ..SerdeOptions::default()
        };
        let hash = {
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            input.hash(&mut hasher);
            hasher.finish()
        };
        let expected = csv_model::first_record(payload, delimiter);
        let count = expected
            .as_ref()
            .map_or(1 + (hash % 5) as usize, |fields| fields.len());
        let strings: Vec<SerdeColumn> = (0..count)
            .map(|i| SerdeColumn::new(format!("C{i}"), SqlType::String))
            .collect();
        let got = serde(strings, &options).deserialize(Some(payload));
        compare(&expected, &got)?;
        match got {
            Ok(_) => self.stats.read += 1,
            Err(_) => self.stats.refused += 1,
        }

        // Typed columns: no oracle, only no panic.
        let mut rng = SmallRng::seed_from_u64(hash);
        let typed: Vec<SerdeColumn> = (0..count)
            .map(|i| SerdeColumn::new(format!("C{i}"), primitive(&mut rng)))
            .collect();
        let mut serde = serde(typed.clone(), &options);
        let _ = serde.deserialize(Some(payload));

        // A row of those types through the writer and back.
        let row: Vec<Value> = typed.iter().map(|c| value(&mut rng, &c.ty)).collect();
        let mut out = Vec::new();
        serde.serialize(&row, &mut out).map_err(|e| {
            Mismatch::new(
                "the writer refuses a row of its own types",
                format!("{row:?}: {e}"),
            )
        })?;
        if out.is_empty() {
            // One column written as nothing (NULL, '' or no bytes) has no fields to read
            // back, in ksqlDB neither ("No fields in record").
            return Ok(());
        }
        let back = serde.deserialize(Some(&out));
        let want: Vec<Value> = row
            .iter()
            .map(|v| match v {
                Value::String(s) if s.is_empty() => Value::Null,
                Value::Bytes(b) if b.is_empty() => Value::Null,
                other => other.clone(),
            })
            .collect();
        match &back {
            Ok(Some(got)) if format!("{got:?}") == format!("{want:?}") => {
                self.stats.round_trips += 1;
                Ok(())
            }
            _ => Err(Mismatch::new(
                "a written row reads back differently",
                format!(
                    "row {row:?} written {:?} read back {back:?}",
                    String::from_utf8_lossy(&out)
                ),
            )),
        }
    }

    fn stack_size(&self) -> usize {
        // A stream thread reads records.
        2 << 20
    }

    fn stats(&self) -> Vec<(&'static str, u64)> {
        vec![
            ("read", self.stats.read),
            ("refused", self.stats.refused),
            ("round trips", self.stats.round_trips),
        ]
    }
}

fn serde(columns: Vec<SerdeColumn>, options: &SerdeOptions) -> RowSerde {
    RowSerde::new(Format::Delimited, Role::Value, columns, options)
        .unwrap_or_else(|e| panic!("harness schema refused: {e}"))
}

/// weir's STRING read must be the oracle's fields, an empty one NULL; a failure must fail.
fn compare(
    expected: &Result<Vec<String>, &'static str>,
    got: &Result<Option<Vec<Value>>, FormatError>,
) -> Result<(), Mismatch> {
    match (expected, got) {
        (Err(_), Err(_)) => Ok(()),
        (Err(why), Ok(row)) => Err(Mismatch::new(
            format!("weir reads what ksqlDB refuses ({why})"),
            format!("weir read {row:?}"),
        )),
        (Ok(fields), Err(e)) => Err(Mismatch::new(
            "weir refuses what ksqlDB reads",
            format!("{e}; ksqlDB reads {fields:?}"),
        )),
        (Ok(fields), Ok(row)) => {
            let want: Vec<Value> = fields
                .iter()
                .map(|f| {
                    if f.is_empty() {
                        Value::Null
                    } else {
                        Value::string(f.as_str())
                    }
                })
                .collect();
            match row {
                Some(row) if format!("{row:?}") == format!("{want:?}") => Ok(()),
                _ => Err(Mismatch::new(
                    "fields differ from ksqlDB's",
                    format!("weir {row:?}, ksqlDB {want:?}"),
                )),
            }
        }
    }
}

fn primitive(rng: &mut SmallRng) -> SqlType {
    match rng.random_range(0..10) {
        0 => SqlType::Boolean,
        1 => SqlType::Int,
        2 => SqlType::Bigint,
        3 => SqlType::Double,
        4 => {
            let precision = rng.random_range(1..=20);
            SqlType::decimal(precision, rng.random_range(0..=precision)).unwrap_or(SqlType::String)
        }
        5 => SqlType::Bytes,
        6 => SqlType::Date,
        7 => SqlType::Time,
        8 => SqlType::Timestamp,
        _ => SqlType::String,
    }
}

fn value(rng: &mut SmallRng, ty: &SqlType) -> Value {
    if rng.random_ratio(1, 8) {
        return Value::Null;
    }
    match ty {
        SqlType::Boolean => Value::Boolean(rng.random()),
        SqlType::Int => Value::Int(rng.random()),
        SqlType::Bigint => Value::Bigint(rng.random()),
        SqlType::Double => Value::Double(match rng.random_range(0..4) {
            0 => f64::from_bits(rng.random()),
            1 => *[
                0.0,
                -0.0,
                f64::MAX,
                f64::MIN_POSITIVE,
                5e-324,
                1e21,
                1e-7,
                0.1,
            ]
            .choose(rng)
            .unwrap_or(&0.0),
            _ => rng.random_range(-1e6..1e6),
        }),
        SqlType::Decimal { precision, scale } => {
            // At most `precision` digits at the column's scale: fits, and reads back as is.
            let digits = rng.random_range(0..=*precision).min(28);
            let mantissa: i128 = (0..digits).fold(0i128, |m, _| m * 10 + rng.random_range(0..10));
            let sign = if rng.random_bool(0.5) { -1 } else { 1 };
            rust_decimal::Decimal::try_from_i128_with_scale(sign * mantissa, *scale)
                .map(Value::Decimal)
                .unwrap_or(Value::Null)
        }
        SqlType::Bytes => {
            let n = rng.random_range(0..12);
            Value::bytes((0..n).map(|_| rng.random()).collect::<Vec<u8>>())
        }
        SqlType::Date => Value::Date(rng.random()),
        SqlType::Time => Value::Time(rng.random_range(0..=86_400_000)),
        SqlType::Timestamp => Value::Timestamp(rng.random()),
        _ => Value::string(field_text(rng, b',')),
    }
}

/// A record line: fields of every shape, leading empty lines, a terminator, maybe more lines.
fn line(rng: &mut SmallRng, delimiter: u8) -> String {
    let mut out = String::new();
    if rng.random_ratio(1, 6) {
        out.push_str(
            ["\n", "\r\n", "\r", "\n\n"]
                .choose(rng)
                .copied()
                .unwrap_or("\n"),
        );
    }
    let fields = rng.random_range(1..8);
    for i in 0..fields {
        if i > 0 {
            out.push(char::from(delimiter));
        }
        match rng.random_range(0..8) {
            0 => {}
            1..=3 => out.push_str(&field_text(rng, delimiter).replace(['"', '\n', '\r'], "")),
            4 => out.push_str(&rng.random::<i64>().to_string()),
            _ => {
                out.push('"');
                out.push_str(&field_text(rng, delimiter).replace('"', "\"\""));
                if rng.random_ratio(1, 10) {
                    out.push('"'); // a lone quote inside: ends the field early
                }
                if !rng.random_ratio(1, 20) {
                    out.push('"');
                }
                if rng.random_ratio(1, 5) {
                    let after = [" ", "\t", " \t ", "\x0b", "\u{3000}", "\u{A0}", "x", "\x0c"];
                    out.push_str(after.choose(rng).copied().unwrap_or(" "));
                }
            }
        }
    }
    if rng.random_ratio(1, 2) {
        out.push_str(["\n", "\r\n", "\r"].choose(rng).copied().unwrap_or("\n"));
        if rng.random_ratio(1, 2) {
            let more = line(rng, delimiter);
            out.push_str(&more);
        }
    }
    out
}

/// Field content: text with the delimiter, quotes, line breaks, non-ASCII and spaces.
fn field_text(rng: &mut SmallRng, delimiter: u8) -> String {
    let n = rng.random_range(0..10);
    let mut text = String::new();
    for _ in 0..n {
        match rng.random_range(0..10) {
            0 => text.push(char::from(delimiter)),
            1 => text.push('"'),
            2 => text.push(['\n', '\r', ' ', '\t'].choose(rng).copied().unwrap_or(' ')),
            3 => text.push_str(AWKWARD_CHARS.choose(rng).copied().unwrap_or("é")),
            _ => text.push(char::from(rng.random_range(b'!'..=b'~'))),
        }
    }
    text
}
