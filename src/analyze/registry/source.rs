//! [`RegistrySchemas`]: the analyzer's [`SchemaSource`] backed by a real Schema Registry
//! (`crate::registry`), for sources declared without columns: the latest schema of
//! `<topic>-key|value`, or the schema `*_SCHEMA_ID` names. A registry that cannot be reached
//! is retried until `wait` has passed; the error is kept so that the caller can say the
//! registry was unreachable instead of reporting a missing schema.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{RegisteredSchema, SchemaReference, SchemaSide, SchemaSource};
use crate::registry::{self, RegistryError, Schema, SchemaRegistry};

#[derive(Debug)]
pub struct RegistrySchemas {
    registry: Arc<dyn SchemaRegistry>,
    wait: Duration,
    failure: Mutex<Option<RegistryError>>,
}

impl RegistrySchemas {
    pub fn new(registry: Arc<dyn SchemaRegistry>, wait: Duration) -> RegistrySchemas {
        RegistrySchemas {
            registry,
            wait,
            failure: Mutex::new(None),
        }
    }

    /// The first lookup that failed other than with "not found" (unreachable registry,
    /// refused credentials), if any.
    pub fn failure(&self) -> Option<RegistryError> {
        self.failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn lookup(
        &self,
        topic: &str,
        side: SchemaSide,
        id: Option<i64>,
    ) -> Result<Arc<Schema>, RegistryError> {
        let started = Instant::now();
        let mut delay = Duration::from_millis(100);
        loop {
            let result = match id.map(u32::try_from) {
                Some(Ok(id)) => self.registry.schema_by_id(id),
                Some(Err(_)) => {
                    return Err(RegistryError::Settings(format!(
                        "schema id {id:?} out of range"
                    )));
                }
                None => self
                    .registry
                    .latest(&registry::subject(topic, side == SchemaSide::Key))
                    .map(|(_, schema)| schema),
            };
            match result {
                Err(e) if e.is_transient() && started.elapsed() + delay < self.wait => {
                    std::thread::sleep(delay);
                    delay = (delay * 2).min(Duration::from_secs(2));
                }
                other => return other,
            }
        }
    }
}

impl SchemaSource for RegistrySchemas {
    fn schema(&self, topic: &str, side: SchemaSide, id: Option<i64>) -> Option<RegisteredSchema> {
        match self.lookup(topic, side, id) {
            Ok(schema) => Some(RegisteredSchema {
                text: schema.text.clone(),
                references: schema
                    .resolved
                    .iter()
                    .map(|(name, text)| SchemaReference {
                        name: name.clone(),
                        text: text.clone(),
                    })
                    .collect(),
            }),
            Err(RegistryError::NotFound { .. }) => None,
            Err(e) => {
                let mut failure = self.failure.lock().unwrap_or_else(|p| p.into_inner());
                failure.get_or_insert(e);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{MemoryRegistry, NewSchema, SchemaKind};

    #[test]
    fn latest_by_subject_and_by_id_and_unreachable_is_remembered() {
        let memory = Arc::new(MemoryRegistry::new());
        let schema = |text: &str| NewSchema {
            kind: SchemaKind::Avro,
            text: text.into(),
            references: Vec::new(),
        };
        let first = memory.register("t-value", &schema(r#""int""#)).unwrap();
        memory.register("t-value", &schema(r#""long""#)).unwrap();
        let source = RegistrySchemas::new(memory.clone(), Duration::ZERO);
        let latest = source.schema("t", SchemaSide::Value, None).unwrap();
        assert_eq!(latest.text, r#""long""#);
        let by_id = source
            .schema("t", SchemaSide::Value, Some(i64::from(first)))
            .unwrap();
        assert_eq!(by_id.text, r#""int""#);
        assert!(source.schema("t", SchemaSide::Key, None).is_none());
        assert!(source.failure().is_none(), "not found is not a failure");
        memory.set_unavailable(true);
        assert!(source.schema("t", SchemaSide::Value, None).is_none());
        assert!(source.failure().is_some_and(|e| e.is_transient()));
    }
}
