//! The JSON target: weir's record reader (`RowSerde` for `FORMAT='JSON'`) against serde_json.
//! Every payload is judged by [`json_oracle::judge`] and then read by weir three ways:
//!
//! - **fixed**: a wrapped row of columns of every SQL type (some names lower-case or
//!   non-ASCII, so case-insensitive matching is exercised), sometimes with unread STRING
//!   columns skipped;
//! - **mirror**: columns derived from the accepted document itself ([`mirror_type`]), so the
//!   whole tree is compared, wrapped for objects and unwrapped otherwise;
//! - **single**: one unwrapped column of a type picked from the input's hash.
//!
//! Each serde first reads a *primer* derived from the input (so the reader has learned member
//! names from a similar record), then the input twice: both reads must agree, a malformed
//! verdict must be a malformed error and nothing else, and an accepted document must read to
//! the values [`expect`] derives. Everything depends on the input bytes alone.

use std::hash::{Hash, Hasher};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use weir::format::{Format, FormatError, Role, RowSerde, SerdeColumn, SerdeOptions};
use weir::types::{Row, SqlType};

use super::json_expect::{Exp, expect, find_member, matches, member_names, mirror_type};
use super::json_gen;
use super::json_oracle::{Doc, Verdict, judge};
use super::{Corpus, Mismatch, Target, mutate};

const MAX_LEN: usize = 16 * 1024;

/// JSON punctuation and words for mutation.
const DICTIONARY: &[&str] = &[
    "{", "}", "[", "]", ",", ":", "\"", "\\", "\\u", "\\ud800", "true", "false", "null", "-", "e",
    "E", ".", "0", " ", "\n", "\"B\":", "\"S\":", "\"st\":{", "1e400", "\u{FEFF}",
];

/// The columns of the fixed schema: every type, and names matched in every way.
pub fn fixed_columns() -> Vec<SerdeColumn> {
    let dec = SqlType::decimal(12, 4).expect("valid decimal");
    [
        ("B", SqlType::Boolean),
        ("I", SqlType::Int),
        ("L", SqlType::Bigint),
        ("D", SqlType::Double),
        ("N", dec),
        ("S", SqlType::String),
        ("Y", SqlType::Bytes),
        ("DT", SqlType::Date),
        ("T", SqlType::Time),
        ("TS", SqlType::Timestamp),
        ("A", SqlType::array(SqlType::Bigint)),
        ("AS", SqlType::array(SqlType::String)),
        ("M", SqlType::map(SqlType::String, SqlType::Int)),
        (
            "ST",
            SqlType::structure([
                ("X", SqlType::Int),
                ("lower", SqlType::String),
                ("Z", SqlType::array(SqlType::Double)),
            ]),
        ),
        ("lower", SqlType::String),
        ("Ünï", SqlType::String),
    ]
    .into_iter()
    .map(|(name, ty)| SerdeColumn::new(name, ty))
    .collect()
}

pub struct JsonTarget {
    seeds: Vec<String>,
    fixed: Vec<SerdeColumn>,
    stats: Stats,
}

#[derive(Default)]
struct Stats {
    accepted: u64,
    rejected: u64,
    unjudged: u64,
    trees_compared: u64,
    trees_unbuilt: u64,
}

impl JsonTarget {
    pub fn new(corpus: &Corpus) -> JsonTarget {
        JsonTarget {
            seeds: corpus.json.clone(),
            fixed: fixed_columns(),
            stats: Stats::default(),
        }
    }
}

