//! `CREATE STREAM|TABLE … AS SELECT` and `INSERT INTO … SELECT`: the query's inputs, its
//! clauses typed in order (joins, `WHERE`, table functions, `GROUP BY`/`HAVING`, `PARTITION
//! BY`, projection), the result's key columns and output schema under ksqlDB's naming rules,
//! the sink (topic, formats, partitions) and the query id. It must not plan execution steps.

use serde::{Deserialize, Serialize};

use super::catalog::{
    FormatInfo, KeyWindow, Namespace, Schema, Source, SourceType, TimestampColumn, WindowType,
};
use super::expr::{AggregateCall, TableFunctionCall};
use super::source::source_type;
use super::{Analyzer, R};
use crate::expr::TypedExpr;
use crate::lock::QueryKind;
use crate::sql::{self, CreateAsSelect, Diagnostic, InsertInto, Query, Span};

/// One input of a query (`FROM`, then each `JOIN`), as it was in the catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueryInput {
    pub source: String,
    pub alias: String,
    pub source_type: SourceType,
    pub schema: Schema,
    pub topic: String,
    pub key_format: FormatInfo,
    pub value_format: FormatInfo,
    pub partitions: Option<u32>,
    pub timestamp: Option<TimestampColumn>,
    pub window: Option<KeyWindow>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JoinKind {
    Inner,
    Left,
    Right,
    Full,
}

/// Which join operator a join needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JoinType {
    StreamStream,
    StreamTable,
    TableTable,
    /// Table-table on a left value column = the right primary key.
    ForeignKey,
}

/// One `JOIN`: the new input (`right_side`) joined to the result so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnalyzedJoin {
    pub kind: JoinKind,
    pub join_type: JoinType,
    pub right_side: u16,
    /// The join expression on the left (earlier inputs) and on the right input.
    pub left_key: TypedExpr,
    pub right_key: TypedExpr,
    /// `WITHIN`: before, after and grace, in milliseconds.
    pub within: Option<(u64, u64, Option<u64>)>,
}

/// A `WINDOW` clause, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct WindowSpec {
    pub window_type: WindowType,
    /// Size (tumbling, hopping) or inactivity gap (session).
    pub size_ms: u64,
    pub advance_ms: Option<u64>,
    pub grace_ms: Option<u64>,
    pub retention_ms: Option<u64>,
}

/// One output column and the expression that computes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectedColumn {
    pub name: String,
    pub expr: TypedExpr,
    pub key: bool,
}

/// A persistent query, analyzed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnalyzedQuery {
    pub id: String,
    pub kind: QueryKind,
    pub sink: String,
    pub sink_type: SourceType,
    /// Byte range of the statement in the file.
    pub statement: (usize, usize),
    pub inputs: Vec<QueryInput>,
    pub joins: Vec<AnalyzedJoin>,
    /// `WHERE`, over the inputs (after the joins).
    pub filter: Option<TypedExpr>,
    pub table_functions: Vec<TableFunctionCall>,
    /// `PARTITION BY`, over the inputs.
    pub partition_by: Vec<TypedExpr>,
    /// `GROUP BY`, over the inputs (after the filter).
    pub group_by: Vec<TypedExpr>,
    pub window: Option<WindowSpec>,
    pub aggregates: Vec<AggregateCall>,
    /// `HAVING`, over group keys and aggregate results.
    pub having: Option<TypedExpr>,
    /// The projection: key columns first, then value columns.
    pub projection: Vec<ProjectedColumn>,
    pub output: Schema,
    /// The sink's key window, when its key is windowed.
    pub output_window: Option<KeyWindow>,
    pub emit_final: bool,
    pub limit: Option<u64>,
    pub sink_topic: String,
    pub key_format: FormatInfo,
    pub value_format: FormatInfo,
    pub partitions: Option<u32>,
    pub sink_timestamp: Option<TimestampColumn>,
    /// The record cache size a `SET 'cache.max.bytes.buffering'` before the statement asked
    /// for (bytes; it overrides the config's for this query). Not part of the plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_cache_bytes: Option<u64>,
}

/// What the SELECT computes, before the sink is known.
pub(super) struct Selected {
    pub inputs: Vec<QueryInput>,
    pub joins: Vec<AnalyzedJoin>,
    pub filter: Option<TypedExpr>,
    pub table_functions: Vec<TableFunctionCall>,
    pub partition_by: Vec<TypedExpr>,
    pub group_by: Vec<TypedExpr>,
    pub window: Option<WindowSpec>,
    pub aggregates: Vec<AggregateCall>,
    pub having: Option<TypedExpr>,
    pub projection: Vec<ProjectedColumn>,
    pub output: Schema,
    pub result_type: SourceType,
    pub output_window: Option<KeyWindow>,
}

/// A select item after star expansion: its name, typed expression, and whether the name was
/// chosen by the user.
pub(super) struct Item {
    pub name: String,
    pub expr: TypedExpr,
    pub span: Span,
}

