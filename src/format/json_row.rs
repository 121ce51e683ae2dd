//! A wrapped JSON row read member by member into its columns. What can be decided before the
//! first record is decided once, in a [`ReadPlan`]: which columns nothing reads (their values
//! are checked and skipped, never copied) and whether a member can match more than one column
//! (if not, the search starts at the column after the last match, so members written in
//! column order, the usual case, match on the first comparison). Name rules are ksqlDB's: a
//! column takes the last member with exactly its name, else the last whose upper-cased name
//! equals it.

use super::SerdeColumn;
use super::error::FormatError;
use super::json::{coerce_logged, jvm_long_value, malformed};
use super::json_parse::{JsonNode, Members};
use crate::types::{Row, SqlType, Value};

/// How a column was last filled: not at all, by a case-insensitive name, by its exact name.
pub(super) const UNSET: u8 = 0;
const BY_UPPER: u8 = 1;
const BY_EXACT: u8 = 2;
/// Columns tracked on the stack; wider rows use a heap list.
const STACK_COLUMNS: usize = 64;

/// What a wrapped JSON reader knows of its columns before the first record.
#[derive(Debug, Clone, Default)]
pub(super) struct ReadPlan {
    /// Per column: a STRING column nothing reads, left NULL (see
    /// [`ReadPlan::skip_unread_strings`]). Empty when every column is read.
    skip: Vec<bool>,
    /// No column's upper-cased name is another column's name, so a member name matches one
    /// column at most.
    distinct: bool,
    /// Per column, its name prepared for word-wise matching (`None`: not ASCII).
    names: Vec<Option<NameWords>>,
}

impl ReadPlan {
    pub(super) fn new(columns: &[SerdeColumn]) -> ReadPlan {
        let distinct = columns.iter().enumerate().all(|(i, a)| {
            let upper = a.name.to_uppercase();
            columns
                .iter()
                .enumerate()
                .all(|(j, b)| i == j || (b.name != upper && b.name != a.name))
        });
        ReadPlan {
            skip: Vec::new(),
            distinct,
            names: columns.iter().map(|c| NameWords::new(&c.name)).collect(),
        }
    }

    /// Marks the STRING columns that `read` (one flag per column) says nothing reads. Any
    /// JSON value reads into a STRING, so skipping one changes no outcome.
    pub(super) fn skip_unread_strings(&mut self, columns: &[SerdeColumn], read: &[bool]) {
        self.skip = columns
            .iter()
            .zip(read)
            .map(|(column, &read)| !read && column.ty == SqlType::String)
            .collect();
    }

    fn skips(&self, index: usize) -> bool {
        self.skip.get(index) == Some(&true)
    }

    /// [`name_match`] of member name `key` against column `index`'s name.
    fn rank(&self, columns: &[SerdeColumn], index: usize, key: &str, ascii: bool) -> u8 {
        match self.names.get(index) {
            Some(Some(words)) if ascii => words.rank(key.as_bytes()),
            _ => name_match(key, ascii, &columns[index].name),
        }
    }
}

/// An ASCII column name laid out for comparing member names eight bytes at a time.
#[derive(Debug, Clone)]
struct NameWords {
    len: usize,
    /// The name's bytes as little-endian words, the last one zero-padded.
    words: Box<[u64]>,
    /// Per word, 0x20 at each byte that is a capital letter: where a member name's byte may
    /// be that letter's lower case ([`name_match`]'s upper-cased match).
    case_bits: Box<[u64]>,
}

impl NameWords {
    fn new(name: &str) -> Option<NameWords> {
        if !name.is_ascii() {
            return None;
        }
        let chunks = name.as_bytes().chunks(8);
        Some(NameWords {
            len: name.len(),
            words: chunks.clone().map(word).collect(),
            case_bits: chunks
                .map(|chunk| {
                    let capitals: Vec<u8> = chunk
                        .iter()
                        .map(|b| if b.is_ascii_uppercase() { 0x20 } else { 0 })
                        .collect();
                    word(&capitals)
                })
                .collect(),
        })
    }

    /// Per byte, equal, or a lower-case letter where the name has its capital: exactly
    /// [`name_match`] on an ASCII member name.
    fn rank(&self, key: &[u8]) -> u8 {
        if key.len() != self.len {
            return UNSET;
        }
        let mut rank = BY_EXACT;
        for ((chunk, &name), &case) in key.chunks(8).zip(&self.words).zip(&self.case_bits) {
            let diff = word(chunk) ^ name;
            if diff & !case != 0 {
                return UNSET;
            }
            if diff != 0 {
                rank = BY_UPPER;
            }
        }
        rank
    }
}

/// Up to eight bytes as a little-endian word, zero-padded.
fn word(bytes: &[u8]) -> u64 {
    let mut padded = [0; 8];
    padded[..bytes.len()].copy_from_slice(bytes);
    u64::from_le_bytes(padded)
}

