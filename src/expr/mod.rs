//! Typed expressions: what the analyzer makes of every expression of a query, and what the
//! engine compiles (in `expr/compile.rs`, owned by the engine) into an evaluator. Every node
//! carries its [`SqlType`]; column references are positions (which input, which column), never
//! names; function calls name a resolved function and the signature overload resolution
//! chose; literals are typed data convertible to [`Value`]. This module is pure plan data:
//! serde-serializable, `PartialEq`, with no evaluation code and no name lookups left to do.

pub mod compile;
pub mod functions;
mod integer;
pub mod lambda;
mod operator_nodes;
pub mod operators;

use serde::{Deserialize, Serialize};

use crate::types::{ArithmeticOp, SqlType, Value};

/// An expression with its result type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TypedExpr {
    pub ty: SqlType,
    pub kind: ExprKind,
}

/// Where a column comes from, by position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "ref", rename_all = "camelCase")]
pub enum ColumnRef {
    /// Column `index` of the schema (key columns, then value and header columns, as declared)
    /// of input `side` (0 = `FROM`, 1.. = the joins in order).
    Input { side: u16, index: u32 },
    /// A system column of input `side`.
    System { side: u16, column: SystemColumn },
    /// After `GROUP BY`: the `index`-th grouping expression.
    GroupKey { index: u32 },
    /// After `GROUP BY`: the result of the `index`-th aggregate call of the query.
    Aggregate { index: u32 },
    /// The `index`-th column produced by the query's table functions (after `FlatMap`).
    TableFunction { index: u32 },
    /// A lambda parameter, by de Bruijn-free position: `depth` counts enclosing lambdas from the
    /// outermost (0), `index` is the parameter's position in its lambda.
    LambdaParam { depth: u16, index: u16 },
}

/// Pseudo columns every record has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SystemColumn {
    Rowtime,
    Rowpartition,
    Rowoffset,
    Windowstart,
    Windowend,
}

impl SystemColumn {
    pub fn name(self) -> &'static str {
        match self {
            SystemColumn::Rowtime => "ROWTIME",
            SystemColumn::Rowpartition => "ROWPARTITION",
            SystemColumn::Rowoffset => "ROWOFFSET",
            SystemColumn::Windowstart => "WINDOWSTART",
            SystemColumn::Windowend => "WINDOWEND",
        }
    }

    pub fn from_name(name: &str) -> Option<SystemColumn> {
        Some(match name {
            "ROWTIME" => SystemColumn::Rowtime,
            "ROWPARTITION" => SystemColumn::Rowpartition,
            "ROWOFFSET" => SystemColumn::Rowoffset,
            "WINDOWSTART" => SystemColumn::Windowstart,
            "WINDOWEND" => SystemColumn::Windowend,
            _ => return None,
        })
    }

    pub fn sql_type(self) -> SqlType {
        match self {
            SystemColumn::Rowpartition => SqlType::Int,
            _ => SqlType::Bigint,
        }
    }
}

/// A literal as typed data. Decimals keep their exact text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "lit", content = "v", rename_all = "camelCase")]
pub enum Literal {
    Null,
    Boolean(bool),
    Int(i32),
    Bigint(i64),
    Double(f64),
    Decimal(String),
    String(String),
}