impl Target for JsonTarget {
    fn name(&self) -> &'static str {
        "json"
    }

    fn generate(&mut self, rng: &mut SmallRng, input: &mut Vec<u8>) {
        let mut text = String::new();
        let seed = (!self.seeds.is_empty() && rng.random_ratio(1, 4))
            .then(|| &self.seeds[rng.random_range(0..self.seeds.len())]);
        match seed {
            Some(seed) => text.push_str(seed),
            None => json_gen::document(rng, &mut text),
        }
        input.extend_from_slice(text.as_bytes());
        match rng.random_range(0..10) {
            0..=4 => {}
            5..=7 => {
                let mut other = String::new();
                json_gen::document(rng, &mut other);
                mutate::bytes(rng, input, DICTIONARY, other.as_bytes(), 4, MAX_LEN);
            }
            _ => {
                let other = String::from_utf8_lossy(input).into_owned();
                let mutated = mutate::text(rng, &other, DICTIONARY, &other, 3);
                input.clear();
                input.extend_from_slice(mutated.as_bytes());
            }
        }
    }

    fn check(&mut self, input: &[u8]) -> Result<(), Mismatch> {
        let verdict = judge(input);
        let doc = match &verdict {
            Verdict::Reject(_) => {
                self.stats.rejected += 1;
                None
            }
            Verdict::Either => {
                self.stats.unjudged += 1;
                None
            }
            Verdict::Accept { doc, .. } => {
                self.stats.accepted += 1;
                if doc.is_none() {
                    self.stats.trees_unbuilt += 1;
                }
                doc.as_ref()
            }
        };
        let hash = hash_of(input);
        let primer = primer(input, hash);

        // Fixed schema, wrapped.
        let skip = hash.is_multiple_of(3);
        let mut serde = reader(&self.fixed, Role::Value, SerdeOptions::default());
        let read: Vec<bool> = (0..self.fixed.len())
            .map(|i| (hash >> i) & 1 == 1)
            .collect();
        if skip {
            serde.skip_unread_strings(&read);
        }
        let got = read_twice(&mut serde, &primer, input, "fixed")?;
        syntax(&verdict, &got, "fixed")?;
        if let Some(doc) = doc {
            let exps: Vec<Exp> = self
                .fixed
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    if skip && !read[i] && c.ty == SqlType::String {
                        return Exp::Null;
                    }
                    match doc {
                        Doc::Obj(members) => expect(&c.ty, find_member(members, &c.name)),
                        _ => Exp::Null,
                    }
                })
                .collect();
            check_row(&got, doc, &exps, true, "fixed")?;
        }

        // Mirror schema.
        if let Some(doc) = doc {
            self.stats.trees_compared += 1;
            let (columns, role, options) = mirror_columns(doc);
            let exps: Vec<Exp> = match doc {
                Doc::Obj(members) => columns
                    .iter()
                    .map(|c| expect(&c.ty, find_member(members, &c.name)))
                    .collect(),
                other => vec![expect(&columns[0].ty, Some(other))],
            };
            let wrapped = matches!(doc, Doc::Obj(_));
            let mut serde = reader(&columns, role, options);
            let got = read_twice(&mut serde, &primer, input, "mirror")?;
            syntax(&verdict, &got, "mirror")?;
            check_row(&got, doc, &exps, wrapped, "mirror")?;
        }

        // One unwrapped column of a type picked by the hash.
        let column = &self.fixed[(hash >> 20) as usize % self.fixed.len()];
        let options = SerdeOptions {
            wrap_single_value: Some(false),
            ..SerdeOptions::default()
        };
        let mut serde = reader(std::slice::from_ref(column), Role::Value, options);
        let got = read_twice(&mut serde, &primer, input, "single")?;
        syntax(&verdict, &got, "single")?;
        if let Some(doc) = doc {
            check_row(&got, doc, &[expect(&column.ty, Some(doc))], false, "single")?;
        }
        Ok(())
    }

    fn stack_size(&self) -> usize {
        // A stream thread reads records.
        2 << 20
    }

    fn stats(&self) -> Vec<(&'static str, u64)> {
        let s = &self.stats;
        vec![
            ("accepted", s.accepted),
            ("rejected", s.rejected),
            ("not judged", s.unjudged),
            ("trees compared", s.trees_compared),
            ("accepted without a serde_json tree", s.trees_unbuilt),
        ]
    }
}

fn reader(columns: &[SerdeColumn], role: Role, options: SerdeOptions) -> RowSerde {
    RowSerde::new(Format::Json, role, columns.to_vec(), &options)
        .unwrap_or_else(|e| panic!("harness schema refused: {e}"))
}

fn hash_of(input: &[u8]) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    input.hash(&mut hasher);
    hasher.finish()
}

/// A record read before the input: the input mutated, or a fresh document.
fn primer(input: &[u8], hash: u64) -> Vec<u8> {
    let mut rng = SmallRng::seed_from_u64(hash);
    if rng.random_bool(0.5) {
        let mut primer = input.to_vec();
        mutate::bytes(&mut rng, &mut primer, DICTIONARY, input, 2, MAX_LEN);
        primer
    } else {
        let mut text = String::new();
        json_gen::document(&mut rng, &mut text);
        text.into_bytes()
    }
}

