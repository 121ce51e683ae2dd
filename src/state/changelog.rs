//! Change-logging: decorators that write every put and delete of a store to its compacted
//! changelog topic through a [`ChangelogSink`], and [`restore`], which replays a changelog into
//! an empty store. The decorators add nothing else (no caching: every write that reaches them
//! is logged, in order; the record cache of [`super::cached`] sits in front of them) and reads
//! pass straight through.
//!
//! Changelog record keys: a key-value store logs its key as is; a window store logs
//! `key ‖ start` and a session store `key ‖ start ‖ end`, each time as 8 big-endian bytes, so a
//! restore can split the suffix off without knowing the key's shape. A delete is a tombstone
//! (no value). Expiry is not logged (see [`super::window`]).

use std::ops::Bound;

use super::session::SessionScan;
use super::window::WindowScan;
use super::{KeyValueStore, SessionStore, StateError, StateStore, Visit, WindowStore};

/// Where a store's changes go: the store's changelog topic partition (the partition of the
/// task that owns the store). The driver appends to an in-memory topic; the Kafka runtime hands
/// the record to its producer. A sink is owned by exactly one decorator; an error means the
/// write could not be accepted, and the decorator returns it to the operator as a
/// [`StateError::Changelog`].
pub trait ChangelogSink: Send {
    fn append(&mut self, key: &[u8], value: Option<&[u8]>) -> Result<(), String>;
}

/// The changelog key of a window: `key ‖ start`.
pub fn window_changelog_key(key: &[u8], start: i64, out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(key);
    out.extend_from_slice(&start.to_be_bytes());
}

/// The changelog key of a session: `key ‖ start ‖ end`.
pub fn session_changelog_key(key: &[u8], start: i64, end: i64, out: &mut Vec<u8>) {
    window_changelog_key(key, start, out);
    out.extend_from_slice(&end.to_be_bytes());
}

pub(crate) fn split_time(bytes: &[u8]) -> Option<(&[u8], i64)> {
    let at = bytes.len().checked_sub(8)?;
    let (key, time) = bytes.split_at(at);
    Some((key, i64::from_be_bytes(time.try_into().ok()?)))
}

/// A store wrapped so every write is also appended to its changelog.
pub struct Logged<S: ?Sized> {
    sink: Box<dyn ChangelogSink>,
    key_buf: Vec<u8>,
    inner: Box<S>,
}

impl<S: ?Sized + StateStore> Logged<S> {
    pub fn new(inner: Box<S>, sink: Box<dyn ChangelogSink>) -> Self {
        Logged {
            sink,
            key_buf: Vec::new(),
            inner,
        }
    }

    fn log(&mut self, key: Option<&[u8]>, value: Option<&[u8]>) -> Result<(), StateError> {
        let key = key.unwrap_or(&self.key_buf);
        self.sink
            .append(key, value)
            .map_err(|reason| StateError::Changelog {
                store: self.inner.name().to_owned(),
                reason,
            })
    }
}

impl<S: ?Sized + StateStore> StateStore for Logged<S> {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn flush(&mut self) -> Result<(), StateError> {
        self.inner.flush()
    }
}

impl<S: ?Sized + KeyValueStore> KeyValueStore for Logged<S> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        self.inner.get(key)
    }

    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<(), StateError> {
        self.inner.put(key, value)?;
        self.log(Some(key), Some(value))
    }

    fn delete(&mut self, key: &[u8]) -> Result<(), StateError> {
        self.inner.delete(key)?;
        self.log(Some(key), None)
    }

    fn range(
        &self,
        from: Bound<&[u8]>,
        to: Bound<&[u8]>,
        visit: &mut dyn FnMut(&[u8], &[u8]) -> Visit,
    ) -> Result<(), StateError> {
        self.inner.range(from, to, visit)
    }

    fn approximate_len(&self) -> u64 {
        self.inner.approximate_len()
    }
}

impl<S: ?Sized + WindowStore> WindowStore for Logged<S> {
    fn get(&self, key: &[u8], start: i64) -> Result<Option<Vec<u8>>, StateError> {
        self.inner.get(key, start)
    }

    fn put(&mut self, key: &[u8], start: i64, value: &[u8]) -> Result<(), StateError> {
        self.inner.put(key, start, value)?;
        window_changelog_key(key, start, &mut self.key_buf);
        self.log(None, Some(value))
    }

