//! `GROUP BY`, `WINDOW` and `HAVING`: the grouping expressions become the key of the result
//! table; select and `HAVING` expressions are rewritten over group keys and aggregate results
//! (columns outside both are ksqlDB's "non-aggregate … not part of GROUP BY" error); the key
//! of a windowed aggregation is windowed. It must not plan the aggregation.

use super::catalog::{KeyWindow, SourceType};
use super::expr::{AggregateCall, is_null};
use super::keys::{KeyExpr, assign_keys};
use super::naming::{expr_text, joined_text, unqualified_text};
use super::query::{AnalyzedJoin, Item, QueryInput, Selected, WindowSpec};
use super::scope::Scope;
use super::{Analyzer, R};
use crate::expr::{ColumnRef, ExprKind, SystemColumn, TypedExpr};
use crate::sql::{self, Diagnostic, Query, SelectItem, Span};
use crate::types::SqlType;

/// Rewrites `expr` over group keys and aggregate results; input columns outside any group key
/// are collected in `bad`.
fn post_aggregation(
    expr: TypedExpr,
    keys: &[TypedExpr],
    scope: &Scope,
    bad: &mut Vec<String>,
) -> TypedExpr {
    if let Some(j) = keys.iter().position(|k| *k == expr) {
        return TypedExpr::column(ColumnRef::GroupKey { index: j as u32 }, expr.ty);
    }
    match &expr.kind {
        ExprKind::Column {
            column: ColumnRef::Input { side, index },
        } => {
            let name = scope.sides[*side as usize].schema.columns[*index as usize]
                .name
                .clone();
            bad.push(if scope.is_join() {
                scope.output_name(*side as usize, &name)
            } else {
                name
            });
            expr
        }
        ExprKind::Column {
            column: ColumnRef::System { column, .. },
        } => {
            if !matches!(column, SystemColumn::Windowstart | SystemColumn::Windowend) {
                bad.push(column.name().to_string());
            }
            expr
        }
        _ => expr
            .try_map_children::<()>(&mut |child| Ok(post_aggregation(child, keys, scope, bad)))
            .unwrap_or_else(|()| TypedExpr::literal(crate::expr::Literal::Null, SqlType::String)),
    }
}

/// The text of the select expression at `span`, as ksqlDB prints it; `None` for a star's
/// columns.
fn select_text(query: &Query, span: Span) -> Option<String> {
    query.select.iter().find_map(|item| match item {
        SelectItem::Expr { expr, span: at, .. } if *at == span => Some(expr_text(expr)),
        _ => None,
    })
}

impl Analyzer<'_> {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn aggregated(
        &self,
        query: &Query,
        sink: &str,
        inputs: Vec<QueryInput>,
        joins: Vec<AnalyzedJoin>,
        filter: Option<TypedExpr>,
        group_by: Vec<TypedExpr>,
        window: Option<WindowSpec>,
        aggregates: Vec<AggregateCall>,
        having: Option<(TypedExpr, Span)>,
        items: Vec<Item>,
        scope: &Scope,
        sink_properties: Option<&sql::Properties>,
    ) -> R<Selected> {
        // ksqlDB's `Analyzer.addDummyGroupbyForUdafs`: aggregate calls without GROUP BY group
        // by a constant, so the select expressions are checked against an empty grouping
        // first, and `AggregateNode.validateKeyPresent` refuses the constant key after.
        let ungrouped = group_by.is_empty();
        if !ungrouped && aggregates.is_empty() {
            return Err(Diagnostic::error(
                query.group_by[0].span,
                "GROUP BY requires aggregate functions in either the SELECT or HAVING clause.",
            ));
        }
        if !query.partition_by.is_empty() {
            return Err(Diagnostic::error(
                query.partition_by[0].span,
                "PARTITION BY and GROUP BY in the same query are not supported.",
            ));
        }
        // ksqlDB's `AggregateAnalyzer` names each select expression that reads a column
        // outside the grouping, as written (a star's columns by name).
        let mut bad_items: Vec<String> = Vec::new();
        let mut bad_span = None;
        let mut rewritten = Vec::new();
        for item in items {
            let mut bad = Vec::new();
            let expr = post_aggregation(item.expr, &group_by, scope, &mut bad);
            if !bad.is_empty() {
                bad_span.get_or_insert(item.span);
                let text = select_text(query, item.span).unwrap_or_else(|| item.name.clone());
                if !bad_items.contains(&text) {
                    bad_items.push(text);
                }
            }
            rewritten.push(Item { expr, ..item });
        }
        if !bad_items.is_empty() {
            return Err(Diagnostic::error(
                bad_span.unwrap_or(query.span),
                format!(
                    "Non-aggregate SELECT expression(s) not part of GROUP BY: {}\n\
                     Either add the column(s) to the GROUP BY or remove them from the SELECT.",
                    bad_items.join(", ")
                ),
            ));
        }
        let having = match having {
            Some((h, span)) => {
                let mut bad = Vec::new();
                let h = post_aggregation(h, &group_by, scope, &mut bad);
                if !bad.is_empty() {
                    return Err(Diagnostic::error(
                        span,
                        format!(
                            "Non-aggregate HAVING expression not part of GROUP BY: {}",
                            bad.join(", ")
                        ),
                    ));
                }
                if h.ty != SqlType::Boolean && !is_null(&h) {
                    return Err(Diagnostic::error(
                        span,
                        format!(
                            "Type error in HAVING expression: Should evaluate to boolean but is {} instead.",
                            h.ty
                        ),
                    ));
                }
                Some(h)
            }
            None => None,
        };
        if ungrouped {
            let calls = aggregate_call_texts(query, scope);
            return Err(Diagnostic::error(
                query.span,
                format!(
                    "CREATE TABLE AS SELECT statement does not support aggregate function [{}] \
                     without a GROUP BY clause.",
                    calls.join(", ")
                ),
            )
            .with_help("add a GROUP BY clause"));
        }
        let keys: Vec<KeyExpr> = group_by
            .iter()
            .zip(&query.group_by)
            .enumerate()
            .map(|(j, (g, ast))| KeyExpr {
                candidates: vec![TypedExpr::column(
                    ColumnRef::GroupKey { index: j as u32 },
                    g.ty.clone(),
                )],
                texts: vec![expr_text(ast)],
                ty: g.ty.clone(),
                synthetic: false,
            })
            .collect();
        self.check_sink_timestamp(sink_properties, &rewritten)?;
        let (projection, output) =
            assign_keys(sink, rewritten, &keys, "grouping expression", scope)?;
        let output_window = window.map(|w| KeyWindow {
            window_type: w.window_type,
            size_ms: match w.window_type {
                super::catalog::WindowType::Session => None,
                _ => Some(w.size_ms),
            },
        });
        Ok(Selected {
            inputs,
            joins,
            filter,
            table_functions: Vec::new(),
            partition_by: Vec::new(),
            group_by,
            window,
            aggregates,
            having,
            projection,
            output,
            result_type: SourceType::Table,
            output_window,
        })
    }
}