impl Literal {
    /// The runtime value of the literal (`Null` for a decimal text that does not parse).
    pub fn to_value(&self) -> Value {
        match self {
            Literal::Null => Value::Null,
            Literal::Boolean(b) => Value::Boolean(*b),
            Literal::Int(i) => Value::Int(*i),
            Literal::Bigint(i) => Value::Bigint(*i),
            Literal::Double(d) => Value::Double(*d),
            Literal::Decimal(text) => crate::types::decimal::parse_decimal(text)
                .map(Value::Decimal)
                .unwrap_or(Value::Null),
            Literal::String(s) => Value::string(s.as_str()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Comparison {
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
    /// `IS DISTINCT FROM`
    Distinct,
    /// `IS NOT DISTINCT FROM`
    NotDistinct,
}

impl Comparison {
    /// ksqlDB's name of the operator in messages (`GREATER_THAN_OR_EQUAL`).
    pub fn ksql_name(self) -> &'static str {
        match self {
            Comparison::Eq => "EQUAL",
            Comparison::NotEq => "NOT_EQUAL",
            Comparison::Lt => "LESS_THAN",
            Comparison::LtEq => "LESS_THAN_OR_EQUAL",
            Comparison::Gt => "GREATER_THAN",
            Comparison::GtEq => "GREATER_THAN_OR_EQUAL",
            Comparison::Distinct => "IS_DISTINCT_FROM",
            Comparison::NotDistinct => "IS_NOT_DISTINCT_FROM",
        }
    }
}

/// A function chosen by overload resolution: its registry name and the index of the
/// signature in its descriptor, plus the parameter types the arguments are cast to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FunctionRef {
    pub name: String,
    pub signature: u32,
    /// The declared parameter types after generics were bound, one per argument.
    pub params: Vec<SqlType>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "expr", rename_all = "camelCase")]
pub enum ExprKind {
    Literal {
        value: Literal,
    },
    Column {
        column: ColumnRef,
    },
    /// `base->field`, by field position.
    Field {
        base: Box<TypedExpr>,
        index: u32,
    },
    /// `base[index]` on an ARRAY (1-based, negative from the end) or a MAP (by key).
    Subscript {
        base: Box<TypedExpr>,
        index: Box<TypedExpr>,
    },
    Negate {
        operand: Box<TypedExpr>,
    },
    Not {
        operand: Box<TypedExpr>,
    },
    /// Arithmetic; operands keep their own types, the node's type is the result type.
    Arithmetic {
        op: ArithmeticOp,
        left: Box<TypedExpr>,
        right: Box<TypedExpr>,
    },
    Compare {
        op: Comparison,
        left: Box<TypedExpr>,
        right: Box<TypedExpr>,
    },
    And {
        left: Box<TypedExpr>,
        right: Box<TypedExpr>,
    },
    Or {
        left: Box<TypedExpr>,
        right: Box<TypedExpr>,
    },
    IsNull {
        operand: Box<TypedExpr>,
        negated: bool,
    },
    Between {
        operand: Box<TypedExpr>,
        low: Box<TypedExpr>,
        high: Box<TypedExpr>,
        negated: bool,
    },
    InList {
        operand: Box<TypedExpr>,
        list: Vec<TypedExpr>,
        negated: bool,
    },
    Like {
        operand: Box<TypedExpr>,
        pattern: Box<TypedExpr>,
        escape: Option<char>,
        negated: bool,
    },
    /// Searched `CASE`; a simple `CASE x WHEN v` is rewritten to `WHEN x = v`.
    Case {
        whens: Vec<(TypedExpr, TypedExpr)>,
        otherwise: Option<Box<TypedExpr>>,
    },
    /// `CAST(operand AS ty)`; also inserted for implicit widening.
    Cast {
        operand: Box<TypedExpr>,
    },
    Array {
        elements: Vec<TypedExpr>,
    },
    Map {
        entries: Vec<(TypedExpr, TypedExpr)>,
    },
    Struct {
        fields: Vec<(String, TypedExpr)>,
    },
    /// A scalar function call.
    Call {
        function: FunctionRef,
        args: Vec<TypedExpr>,
    },
    /// A lambda argument; its parameters are read with [`ColumnRef::LambdaParam`].
    Lambda {
        params: Vec<SqlType>,
        body: Box<TypedExpr>,
    },
    /// A time unit passed as an argument (`TIMESTAMPADD(SECONDS, …)`), in milliseconds.
    TimeUnit {
        millis: u64,
    },
}

impl TypedExpr {
    pub fn new(ty: SqlType, kind: ExprKind) -> TypedExpr {
        TypedExpr { ty, kind }
    }

