//! [`MemoryRegistry`]: a [`SchemaRegistry`] held in memory, for the driver, the conformance
//! runner and unit tests (the way ksqlDB's test harness uses a mock registry client). Ids are
//! given out from 1 in registration order (after the highest id taken so far);
//! [`MemoryRegistry::register_with_id`] takes a chosen id, as the mock client's
//! `register(subject, schema, version, id)` does for a case's `keySchemaId`/`valueSchemaId`.
//! Registering the same text under a subject again returns its id. A schema's references are
//! resolved when it is registered, from the subjects and versions they name (which must be
//! registered first, as a real registry requires), so lookups return the texts of every
//! reference as [`super::RegistryClient`] does. `set_unavailable` makes every call fail as an
//! unreachable registry would.

use std::collections::{BTreeMap, HashMap};
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
    /// Schemas by id.
    schemas: BTreeMap<u32, Arc<Schema>>,
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
                    .filter_map(|id| inner.schemas.get(id).map(|s| s.text.clone()))
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
        inner
            .schemas
            .get(&id)
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
        let schema = inner
            .schemas
            .get(&id)
            .cloned()
            .ok_or_else(|| RegistryError::NotFound {
                url: format!("memory:/subjects/{subject}/versions/latest"),
                what: format!("schema id {id}"),
                code: Some(40403),
                message: "Schema not found".into(),
            })?;
        Ok((id, schema))
    }

    fn register(&self, subject: &str, schema: &NewSchema) -> Result<u32, RegistryError> {
        self.register_as(subject, schema, |inner| inner.stored(schema))
    }
}

impl MemoryRegistry {
    /// Registers `schema` with its references already resolved to `(name, text)` by the
    /// caller, none of them registered as subjects: as a client registering a parsed schema
    /// it holds together with its dependencies (ksqlDB's test harness hands its mock client
    /// such a schema for a case topic without a schema id, so the imported files take no
    /// ids). Ids are given out as by [`SchemaRegistry::register`].
    pub fn register_resolved(
        &self,
        subject: &str,
        schema: &NewSchema,
        resolved: Vec<(String, String)>,
    ) -> Result<u32, RegistryError> {
        self.register_as(subject, schema, |_| {
            Ok(Schema {
                kind: schema.kind,
                text: schema.text.clone(),
                references: schema.references.clone(),
                resolved,
            })
        })
    }

    /// Registers `schema` under `subject`: the id it already has, else the next free id with
    /// `store`'s rendering of it.
    fn register_as(
        &self,
        subject: &str,
        schema: &NewSchema,
        store: impl FnOnce(&Inner) -> Result<Schema, RegistryError>,
    ) -> Result<u32, RegistryError> {
        self.check(&format!("/subjects/{subject}/versions"))?;
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let existing = inner
            .schemas
            .iter()
            .find(|(_, s)| same(s, schema))
            .map(|(id, _)| *id);
        let id = match existing {
            Some(id) => id,
            None => {
                let id = inner.schemas.keys().next_back().map_or(1, |last| last + 1);
                let stored = store(&inner)?;
                inner.schemas.insert(id, Arc::new(stored));
                id
            }
        };
        inner.add_version(subject, id);
        Ok(id)
    }

    /// Registers `schema` under `subject` with the id `id`, as a registry in import mode
    /// does. Fails when `id` already names a different schema.
    pub fn register_with_id(
        &self,
        subject: &str,
        schema: &NewSchema,
        id: u32,
    ) -> Result<u32, RegistryError> {
        self.check(&format!("/subjects/{subject}/versions"))?;
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        match inner.schemas.get(&id) {
            Some(taken) if !same(taken, schema) => {
                return Err(RegistryError::Rejected {
                    url: format!("memory:/subjects/{subject}/versions"),
                    status: 422,
                    message: format!("schema id {id} is taken by another schema"),
                });
            }
            Some(_) => {}
            None => {
                let stored = inner.stored(schema)?;
                inner.schemas.insert(id, Arc::new(stored));
            }
        }
        inner.add_version(subject, id);
        Ok(id)
    }
}

impl Inner {
    fn add_version(&mut self, subject: &str, id: u32) {
        let versions = self.subjects.entry(subject.to_string()).or_default();
        if !versions.contains(&id) {
            versions.push(id);
        }
    }
}

fn same(stored: &Schema, schema: &NewSchema) -> bool {
    stored.kind == schema.kind
        && stored.text == schema.text
        && stored.references == schema.references
}

