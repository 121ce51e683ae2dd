//! [`MemoryRegistry`]: a [`SchemaRegistry`] held in memory, for the driver, the conformance
//! runner and unit tests (the way ksqlDB's test harness uses a mock registry client). Ids are
//! given out from 1 in registration order; registering the same text under a subject again
//! returns its id. `set_unavailable` makes every call fail as an unreachable registry would.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use super::{NewSchema, RegistryError, Schema, SchemaRegistry};

#[derive(Debug, Default)]
pub struct MemoryRegistry {
    inner: Mutex<Inner>,
    unavailable: AtomicBool,
}

#[derive(Debug, Default)]
struct Inner {
    schemas: Vec<Arc<Schema>>,
    /// Per subject, the ids of its versions in order.
    subjects: HashMap<String, Vec<u32>>,
}

impl MemoryRegistry {
    pub fn new() -> MemoryRegistry {
        MemoryRegistry::default()
    }

    /// While set, every call fails with [`RegistryError::Unavailable`].
    pub fn set_unavailable(&self, unavailable: bool) {
        self.unavailable.store(unavailable, Ordering::SeqCst);
    }

    /// The texts registered under `subject`, oldest first.
    pub fn versions(&self, subject: &str) -> Vec<String> {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner
            .subjects
            .get(subject)
            .map(|ids| {
                ids.iter()
                    .map(|id| inner.schemas[*id as usize - 1].text.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    fn check(&self, url: &str) -> Result<(), RegistryError> {
        if self.unavailable.load(Ordering::SeqCst) {
            return Err(RegistryError::Unavailable {
                url: format!("memory:{url}"),
                reason: "set unavailable".into(),
            });
        }
        Ok(())
    }
}

impl SchemaRegistry for MemoryRegistry {
    fn schema_by_id(&self, id: u32) -> Result<Arc<Schema>, RegistryError> {
        self.check(&format!("/schemas/ids/{id}"))?;
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        (id as usize)
            .checked_sub(1)
            .and_then(|i| inner.schemas.get(i))
            .cloned()
            .ok_or_else(|| RegistryError::NotFound {
                url: format!("memory:/schemas/ids/{id}"),
                what: format!("schema id {id}"),
                code: Some(40403),
                message: "Schema not found".into(),
            })
    }

    fn latest(&self, subject: &str) -> Result<(u32, Arc<Schema>), RegistryError> {
        self.check(&format!("/subjects/{subject}/versions/latest"))?;
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let id = inner
            .subjects
            .get(subject)
            .and_then(|ids| ids.last())
            .copied()
            .ok_or_else(|| RegistryError::NotFound {
                url: format!("memory:/subjects/{subject}/versions/latest"),
                what: format!("subject {subject}"),
                code: Some(40401),
                message: "Subject not found".into(),
            })?;
        Ok((id, inner.schemas[id as usize - 1].clone()))
    }

    fn register(&self, subject: &str, schema: &NewSchema) -> Result<u32, RegistryError> {
        self.check(&format!("/subjects/{subject}/versions"))?;
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let existing = inner.schemas.iter().position(|s| {
            s.kind == schema.kind && s.text == schema.text && s.references == schema.references
        });
        let id = match existing {
            Some(i) => i as u32 + 1,
            None => {
                inner.schemas.push(Arc::new(Schema {
                    kind: schema.kind,
                    text: schema.text.clone(),
                    references: schema.references.clone(),
                    resolved: Vec::new(),
                }));
                inner.schemas.len() as u32
            }
        };
        let versions = inner.subjects.entry(subject.to_string()).or_default();
        if !versions.contains(&id) {
            versions.push(id);
        }
        Ok(id)
    }
}