type Read = Result<Option<Row>, FormatError>;

/// Reads the primer, then the input twice; the two reads of the input must agree.
fn read_twice(
    serde: &mut RowSerde,
    primer: &[u8],
    input: &[u8],
    mode: &str,
) -> Result<Read, Mismatch> {
    let _ = serde.deserialize(Some(primer));
    let first = serde.deserialize(Some(input));
    let second = serde.deserialize(Some(input));
    if format!("{first:?}") != format!("{second:?}") {
        return Err(Mismatch::new(
            format!("{mode}: a second read of the same record differs"),
            format!("first {first:?}, then {second:?}"),
        ));
    }
    Ok(first)
}

/// A malformed verdict must give a malformed error, an accepting one anything else.
fn syntax(verdict: &Verdict, got: &Read, mode: &str) -> Result<(), Mismatch> {
    let malformed = matches!(got, Err(FormatError::Malformed { .. }));
    match verdict {
        Verdict::Reject(why) if !malformed => Err(Mismatch::new(
            format!("{mode}: weir accepts what serde_json rejects ({why})"),
            format!("weir read {got:?}"),
        )),
        Verdict::Accept { .. } if malformed => Err(Mismatch::new(
            format!("{mode}: weir rejects what serde_json accepts"),
            format!("weir said {got:?}"),
        )),
        _ => Ok(()),
    }
}

/// Compares a read with the expected column values of an accepted document.
fn check_row(
    got: &Read,
    doc: &Doc,
    exps: &[Exp],
    wrapped: bool,
    mode: &str,
) -> Result<(), Mismatch> {
    if wrapped && !matches!(doc, Doc::Obj(_)) {
        // A wrapped row that is not an object: NULL for `null`, else a type error.
        return match (doc, got) {
            (Doc::Null, Ok(None)) | (_, Err(FormatError::JsonTypeMismatch { .. })) => Ok(()),
            _ => Err(Mismatch::new(
                format!("{mode}: a non-object wrapped row"),
                format!("got {got:?}"),
            )),
        };
    }
    let fails = exps.iter().any(|e| matches!(e, Exp::Fail));
    let uncertain = exps.iter().any(Exp::uncertain);
    match got {
        Err(e) if fails || uncertain => {
            let _ = e;
            Ok(())
        }
        Err(e) => Err(Mismatch::new(
            format!("{mode}: weir fails where every column should read"),
            format!("error {e}; expected {exps:?}"),
        )),
        Ok(_) if fails => Err(Mismatch::new(
            format!("{mode}: weir reads a value that must fail"),
            format!("got {got:?}; expected {exps:?}"),
        )),
        Ok(None) => Err(Mismatch::new(
            format!("{mode}: weir read no row"),
            format!("expected {exps:?}"),
        )),
        Ok(Some(row)) => {
            for (i, (value, exp)) in row.iter().zip(exps).enumerate() {
                matches(value, exp).map_err(|why| {
                    Mismatch::new(
                        format!("{mode}: a value differs"),
                        format!("column {i}: {why}"),
                    )
                })?;
            }
            Ok(())
        }
    }
}

/// The mirror schema of `doc`: its members as columns (plus one no member names, so a `{}`
/// still has a column), or one unwrapped column for any other value.
fn mirror_columns(doc: &Doc) -> (Vec<SerdeColumn>, Role, SerdeOptions) {
    let Doc::Obj(members) = doc else {
        let column = SerdeColumn::new("K", mirror_type(doc));
        return (vec![column], Role::Key, SerdeOptions::default());
    };
    let mut columns: Vec<SerdeColumn> = member_names(members)
        .into_iter()
        .map(|name| {
            let ty = find_member(members, &name).map_or(SqlType::String, mirror_type);
            SerdeColumn::new(name, ty)
        })
        .collect();
    let absent = (0..)
        .map(|i| format!("#absent#{i}"))
        .find(|name| find_member(members, name).is_none())
        .unwrap_or_default();
    columns.push(SerdeColumn::new(absent, SqlType::String));
    let options = SerdeOptions {
        wrap_single_value: (columns.len() == 1).then_some(true),
        ..SerdeOptions::default()
    };
    (columns, Role::Value, options)
}
