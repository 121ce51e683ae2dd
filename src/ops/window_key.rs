//! Windowed keys on the wire, as Kafka Streams writes them for ksqlDB's windowed sources and
//! sinks: the key's bytes in its format followed by the window start (TUMBLING, HOPPING:
//! 8 bytes, big-endian) or by the window end and then the start (SESSION: 16 bytes). The end
//! of a time window is not on the wire: it is start + the declared size. [`WindowedSink`]
//! wraps a sink serializer and [`WindowedSource`] a source deserializer with that framing;
//! the partitioner hashes only the unwindowed key. It must not interpret the key itself.

use crate::analyze::{KeyWindow, WindowType};
use crate::topology::{
    ProcessingError, ProcessingErrorKind, RawRecord, Record, RecordDeserializer, RecordSerializer,
    Serialized, Window,
};

/// Appends the window suffix of `kind` for `window` to `out`.
pub fn append_window(kind: WindowType, window: Window, out: &mut Vec<u8>) {
    if kind == WindowType::Session {
        out.extend_from_slice(&window.end.to_be_bytes());
    }
    out.extend_from_slice(&window.start.to_be_bytes());
}

/// Splits windowed key bytes into the key's own bytes and its window; `None` when the bytes
/// are too short. `size` is the time window size (ignored for sessions).
pub fn split_window(kind: WindowType, size: i64, bytes: &[u8]) -> Option<(&[u8], Window)> {
    let long = |b: &[u8]| b.try_into().ok().map(i64::from_be_bytes);
    if kind == WindowType::Session {
        let at = bytes.len().checked_sub(16)?;
        let end = long(&bytes[at..at + 8])?;
        let start = long(&bytes[at + 8..])?;
        Some((&bytes[..at], Window { start, end }))
    } else {
        let at = bytes.len().checked_sub(8)?;
        let start = long(&bytes[at..])?;
        Some((
            &bytes[..at],
            Window {
                start,
                end: start.saturating_add(size),
            },
        ))
    }
}

fn size_of(window: &KeyWindow) -> i64 {
    window
        .size_ms
        .map_or(0, |s| i64::try_from(s).unwrap_or(i64::MAX))
}

/// A sink serializer whose keys carry the record's window.
pub struct WindowedSink<S> {
    pub inner: S,
    pub window: KeyWindow,
}

impl<S: RecordSerializer> RecordSerializer for WindowedSink<S> {
    fn serialize(
        &mut self,
        record: &Record,
        key: &mut Vec<u8>,
        value: &mut Vec<u8>,
    ) -> Result<Serialized, ProcessingError> {
        let mut parts = self.inner.serialize(record, key, value)?;
        if let Some(window) = record.window {
            let len = key.len();
            append_window(self.window.window_type, window, key);
            parts.key = true;
            parts.partition_key_len = Some(len);
        }
        Ok(parts)
    }
}

/// A source deserializer for topics with windowed keys: the window goes to the record.
pub struct WindowedSource<D> {
    pub inner: D,
    pub window: KeyWindow,
}

impl<D: RecordDeserializer> RecordDeserializer for WindowedSource<D> {
    fn deserialize(&mut self, raw: &RawRecord<'_>) -> Result<Record, ProcessingError> {
        let Some(bytes) = raw.key else {
            return self.inner.deserialize(raw);
        };
        let size = size_of(&self.window);
        let (key, window) = split_window(self.window.window_type, size, bytes).ok_or_else(|| {
            ProcessingError::new(
                ProcessingErrorKind::Deserialization,
                format!(
                    "Failed to deserialize key from topic: {}. a windowed key needs {} trailing window bytes",
                    raw.topic,
                    if self.window.window_type == WindowType::Session { 16 } else { 8 }
                ),
            )
        })?;
        let unwindowed = RawRecord {
            key: Some(key),
            ..*raw
        };
        let record = self.inner.deserialize(&unwindowed)?;
        Ok(record.with_window(window))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_and_session_windows_round_trip() {
        let mut bytes = b"k".to_vec();
        append_window(
            WindowType::Tumbling,
            Window { start: 5, end: 15 },
            &mut bytes,
        );
        assert_eq!(bytes.len(), 9);
        assert_eq!(
            split_window(WindowType::Tumbling, 10, &bytes),
            Some((&b"k"[..], Window { start: 5, end: 15 }))
        );
        let mut bytes = b"k".to_vec();
        append_window(WindowType::Session, Window { start: 1, end: 2 }, &mut bytes);
        assert_eq!(&bytes[1..9], &2i64.to_be_bytes());
        assert_eq!(
            split_window(WindowType::Session, 0, &bytes),
            Some((&b"k"[..], Window { start: 1, end: 2 }))
        );
        assert_eq!(split_window(WindowType::Session, 0, b"short"), None);
    }
}
