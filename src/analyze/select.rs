//! The `SELECT` of a persistent query: its inputs and aliases, the clauses typed in order
//! (joins, `WHERE`, `GROUP BY`, `PARTITION BY`, projection with stars expanded and ksqlDB's
//! default names), and the key of the result. It knows nothing of the sink.

use super::catalog::{Source, SourceType, WindowType};
use super::expr::Typer;
use super::keys::{KeyExpr, assign_keys, join_key_marker, synthetic_marker};
use super::naming::{expr_text, natural_name};
use super::query::{Item, QueryInput, Selected, WindowSpec};
use super::scope::{Scope, Side};
use super::{Analyzer, R};
use crate::expr::{ColumnRef, TypedExpr};
use crate::sql::{self, Diagnostic, Query, SelectItem, suggest};
use crate::types::SqlType;

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

    /// The sink's TIMESTAMP column among the projection's columns. ksqlDB checks it as it
    /// builds the output node (`LogicalPlanner.buildOutputNode`), before the output node
    /// checks that the keys are selected.
    pub(super) fn check_sink_timestamp(
        &self,
        sink_properties: Option<&sql::Properties>,
        items: &[Item],
    ) -> R<()> {
        let Some(properties) = sink_properties else {
            return Ok(());
        };
        let columns = items
            .iter()
            .map(|i| super::catalog::Column {
                name: i.name.clone(),
                ty: i.expr.ty.clone(),
                namespace: super::catalog::Namespace::Value,
            })
            .collect();
        self.timestamp_column(properties, &super::catalog::Schema { columns })?;
        Ok(())
    }

    /// The stream an `INSERT INTO` writes. ksqlDB's `AstSanitizer` first looks up the
    /// query's sources (`DataSourceExtractor`: "X does not exist."), then the target
    /// (`UnknownSourceException`: "Source `X` does not exist.").
    pub(super) fn lookup_insert_target(&self, insert: &sql::InsertInto) -> R<&Source> {
        if let Some(source) = self.catalog.source(&insert.target.value) {
            return Ok(source);
        }
        let query = &insert.query;
        for aliased in std::iter::once(&query.from).chain(query.joins.iter().map(|j| &j.source)) {
            self.lookup_source(&aliased.name)?;
        }
        let name = &insert.target;
        let mut d = Diagnostic::error(
            name.span,
            format!("Source `{}` does not exist.", name.value),
        );
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
            // ksqlDB's `Analyzer.visitAliasedRelation`: past the second source, a repeated
            // one is an n-way join's.
            if let Some(first) = scope.sides.iter().find(|s| s.source == source.name) {
                let message = if scope.sides.len() > 1 {
                    format!(
                        "N-way joins do not support multiple occurrences of the same source. \
                         Source: '{}'.",
                        source.name
                    )
                } else {
                    format!(
                        "Can not join '{}' to '{}': self joins are not yet supported.",
                        source.name, first.source
                    )
                };
                return Err(Diagnostic::error(aliased.span, message));
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

    /// `sink_properties`: the WITH clause of the sink a CREATE … AS SELECT creates.
    pub(super) fn select(
        &self,
        query: &Query,
        sink: &str,
        sink_properties: Option<&sql::Properties>,
    ) -> R<Selected> {
        check_qualifiers(query)?;
        let (inputs, mut scope) = self.inputs(query)?;
        let window = query.window.as_ref().map(window_spec);
        // ksqlDB resolves WINDOWSTART/WINDOWEND of a windowed aggregation only over a single
        // source: over a join they are unknown columns.
        scope.window_bounds = window.is_some() && scope.sides.len() == 1;
        scope.window_bounds_unknown = window.is_some() && scope.sides.len() > 1;
        let (joins, join_key) = self.joins(query, &scope)?;
        super::select_items::check_select_items(query, &scope)?;
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
        let bare_star = query
            .select
            .iter()
            .any(|i| matches!(i, SelectItem::Wildcard { .. }));
        if bare_star
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
                query,
                sink,
                inputs,
                joins,
                filter,
                group_by,
                window,
                aggregates,
                having,
                items,
                &scope,
                sink_properties,
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
        if partition_by.len() > 1 && partition_by.iter().any(super::expr::is_null) {
            return Err(Diagnostic::error(
                query.partition_by[0].span,
                "Cannot PARTITION BY multiple columns including NULL",
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
            let foreign_key = joins
                .last()
                .is_some_and(|j| j.join_type == super::JoinType::ForeignKey);
            if foreign_key {
                foreign_key_columns(join_key, &scope, &items, sink)?
            } else {
                vec![join_key]
            }
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
        // ksqlDB's new query planner lets a plain projection drop the source's key columns
        // altogether: the result is then a stream without key.
        let drops_keys = kind == "key column"
            && self.catalog.property("ksql.new.query.planner.enabled") == Some("true")
            && !keys
                .iter()
                .any(|k| items.iter().any(|i| k.candidates.contains(&i.expr)));
        let keys = if drops_keys { Vec::new() } else { keys };
        self.check_sink_timestamp(sink_properties, &items)?;
        let (mut projection, output) = assign_keys(sink, items, &keys, kind, &scope)?;
        if partition_by.is_empty() && !joins.is_empty() {
            // A join's result is keyed by the join key: its key column reads that, whichever
            // side's join column it names, even where that side is missing.
            for (j, column) in projection.iter_mut().filter(|c| c.key).enumerate() {
                column.expr = join_key_marker(j, column.expr.ty.clone());
            }
        }
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
}

/// ksqlDB's `AstBuilder` refuses a column qualified by a name that is neither a source nor
/// an alias of the query while it builds the statement, before any source is looked up or
/// any column resolved: the first such qualifier in the text is the error.
pub(super) fn check_qualifiers(query: &Query) -> R<()> {
    let names: Vec<&str> = std::iter::once(&query.from)
        .chain(query.joins.iter().map(|j| &j.source))
        .map(|s| s.alias.as_ref().unwrap_or(&s.name).value.as_str())
        .collect();
    let mut stack: Vec<&sql::Expr> = query
        .select
        .iter()
        .filter_map(|item| match item {
            SelectItem::Expr { expr, .. } | SelectItem::StructWildcard { base: expr, .. } => {
                Some(expr)
            }
            _ => None,
        })
        .chain(query.joins.iter().map(|j| &j.on))
        .chain(query.where_clause.iter())
        .chain(query.group_by.iter())
        .chain(query.partition_by.iter())
        .chain(query.having.iter())
        .collect();
    let mut unknown: Option<&sql::Ident> = None;
    while let Some(expr) = stack.pop() {
        if let sql::ExprKind::Column {
            qualifier: Some(q), ..
        } = &expr.kind
            && !names.contains(&q.value.as_str())
            && unknown.is_none_or(|u| q.span.start < u.span.start)
        {
            unknown = Some(q);
        }
        stack.extend(expr.children());
    }
    match unknown {
        Some(q) => {
            let help = match suggest(&q.value, names.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("the query's sources are {}", names.join(", ")),
            };
            Err(Diagnostic::error(
                q.span,
                format!("'{}' is not a valid stream/table name or alias.", q.value),
            )
            .with_help(help))
        }
        None => Ok(()),
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

/// ksqlDB's `FilterTypeValidator` prefixes the errors of typing a WHERE or HAVING expression
/// (comparisons, arithmetic, function resolution, a column its source's schema lacks);
/// the analyzer's unresolved columns come earlier, unprefixed.
fn prefix(mut d: Diagnostic, text: &str) -> Diagnostic {
    let typing = [
        "Cannot compare",
        "Error processing expression",
        "Function '",
        "Unknown column ",
    ];
    if typing.iter().any(|t| d.message.starts_with(t)) {
        d.message = format!("{text}{}", d.message);
    }
    d
}

/// The expression text ksqlDB prints in key messages: columns qualified by their source.
pub(super) fn qualified_text(expr: &sql::Expr, scope: &Scope) -> String {
    if scope.is_join() {
        return expr_text(expr);
    }
    super::naming::qualified_text(expr, &|name| scope.only_source_of(name))
}

/// A foreign-key join's result is keyed by the left table's primary key: one key column per
/// primary key column, each of which the projection must select.
fn foreign_key_columns(key: KeyExpr, scope: &Scope, items: &[Item], sink: &str) -> R<Vec<KeyExpr>> {
    let left = &scope.sides[0];
    let mut keys = Vec::new();
    let mut missing = Vec::new();
    for candidate in key.candidates {
        let name = match candidate.kind {
            crate::expr::ExprKind::Column {
                column: ColumnRef::Input { index, .. },
            } => left
                .schema
                .columns
                .get(index as usize)
                .map(|c| c.name.clone())
                .unwrap_or_default(),
            _ => String::new(),
        };
        if !items.iter().any(|i| i.expr == candidate) {
            missing.push(name.clone());
        }
        keys.push(KeyExpr {
            ty: candidate.ty.clone(),
            candidates: vec![candidate],
            texts: vec![name],
            synthetic: false,
        });
    }
    if !missing.is_empty() {
        // ksqlDB's `JoinNode.throwMissingKeyColumnForFkJoinException`: every missing column,
        // the left table by its alias.
        let (noun, listed): (&str, Vec<String>) = (
            if missing.len() == 1 {
                "column"
            } else {
                "columns"
            },
            missing.iter().map(|n| format!("`{n}`")).collect(),
        );
        let span = items.first().map(|i| i.span).unwrap_or_default();
        return Err(Diagnostic::error(
            span,
            format!(
                "Primary key {noun} missing in projection. For foreign-key table-table joins, \
                 the projection must include all primary key columns from the left input table \
                 (`{}`). Missing {noun}: {}.",
                left.alias,
                listed.join(", ")
            ),
        )
        .with_help(format!(
            "add {} to the SELECT list of {sink}",
            super::naming::and_list(&missing)
        )));
    }
    Ok(keys)
}
