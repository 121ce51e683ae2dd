//! `JOIN … ON … [WITHIN …]`: which inputs each join condition compares, the join operator it
//! needs (stream-stream, stream-table, table-table, foreign-key), ksqlDB's checks on each
//! (WITHIN only and always for stream-stream, joins on the table's primary key, no table-stream
//! order), and the key of the joined result: the join columns, or a synthetic `ROWKEY` when
//! the condition is on expressions or the join is FULL OUTER.

use super::Analyzer;
use super::R;
use super::catalog::{SourceType, WindowType};
use super::expr::Typer;
use super::keys::KeyExpr;
use super::naming::{expr_text, qualified_text};
use super::query::{AnalyzedJoin, JoinKind, JoinType};
use super::scope::Scope;
use crate::expr::{ColumnRef, ExprKind, TypedExpr};
use crate::sql::{self, BinaryOp, Diagnostic, Query};

pub(super) fn sides_of(expr: &TypedExpr) -> Vec<u16> {
    let mut columns = Vec::new();
    expr.columns(&mut columns);
    let mut sides: Vec<u16> = columns
        .iter()
        .filter_map(|c| match c {
            ColumnRef::Input { side, .. } | ColumnRef::System { side, .. } => Some(*side),
            _ => None,
        })
        .collect();
    sides.sort();
    sides.dedup();
    sides
}

fn is_column(expr: &TypedExpr) -> bool {
    matches!(
        expr.kind,
        ExprKind::Column {
            column: ColumnRef::Input { .. } | ColumnRef::System { .. }
        }
    )
}

/// The single key column of input `side`, as an expression.
fn primary_key(scope: &Scope, side: u16) -> Vec<TypedExpr> {
    scope.sides[side as usize]
        .schema
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| c.is_key())
        .map(|(i, c)| {
            TypedExpr::column(
                ColumnRef::Input {
                    side,
                    index: i as u32,
                },
                c.ty.clone(),
            )
        })
        .collect()
}