    pub fn literal(value: Literal, ty: SqlType) -> TypedExpr {
        TypedExpr::new(ty, ExprKind::Literal { value })
    }

    pub fn column(column: ColumnRef, ty: SqlType) -> TypedExpr {
        TypedExpr::new(ty, ExprKind::Column { column })
    }

    /// Wraps in a cast to `ty` unless already of that type.
    pub fn cast_to(self, ty: &SqlType) -> TypedExpr {
        if self.ty == *ty {
            self
        } else {
            TypedExpr::new(
                ty.clone(),
                ExprKind::Cast {
                    operand: Box::new(self),
                },
            )
        }
    }

    /// Every column this expression reads, in visit order.
    pub fn columns(&self, out: &mut Vec<ColumnRef>) {
        if let ExprKind::Column { column } = &self.kind {
            out.push(*column);
        }
        self.for_each_child(&mut |child| child.columns(out));
    }

    /// A copy with each direct child replaced by `map(child)`; the first error stops it.
    pub fn try_map_children<E>(
        self,
        map: &mut dyn FnMut(TypedExpr) -> Result<TypedExpr, E>,
    ) -> Result<TypedExpr, E> {
        let kind = match self.kind {
            k
            @ (ExprKind::Literal { .. } | ExprKind::Column { .. } | ExprKind::TimeUnit { .. }) => k,
            ExprKind::Field { base, index } => ExprKind::Field {
                base: bx(base, map)?,
                index,
            },
            ExprKind::Subscript { base, index } => ExprKind::Subscript {
                base: bx(base, map)?,
                index: bx(index, map)?,
            },
            ExprKind::Negate { operand } => ExprKind::Negate {
                operand: bx(operand, map)?,
            },
            ExprKind::Not { operand } => ExprKind::Not {
                operand: bx(operand, map)?,
            },
            ExprKind::IsNull { operand, negated } => ExprKind::IsNull {
                operand: bx(operand, map)?,
                negated,
            },
            ExprKind::Cast { operand } => ExprKind::Cast {
                operand: bx(operand, map)?,
            },
            ExprKind::Arithmetic { op, left, right } => ExprKind::Arithmetic {
                op,
                left: bx(left, map)?,
                right: bx(right, map)?,
            },
            ExprKind::Compare { op, left, right } => ExprKind::Compare {
                op,
                left: bx(left, map)?,
                right: bx(right, map)?,
            },
            ExprKind::And { left, right } => ExprKind::And {
                left: bx(left, map)?,
                right: bx(right, map)?,
            },
            ExprKind::Or { left, right } => ExprKind::Or {
                left: bx(left, map)?,
                right: bx(right, map)?,
            },
            ExprKind::Between {
                operand,
                low,
                high,
                negated,
            } => ExprKind::Between {
                operand: bx(operand, map)?,
                low: bx(low, map)?,
                high: bx(high, map)?,
                negated,
            },
            ExprKind::InList {
                operand,
                list,
                negated,
            } => ExprKind::InList {
                operand: bx(operand, map)?,
                list: list.into_iter().map(&mut *map).collect::<Result<_, _>>()?,
                negated,
            },
            ExprKind::Like {
                operand,
                pattern,
                escape,
                negated,
            } => ExprKind::Like {
                operand: bx(operand, map)?,
                pattern: bx(pattern, map)?,
                escape,
                negated,
            },
            ExprKind::Case { whens, otherwise } => ExprKind::Case {
                whens: whens
                    .into_iter()
                    .map(|(w, t)| Ok((map(w)?, map(t)?)))
                    .collect::<Result<_, E>>()?,
                otherwise: otherwise.map(|o| bx(o, map)).transpose()?,
            },
            ExprKind::Array { elements } => ExprKind::Array {
                elements: elements
                    .into_iter()
                    .map(&mut *map)
                    .collect::<Result<_, _>>()?,
            },
            ExprKind::Map { entries } => ExprKind::Map {
                entries: entries
                    .into_iter()
                    .map(|(k, v)| Ok((map(k)?, map(v)?)))
                    .collect::<Result<_, E>>()?,
            },
            ExprKind::Struct { fields } => ExprKind::Struct {
                fields: fields
                    .into_iter()
                    .map(|(n, e)| Ok((n, map(e)?)))
                    .collect::<Result<_, E>>()?,
            },
            ExprKind::Call { function, args } => ExprKind::Call {
                function,
                args: args.into_iter().map(&mut *map).collect::<Result<_, _>>()?,
            },
            ExprKind::Lambda { params, body } => ExprKind::Lambda {
                params,
                body: bx(body, map)?,
            },
        };
        Ok(TypedExpr { ty: self.ty, kind })
    }

