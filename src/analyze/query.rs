//! `CREATE STREAM|TABLE … AS SELECT` and `INSERT INTO … SELECT`: the query's inputs, its
//! clauses typed in order (joins, `WHERE`, table functions, `GROUP BY`/`HAVING`, `PARTITION
//! BY`, projection), the result's key columns and output schema under ksqlDB's naming rules,
//! the sink (topic, formats, partitions) and the query id. It must not plan execution steps.

use serde::{Deserialize, Serialize};

use super::catalog::{
    FormatInfo, KeyWindow, Namespace, Schema, Source, SourceType, TimestampColumn, WindowType,
};
use super::expr::{AggregateCall, TableFunctionCall, Typer};
use super::naming::{NameGenerator, and_list, expr_text, natural_name};
use super::scope::{Scope, Side};
use super::source::{RESERVED_COLUMNS, source_type};
use super::{Analyzer, R};
use crate::expr::{ColumnRef, SystemColumn, TypedExpr};
use crate::lock::QueryKind;
use crate::sql::{self, CreateAsSelect, Diagnostic, InsertInto, Query, SelectItem, Span, suggest};
use crate::types::SqlType;

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
    pub(super) fn lookup_source(&self, name: &sql::Ident) -> R<&Source> {
        if let Some(source) = self.catalog.source(&name.value) {
            return Ok(source);
        }
        let mut d = Diagnostic::error(name.span, format!("{} does not exist.", name.value));
        if self.failed.contains(&name.value) {
            d = d.with_help("its declaration above failed; fix that error first");
        } else if let Some(s) = suggest(&name.value, self.catalog.source_names()) {
            d = d.with_help(format!("did you mean `{s}`?"));
        }
        Err(d)
    }

    fn inputs(&self, query: &Query) -> R<(Vec<QueryInput>, Scope)> {
        let mut inputs = Vec::new();
        let mut scope = Scope::default();
        let all = std::iter::once(&query.from).chain(query.joins.iter().map(|j| &j.source));
        for aliased in all {
            let source = self.lookup_source(&aliased.name)?;
            let alias = aliased
                .alias
                .as_ref()
                .unwrap_or(&aliased.name)
                .value
                .clone();
            if let Some(first) = scope.sides.iter().find(|s| s.source == source.name) {
                return Err(Diagnostic::error(
                    aliased.span,
                    format!(
                        "Can not join '{}' to '{}': self joins are not yet supported.",
                        first.source, source.name
                    ),
                ));
            }
            if scope.sides.iter().any(|s| s.alias == alias) {
                return Err(Diagnostic::error(
                    aliased.span,
                    format!(
                        "Can not join '{alias}' to '{alias}': self joins are not supported; alias one side"
                    ),
                ));
            }
            scope.sides.push(Side {
                alias: alias.clone(),
                source: source.name.clone(),
                source_type: source.source_type,
                schema: source.schema.clone(),
                windowed: source.window.is_some(),
            });
            inputs.push(QueryInput {
                source: source.name.clone(),
                alias,
                source_type: source.source_type,
                schema: source.schema.clone(),
                topic: source.topic.clone(),
                key_format: source.key_format.clone(),
                value_format: source.value_format.clone(),
                partitions: source.partitions,
                timestamp: source.timestamp.clone(),
                window: source.window,
            });
        }
        Ok((inputs, scope))
    }

    pub(super) fn select(&self, query: &Query, sink: &str) -> R<Selected> {
        let (inputs, mut scope) = self.inputs(query)?;
        let window = query.window.as_ref().map(window_spec);
        scope.window_bounds = window.is_some();
        let (joins, join_key) = self.joins(query, &scope)?;
        let filter = match &query.where_clause {
            Some(w) => {
                let typed = Typer::new(&scope, "WHERE")
                    .type_expr(w)
                    .map_err(|d| prefix(d, "Error in WHERE expression: "))?;
                if typed.ty != SqlType::Boolean && !super::expr::is_null(&typed) {
                    return Err(Diagnostic::error(
                        w.span,
                        format!(
                            "Type error in WHERE expression: Should evaluate to boolean but is {} ({}) instead.",
                            expr_text(w),
                            typed.ty
                        ),
                    ));
                }
                Some(typed)
            }
            None => None,
        };
        let group_by = query
            .group_by
            .iter()
            .map(|g| Typer::new(&scope, "GROUP BY").type_expr(g))
            .collect::<R<Vec<_>>>()?;
        let partition_by = query
            .partition_by
            .iter()
            .map(|p| Typer::new(&scope, "PARTITION BY").type_expr(p))
            .collect::<R<Vec<_>>>()?;
        let mut aggregates = Vec::new();
        let mut table_functions = Vec::new();
        let mut items = self.items(query, &scope, &mut aggregates, &mut table_functions)?;
        let star = query.select.iter().any(|i| {
            matches!(
                i,
                SelectItem::Wildcard { .. } | SelectItem::QualifiedWildcard { .. }
            )
        });
        if star
            && join_key.as_ref().is_some_and(|k| k.synthetic)
            && !items.iter().any(|i| i.expr == synthetic_marker())
        {
            items.insert(
                0,
                Item {
                    name: scope.synthetic_key_name(),
                    expr: synthetic_marker(),
                    span: query.span,
                },
            );
        }
        if star
            && partition_by.is_empty()
            && let Some(key) = join_key.as_ref().filter(|k| !k.synthetic)
            && let Some(first) = key.candidates.first()
        {
            // With a star in a join, the left join column is the key, selected or not.
            let position = items.iter().position(|i| i.expr == *first);
            let item = match position {
                Some(p) => items.remove(p),
                None => {
                    let name = match first.kind {
                        crate::expr::ExprKind::Column {
                            column: ColumnRef::Input { side, index },
                        } => scope.output_name(
                            side as usize,
                            &scope.sides[side as usize].schema.columns[index as usize].name,
                        ),
                        _ => scope.synthetic_key_name(),
                    };
                    Item {
                        name,
                        expr: first.clone(),
                        span: query.span,
                    }
                }
            };
            items.insert(0, item);
        }
        if star {
            // `SELECT *` with PARTITION BY selects the new key even when it is an expression.
            for (p, ast) in partition_by.iter().zip(&query.partition_by).rev() {
                if super::expr::is_null(p) || items.iter().any(|i| i.expr == *p) {
                    continue;
                }
                let name = natural_name(ast, None).unwrap_or_else(|| "KSQL_COL_0".to_string());
                items.insert(
                    0,
                    Item {
                        name,
                        expr: p.clone(),
                        span: ast.span,
                    },
                );
            }
        }
        let having = match &query.having {
            Some(h) => {
                let mut typer = Typer::new(&scope, "HAVING");
                typer.aggregates = Some(&mut aggregates);
                let typed = typer
                    .type_expr(h)
                    .map_err(|d| prefix(d, "Error in HAVING expression: "))?;
                Some((typed, h.span))
            }
            None => None,
        };
        let aggregating = !group_by.is_empty() || !aggregates.is_empty();
        if let Some(sql::Emit::Final { span }) = query.emit
            && (!aggregating || query.window.is_none())
        {
            return Err(Diagnostic::error(
                span,
                "EMIT FINAL is only supported for windowed aggregations.",
            ));
        }
        if let Some(input) = inputs
            .iter()
            .find(|i| i.window.is_some() && i.source_type == SourceType::Table)
            && !aggregating
            && joins.is_empty()
        {
            return Err(Diagnostic::error(
                query.from.span,
                format!(
                    "KSQL does not support persistent queries on windowed tables. {} is a windowed table.",
                    input.source
                ),
            ));
        }
        let base_type = if joins.is_empty() {
            inputs[0].source_type
        } else if inputs.iter().all(|i| i.source_type == SourceType::Table) {
            SourceType::Table
        } else {
            SourceType::Stream
        };
        if aggregating {
            return self.aggregated(
                query, sink, inputs, joins, filter, group_by, window, aggregates, having, items,
                &scope,
            );
        }
        if let Some((_, span)) = having {
            return Err(Diagnostic::error(
                span,
                "HAVING clause requires a GROUP BY clause.",
            ));
        }
        if let Some(w) = &query.window {
            return Err(Diagnostic::error(
                w.span,
                "WINDOW clause requires a GROUP BY clause.",
            ));
        }
        if !table_functions.is_empty() && base_type == SourceType::Table {
            return Err(Diagnostic::error(
                query.span,
                "Table source is not supported with table functions",
            ));
        }
        if !partition_by.is_empty() && base_type == SourceType::Table {
            return Err(Diagnostic::error(
                query.partition_by[0].span,
                "Invalid result type. PARTITION BY is not supported on tables.",
            ));
        }
        // Keys of the result.
        let keys: Vec<KeyExpr> = if !partition_by.is_empty() {
            partition_by
                .iter()
                .zip(&query.partition_by)
                .filter(|(p, _)| !super::expr::is_null(p))
                .map(|(p, ast)| KeyExpr {
                    candidates: vec![p.clone()],
                    texts: vec![qualified_text(ast, &scope)],
                    ty: p.ty.clone(),
                    synthetic: false,
                })
                .collect()
        } else if let Some(join_key) = join_key {
            vec![join_key]
        } else {
            scope.sides[0]
                .schema
                .columns
                .iter()
                .enumerate()
                .filter(|(_, c)| c.is_key())
                .map(|(i, c)| KeyExpr {
                    candidates: vec![TypedExpr::column(
                        ColumnRef::Input {
                            side: 0,
                            index: i as u32,
                        },
                        c.ty.clone(),
                    )],
                    texts: vec![c.name.clone()],
                    ty: c.ty.clone(),
                    synthetic: false,
                })
                .collect()
        };
        let kind = if !partition_by.is_empty() {
            "partitioning expression"
        } else if !joins.is_empty() {
            "join expression"
        } else {
            "key column"
        };
        let (projection, output) = assign_keys(sink, items, &keys, kind)?;
        let output_window = inputs[0].window;
        Ok(Selected {
            inputs,
            joins,
            filter,
            table_functions,
            partition_by,
            group_by: Vec::new(),
            window: None,
            aggregates: Vec::new(),
            having: None,
            projection,
            output,
            result_type: base_type,
            output_window,
        })
    }

    /// The select items, stars expanded, typed over the inputs.
    fn items(
        &self,
        query: &Query,
        scope: &Scope,
        aggregates: &mut Vec<AggregateCall>,
        table_functions: &mut Vec<TableFunctionCall>,
    ) -> R<Vec<Item>> {
        let mut items: Vec<Item> = Vec::new();
        let mut generator = NameGenerator::default();
        let mut pending: Vec<(usize, bool)> = Vec::new();
        let star_order_values_first = !query.partition_by.is_empty();
        for item in &query.select {
            match item {
                SelectItem::Wildcard { span } => {
                    for side in 0..scope.sides.len() {
                        star(scope, side, *span, star_order_values_first, &mut items);
                    }
                }
                SelectItem::QualifiedWildcard { qualifier, span } => {
                    let Some(side) = scope.sides.iter().position(|s| s.alias == qualifier.value)
                    else {
                        return Err(Diagnostic::error(
                            qualifier.span,
                            format!(
                                "'{}' is not a valid stream/table name or alias.",
                                qualifier.value
                            ),
                        ));
                    };
                    star(scope, side, *span, star_order_values_first, &mut items);
                }
                SelectItem::StructWildcard { base, span } => {
                    let typed = Typer::new(scope, "SELECT").type_expr(base)?;
                    let SqlType::Struct(fields) = &typed.ty else {
                        return Err(Diagnostic::error(
                            *span,
                            format!("Expected STRUCT type for `->*` but got {}", typed.ty),
                        ));
                    };
                    for (i, field) in fields.iter().enumerate() {
                        items.push(Item {
                            name: field.name.clone(),
                            expr: TypedExpr::new(
                                field.ty.clone(),
                                crate::expr::ExprKind::Field {
                                    base: Box::new(typed.clone()),
                                    index: i as u32,
                                },
                            ),
                            span: *span,
                        });
                    }
                }
                SelectItem::Expr { expr, alias, span } => {
                    let synthetic_name = scope.synthetic_key_name();
                    let is_synthetic = scope.is_join()
                        && matches!(&expr.kind, sql::ExprKind::Column { qualifier: None, name } if name.value == synthetic_name);
                    let typed = if is_synthetic {
                        synthetic_marker()
                    } else {
                        let mut typer = Typer::new(scope, "SELECT");
                        typer.aggregates = Some(aggregates);
                        typer.table_functions = Some(table_functions);
                        typer.type_expr(expr)?
                    };
                    if let Some(alias) = alias
                        && RESERVED_COLUMNS.contains(&alias.value.as_str())
                    {
                        return Err(Diagnostic::error(
                            alias.span,
                            format!(
                                "`{}` is a reserved column name. You cannot use it as an alias for a column.",
                                alias.value
                            ),
                        ));
                    }
                    // In a join, a qualified column keeps its name unless another input has a
                    // column of that name: then it is prefixed with its alias (`L_ID`).
                    let join_alias = |q: Option<&str>, n: &str| -> String {
                        let side = q.and_then(|q| scope.sides.iter().position(|s| s.alias == q));
                        match side {
                            Some(side) if scope.is_ambiguous(n) => scope.output_name(side, n),
                            _ => n.to_string(),
                        }
                    };
                    let natural = if scope.is_join() {
                        natural_name(expr, Some(&join_alias))
                    } else {
                        natural_name(expr, None)
                    };
                    if super::expr::is_null(&typed) {
                        return Err(Diagnostic::error(
                            expr.span,
                            "Can't infer a type of null. Please explicitly cast it to a required type, e.g. CAST(null AS VARCHAR).",
                        ));
                    }
                    let natural = if is_synthetic {
                        Some(synthetic_name)
                    } else {
                        natural
                    };
                    let is_field = matches!(expr.kind, sql::ExprKind::Dereference { .. });
                    let name = match (alias, natural) {
                        (Some(a), _) => a.value.clone(),
                        (None, Some(n)) if is_field && items.iter().any(|i| i.name == n) => (1..)
                            .map(|i| format!("{n}_{i}"))
                            .find(|c| !items.iter().any(|i| i.name == *c))
                            .unwrap_or(n),
                        (None, Some(n)) => {
                            if RESERVED_COLUMNS.contains(&n.as_str()) {
                                return Err(Diagnostic::error(
                                    *span,
                                    format!(
                                        "Reserved column name in select: `{n}`. Please remove or alias the column."
                                    ),
                                ));
                            }
                            n
                        }
                        (None, None) => {
                            pending.push((items.len(), true));
                            String::new()
                        }
                    };
                    items.push(Item {
                        name,
                        expr: typed,
                        span: *span,
                    });
                }
            }
        }
        let taken: Vec<String> = items.iter().map(|i| i.name.clone()).collect();
        for (index, _) in pending {
            items[index].name = generator.next(&taken);
        }
        Ok(items)
    }

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
        let selected = self.select(&create.query, &sink)?;
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
        let topic = self
            .prop(properties, "KAFKA_TOPIC")
            .map(|(t, _)| t)
            .unwrap_or_else(|| sink.clone());
        let first = &selected.inputs[0];
        let inherited_key = if selected.output.keys().count() > 0
            && first.key_format.format == crate::format::Format::None
        {
            Some(FormatInfo::of(crate::format::Format::Kafka))
        } else {
            Some(FormatInfo {
                delimiter: None,
                ..first.key_format.clone()
            })
        };
        let inherited_value = Some(FormatInfo {
            wrap_single_value: None,
            delimiter: None,
            ..first.value_format.clone()
        });
        let (key_format, value_format) =
            self.formats(properties, inherited_key, inherited_value, span)?;
        self.validate_formats(&selected.output, &key_format, &value_format, span)?;
        if value_format.format == crate::format::Format::Delimited
            && selected.aggregates.iter().any(|a| {
                matches!(
                    a.function.name.as_str(),
                    "AVG" | "STDDEV_SAMP" | "STDDEV_SAMPLE" | "CORRELATION" | "VAR_SAMP"
                )
            })
        {
            return Err(Diagnostic::error(
                create.query.span,
                "One of the functions used in the statement has an intermediate type that the value format can not handle. Please remove the function or change the format.",
            ));
        }
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
        let target = self.lookup_source(&insert.target)?.clone();
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
        let selected = self.select(&insert.query, &target.name)?;
        if selected.result_type != SourceType::Stream {
            return Err(Diagnostic::error(
                insert.query.span,
                "INSERT INTO can only be used with a query that produces a stream.",
            ));
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
    }
}

