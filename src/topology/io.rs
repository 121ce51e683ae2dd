//! A task's edges, as traits the runner and the operators implement: [`RecordDeserializer`]
//! turns raw topic bytes into a [`Record`] at a source, [`RecordSerializer`] turns a record back
//! into bytes at a sink, and [`RecordCollector`] takes those bytes out of the task (the driver
//! appends them to in-memory topics, the Kafka runtime produces them). None of them blocks:
//! a collector buffers and reports failures, it never waits on the network inside a task.

use super::error::ProcessingError;
use super::record::{Header, RawRecord, Record};

/// Reads a source topic's records: key and value formats, the `TIMESTAMP` column, pseudo
/// columns, and the headers (kept on the [`Record`] whenever there are any, so outputs carry
/// them). An error is per record: the record is skipped and logged.
pub trait RecordDeserializer: Send {
    fn deserialize(&mut self, raw: &RawRecord<'_>) -> Result<Record, ProcessingError>;
}

/// Which parts a [`RecordSerializer`] produced: an absent key or value is a Kafka null.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Serialized {
    pub key: bool,
    pub value: bool,
    /// For windowed keys: the length of the key's prefix that holds the unwindowed key, which
    /// is what the partitioner hashes (Kafka Streams' `WindowedStreamPartitioner`), so every
    /// window of a key lands on the key's partition. `None` hashes the whole key.
    pub partition_key_len: Option<usize>,
}

impl Serialized {
    /// Key and value present, partitioned by the whole key.
    pub const BOTH: Serialized = Serialized {
        key: true,
        value: true,
        partition_key_len: None,
    };
}

/// Writes a sink topic's records into the sink's reusable buffers (cleared before each call).
pub trait RecordSerializer: Send {
    fn serialize(
        &mut self,
        record: &Record,
        key: &mut Vec<u8>,
        value: &mut Vec<u8>,
    ) -> Result<Serialized, ProcessingError>;
}

/// A serialized record leaving the task, borrowed for the duration of the call.
#[derive(Debug, Clone, Copy)]
pub struct OutgoingRecord<'a> {
    pub topic: &'a str,
    /// `None`: the collector partitions by key (Kafka's default partitioner).
    pub partition: Option<i32>,
    pub key: Option<&'a [u8]>,
    /// The bytes the partitioner hashes when `partition` is `None`: the key, or the
    /// unwindowed part of a windowed key.
    pub partition_key: Option<&'a [u8]>,
    pub value: Option<&'a [u8]>,
    pub timestamp: i64,
    pub headers: &'a [Header],
}

/// Takes the task's output. The task owns no producer: it borrows the collector for one
/// [`super::Task::process_next`] call. An `Err` means the record was not accepted (unknown
/// topic, producer fenced or closed) and stops the task.
pub trait RecordCollector {
    fn send(&mut self, record: OutgoingRecord<'_>) -> Result<(), String>;
}