    fn delete(&mut self, key: &[u8], start: i64) -> Result<(), StateError> {
        self.inner.delete(key, start)?;
        window_changelog_key(key, start, &mut self.key_buf);
        self.log(None, None)
    }

    fn fetch(
        &self,
        key: &[u8],
        from_start: i64,
        to_start: i64,
        visit: &mut dyn FnMut(i64, &[u8]) -> Visit,
    ) -> Result<(), StateError> {
        self.inner.fetch(key, from_start, to_start, visit)
    }

    fn scan(&self, visit: &mut WindowScan<'_>) -> Result<(), StateError> {
        self.inner.scan(visit)
    }

    fn expire_before(&mut self, start: i64) -> Result<u64, StateError> {
        self.inner.expire_before(start)
    }
}

impl<S: ?Sized + SessionStore> SessionStore for Logged<S> {
    fn get(&self, key: &[u8], start: i64, end: i64) -> Result<Option<Vec<u8>>, StateError> {
        self.inner.get(key, start, end)
    }

    fn put(&mut self, key: &[u8], start: i64, end: i64, value: &[u8]) -> Result<(), StateError> {
        self.inner.put(key, start, end, value)?;
        session_changelog_key(key, start, end, &mut self.key_buf);
        self.log(None, Some(value))
    }

    fn remove(&mut self, key: &[u8], start: i64, end: i64) -> Result<(), StateError> {
        self.inner.remove(key, start, end)?;
        session_changelog_key(key, start, end, &mut self.key_buf);
        self.log(None, None)
    }

    fn find_sessions(
        &self,
        key: &[u8],
        earliest_end: i64,
        latest_start: i64,
        visit: &mut dyn FnMut(i64, i64, &[u8]) -> Visit,
    ) -> Result<(), StateError> {
        self.inner
            .find_sessions(key, earliest_end, latest_start, visit)
    }

    fn scan(&self, visit: &mut SessionScan<'_>) -> Result<(), StateError> {
        self.inner.scan(visit)
    }

    fn expire_before(&mut self, end: i64) -> Result<u64, StateError> {
        self.inner.expire_before(end)
    }
}

/// One changelog record to replay: its offset (for error messages and the checkpoint), key and
/// value (`None` is a tombstone).
#[derive(Debug, Clone, Copy)]
pub struct ChangelogEntry<'a> {
    pub offset: i64,
    pub key: &'a [u8],
    pub value: Option<&'a [u8]>,
}