fn window_spec(clause: &sql::WindowClause) -> WindowSpec {
    let (window_type, size_ms, advance_ms) = match &clause.kind {
        sql::WindowKind::Tumbling { size } => (WindowType::Tumbling, size.millis, None),
        sql::WindowKind::Hopping { size, advance } => {
            (WindowType::Hopping, size.millis, Some(advance.millis))
        }
        sql::WindowKind::Session { gap } => (WindowType::Session, gap.millis, None),
    };
    WindowSpec {
        window_type,
        size_ms,
        advance_ms,
        grace_ms: clause.grace.map(|g| g.millis),
        retention_ms: clause.retention.map(|r| r.millis),
    }
}

fn prefix(mut d: Diagnostic, text: &str) -> Diagnostic {
    if d.message.starts_with("Cannot compare") {
        d.message = format!("{text}{}", d.message);
    }
    d
}

/// The expression text ksqlDB prints in key messages: columns qualified by their source.
pub(super) fn qualified_text(expr: &sql::Expr, scope: &Scope) -> String {
    if let sql::ExprKind::Column {
        qualifier: None,
        name,
    } = &expr.kind
        && !scope.is_join()
        && let Some(side) = scope.sides.first()
        && side.schema.find(&name.value).is_some()
    {
        return format!("{}.{}", side.alias, name.value);
    }
    expr_text(expr)
}