impl Inner {
    /// `schema` as stored: its references resolved to `(name, text)`, transitively and
    /// dependencies first, each name once (as [`super::RegistryClient`] resolves them). A
    /// reference to a subject or version not registered is refused, as a registry does.
    fn stored(&self, schema: &NewSchema) -> Result<Schema, RegistryError> {
        let mut resolved: Vec<(String, String)> = Vec::new();
        for reference in &schema.references {
            let referenced = self
                .version(&reference.subject, reference.version)
                .ok_or_else(|| RegistryError::Rejected {
                    url: "memory:/subjects".into(),
                    status: 422,
                    message: format!(
                        "reference {} names subject {} version {}, which is not registered",
                        reference.name, reference.subject, reference.version
                    ),
                })?;
            for item in &referenced.resolved {
                if !resolved.iter().any(|(name, _)| *name == item.0) {
                    resolved.push(item.clone());
                }
            }
            if !resolved.iter().any(|(name, _)| *name == reference.name) {
                resolved.push((reference.name.clone(), referenced.text.clone()));
            }
        }
        Ok(Schema {
            kind: schema.kind,
            text: schema.text.clone(),
            references: schema.references.clone(),
            resolved,
        })
    }

    /// Version `version` (from 1; -1 is the latest) of `subject`.
    fn version(&self, subject: &str, version: i32) -> Option<&Arc<Schema>> {
        let ids = self.subjects.get(subject)?;
        let id = match version {
            -1 => ids.last(),
            v => ids.get(usize::try_from(v).ok()?.checked_sub(1)?),
        }?;
        self.schemas.get(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{Reference, SchemaKind};

    fn avro(text: &str) -> NewSchema {
        NewSchema {
            kind: SchemaKind::Avro,
            text: text.into(),
            references: Vec::new(),
        }
    }

    #[test]
    fn chosen_ids_are_kept_and_later_ids_follow_the_highest() {
        let registry = MemoryRegistry::new();
        assert_eq!(
            registry.register_with_id("a-value", &avro("\"int\""), 101),
            Ok(101)
        );
        assert_eq!(registry.register("b-value", &avro("\"long\"")), Ok(102));
        assert_eq!(registry.register("c-value", &avro("\"int\"")), Ok(101));
        let (id, schema) = registry.latest("a-value").expect("registered");
        assert_eq!((id, schema.text.as_str()), (101, "\"int\""));
        assert_eq!(
            registry.schema_by_id(102).map(|s| s.text.clone()),
            Ok("\"long\"".into())
        );
    }

    #[test]
    fn references_resolve_transitively_dependencies_first() {
        let registry = MemoryRegistry::new();
        let proto = |text: &str, references: Vec<Reference>| NewSchema {
            kind: SchemaKind::Protobuf,
            text: text.into(),
            references,
        };
        let to = |name: &str, version: i32| Reference {
            name: name.into(),
            subject: name.into(),
            version,
        };
        registry
            .register("time.proto", &proto("message Time {}", Vec::new()))
            .expect("registered");
        registry
            .register(
                "event.proto",
                &proto("message Event {}", vec![to("time.proto", 1)]),
            )
            .expect("registered");
        let main = proto(
            "message Main {}",
            vec![to("event.proto", -1), to("time.proto", 1)],
        );
        let id = registry
            .register_with_id("in-value", &main, 7)
            .expect("registered");
        let resolved = &registry.schema_by_id(id).expect("stored").resolved;
        assert_eq!(
            resolved,
            &vec![
                ("time.proto".to_string(), "message Time {}".to_string()),
                ("event.proto".to_string(), "message Event {}".to_string()),
            ]
        );
        let dangling = proto("message M {}", vec![to("missing.proto", 1)]);
        assert!(registry.register("m-value", &dangling).is_err());
        // Resolved by the caller, the references need no subjects and take no ids.
        let held = vec![("missing.proto".to_string(), "message X {}".to_string())];
        let id = registry
            .register_resolved("m-value", &dangling, held.clone())
            .expect("registered");
        assert_eq!(id, 8);
        assert_eq!(registry.schema_by_id(id).expect("stored").resolved, held);
    }

    #[test]
    fn a_taken_id_refuses_another_schema() {
        let registry = MemoryRegistry::new();
        assert_eq!(registry.register("a-value", &avro("\"int\"")), Ok(1));
        assert!(
            registry
                .register_with_id("b-value", &avro("\"long\""), 1)
                .is_err()
        );
        assert_eq!(
            registry.register_with_id("b-value", &avro("\"int\""), 1),
            Ok(1)
        );
        assert_eq!(registry.versions("b-value"), vec!["\"int\"".to_string()]);
    }
}
