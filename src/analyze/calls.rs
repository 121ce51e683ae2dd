//! Function calls: registry lookup with did-you-mean, argument typing (lambdas last, once
//! their parameter types are known), overload resolution, and the collection of aggregate and
//! table function calls. Part of [`super::expr::Typer`].

use super::R;
use super::expr::{AggregateCall, TableFunctionCall, Typer, is_null};
use crate::expr::{ColumnRef, ExprKind, FunctionRef, TypedExpr};
use crate::functions::{ArgType, FunctionKind, extra, resolve::lambda_inputs, resolve::resolve};
use crate::sql::{self, Expr, ExprKind as Ast, Span};
use crate::types::SqlType;

impl Typer<'_> {
    pub(super) fn call(&mut self, name: &sql::Ident, args: &[Expr], span: Span) -> R<TypedExpr> {
        let Some(function) = self.registry.get(&name.value) else {
            let mut d = self.err(
                name.span,
                format!("Can't find any functions with the name '{}'", name.value),
            );
            if let Some(s) = sql::suggest(&name.value, self.registry.names()) {
                d = d.with_help(format!("did you mean `{s}`?"));
            }
            return Err(d);
        };
        // ksqlDB's grammar reads `F(*)` as a call without arguments (`AstBuilder`), and so
        // does weir's parser (`star` with no arguments): `*` resolves as `()`, which COUNT
        // accepts and other functions report as `does not accept parameters ()`.
        let kind = function.kind;
        match kind {
            FunctionKind::Aggregate => {
                if self.aggregates.is_none() || self.in_aggregate.is_some() {
                    // ksqlDB type-checks WHERE (`FilterTypeValidator`) before its aggregate
                    // analysis looks at it: errors in the arguments come first.
                    if self.clause == "WHERE" {
                        self.type_args(function, args)?;
                    }
                    return Err(self.err(span, self.aggregate_misplaced(function.name)));
                }
            }
            FunctionKind::Table => {
                if self.table_functions.is_none() {
                    return Err(self.err(
                        span,
                        format!(
                            "Table functions can only be used in the SELECT clause: {}",
                            function.name
                        ),
                    ));
                }
            }
            FunctionKind::Scalar => {}
        }
        let was_in_aggregate = self.in_aggregate;
        if kind == FunctionKind::Aggregate {
            self.in_aggregate = Some(function.name);
        }
        let typed_args = self.type_args(function, args);
        self.in_aggregate = was_in_aggregate;
        let typed_args = typed_args?;
        let arg_types: Vec<ArgType> = typed_args
            .iter()
            .map(|(t, a)| match (t, a) {
                (Some(t), _) if is_null(t) => ArgType::Null,
                (_, a) => a.clone(),
            })
            .collect();
        let resolved = resolve(function, &arg_types).map_err(|e| self.err(span, e.to_string()))?;
        let mut final_args = Vec::new();
        for ((typed, _), param) in typed_args.into_iter().zip(&resolved.params) {
            let Some(typed) = typed else { continue };
            final_args.push(match param {
                Some(p) => self.coerce(typed, p, span)?,
                None => typed,
            });
        }
        let function_ref = FunctionRef {
            name: function.name.to_string(),
            signature: resolved.signature,
            params: resolved
                .params
                .iter()
                .map(|p| p.clone().unwrap_or(SqlType::Bigint))
                .collect(),
        };
        let ty = resolved.returns;
        Ok(match kind {
            FunctionKind::Scalar => TypedExpr::new(
                ty,
                ExprKind::Call {
                    function: function_ref,
                    args: final_args,
                },
            ),
            FunctionKind::Aggregate => {
                // The arguments a UDAF takes once, at creation (ksqlDB's `@UdafFactory`
                // parameters): all after the first, but for TOPK only its last, `k`, as the
                // columns before it vary by row.
                // An extra aggregate declares which of its parameters are such.
                let first_literal = match function.name {
                    "TOPK" | "TOPKDISTINCT" => final_args.len().saturating_sub(1).max(1),
                    "LATEST_BY_OFFSET" | "EARLIEST_BY_OFFSET" | "COLLECT_LIST" | "COLLECT_SET" => 1,
                    _ => final_args.len(),
                };
                let constant =
                    extra::aggregate_constants(function.name, resolved.signature, final_args.len())
                        .unwrap_or_else(|| {
                            (0..final_args.len()).map(|i| i >= first_literal).collect()
                        });
                for (i, arg) in final_args.iter().enumerate() {
                    if constant.get(i) == Some(&true)
                        && !matches!(arg.kind, ExprKind::Literal { .. })
                        && !matches!(&arg.kind, ExprKind::Cast { operand } if matches!(operand.kind, ExprKind::Literal { .. }))
                    {
                        let text = args.get(i).map(|a| self.text(a)).unwrap_or_default();
                        return Err(self.err(span, format!(
                            "Parameter {} passed to function {} must be a literal constant, but was expression: '{}'",
                            i + 1, function.name, text
                        )));
                    }
                }
                let call = AggregateCall {
                    function: function_ref,
                    args: final_args,
                    ty: ty.clone(),
                };
                let list = self.aggregates.as_deref_mut().expect("checked above");
                let index = match list.iter().position(|c| *c == call) {
                    Some(i) => i,
                    None => {
                        list.push(call);
                        list.len() - 1
                    }
                };
                TypedExpr::column(
                    ColumnRef::Aggregate {
                        index: index as u32,
                    },
                    ty,
                )
            }
            FunctionKind::Table => {
                let call = TableFunctionCall {
                    function: function_ref,
                    args: final_args,
                    ty: ty.clone(),
                };
                let list = self.table_functions.as_deref_mut().expect("checked above");
                list.push(call);
                TypedExpr::column(
                    ColumnRef::TableFunction {
                        index: (list.len() - 1) as u32,
                    },
                    ty,
                )
            }
        })
    }

    pub(super) fn aggregate_misplaced(&self, name: &str) -> String {
        match self.clause {
            "GROUP BY" => format!(
                "GROUP BY does not support aggregate functions: {name} is an aggregate function."
            ),
            "WHERE" => format!(
                "Aggregate functions can not be used in the WHERE clause: {name} is an aggregate function."
            ),
            "PARTITION BY" => format!(
                "PARTITION BY does not support aggregate functions: {name} is an aggregate function."
            ),
            // ksqlDB's `AggregateAnalyzer`: the outer call around the inner one's name.
            _ if let Some(outer) = self.in_aggregate => {
                format!("Aggregate functions can not be nested: {outer}({name}())")
            }
            _ => format!("Use of aggregate function {name} requires a GROUP BY clause."),
        }
    }

    /// Types the arguments; lambdas after the others, once their parameter types are known.
    pub(super) fn type_args(
        &mut self,
        function: &crate::functions::FunctionDescriptor,
        args: &[Expr],
    ) -> R<Vec<(Option<TypedExpr>, ArgType)>> {
        let mut out: Vec<(Option<TypedExpr>, ArgType)> = Vec::new();
        for arg in args {
            out.push(match &arg.kind {
                Ast::Lambda { params, .. } => (
                    None,
                    ArgType::Lambda {
                        arity: params.len(),
                        body: None,
                    },
                ),
                Ast::TimeUnit(_) => (Some(self.type_expr(arg)?), ArgType::Unit),
                _ => {
                    let t = self.type_expr(arg)?;
                    let a = if is_null(&t) {
                        ArgType::Null
                    } else {
                        ArgType::Type(t.ty.clone())
                    };
                    (Some(t), a)
                }
            });
        }
        for (i, arg) in args.iter().enumerate() {
            let Ast::Lambda { params, body } = &arg.kind else {
                continue;
            };
            let types: Vec<ArgType> = out.iter().map(|(_, a)| a.clone()).collect();
            let Some(inputs) = lambda_inputs(function, &types, i) else {
                return Err(self.err(
                    arg.span,
                    format!(
                        "Function '{}' does not accept a lambda with {} parameter(s) here",
                        function.name,
                        params.len()
                    ),
                ));
            };
            self.lambdas.push(
                params
                    .iter()
                    .map(|p| p.value.clone())
                    .zip(inputs.iter().cloned())
                    .collect(),
            );
            let body = self.type_expr(body);
            self.lambdas.pop();
            let body = body?;
            out[i] = (
                Some(TypedExpr::new(
                    body.ty.clone(),
                    ExprKind::Lambda {
                        params: inputs,
                        body: Box::new(body.clone()),
                    },
                )),
                ArgType::Lambda {
                    arity: params.len(),
                    body: Some(body.ty),
                },
            );
        }
        Ok(out)
    }
}
