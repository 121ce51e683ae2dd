//! A [`ChangelogSink`] that only buffers: every logged store of a task (or a stream thread)
//! appends its writes to one shared [`ChangelogBuffer`], and the owner drains it after each
//! record and sends the writes on (the driver to its in-memory topics, the Kafka runtime to
//! its producer). The buffer is the only state shared between stores and their runner, behind
//! a mutex that is never held across a call into a processor.

use std::sync::{Arc, Mutex, PoisonError};

use super::ChangelogSink;

/// A changelog write waiting to be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangelogWrite {
    pub topic: Arc<str>,
    pub partition: i32,
    pub key: Vec<u8>,
    pub value: Option<Vec<u8>>,
}

/// Writes of every store that logs into it, oldest first.
pub type ChangelogBuffer = Arc<Mutex<Vec<ChangelogWrite>>>;

/// Moves every buffered write, oldest first, to the end of `out` (an empty `out` trades
/// allocations with the buffer, so neither side allocates in steady state).
pub fn drain_into(buffer: &ChangelogBuffer, out: &mut Vec<ChangelogWrite>) {
    let mut buffered = buffer.lock().unwrap_or_else(PoisonError::into_inner);
    if out.is_empty() {
        std::mem::swap(&mut *buffered, out);
    } else {
        out.append(&mut buffered);
    }
}

/// Logs one store's writes to `topic`/`partition` through a shared buffer.
pub struct BufferSink {
    topic: Arc<str>,
    partition: i32,
    buffer: ChangelogBuffer,
}

impl BufferSink {
    pub fn new(topic: &str, partition: i32, buffer: ChangelogBuffer) -> BufferSink {
        BufferSink {
            topic: topic.into(),
            partition,
            buffer,
        }
    }
}

impl ChangelogSink for BufferSink {
    fn append(&mut self, key: &[u8], value: Option<&[u8]>) -> Result<(), String> {
        let mut buffer = self
            .buffer
            .lock()
            .map_err(|_| "changelog buffer poisoned by an earlier panic".to_owned())?;
        buffer.push(ChangelogWrite {
            topic: self.topic.clone(),
            partition: self.partition,
            key: key.to_vec(),
            value: value.map(<[u8]>::to_vec),
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_of_several_sinks_drain_in_order() {
        let buffer = ChangelogBuffer::default();
        let mut a = BufferSink::new("a-changelog", 0, buffer.clone());
        let mut b = BufferSink::new("b-changelog", 3, buffer.clone());
        a.append(b"k1", Some(b"v1")).unwrap();
        b.append(b"k2", None).unwrap();
        let mut writes = Vec::new();
        drain_into(&buffer, &mut writes);
        assert_eq!(writes.len(), 2);
        assert_eq!((&*writes[0].topic, writes[0].partition), ("a-changelog", 0));
        assert_eq!(writes[1].value, None);
        a.append(b"k3", Some(b"v3")).unwrap();
        drain_into(&buffer, &mut writes);
        assert_eq!(writes.len(), 3, "appended after what was there");
        assert_eq!(&writes[2].key, b"k3");
        drain_into(&buffer, &mut writes);
        assert_eq!(writes.len(), 3, "nothing left in the buffer");
    }
}