impl Analyzer<'_> {
    pub(super) fn joins(
        &self,
        query: &Query,
        scope: &Scope,
    ) -> R<(Vec<AnalyzedJoin>, Option<KeyExpr>)> {
        let mut joins = Vec::new();
        let mut key: Option<KeyExpr> = None;
        // Every expression equal to the current key (both sides of the joins on it).
        let mut equivalents: Vec<TypedExpr> = Vec::new();
        let mut left_type = scope.sides[0].source_type;
        super::join_criteria::check_criteria(scope, &query.joins)?;
        for (j, join) in query.joins.iter().enumerate() {
            let right_side = (j + 1) as u16;
            let on_text = expr_text(&join.on);
            let sql::ExprKind::Binary {
                op: BinaryOp::Eq,
                left,
                right,
            } = &join.on.kind
            else {
                return Err(Diagnostic::error(
                    join.on.span,
                    format!(
                        "Unsupported join expression: {on_text}. Joins support only an equality of one expression of each side"
                    ),
                ));
            };
            // ksqlDB's planner prints the condition as written, its columns qualified.
            let qualify = |name: &str| scope.only_source_of(name);
            let got = format!(
                "{} = {}",
                qualified_text(left, &qualify),
                qualified_text(right, &qualify)
            );
            let mut l = Typer::new(scope, "JOIN ON").type_expr(left)?;
            let mut r = Typer::new(scope, "JOIN ON").type_expr(right)?;
            let (mut l_ast, mut r_ast) = (left.as_ref(), right.as_ref());
            for (typed, ast) in [(&l, left), (&r, right)] {
                let sides = sides_of(typed);
                if sides.len() != 1 {
                    return Err(Diagnostic::error(
                        ast.span,
                        format!(
                            "Invalid comparison expression '{}' in join '{}'. Each side of the join comparision must contain references from exactly one source.",
                            expr_text(ast),
                            on_text
                        ),
                    ));
                }
            }
            let written_types = (l.ty.clone(), r.ty.clone());
            if sides_of(&l)[0] == right_side {
                std::mem::swap(&mut l, &mut r);
                std::mem::swap(&mut l_ast, &mut r_ast);
            }
            if sides_of(&r)[0] != right_side || sides_of(&l)[0] >= right_side {
                return Err(Diagnostic::error(
                    join.on.span,
                    format!(
                        "Invalid join condition: '{on_text}' must compare a column of {} with a column of an earlier source",
                        scope.sides[right_side as usize].alias
                    ),
                ));
            }
            if l.ty != r.ty {
                return Err(Diagnostic::error(
                    join.on.span,
                    format!(
                        "Invalid join condition: types don't match. Got {}{{{}}} = {}{{{}}}.",
                        qualified_text(left, &qualify),
                        written_types.0,
                        qualified_text(right, &qualify),
                        written_types.1,
                    ),
                ));
            }
            if let Some(d) = map_in_join_key(scope, &l, join.on.span) {
                return Err(d);
            }
            let right_type = scope.sides[right_side as usize].source_type;
            let windowed = scope.sides[right_side as usize].windowed;
            let keyed = |expr: &TypedExpr| {
                let side = sides_of(expr)[0];
                primary_key(scope, side) == vec![expr.clone()]
            };
            if windowed && (!keyed(&l) || !keyed(&r)) {
                return Err(Diagnostic::error(
                    join.on.span,
                    "Implicit repartitioning of windowed sources is not supported. See https://github.com/confluentinc/ksql/issues/4385.",
                ));
            }
            let left_side = &scope.sides[sides_of(&l)[0] as usize];
            let right = &scope.sides[right_side as usize];
            if left_side.windowed != right.windowed {
                // ksqlDB's `Analyzer.windowedNonWindowedJoinException`.
                let describe = |s: &super::scope::Side| {
                    let window = self
                        .catalog
                        .source(&s.source)
                        .and_then(|c| c.window)
                        .map_or("not", |w| window_type_text(w.window_type));
                    format!("`{}` is {window} windowed", s.alias)
                };
                return Err(Diagnostic::error(
                    join.span,
                    format!(
                        "Can not join windowed source to non-windowed source.\n{}\n{}",
                        describe(left_side),
                        describe(right)
                    ),
                ));
            }
            // Windowed keys of different windows are different keys: joining them would need
            // a repartition, which ksqlDB refuses for windowed sources. With Schema Registry key
            // formats on both sides ksqlDB allows it (the left side's key format wins).
            let source_of = |side: &super::scope::Side| self.catalog.source(&side.source);
            let registry_keys = [left_side, right].iter().all(|side| {
                source_of(side)
                    .is_some_and(|s| super::registry::supports_inference(s.key_format.format))
            });
            if left_side.windowed
                && !registry_keys
                && source_of(left_side).and_then(|s| s.window)
                    != source_of(right).and_then(|s| s.window)
            {
                return Err(Diagnostic::error(
                    join.on.span,
                    "Implicit repartitioning of windowed sources is not supported. See https://github.com/confluentinc/ksql/issues/4385.",
                )
                .with_help(format!(
                    "{} and {} have different windows; join sources with the same WINDOW_TYPE and WINDOW_SIZE",
                    left_side.source, right.source
                )));
            }
            let kind = match join.kind {
                sql::JoinKind::Inner => JoinKind::Inner,
                sql::JoinKind::Left => JoinKind::Left,
                sql::JoinKind::Right => JoinKind::Right,
                sql::JoinKind::Full => JoinKind::Full,
            };
            let join_type = match (left_type, right_type) {
                (SourceType::Stream, SourceType::Stream) => {
                    if join.within.is_none() {
                        return Err(Diagnostic::error(join.span, "Stream-Stream joins must have a WITHIN clause specified. None was provided. To learn about how to specify a WITHIN clause with a stream-stream join, please visit: https://docs.confluent.io/current/ksql/docs/syntax-reference.html#create-stream-as-select")
                            .with_help("add e.g. `WITHIN 1 HOUR` after the joined stream"));
                    }
                    JoinType::StreamStream
                }
                (SourceType::Stream, SourceType::Table) => {
                    if !matches!(kind, JoinKind::Inner | JoinKind::Left) {
                        return Err(Diagnostic::error(
                            join.span,
                            format!(
                                "Invalid join type: full-outer join not supported for stream-table join. Got {} {} {}.",
                                left_side.source,
                                join_type_text(kind),
                                right.source
                            ),
                        ));
                    }
                    if primary_key(scope, right_side) != vec![r.clone()] {
                        return Err(Diagnostic::error(
                            join.on.span,
                            format!(
                                "Invalid join condition: stream-table joins require to join on the table's primary key. Got {got}.",
                            ),
                        ));
                    }
                    JoinType::StreamTable
                }
                (SourceType::Table, SourceType::Stream) => {
                    return Err(Diagnostic::error(
                        join.span,
                        format!(
                            "Invalid join order: table-stream joins are not supported; only stream-table joins. Got {} {} {}.",
                            left_side.source,
                            join_type_text(kind),
                            right.source
                        ),
                    ));
                }
                (SourceType::Table, SourceType::Table) => {
                    if primary_key(scope, right_side) != vec![r.clone()] {
                        return Err(Diagnostic::error(
                            join.on.span,
                            format!(
                                "Invalid join condition: table-table joins require to join on the primary key of the right input table. Got {got}.",
                            ),
                        ));
                    }
                    let left_side = sides_of(&l)[0];
                    let on_left_key = (j == 0 && primary_key(scope, left_side) == vec![l.clone()])
                        || key.as_ref().is_some_and(|k| k.candidates.contains(&l));
                    if on_left_key {
                        JoinType::TableTable
                    } else {
                        if j > 0 {
                            return Err(Diagnostic::error(
                                join.on.span,
                                format!(
                                    "Invalid join condition: foreign-key table-table joins are not supported as part of n-way joins. Got {got}."
                                ),
                            ));
                        }
                        if !matches!(kind, JoinKind::Inner | JoinKind::Left) {
                            return Err(Diagnostic::error(
                                join.span,
                                "Invalid join type: foreign-key table-table joins only support INNER and LEFT joins.",
                            ));
                        }
                        JoinType::ForeignKey
                    }
                }
            };
            if join.within.is_some() && join_type != JoinType::StreamStream {
                let what = if join_type == JoinType::StreamTable {
                    "Stream-Table"
                } else {
                    "Table-Table"
                };
                return Err(Diagnostic::error(
                    join.span,
                    format!(
                        "A window definition was provided for a {what} join. These joins are not windowed. Please drop the window definition (ie. the WITHIN clause) and try to submit your query again."
                    ),
                ));
            }
            let within = join
                .within
                .as_ref()
                .map(|w| (w.before.millis, w.after.millis, w.grace.map(|g| g.millis)));
            // The key of the result so far.
            let mut candidates = Vec::new();
            let mut texts = Vec::new();
            // A FULL OUTER join's result is keyed by a synthetic ROWKEY that is none of its
            // join columns: a later join on one of them re-keys.
            let after_full = joins
                .last()
                .is_some_and(|p: &AnalyzedJoin| p.kind == JoinKind::Full);
            let keep = equivalents.contains(&l) && !after_full;
            if keep {
                if let Some(k) = key.take().filter(|k| !k.synthetic) {
                    candidates = k.candidates;
                    texts = k.texts;
                }
                equivalents.push(r.clone());
            } else {
                equivalents = vec![l.clone(), r.clone()];
            }
            if !keep && is_column(&l) {
                candidates.push(l.clone());
                texts.push(expr_text(l_ast));
            }
            if is_column(&r) {
                candidates.push(r.clone());
                texts.push(expr_text(r_ast));
            }
            key = Some(if join_type == JoinType::ForeignKey {
                let pk = primary_key(scope, 0);
                KeyExpr {
                    ty: pk.first().map(|p| p.ty.clone()).unwrap_or(l.ty.clone()),
                    texts: pk.iter().map(|_| scope.sides[0].alias.clone()).collect(),
                    candidates: pk,
                    synthetic: false,
                }
            } else if candidates.is_empty() || kind == JoinKind::Full {
                KeyExpr {
                    candidates: vec![l.clone()],
                    texts: vec![scope.synthetic_key_name()],
                    ty: l.ty.clone(),
                    synthetic: true,
                }
            } else {
                KeyExpr {
                    candidates,
                    texts,
                    ty: l.ty.clone(),
                    synthetic: false,
                }
            });
            joins.push(AnalyzedJoin {
                kind,
                join_type,
                right_side,
                left_key: l,
                right_key: r,
                within,
            });
            left_type = if left_type == SourceType::Table && right_type == SourceType::Table {
                SourceType::Table
            } else {
                SourceType::Stream
            };
        }
        Ok((joins, key))
    }
}