impl Analyzer<'_> {
    pub(super) fn create_as_select(
        &mut self,
        create: &CreateAsSelect,
        span: Span,
    ) -> R<AnalyzedQuery> {
        let sink = create.name.value.clone();
        let wanted = source_type(create.kind);
        if let Some(existing) = self.catalog.source(&sink) {
            if create.if_not_exists {
                return Err(Diagnostic::error(
                    create.name.span,
                    format!(
                        "{sink} already exists; IF NOT EXISTS skips the query, which a queries file cannot express"
                    ),
                ));
            }
            if !create.or_replace {
                return Err(Diagnostic::error(
                    create.name.span,
                    format!(
                        "Cannot add {} '{sink}': A {} with the same name already exists",
                        wanted.name(),
                        existing.source_type.name()
                    ),
                ));
            }
        }
        let selected = self.select(&create.query, &sink, Some(&create.properties))?;
        if selected.result_type != wanted {
            let (produced, statement) = match selected.result_type {
                SourceType::Table => ("TABLE", "CREATE TABLE AS SELECT"),
                SourceType::Stream => ("STREAM", "CREATE STREAM AS SELECT"),
            };
            return Err(Diagnostic::error(
                create.query.span,
                format!(
                    "Invalid result type. Your SELECT query produces a {produced}. Please use {statement} statement instead."
                ),
            ));
        }
        let properties = &create.properties;
        // Without KAFKA_TOPIC the topic is the sink's name, after ksqlDB's configurable prefix.
        let topic = self
            .prop(properties, "KAFKA_TOPIC")
            .map(|(t, _)| t)
            .unwrap_or_else(|| {
                let prefix = self
                    .catalog
                    .property("ksql.output.topic.name.prefix")
                    .unwrap_or_default();
                format!("{prefix}{sink}")
            });
        let first = &selected.inputs[0];
        let inherited_key = if selected.output.keys().count() > 0
            && first.key_format.format == crate::format::Format::None
        {
            // A NONE key cannot hold the new key: the configured default key format, or KAFKA.
            None
        } else {
            // Schema ids and names are not inherited (ksqlDB's AVRO and PROTOBUF formats
            // have no inheritable properties).
            Some(FormatInfo {
                delimiter: None,
                schema_id: None,
                full_name: None,
                nullable: None,
                ..first.key_format.clone()
            })
        };
        // An inherited value format keeps its delimiter (ksqlDB writes a DELIMITED sink with
        // its source's VALUE_DELIMITER unless the sink names its own format).
        let inherited_value = Some(FormatInfo {
            wrap_single_value: None,
            schema_id: None,
            full_name: None,
            nullable: None,
            ..first.value_format.clone()
        });
        let (mut key_format, value_format) =
            self.formats(properties, inherited_key, inherited_value, span)?;
        // ksqlDB names the key record of an AVRO sink a query creates after the sink
        // (`AvroFormat.getKeySchemaName`): `…avro_schemas.<UpperCamelSink>Key`.
        if key_format.format == crate::format::Format::Avro && key_format.full_name.is_none() {
            key_format.full_name = Some(super::registry::names::avro_key_schema_name(&sink));
        }
        if selected.output.keys().count() == 0
            && let Some(p) = properties.get("KEY_FORMAT")
            && key_format.format != crate::format::Format::None
        {
            return Err(Diagnostic::error(
                p.name_span,
                "Key format specified for stream without key columns.",
            ));
        }
        // The aggregation's store is built (in the source's value format) before the sink.
        super::aggregate::check_intermediate_types(
            &selected.aggregates,
            first.value_format.format,
            create.query.span,
        )?;
        self.validate_formats(&selected.output, &key_format, &value_format, span)?;
        self.check_sink_schema_ids(
            properties,
            &topic,
            (&key_format, &value_format),
            &selected.output,
        )?;
        let partitions = self.partitions(properties)?.or(first.partitions);
        let sink_timestamp = self.timestamp_column(properties, &selected.output)?;
        let id = match self.prop(properties, "QUERY_ID") {
            Some((id, _)) => id.to_uppercase(),
            None => format!(
                "{}_{}",
                if wanted == SourceType::Table {
                    "CTAS"
                } else {
                    "CSAS"
                },
                sink
            ),
        };
        self.check_query_id(&id, create.name.span)?;
        let kind = if wanted == SourceType::Table {
            QueryKind::CreateTableAsSelect
        } else {
            QueryKind::CreateStreamAsSelect
        };
        let query = finish(
            id.clone(),
            kind,
            sink.clone(),
            wanted,
            span,
            &create.query,
            selected,
            topic.clone(),
            key_format.clone(),
            value_format.clone(),
            partitions,
            sink_timestamp.clone(),
        );
        self.catalog.sources.insert(
            sink.clone(),
            Source {
                name: sink,
                source_type: wanted,
                schema: query.output.clone(),
                topic,
                key_format,
                value_format,
                partitions,
                timestamp: sink_timestamp,
                window: query.output_window,
                read_only: false,
                written_by: Some(id),
                inferred_from: Vec::new(),
            },
        );
        Ok(query)
    }

    fn check_query_id(&self, id: &str, span: Span) -> R<()> {
        if self.queries.iter().any(|q| q.id == id) {
            return Err(Diagnostic::error(
                span,
                format!("Query id '{id}' is already used by another query of this file"),
            )
            .with_help("give the query a unique id with WITH (QUERY_ID='…')"));
        }
        Ok(())
    }

    pub(super) fn insert_into(&mut self, insert: &InsertInto, span: Span) -> R<AnalyzedQuery> {
        super::select::check_qualifiers(&insert.query)?;
        let target = self.lookup_insert_target(insert)?.clone();
        if target.source_type == SourceType::Table {
            return Err(Diagnostic::error(
                insert.target.span,
                format!(
                    "INSERT INTO can only be used to insert into a stream. {} is a table.",
                    target.name
                ),
            ));
        }
        if target.read_only {
            return Err(Diagnostic::error(
                insert.target.span,
                format!("Cannot insert into read-only stream: {}", target.name),
            ));
        }
        let headers: Vec<&str> = target
            .schema
            .columns
            .iter()
            .filter(|c| matches!(c.namespace, Namespace::Header { .. }))
            .map(|c| c.name.as_str())
            .collect();
        if !headers.is_empty() {
            return Err(Diagnostic::error(
                insert.target.span,
                format!("Cannot insert into HEADER columns: {}", headers.join(", ")),
            ));
        }
        let mut selected = self.select(&insert.query, &target.name, None)?;
        if selected.result_type != SourceType::Stream {
            return Err(Diagnostic::error(
                insert.query.span,
                "INSERT INTO can only be used with a query that produces a stream.",
            ));
        }
        if selected.output != target.schema && casts_into(&selected.output, &target.schema) {
            // ksqlDB casts result columns to the sink's types where that widens implicitly.
            for column in &mut selected.projection {
                if let Some((_, sink)) = target.schema.find(&column.name)
                    && column.expr.ty != sink.ty
                {
                    column.expr = column.expr.clone().cast_to(&sink.ty);
                }
            }
            selected.output = target.schema.clone();
        }
        if selected.output != target.schema {
            return Err(Diagnostic::error(
                insert.query.span,
                format!(
                    "Incompatible schema between results and sink.\nResult schema is {}\nSink schema is {}",
                    selected.output, target.schema
                ),
            ));
        }
        let id = match self.prop(&insert.properties, "QUERY_ID") {
            Some((id, _)) => id.to_uppercase(),
            None => format!("INSERTQUERY_{}", target.name),
        };
        if self.queries.iter().any(|q| q.id == id) {
            return Err(Diagnostic::error(
                insert.target.span,
                format!(
                    "Query id '{id}' is already used: two INSERT INTO statements target {} ",
                    target.name
                ),
            )
            .with_help("give each INSERT INTO a unique id with WITH (QUERY_ID='…')"));
        }
        Ok(finish(
            id,
            QueryKind::InsertInto,
            target.name.clone(),
            SourceType::Stream,
            span,
            &insert.query,
            selected,
            target.topic.clone(),
            target.key_format.clone(),
            target.value_format.clone(),
            target.partitions,
            target.timestamp.clone(),
        ))
    }
}

