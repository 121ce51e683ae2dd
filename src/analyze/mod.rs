//! The analyzer: a catalog of streams, tables and types, name resolution, type checking and
//! output-schema naming under ksqlDB's rules, and the dry run of a whole queries file against a
//! scratch catalog. Every error becomes a [`Diagnostic`] with a span (and a did-you-mean where
//! a name is close); one run reports the errors of every statement. It never reaches Kafka
//! and builds no plan (that is `plan`).
//!
//! - [`catalog`]: sources, columns, schemas, formats.
//! - [`source`]: `CREATE STREAM|TABLE`, `CREATE TYPE`; `formats` their formats and checks;
//!   [`registry`] infers the columns of a source declared without them from its Schema
//!   Registry schema.
//! - [`scope`], [`expr`]: names and types inside a query.
//! - [`query`]: `CREATE … AS SELECT` and `INSERT INTO`; [`join`], [`aggregate`] its clauses.
//! - [`naming`]: output column names and message text.

pub mod aggregate;
mod calls;
pub mod catalog;
mod constructors;
pub mod expr;
mod formats;
mod in_list;
mod infer;
pub mod join;
mod join_criteria;
mod keys;
pub mod naming;
mod operators;
pub mod query;
pub mod registry;
pub mod scope;
mod select;
mod select_items;
pub mod source;
mod star;

#[cfg(test)]
mod message_order_tests;
#[cfg(test)]
mod message_tests;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

pub use catalog::{
    Catalog, Column, FormatInfo, KeyWindow, Namespace, Schema, Source, SourceType, TimestampColumn,
    WindowType,
};
pub use expr::{AggregateCall, TableFunctionCall};
pub use query::{
    AnalyzedJoin, AnalyzedQuery, JoinKind, JoinType, ProjectedColumn, QueryInput, WindowSpec,
};
pub use registry::{
    NoRegistry, RegisteredSchema, RegistrySchemas, SchemaReference, SchemaSide, SchemaSource,
};

use crate::sql::{self, Diagnostic, Statement, StatementKind};

/// Results inside the analyzer: the first problem of a statement.
pub(crate) type R<T> = Result<T, Diagnostic>;

/// A whole file, analyzed: the final catalog and every persistent query in file order.
#[derive(Debug, Clone)]
pub struct AnalyzedFile {
    pub catalog: Catalog,
    pub queries: Vec<AnalyzedQuery>,
}

/// Settings of an analysis run that do not come from the file.
#[derive(Debug, Clone, Default)]
pub struct AnalyzeOptions {
    /// ksqlDB properties in force before the first `SET` (e.g. from config or a test case).
    pub properties: BTreeMap<String, String>,
    /// Accept a file with no persistent query (used by tests of single statements).
    pub allow_no_queries: bool,
    /// Where schemas of sources declared without columns come from (none when unset).
    pub schemas: Option<Arc<dyn SchemaSource>>,
}

/// Walks the statements in order against a scratch catalog.
pub struct Analyzer<'s> {
    pub(crate) _text: std::marker::PhantomData<&'s str>,
    pub(crate) catalog: Catalog,
    pub(crate) queries: Vec<AnalyzedQuery>,
    /// Names whose declaration failed: later references to them are not reported again.
    pub(crate) failed: BTreeSet<String>,
    /// Registered key and value schemas, for sources declared without columns.
    pub(crate) schemas: Arc<dyn SchemaSource>,
}

/// Parses and analyzes a queries file.
pub fn analyze_source(
    text: &str,
    options: &AnalyzeOptions,
) -> Result<AnalyzedFile, Vec<Diagnostic>> {
    let statements = sql::parse_file(text)?;
    analyze_file(&statements, text, options)
}

/// Analyzes parsed statements; `text` is the file they were parsed from.
pub fn analyze_file(
    statements: &[Statement],
    text: &str,
    options: &AnalyzeOptions,
) -> Result<AnalyzedFile, Vec<Diagnostic>> {
    let mut analyzer = Analyzer {
        _text: std::marker::PhantomData,
        catalog: Catalog {
            properties: options.properties.clone(),
            ..Catalog::default()
        },
        queries: Vec::new(),
        failed: BTreeSet::new(),
        schemas: options
            .schemas
            .clone()
            .unwrap_or_else(|| Arc::new(NoRegistry)),
    };
    let mut diagnostics = Vec::new();
    for statement in statements {
        if let Err(d) = analyzer.statement(statement) {
            if let Some(name) = declared_name(statement) {
                analyzer.failed.insert(name);
            }
            diagnostics.push(d);
        }
    }
    if diagnostics.is_empty() && analyzer.queries.is_empty() && !options.allow_no_queries {
        let end = text.trim_end().len();
        diagnostics.push(
            Diagnostic::error(
                sql::Span::new(end, end),
                "The queries file contains no persistent query: nothing would run",
            )
            .with_help("add a CREATE STREAM|TABLE … AS SELECT or an INSERT INTO … SELECT"),
        );
    }
    if diagnostics.is_empty() {
        Ok(AnalyzedFile {
            catalog: analyzer.catalog,
            queries: analyzer.queries,
        })
    } else {
        Err(diagnostics)
    }
}

fn declared_name(statement: &Statement) -> Option<String> {
    match &statement.kind {
        StatementKind::CreateSource(c) => Some(c.name.value.clone()),
        StatementKind::CreateAsSelect(c) => Some(c.name.value.clone()),
        _ => None,
    }
}

/// The ksqlDB properties that size a query's record cache, the newer Kafka Streams name first:
/// with and without ksqlDB's `ksql.streams.` prefix.
const RECORD_CACHE_PROPERTIES: [&str; 4] = [
    "ksql.streams.statestore.cache.max.bytes",
    "statestore.cache.max.bytes",
    "ksql.streams.cache.max.bytes.buffering",
    "cache.max.bytes.buffering",
];

impl Analyzer<'_> {
    /// The record cache size the properties in force ask for, if any.
    fn record_cache_bytes(&self) -> Option<u64> {
        RECORD_CACHE_PROPERTIES
            .iter()
            .find_map(|name| self.catalog.property(name)?.trim().parse().ok())
    }

    fn statement(&mut self, statement: &Statement) -> R<()> {
        match &statement.kind {
            StatementKind::SetProperty { name, value } => {
                if RECORD_CACHE_PROPERTIES.contains(&name.value.as_str())
                    && value.value.trim().parse::<u64>().is_err()
                {
                    // Kafka's `ConfigDef` message for a LONG property.
                    return Err(Diagnostic::error(
                        value.span,
                        format!(
                            "Invalid value {} for configuration {}: Not a number of type LONG",
                            value.value, name.value
                        ),
                    ));
                }
                self.catalog
                    .properties
                    .insert(name.value.clone(), value.value.clone());
                Ok(())
            }
            StatementKind::UnsetProperty { name } => {
                self.catalog.properties.remove(&name.value);
                Ok(())
            }
            StatementKind::CreateType(create) => self.create_type(create),
            StatementKind::CreateSource(create) => self.create_source(create, statement.span),
            StatementKind::CreateAsSelect(create) => {
                let mut query = self.create_as_select(create, statement.span)?;
                query.record_cache_bytes = self.record_cache_bytes();
                self.queries.push(query);
                Ok(())
            }
            StatementKind::InsertInto(insert) => {
                let mut query = self.insert_into(insert, statement.span)?;
                query.record_cache_bytes = self.record_cache_bytes();
                self.queries.push(query);
                Ok(())
            }
        }
    }
}