/// The stand-in for a synthetic join key (`ROWKEY`) in the projection.
pub(super) fn synthetic_marker() -> TypedExpr {
    TypedExpr::column(
        ColumnRef::System {
            side: u16::MAX,
            column: SystemColumn::Rowtime,
        },
        SqlType::String,
    )
}

fn star(scope: &Scope, side: usize, span: Span, values_first: bool, items: &mut Vec<Item>) {
    let columns = &scope.sides[side].schema.columns;
    let mut order: Vec<usize> = (0..columns.len()).collect();
    if values_first {
        order.sort_by_key(|i| columns[*i].is_key());
    }
    for i in order {
        let c = &columns[i];
        items.push(Item {
            name: scope.output_name(side, &c.name),
            expr: TypedExpr::column(
                ColumnRef::Input {
                    side: side as u16,
                    index: i as u32,
                },
                c.ty.clone(),
            ),
            span,
        });
    }
}

/// One key column of the result: the expressions that compute it (several for a join: either
/// side's join column), the text for messages, its type.
pub(super) struct KeyExpr {
    pub candidates: Vec<TypedExpr>,
    pub texts: Vec<String>,
    pub ty: SqlType,
    pub synthetic: bool,
}

/// Splits the items into key and value columns: an item whose expression computes key `j` is
/// that key column. Every key must be selected exactly once, and one value column at least.
pub(super) fn assign_keys(
    sink: &str,
    items: Vec<Item>,
    keys: &[KeyExpr],
    kind: &str,
) -> R<(Vec<ProjectedColumn>, Schema)> {
    // Per key: the items selecting it. In a join either side's column computes the key; the
    // first one selected is the key column, the other side's column stays a value column.
    let mut key_items: Vec<Vec<usize>> = vec![Vec::new(); keys.len()];
    for (i, item) in items.iter().enumerate() {
        if let Some(j) = keys.iter().position(|k| {
            if k.synthetic {
                item.expr == synthetic_marker()
            } else {
                k.candidates.contains(&item.expr)
            }
        }) {
            let same_as_first = key_items[j]
                .first()
                .is_none_or(|first| items[*first].expr == item.expr);
            if same_as_first {
                key_items[j].push(i);
            }
        }
    }
    let span = items.first().map(|i| i.span).unwrap_or_default();
    let missing: Vec<&KeyExpr> = keys
        .iter()
        .zip(&key_items)
        .filter(|(_, v)| v.is_empty())
        .map(|(k, _)| k)
        .collect();
    if !missing.is_empty() {
        if missing.len() == 1 && missing[0].synthetic {
            return Err(Diagnostic::error(
                span,
                format!(
                    "Key missing from projection (ie, SELECT). See https://cnfl.io/2LV7ouS.\nThe query used to build `{sink}` must include the join expression ROWKEY in its projection (eg, SELECT ROWKEY...).\nROWKEY was added as a synthetic key column because the join criteria did not match any source column. This expression must be included in the projection and may be aliased."
                ),
            ));
        }
        let (what, names) = if kind == "join expression" {
            let texts = &missing[0].texts;
            let plural = if texts.len() > 1 { "s" } else { "" };
            (
                format!("{kind}{plural} {}", super::naming::or_list(texts)),
                texts[0].clone(),
            )
        } else {
            let texts: Vec<String> = missing.iter().map(|k| k.texts[0].clone()).collect();
            let plural = if texts.len() > 1 { "s" } else { "" };
            let (word, rest) = kind.split_once(' ').map_or((kind, ""), |(a, b)| (a, b));
            let _ = word;
            let _ = rest;
            (
                format!("{kind}{plural} {}", and_list(&texts)),
                texts.join(", "),
            )
        };
        return Err(Diagnostic::error(
            span,
            format!(
                "The query used to build `{sink}` must include the {what} in its projection (eg, SELECT {names}...)."
            ),
        ));
    }
    for (j, found) in key_items.iter().enumerate() {
        if found.len() > 1 {
            let mut names: Vec<String> = found.iter().map(|i| items[*i].name.clone()).collect();
            names.sort();
            let text = keys[j].texts.first().cloned().unwrap_or_default();
            let _ = text;
            return Err(Diagnostic::error(
                items[found[1]].span,
                format!(
                    "The projection contains a key column (`{}`) more than once, aliased as: {}.",
                    items[found[0]].name,
                    and_list(&names)
                ),
            ));
        }
    }
    let mut projection = Vec::new();
    let mut columns = Vec::new();
    let mut is_key = vec![false; items.len()];
    for (j, found) in key_items.iter().enumerate() {
        let item = &items[found[0]];
        is_key[found[0]] = true;
        let ty = if keys[j].synthetic {
            keys[j].ty.clone()
        } else {
            item.expr.ty.clone()
        };
        let expr = if keys[j].synthetic {
            keys[j].candidates[0].clone()
        } else {
            item.expr.clone()
        };
        columns.push(super::catalog::Column::key(item.name.clone(), ty));
        projection.push(ProjectedColumn {
            name: item.name.clone(),
            expr,
            key: true,
        });
    }
    for (i, item) in items.into_iter().enumerate() {
        if is_key[i] {
            continue;
        }
        if item.expr == synthetic_marker() {
            return Err(Diagnostic::error(
                item.span,
                "ROWKEY is not a column of the inputs: only a synthetic join key may be selected as ROWKEY",
            ));
        }
        if columns
            .iter()
            .any(|c: &super::catalog::Column| c.name == item.name)
        {
            return Err(Diagnostic::error(
                item.span,
                format!("Duplicate column name: `{}`", item.name),
            )
            .with_help("give one of them an alias with AS"));
        }
        columns.push(super::catalog::Column::value(
            item.name.clone(),
            item.expr.ty.clone(),
        ));
        projection.push(ProjectedColumn {
            name: item.name,
            expr: item.expr,
            key: false,
        });
    }
    if !columns.iter().any(|c| !c.is_key()) {
        return Err(Diagnostic::error(
            span,
            "The projection contains no value columns.",
        ));
    }
    Ok((projection, Schema::new(columns)))
}