#[allow(clippy::too_many_arguments)]
fn finish(
    id: String,
    kind: QueryKind,
    sink: String,
    sink_type: SourceType,
    span: Span,
    query: &Query,
    selected: Selected,
    sink_topic: String,
    key_format: FormatInfo,
    value_format: FormatInfo,
    partitions: Option<u32>,
    sink_timestamp: Option<TimestampColumn>,
) -> AnalyzedQuery {
    AnalyzedQuery {
        id,
        kind,
        sink,
        sink_type,
        statement: (span.start, span.end),
        inputs: selected.inputs,
        joins: selected.joins,
        filter: selected.filter,
        table_functions: selected.table_functions,
        partition_by: selected.partition_by,
        group_by: selected.group_by,
        window: selected.window,
        aggregates: selected.aggregates,
        having: selected.having,
        projection: selected.projection,
        output: selected.output,
        output_window: selected.output_window,
        emit_final: matches!(query.emit, Some(sql::Emit::Final { .. })),
        limit: query.limit.map(|(n, _)| n),
        sink_topic,
        key_format,
        value_format,
        partitions,
        sink_timestamp,
        record_cache_bytes: None,
    }
}

/// Whether every result column has the sink column's name and place, and a type that widens
/// implicitly to the sink's (ksqlDB compares base types only: INT into DECIMAL(5, 2) is fine).
fn casts_into(result: &Schema, sink: &Schema) -> bool {
    result.columns.len() == sink.columns.len()
        && result.columns.iter().zip(&sink.columns).all(|(r, s)| {
            r.name == s.name
                && r.namespace == s.namespace
                && (r.ty == s.ty
                    || (r.ty.is_numeric()
                        && s.ty.is_numeric()
                        && r.ty.can_implicitly_cast_to(&s.ty)))
        })
}
