//! The unit of data between processors: [`Record`], a deserialized key and value with its
//! event time, its window when it belongs to one, and the little source metadata operators
//! read (partition and offset for `ROWPARTITION`/`ROWOFFSET`) and the input's headers, which
//! every output derived from the record carries (Kafka Streams propagates them, and ksqlDB's
//! expected outputs include them). Most Kafka records have no headers: then nothing is
//! allocated, and a record with headers costs one shared list. [`RawRecord`] is what a runner reads from a topic, before a source deserializes
//! it. Records are moved, not shared: a processor owns the record it is given and forwards it
//! (or a new one); fan-out clones, and clones are cheap because values share their storage.

use std::sync::Arc;

use crate::types::Row;

/// A window's bounds in epoch milliseconds: `start` inclusive, `end` exclusive (ksqlDB's
/// `WINDOWSTART` and `WINDOWEND`; session windows have `end` = last record time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Window {
    pub start: i64,
    pub end: i64,
}

/// One Kafka record header. The list is shared behind an `Arc` so carrying it costs one
/// reference count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub key: String,
    pub value: Option<Vec<u8>>,
}

/// A record flowing through a task's graph.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// Key columns (empty for a stream without a key).
    pub key: Row,
    /// Value columns; `None` is a tombstone (a table delete).
    pub value: Option<Row>,
    /// Event time, epoch milliseconds.
    pub timestamp: i64,
    pub window: Option<Window>,
    /// Input partition of the source record this one derives from; -1 when unknown.
    pub partition: i32,
    /// Input offset of the source record this one derives from; -1 when unknown.
    pub offset: i64,
    /// The source record's headers (`None` when it had none). Sinks write them with every
    /// output; `HEADERS` and `HEADER('k')` columns read them.
    pub headers: Option<Arc<[Header]>>,
}

impl Record {
    /// A record with no window and no source metadata.
    pub fn new(key: Row, value: Option<Row>, timestamp: i64) -> Record {
        Record {
            key,
            value,
            timestamp,
            window: None,
            partition: -1,
            offset: -1,
            headers: None,
        }
    }

    pub fn with_window(mut self, window: Window) -> Record {
        self.window = Some(window);
        self
    }

    /// The same record (metadata, time, window) with another key and value.
    pub fn with_key_value(mut self, key: Row, value: Option<Row>) -> Record {
        self.key = key;
        self.value = value;
        self
    }

    pub fn is_tombstone(&self) -> bool {
        self.value.is_none()
    }
}

/// A record as read from a topic partition, borrowed from the runner's buffer.
#[derive(Debug, Clone, Copy)]
pub struct RawRecord<'a> {
    pub topic: &'a str,
    pub partition: i32,
    pub offset: i64,
    pub timestamp: i64,
    pub key: Option<&'a [u8]>,
    pub value: Option<&'a [u8]>,
    pub headers: &'a [Header],
}

/// Which input of a processor a record arrives on: joins have a left (`0`) and a right (`1`)
/// input; everything else sees only [`Port::MAIN`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Port(pub u8);

impl Port {
    pub const MAIN: Port = Port(0);
    pub const LEFT: Port = Port(0);
    pub const RIGHT: Port = Port(1);
}