/// ksqlDB's `JoinNode.JoinType` text.
fn join_type_text(kind: JoinKind) -> &'static str {
    match kind {
        JoinKind::Inner => "[INNER] JOIN",
        JoinKind::Left => "LEFT [OUTER] JOIN",
        JoinKind::Right => "RIGHT [OUTER] JOIN",
        JoinKind::Full => "[FULL] OUTER JOIN",
    }
}

/// ksqlDB's `WindowType` names.
fn window_type_text(window_type: WindowType) -> &'static str {
    match window_type {
        WindowType::Tumbling => "TUMBLING",
        WindowType::Hopping => "HOPPING",
        WindowType::Session => "SESSION",
    }
}

/// A join on a column whose type holds a map: ksqlDB refuses the map as the key of the left
/// side's repartition, whose columns carry the join's names (`L_L0`), before the sink's key
/// is checked (`KeyFormatUtils` / `FormatFactory`'s key schema check, the message of
/// [`crate::format::FormatError::MapInKey`]).
fn map_in_join_key(scope: &Scope, left: &TypedExpr, span: sql::Span) -> Option<Diagnostic> {
    let ExprKind::Column {
        column: ColumnRef::Input { side, index },
    } = &left.kind
    else {
        return None;
    };
    if !left.ty.contains_map() {
        return None;
    }
    let column = scope
        .sides
        .get(*side as usize)?
        .schema
        .columns
        .get(*index as usize)?;
    let error = crate::format::FormatError::MapInKey {
        column: scope.output_name(*side as usize, &column.name),
        ty: left.ty.clone(),
    };
    Some(Diagnostic::error(span, error.to_string()))
}
