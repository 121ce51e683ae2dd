//! A wrapped JSON row read member by member into its columns. What can be decided before the
//! first record is decided once, in a [`ReadPlan`]: which columns nothing reads (their values
//! are checked and skipped, never copied) and whether a member can match more than one column
//! (if not, the search starts at the column after the last match, so members written in
//! column order, the usual case, match on the first comparison). The plan also learns, per
//! member position, the bytes of the last name read there and the column it matched: a
//! record that repeats them (records of one producer do) costs one comparison per member.
//! BIGINT columns take plain integers without a number node. Name rules are ksqlDB's: a
//! column takes the last member with exactly its name, else the last whose upper-cased name
//! equals it.

use super::SerdeColumn;
use super::error::FormatError;
use super::json::{coerce_logged, jvm_long_value, malformed};
use super::json_parse::{JsonNode, Members, NextName};
use crate::types::{Row, SqlType, Value};

/// How a column was last filled: not at all, by a case-insensitive name, by its exact name.
pub(super) const UNSET: u8 = 0;
const BY_UPPER: u8 = 1;
const BY_EXACT: u8 = 2;
/// Columns tracked on the stack; wider rows use a heap list.
const STACK_COLUMNS: usize = 64;
/// Member positions whose names are remembered (see [`ReadPlan`]).
const LEARNED_MEMBERS: usize = 64;

/// What a wrapped JSON reader knows of its columns before the first record.
#[derive(Debug, Clone, Default)]
pub(super) struct ReadPlan {
    /// Per column: a STRING column nothing reads, left NULL (see
    /// [`ReadPlan::skip_unread_strings`]). Empty when every column is read.
    skip: Vec<bool>,
    /// No column's upper-cased name is another column's name, so a member name matches one
    /// column at most.
    distinct: bool,
    /// Distinct names only: per member position, the name last read there (with its
    /// separator and colon, as written) and the column it matched. Records of a topic
    /// usually repeat their member names in the same order and layout, so the next record's
    /// name at that position is checked with one comparison of its bytes instead of being
    /// scanned and matched against the columns.
    learned: Vec<Learned>,
}

