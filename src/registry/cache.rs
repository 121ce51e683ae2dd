//! The client's bounded cache of schemas by id. Registered schemas never change under an id,
//! so entries never go stale; the bound only keeps a registry with many ids (or a topic full
//! of garbage ids) from growing memory. When full, the oldest entry goes first. Codecs keep
//! their own compiled plans per id, so a miss here costs one HTTP request per evicted id.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use super::Schema;

#[derive(Debug)]
pub(super) struct SchemaCache {
    capacity: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    by_id: HashMap<u32, Arc<Schema>>,
    order: VecDeque<u32>,
}

impl SchemaCache {
    pub(super) fn new(capacity: usize) -> SchemaCache {
        SchemaCache {
            capacity: capacity.max(1),
            inner: Mutex::new(Inner::default()),
        }
    }

    pub(super) fn get(&self, id: u32) -> Option<Arc<Schema>> {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.by_id.get(&id).cloned()
    }

    pub(super) fn insert(&self, id: u32, schema: Arc<Schema>) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if inner.by_id.insert(id, schema).is_some() {
            return;
        }
        inner.order.push_back(id);
        while inner.order.len() > self.capacity {
            if let Some(oldest) = inner.order.pop_front() {
                inner.by_id.remove(&oldest);
            }
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.inner.lock().map(|i| i.by_id.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::SchemaKind;

    fn schema(text: &str) -> Arc<Schema> {
        Arc::new(Schema {
            kind: SchemaKind::Avro,
            text: text.into(),
            references: Vec::new(),
            resolved: Vec::new(),
        })
    }

    #[test]
    fn keeps_at_most_capacity_dropping_the_oldest() {
        let cache = SchemaCache::new(2);
        cache.insert(1, schema("a"));
        cache.insert(2, schema("b"));
        cache.insert(1, schema("a"));
        cache.insert(3, schema("c"));
        assert_eq!(cache.len(), 2);
        assert!(cache.get(1).is_none());
        assert_eq!(cache.get(2).map(|s| s.text.clone()), Some("b".into()));
        assert_eq!(cache.get(3).map(|s| s.text.clone()), Some("c".into()));
    }
}
