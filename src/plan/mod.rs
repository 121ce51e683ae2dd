//! Query plans: each persistent query of a file as a tree of physical steps, plain serde data
//! with versioned tags ([`step`]), built from the analyzer's output ([`build`]), with stable
//! names for stores and internal topics derived from plan paths, never from counters
//! ([`names`]), the lock entry of each query, and an `EXPLAIN` rendering ([`explain`]). Plans
//! hold no runtime objects and never touch Kafka.
//!
//! Entry point: [`plan_file`] (parse + analyze + plan).

pub mod build;
pub mod explain;
pub mod names;
pub mod step;

#[cfg(test)]
mod tests;

pub use step::{Step, StoreSpec, TopicInfo};

use crate::analyze::{self, AnalyzeOptions, AnalyzedQuery, Catalog};
use crate::lock::{self, LockedQuery, LockedSchema, LockedStore, QueryKind};
use crate::sql::Diagnostic;

/// Every persistent query of a queries file, planned.
#[derive(Debug, Clone)]
pub struct PlannedFile {
    pub queries: Vec<PlannedQuery>,
    /// The catalog after the whole file: every stream and table with its schema.
    pub catalog: Catalog,
}

impl PlannedFile {
    /// The lock entries of every query, each with the registered schemas its sources'
    /// columns were inferred from.
    pub fn locked(&self) -> Vec<LockedQuery> {
        self.queries
            .iter()
            .map(|query| {
                let mut locked = query.locked();
                for name in &query.sources {
                    let Some(source) = self.catalog.source(name) else {
                        continue;
                    };
                    locked
                        .registry_schemas
                        .extend(source.inferred_from.iter().map(|schema| LockedSchema {
                            source: name.clone(),
                            side: schema.side.word().to_lowercase(),
                            fingerprint: schema.fingerprint.clone(),
                        }));
                }
                locked
            })
            .collect()
    }
}

/// One persistent query: identity, the normalized statement, and its steps.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedQuery {
    pub id: String,
    pub kind: QueryKind,
    pub sink: String,
    /// Source streams and tables, sorted, without repeats.
    pub sources: Vec<String>,
    /// `_weir-<service_id>-<query_id>`: consumer group and internal-topic prefix.
    pub application_id: String,
    /// The statement, normalized (see [`names::normalize_statement`]).
    pub statement: String,
    /// The sink step, whose inputs lead back to the sources.
    pub steps: Step,
    /// What the analyzer found, for the engine (output schema, formats, …).
    pub analyzed: AnalyzedQuery,
}

impl PlannedQuery {
    /// Every state store of the query, in plan order.
    pub fn stores(&self) -> Vec<&StoreSpec> {
        self.steps
            .walk()
            .into_iter()
            .flat_map(|s| s.stores())
            .collect()
    }

    /// Repartition and changelog topics with their full names, sorted.
    pub fn internal_topics(&self) -> Vec<String> {
        let mut topics: Vec<String> = Vec::new();
        for step in self.steps.walk() {
            if let Some(name) = step.repartition() {
                topics.push(names::repartition_topic(&self.application_id, name));
            }
            for store in step.stores() {
                if store.changelog {
                    topics.push(names::changelog_topic(&self.application_id, &store.name));
                }
            }
        }
        topics.sort();
        topics.dedup();
        topics
    }

    /// The lock entry: identity, statement hash, plan fingerprint (over the canonical JSON of
    /// the steps), stores with schema fingerprints, internal topics, consumer group.
    pub fn locked(&self) -> LockedQuery {
        let plan = serde_json::to_vec(&self.steps).unwrap_or_default();
        LockedQuery {
            id: self.id.clone(),
            kind: self.kind,
            sink: self.sink.clone(),
            sources: self.sources.clone(),
            statement_hash: lock::fingerprint(self.statement.as_bytes()),
            plan_fingerprint: lock::fingerprint(&plan),
            consumer_group: self.application_id.clone(),
            internal_topics: self.internal_topics(),
            stores: self
                .stores()
                .into_iter()
                .map(|s| LockedStore {
                    name: s.name.clone(),
                    key_schema: lock::fingerprint(s.key_schema.to_string().as_bytes()),
                    value_schema: lock::fingerprint(s.value_schema.to_string().as_bytes()),
                })
                .collect(),
            registry_schemas: Vec::new(),
        }
    }
}

/// Parses, analyzes and plans a queries file.
pub fn plan_file(source_text: &str, service_id: &str) -> Result<PlannedFile, Vec<Diagnostic>> {
    plan_file_with(source_text, service_id, &AnalyzeOptions::default())
}

/// [`plan_file`] with analysis options (configured ksqlDB properties).
pub fn plan_file_with(
    source_text: &str,
    service_id: &str,
    options: &AnalyzeOptions,
) -> Result<PlannedFile, Vec<Diagnostic>> {
    let analyzed = analyze::analyze_source(source_text, options)?;
    let queries = analyzed
        .queries
        .into_iter()
        .map(|query| {
            let (start, end) = query.statement;
            let text = source_text.get(start..end).unwrap_or_default();
            let mut sources: Vec<String> = query.inputs.iter().map(|i| i.source.clone()).collect();
            sources.sort();
            sources.dedup();
            PlannedQuery {
                id: query.id.clone(),
                kind: query.kind,
                sink: query.sink.clone(),
                sources,
                application_id: names::application_id(service_id, &query.id),
                statement: names::normalize_statement(text),
                steps: build::build(&query),
                analyzed: query,
            }
        })
        .collect();
    Ok(PlannedFile {
        queries,
        catalog: analyzed.catalog,
    })
}