/// The store to replay into, unwrapped (restoring writes nothing back to the changelog).
pub enum RestoreTarget<'s> {
    KeyValue(&'s mut dyn KeyValueStore),
    Window(&'s mut dyn WindowStore),
    Session(&'s mut dyn SessionStore),
}

/// Replays changelog entries, in offset order, into an empty (or checkpointed) store. Returns
/// the offset of the last entry applied, for the checkpoint. A key too short for its window
/// suffix is an error naming the offset: the topic is not this store's changelog.
pub fn restore<'a>(
    target: RestoreTarget<'_>,
    entries: impl IntoIterator<Item = ChangelogEntry<'a>>,
) -> Result<Option<i64>, StateError> {
    let mut last = None;
    let malformed = |store: &str, offset: i64| StateError::Restore {
        store: store.to_owned(),
        offset,
        reason: "key is shorter than its window suffix".to_owned(),
    };
    match target {
        RestoreTarget::KeyValue(store) => {
            for e in entries {
                match e.value {
                    Some(v) => store.put(e.key, v)?,
                    None => store.delete(e.key)?,
                }
                last = Some(e.offset);
            }
        }
        RestoreTarget::Window(store) => {
            for e in entries {
                let (key, start) =
                    split_time(e.key).ok_or_else(|| malformed(store.name(), e.offset))?;
                match e.value {
                    Some(v) => store.put(key, start, v)?,
                    None => store.delete(key, start)?,
                }
                last = Some(e.offset);
            }
        }
        RestoreTarget::Session(store) => {
            for e in entries {
                let (rest, end) =
                    split_time(e.key).ok_or_else(|| malformed(store.name(), e.offset))?;
                let (key, start) =
                    split_time(rest).ok_or_else(|| malformed(store.name(), e.offset))?;
                match e.value {
                    Some(v) => store.put(key, start, end, v)?,
                    None => store.remove(key, start, end)?,
                }
                last = Some(e.offset);
            }
        }
    }
    Ok(last)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::memory::{MemoryKeyValueStore, MemorySessionStore, MemoryWindowStore};
    use std::ops::ControlFlow;
    use std::sync::{Arc, Mutex};

    type Log = Arc<Mutex<Vec<(Vec<u8>, Option<Vec<u8>>)>>>;

    struct VecSink(Log);

    impl ChangelogSink for VecSink {
        fn append(&mut self, key: &[u8], value: Option<&[u8]>) -> Result<(), String> {
            self.0
                .lock()
                .map_err(|e| e.to_string())?
                .push((key.to_vec(), value.map(<[u8]>::to_vec)));
            Ok(())
        }
    }

    fn entries(log: &Log) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
        log.lock().unwrap().clone()
    }

    #[test]
    fn key_value_writes_are_logged_and_restore() {
        let log = Log::default();
        let mut store = Logged::new(
            Box::new(MemoryKeyValueStore::new("kv")),
            Box::new(VecSink(log.clone())),
        );
        store.put(b"a", b"1").unwrap();
        store.put(b"b", b"2").unwrap();
        store.put(b"a", b"3").unwrap();
        store.delete(b"b").unwrap();
        let logged = entries(&log);
        assert_eq!(logged.len(), 4);
        assert_eq!(logged[3], (b"b".to_vec(), None));

        let mut restored = MemoryKeyValueStore::new("kv");
        let last = restore(
            RestoreTarget::KeyValue(&mut restored),
            logged.iter().enumerate().map(|(i, (k, v))| ChangelogEntry {
                offset: i as i64,
                key: k,
                value: v.as_deref(),
            }),
        )
        .unwrap();
        assert_eq!(last, Some(3));
        assert_eq!(restored.get(b"a").unwrap(), Some(b"3".to_vec()));
        assert_eq!(restored.approximate_len(), 1);
    }

    #[test]
    fn window_and_session_keys_carry_their_times() {
        let log = Log::default();
        let mut windows = Logged::new(
            Box::new(MemoryWindowStore::new("w")),
            Box::new(VecSink(log.clone())),
        );
        windows.put(b"k", -5, b"x").unwrap();
        windows.put(b"k", 10, b"y").unwrap();
        windows.delete(b"k", 10).unwrap();
        let mut restored = MemoryWindowStore::new("w");
        let logged = entries(&log);
        restore(
            RestoreTarget::Window(&mut restored),
            logged.iter().map(|(k, v)| ChangelogEntry {
                offset: 0,
                key: k,
                value: v.as_deref(),
            }),
        )
        .unwrap();
        let mut seen = Vec::new();
        restored
            .scan(&mut |k, s, v| {
                seen.push((k.to_vec(), s, v.to_vec()));
                ControlFlow::Continue(())
            })
            .unwrap();
        assert_eq!(seen, vec![(b"k".to_vec(), -5, b"x".to_vec())]);

        let log = Log::default();
        let mut sessions = Logged::new(
            Box::new(MemorySessionStore::new("s")),
            Box::new(VecSink(log.clone())),
        );
        sessions.put(b"k", 1, 7, b"z").unwrap();
        let mut restored = MemorySessionStore::new("s");
        let logged = entries(&log);
        restore(
            RestoreTarget::Session(&mut restored),
            logged.iter().map(|(k, v)| ChangelogEntry {
                offset: 0,
                key: k,
                value: v.as_deref(),
            }),
        )
        .unwrap();
        assert_eq!(restored.get(b"k", 1, 7).unwrap(), Some(b"z".to_vec()));
    }

    #[test]
    fn a_foreign_changelog_is_an_error_not_a_panic() {
        let mut store = MemorySessionStore::new("s");
        let err = restore(
            RestoreTarget::Session(&mut store),
            [ChangelogEntry {
                offset: 42,
                key: b"short",
                value: Some(b"v"),
            }],
        )
        .unwrap_err();
        assert!(err.to_string().contains("offset 42"), "{err}");
    }
}