/// The columns of one object. A coercion failure counts only if no later member replaces
/// it; the first failing column is reported. Skipped columns stay NULL.
pub(super) fn read_row(
    columns: &[SerdeColumn],
    plan: &ReadPlan,
    mut members: Members<'_>,
) -> Result<Row, FormatError> {
    let mut row = vec![Value::Null; columns.len()];
    let mut stack = [UNSET; STACK_COLUMNS];
    let mut heap = Vec::new();
    let filled: &mut [u8] = if columns.len() <= STACK_COLUMNS {
        &mut stack[..columns.len()]
    } else {
        heap.resize(columns.len(), UNSET);
        &mut heap
    };
    let mut failures: Vec<(usize, FormatError)> = Vec::new();
    // Where the search for the next member's column starts (distinct names only).
    let mut next = 0;
    while let Some(key) = members.next_name().map_err(malformed)? {
        let ascii = key.is_ascii();
        if plan.distinct {
            let rank_at = |index: usize| plan.rank(columns, index, &key, ascii);
            // Members in column order: the column after the last match is the one.
            let expected = if next < columns.len() {
                rank_at(next)
            } else {
                UNSET
            };
            let found = if expected != UNSET {
                Some((next, expected))
            } else {
                (0..columns.len()).find_map(|index| match rank_at(index) {
                    UNSET => None,
                    rank => Some((index, rank)),
                })
            };
            let Some((index, rank)) = found else {
                members.skip_value().map_err(malformed)?;
                continue;
            };
            next = index + 1;
            if rank == BY_UPPER && filled[index] == BY_EXACT {
                members.skip_value().map_err(malformed)?;
                continue;
            }
            filled[index] = rank;
            if plan.skips(index) {
                members.skip_value().map_err(malformed)?;
                continue;
            }
            let node = members.value().map_err(malformed)?;
            fill(&mut row, &mut failures, index, &columns[index], &node);
            continue;
        }
        let node = members.value().map_err(malformed)?;
        for (index, column) in columns.iter().enumerate() {
            let rank = plan.rank(columns, index, &key, ascii);
            if rank == UNSET || (rank == BY_UPPER && filled[index] == BY_EXACT) {
                continue;
            }
            filled[index] = rank;
            if !plan.skips(index) {
                fill(&mut row, &mut failures, index, column, &node);
            }
        }
    }
    match failures.into_iter().min_by_key(|(index, _)| *index) {
        Some((_, error)) => Err(error),
        None => Ok(row),
    }
}

/// Coerces `node` into column `index`, replacing what an earlier member put there (a value
/// or a failure).
fn fill(
    row: &mut Row,
    failures: &mut Vec<(usize, FormatError)>,
    index: usize,
    column: &SerdeColumn,
    node: &JsonNode<'_>,
) {
    if !failures.is_empty() {
        failures.retain(|(failed, _)| *failed != index);
    }
    // The common numeric case without the general coercion's dispatch (same result).
    if let (SqlType::Bigint, JsonNode::Number(number)) = (&column.ty, node) {
        row[index] = Value::Bigint(jvm_long_value(number));
        return;
    }
    match coerce_logged(node, &column.ty, Some(&column.name)) {
        Ok(value) => row[index] = value,
        Err(error) => {
            row[index] = Value::Null;
            failures.push((index, error));
        }
    }
}

/// How member name `key` (`ascii` if it is) matches column `name`: exactly, once
/// upper-cased, or not ([`UNSET`]). ASCII names are compared in one pass; upper-casing keeps
/// their length, so names of another length are told apart at once.
pub(super) fn name_match(key: &str, ascii: bool, name: &str) -> u8 {
    if !ascii {
        return if key == name {
            BY_EXACT
        } else if key.to_uppercase() == name {
            BY_UPPER
        } else {
            UNSET
        };
    }
    if key.len() != name.len() {
        return UNSET;
    }
    let mut rank = BY_EXACT;
    for (k, n) in key.bytes().zip(name.bytes()) {
        if k != n {
            if k.to_ascii_uppercase() != n {
                return UNSET;
            }
            rank = BY_UPPER;
        }
    }
    rank
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Names from a small alphabet, so that equal and case-equal pairs are common.
    fn name() -> impl Strategy<Value = String> {
        proptest::string::string_regex("[aAbB_1]{0,20}").expect("a valid pattern")
    }

    proptest! {
        #[test]
        fn word_matching_is_name_match(key in name(), column in name()) {
            let words = NameWords::new(&column).expect("ASCII");
            prop_assert_eq!(words.rank(key.as_bytes()), name_match(&key, true, &column));
        }
    }

    #[test]
    fn lower_case_members_match_capital_columns_and_not_the_reverse() {
        let words = NameWords::new("DATE_TIME").expect("ASCII");
        assert_eq!(words.rank(b"date_time"), BY_UPPER);
        assert_eq!(words.rank(b"DATE_TIME"), BY_EXACT);
        assert_eq!(words.rank(b"Date_Time"), BY_UPPER);
        assert_eq!(words.rank(b"DATE-TIME"), UNSET);
        let lower = NameWords::new("date_time").expect("ASCII");
        assert_eq!(lower.rank(b"DATE_TIME"), UNSET);
    }
}