/// The aggregate calls of the select list and HAVING, in order, as ksqlDB's `AggregateNode`
/// lists them: after its planner's rewrite, columns unqualified (a join's as `L_A`), and a
/// call without arguments counting `ROWTIME`.
fn aggregate_call_texts(query: &Query, scope: &Scope) -> Vec<String> {
    let registry = crate::functions::Registry::builtin();
    let mut calls = Vec::new();
    let mut roots: Vec<&sql::Expr> = query
        .select
        .iter()
        .filter_map(|item| match item {
            SelectItem::Expr { expr, .. } => Some(expr),
            _ => None,
        })
        .collect();
    roots.extend(query.having.as_ref());
    let qualify = |name: &str| scope.only_source_of(name);
    let text = |e: &sql::Expr| {
        if scope.is_join() {
            joined_text(e, &qualify)
        } else {
            unqualified_text(e)
        }
    };
    let mut stack: Vec<&sql::Expr> = roots.into_iter().rev().collect();
    while let Some(expr) = stack.pop() {
        if let sql::ExprKind::Function { name, args, .. } = &expr.kind
            && registry.is_aggregate(&name.value)
        {
            let args: Vec<String> = args.iter().map(text).collect();
            let args = if args.is_empty() {
                "ROWTIME".to_string()
            } else {
                args.join(", ")
            };
            calls.push(format!("{}({args})", name.value.to_uppercase()));
            continue;
        }
        stack.extend(expr.children().into_iter().rev());
    }
    calls
}

/// The kind of state an aggregate function keeps between records when it is not a single
/// primitive (its `Udaf`'s aggregate type in ksqlDB): a STRUCT for AVG, the standard
/// deviations and variance, CORRELATION and the by-offset functions; an ARRAY for TOPK,
/// TOPKDISTINCT, COLLECT_LIST, COLLECT_SET, ATTR, COUNT_DISTINCT and the by-offset functions
/// that keep several values; a MAP for HISTOGRAM. Only the outer type matters here: it is what
/// a format may be unable to hold.
fn intermediate_type(call: &AggregateCall) -> Option<SqlType> {
    let array = SqlType::Array(Box::new(SqlType::Int));
    let strukt = SqlType::Struct(Vec::new());
    match call.function.name.to_uppercase().as_str() {
        "AVG" | "STDDEV_SAMP" | "STDDEV_SAMPLE" | "VAR_SAMP" | "CORRELATION" => Some(strukt),
        "EARLIEST_BY_OFFSET" | "LATEST_BY_OFFSET" if call.args.len() > 1 => Some(array),
        "EARLIEST_BY_OFFSET" | "LATEST_BY_OFFSET" => Some(strukt),
        "TOPK" | "TOPKDISTINCT" | "COLLECT_LIST" | "COLLECT_SET" | "ATTR" | "COUNT_DISTINCT" => {
            Some(array)
        }
        "HISTOGRAM" => Some(SqlType::Map(
            Box::new(SqlType::String),
            Box::new(SqlType::Bigint),
        )),
        _ => None,
    }
}

/// ksqlDB's `MaterializationUtil`: an aggregation keeps its state in the value format of its
/// leftmost source (`AggregateNode`), and refuses an aggregate whose state that format cannot
/// hold, before it builds the sink.
pub(super) fn check_intermediate_types(
    aggregates: &[AggregateCall],
    format: crate::format::Format,
    span: Span,
) -> R<()> {
    if aggregates
        .iter()
        .filter_map(intermediate_type)
        .any(|ty| !format.supports_type(&ty))
    {
        return Err(Diagnostic::error(
            span,
            "One of the functions used in the statement has an intermediate type that the value \
             format can not handle. Please remove the function or change the format.\n\
             Consider up-voting https://github.com/confluentinc/ksql/issues/3950, which will \
             resolve this limitation",
        ));
    }
    Ok(())
}