    /// Calls `visit` on each direct child.
    pub fn for_each_child(&self, visit: &mut dyn FnMut(&TypedExpr)) {
        match &self.kind {
            ExprKind::Literal { .. } | ExprKind::Column { .. } | ExprKind::TimeUnit { .. } => {}
            ExprKind::Field { base, .. } => visit(base),
            ExprKind::Subscript { base, index } => {
                visit(base);
                visit(index);
            }
            ExprKind::Negate { operand }
            | ExprKind::Not { operand }
            | ExprKind::IsNull { operand, .. }
            | ExprKind::Cast { operand } => visit(operand),
            ExprKind::Arithmetic { left, right, .. }
            | ExprKind::Compare { left, right, .. }
            | ExprKind::And { left, right }
            | ExprKind::Or { left, right } => {
                visit(left);
                visit(right);
            }
            ExprKind::Between {
                operand, low, high, ..
            } => {
                visit(operand);
                visit(low);
                visit(high);
            }
            ExprKind::InList { operand, list, .. } => {
                visit(operand);
                list.iter().for_each(&mut *visit);
            }
            ExprKind::Like {
                operand, pattern, ..
            } => {
                visit(operand);
                visit(pattern);
            }
            ExprKind::Case { whens, otherwise } => {
                for (when, then) in whens {
                    visit(when);
                    visit(then);
                }
                if let Some(e) = otherwise {
                    visit(e);
                }
            }
            ExprKind::Array { elements } => elements.iter().for_each(&mut *visit),
            ExprKind::Map { entries } => {
                for (k, v) in entries {
                    visit(k);
                    visit(v);
                }
            }
            ExprKind::Struct { fields } => fields.iter().for_each(|(_, e)| visit(e)),
            ExprKind::Call { args, .. } => args.iter().for_each(&mut *visit),
            ExprKind::Lambda { body, .. } => visit(body),
        }
    }
}

#[allow(clippy::boxed_local)]
fn bx<E>(
    e: Box<TypedExpr>,
    map: &mut dyn FnMut(TypedExpr) -> Result<TypedExpr, E>,
) -> Result<Box<TypedExpr>, E> {
    map(*e).map(Box::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_expressions_round_trip_through_json() {
        let expr = TypedExpr::new(
            SqlType::Bigint,
            ExprKind::Arithmetic {
                op: ArithmeticOp::Add,
                left: Box::new(TypedExpr::column(
                    ColumnRef::Input { side: 0, index: 1 },
                    SqlType::Int,
                )),
                right: Box::new(TypedExpr::literal(Literal::Bigint(1), SqlType::Bigint)),
            },
        );
        let json = serde_json::to_string(&expr).unwrap();
        let back: TypedExpr = serde_json::from_str(&json).unwrap();
        assert_eq!(back, expr);
        let mut cols = Vec::new();
        expr.columns(&mut cols);
        assert_eq!(cols, vec![ColumnRef::Input { side: 0, index: 1 }]);
    }
}