/// A member's separator, quoted name and colon as written, and the column (and how) the
/// name matched, or none.
#[derive(Debug, Clone)]
struct Learned {
    raw: Vec<u8>,
    column: Option<(usize, u8)>,
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
            learned: Vec::new(),
        }
    }

    /// Remembers that the member at `ordinal` was written `raw` (see [`NextName::Other`])
    /// and matched `column`; the positions before it must be remembered already. A
    /// position whose name changed reuses its storage.
    fn learn(&mut self, ordinal: usize, raw: &[u8], column: Option<(usize, u8)>) {
        if let Some(learned) = self.learned.get_mut(ordinal) {
            learned.raw.clear();
            learned.raw.extend_from_slice(raw);
            learned.column = column;
        } else if ordinal == self.learned.len() && ordinal < LEARNED_MEMBERS {
            self.learned.push(Learned {
                raw: raw.to_vec(),
                column,
            });
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
}

/// The columns of one object. A coercion failure counts only if no later member replaces
/// it; the first failing column is reported. Skipped columns stay NULL.
pub(super) fn read_row(
    columns: &[SerdeColumn],
    plan: &mut ReadPlan,
    mut members: Members<'_>,
) -> Result<Row, FormatError> {
    // Filled by constructing NULLs, not by cloning one (a `Value` clone is a `match`).
    let mut row = Vec::with_capacity(columns.len());
    row.resize_with(columns.len(), || Value::Null);
    let mut stack = [UNSET; STACK_COLUMNS];
    let mut heap = Vec::new();
    let filled: &mut [u8] = if columns.len() <= STACK_COLUMNS {
        &mut stack[..columns.len()]
    } else {
        heap.resize(columns.len(), UNSET);
        &mut heap
    };
    let mut failures: Vec<(usize, FormatError)> = Vec::new();
    if !plan.distinct {
        read_overlapping(columns, plan, members, &mut row, filled, &mut failures)?;
        return finish(row, failures);
    }
    // Where the search for the next member's column starts.
    let mut next = 0;
    let mut ordinal = 0;
    loop {
        let guess = plan.learned.get(ordinal).map(|l| l.raw.as_slice());
        let found = match members.next_name(guess).map_err(malformed)? {
            NextName::End => break,
            NextName::Guessed => plan.learned[ordinal].column,
            NextName::Other { name, raw } => {
                let found = find_column(columns, &name, next);
                plan.learn(ordinal, raw, found);
                found
            }
        };
        ordinal += 1;
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
        let column = &columns[index];
        if matches!(column.ty, SqlType::Bigint)
            && let Some(number) = members.small_integer()
        {
            set(&mut row, &mut failures, index, Value::Bigint(number));
            continue;
        }
        let node = members.value().map_err(malformed)?;
        fill(&mut row, &mut failures, index, column, &node);
    }
    finish(row, failures)
}

/// The column a member name matches and how (names are distinct, so one at most), trying
/// the column at `expected` first: members written in column order match it at once.
fn find_column(columns: &[SerdeColumn], key: &str, expected: usize) -> Option<(usize, u8)> {
    let ascii = key.is_ascii();
    let rank_at = |index: usize| {
        let name = &columns[index].name;
        // Upper-casing keeps an ASCII name's length: the cheap test first.
        if ascii && name.len() != key.len() {
            return UNSET;
        }
        name_match(key, ascii, name)
    };
    if expected < columns.len() {
        let rank = rank_at(expected);
        if rank != UNSET {
            return Some((expected, rank));
        }
    }
    (0..columns.len()).find_map(|index| match rank_at(index) {
        UNSET => None,
        rank => Some((index, rank)),
    })
}

/// Members of an object whose column names overlap once upper-cased: each member is
/// offered to every column.
fn read_overlapping(
    columns: &[SerdeColumn],
    plan: &ReadPlan,
    mut members: Members<'_>,
    row: &mut Row,
    filled: &mut [u8],
    failures: &mut Vec<(usize, FormatError)>,
) -> Result<(), FormatError> {
    loop {
        let key = match members.next_name(None).map_err(malformed)? {
            NextName::End => return Ok(()),
            NextName::Guessed => unreachable!("no guess was offered"),
            NextName::Other { name, .. } => name,
        };
        let ascii = key.is_ascii();
        let node = members.value().map_err(malformed)?;
        for (index, column) in columns.iter().enumerate() {
            let rank = name_match(&key, ascii, &column.name);
            if rank == UNSET || (rank == BY_UPPER && filled[index] == BY_EXACT) {
                continue;
            }
            filled[index] = rank;
            if !plan.skips(index) {
                fill(row, failures, index, column, &node);
            }
        }
    }
}

/// The row, or the failure of its first failing column.
fn finish(row: Row, failures: Vec<(usize, FormatError)>) -> Result<Row, FormatError> {
    match failures.into_iter().min_by_key(|(index, _)| *index) {
        Some((_, error)) => Err(error),
        None => Ok(row),
    }
}

/// Puts `value` in column `index`, replacing what an earlier member put there (a value or a
/// failure).
fn set(row: &mut Row, failures: &mut Vec<(usize, FormatError)>, index: usize, value: Value) {
    if !failures.is_empty() {
        failures.retain(|(failed, _)| *failed != index);
    }
    row[index] = value;
}

/// Coerces `node` into column `index` (see [`set`]).
fn fill(
    row: &mut Row,
    failures: &mut Vec<(usize, FormatError)>,
    index: usize,
    column: &SerdeColumn,
    node: &JsonNode<'_>,
) {
    // The common numeric case without the general coercion's dispatch (same result).
    if let (SqlType::Bigint, JsonNode::Number(number)) = (&column.ty, node) {
        set(row, failures, index, Value::Bigint(jvm_long_value(number)));
        return;
    }
    match coerce_logged(node, &column.ty, Some(&column.name)) {
        Ok(value) => set(row, failures, index, value),
        Err(error) => {
            set(row, failures, index, Value::Null);
            failures.push((index, error));
        }
    }
}

/// How member name `key` (`ascii` if it is) matches column `name`: exactly, once
/// upper-cased (the whole key: `lower` matches `LOWER`, never `Lower`), or not ([`UNSET`]).
/// ASCII names are compared in one pass; upper-casing keeps their length, so names of
/// another length are told apart at once.
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
    let (mut exact, mut upper) = (true, true);
    for (k, n) in key.bytes().zip(name.bytes()) {
        exact &= k == n;
        upper &= k.to_ascii_uppercase() == n;
        if !exact && !upper {
            return UNSET;
        }
    }
    if exact { BY_EXACT } else { BY_UPPER }
}
