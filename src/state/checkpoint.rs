//! Checkpoint files: for one task's local stores, the changelog offset each store has applied,
//! so a restart restores only the changelog tail. Written atomically (temporary file, fsync,
//! rename, fsync of the directory) when the task commits; read back at assignment. A file that
//! is corrupt, truncated, of another version or of another task (its owner line differs) is
//! ignored with a reason, and the caller restores from the start of the changelog: a bad
//! checkpoint costs time, never correctness. This module does file I/O and nothing else.
//!
//! Format (text, one item per line): `weir-checkpoint 1`, `owner <app_id>/<task>`, then
//! `store <name> <offset>` per store in name order, then `sha256 <hex>` over all earlier lines.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::StateError;

const MAGIC: &str = "weir-checkpoint 1";

/// The offsets of one task's stores. `owner` names the task (`<app_id>/<task id>`) so a file
/// left in the wrong directory is not trusted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Checkpoint {
    pub owner: String,
    /// Store name → offset of the last changelog record the local store holds.
    pub offsets: BTreeMap<String, i64>,
}

/// What reading a checkpoint found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckpointRead {
    Valid(Checkpoint),
    /// No file: a fresh task.
    Missing,
    /// A file that cannot be trusted; the reason is for the log line.
    Ignored {
        reason: String,
    },
}

fn render_body(checkpoint: &Checkpoint) -> String {
    let mut body = format!("{MAGIC}\nowner {}\n", checkpoint.owner);
    for (store, offset) in &checkpoint.offsets {
        let _ = writeln!(body, "store {store} {offset}");
    }
    body
}

fn digest(body: &str) -> String {
    let hash = Sha256::digest(body.as_bytes());
    hash.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Writes `checkpoint` to `path` atomically. Store names must not contain whitespace (store
/// names come from plan paths, which never do).
pub fn write(path: &Path, checkpoint: &Checkpoint) -> Result<(), StateError> {
    let err = |reason: String| StateError::Checkpoint {
        path: path.display().to_string(),
        reason,
    };
    if checkpoint.owner.contains(char::is_whitespace)
        || checkpoint
            .offsets
            .keys()
            .any(|s| s.contains(char::is_whitespace) || s.is_empty())
    {
        return Err(err(
            "owner and store names must be non-empty and without whitespace".into(),
        ));
    }
    let mut text = render_body(checkpoint);
    let sum = digest(&text);
    let _ = writeln!(text, "sha256 {sum}");
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file_name = path
        .file_name()
        .ok_or_else(|| err("path has no file name".into()))?;
    let tmp = dir.join(format!(".{}.tmp", file_name.to_string_lossy()));
    let mut file =
        fs::File::create(&tmp).map_err(|e| err(format!("create {}: {e}", tmp.display())))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| err(format!("write {}: {e}", tmp.display())))?;
    drop(file);
    fs::rename(&tmp, path).map_err(|e| err(format!("rename from {}: {e}", tmp.display())))?;
    if let Ok(dir) = fs::File::open(dir) {
        // Persists the rename; a directory that cannot be synced (some filesystems) is not fatal.
        let _ = dir.sync_all();
    }
    Ok(())
}

/// Reads and validates the checkpoint at `path` for `expected_owner`.
pub fn read(path: &Path, expected_owner: &str) -> CheckpointRead {
    let text = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return CheckpointRead::Missing,
        Err(e) => return ignored(format!("cannot read it: {e}")),
    };
    let Ok(text) = String::from_utf8(text) else {
        return ignored("not UTF-8 text".into());
    };
    match parse(&text, expected_owner) {
        Ok(checkpoint) => CheckpointRead::Valid(checkpoint),
        Err(reason) => ignored(reason),
    }
}

fn ignored(reason: String) -> CheckpointRead {
    CheckpointRead::Ignored { reason }
}

fn parse(text: &str, expected_owner: &str) -> Result<Checkpoint, String> {
    let body_end = text
        .rfind("sha256 ")
        .ok_or("no checksum line: the file is truncated")?;
    let (body, sum_line) = text.split_at(body_end);
    let sum = sum_line
        .trim_end_matches('\n')
        .trim_start_matches("sha256 ");
    if sum != digest(body) {
        return Err("checksum mismatch: the file is corrupt".into());
    }
    let mut lines = body.lines();
    if lines.next() != Some(MAGIC) {
        return Err(format!("not a `{MAGIC}` file"));
    }
    let owner = lines
        .next()
        .and_then(|l| l.strip_prefix("owner "))
        .ok_or("no owner line")?;
    if owner != expected_owner {
        return Err(format!(
            "written for {owner}, not for {expected_owner}: it belongs to another task"
        ));
    }
    let mut offsets = BTreeMap::new();
    for line in lines {
        let mut parts = line.split(' ');
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some("store"), Some(store), Some(offset), None) => {
                let offset: i64 = offset
                    .parse()
                    .map_err(|_| format!("bad offset in line `{line}`"))?;
                offsets.insert(store.to_owned(), offset);
            }
            _ => return Err(format!("unexpected line `{line}`")),
        }
    }
    Ok(Checkpoint {
        owner: owner.to_owned(),
        offsets,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Checkpoint {
        Checkpoint {
            owner: "_weir-svc-CTAS_T/0_1".into(),
            offsets: [
                ("Aggregate-Materialize".to_owned(), 41),
                ("join-left".to_owned(), 7),
            ]
            .into_iter()
            .collect(),
        }
    }

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".checkpoint");
        assert_eq!(read(&path, "x"), CheckpointRead::Missing);
        write(&path, &sample()).unwrap();
        assert_eq!(
            read(&path, &sample().owner),
            CheckpointRead::Valid(sample())
        );
        let mut next = sample();
        next.offsets.insert("join-left".into(), 9);
        write(&path, &next).unwrap();
        assert_eq!(read(&path, &sample().owner), CheckpointRead::Valid(next));
    }

    #[test]
    fn corrupt_truncated_and_foreign_files_are_ignored_with_a_reason() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".checkpoint");
        write(&path, &sample()).unwrap();
        let good = fs::read_to_string(&path).unwrap();

        let reason = |text: &[u8], owner: &str| {
            fs::write(&path, text).unwrap();
            match read(&path, owner) {
                CheckpointRead::Ignored { reason } => reason,
                other => panic!("expected ignored, got {other:?}"),
            }
        };
        assert!(reason(good.replace("41", "42").as_bytes(), &sample().owner).contains("corrupt"));
        assert!(reason(&good.as_bytes()[..good.len() / 2], &sample().owner).contains("truncated"));
        assert!(reason(good.as_bytes(), "_weir-svc-CTAS_T/0_2").contains("another task"));
        assert!(reason(&[0xff, 0xfe], &sample().owner).contains("UTF-8"));
        assert!(reason(b"", &sample().owner).contains("truncated"));
    }

    #[test]
    fn names_with_whitespace_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut bad = sample();
        bad.offsets.insert("a b".into(), 1);
        assert!(write(&dir.path().join("c"), &bad).is_err());
    }
}
