//! The lambda functions TRANSFORM, FILTER and REDUCE, over arrays and maps. A lambda body is
//! compiled once, like any expression, in a scope where its parameters are extra positions of
//! the evaluation [`Frame`]: at run time a call binds the parameters by copying them after the
//! enclosing lambdas' arguments into one buffer it reuses for every element, so no name is
//! looked up. NULL collections give NULL (REDUCE gives its initial state), as ksqlDB's UDFs.
//!
//! A map result is built as ksqlDB's `Transform` and `Filter` build it, with Java's
//! `Collectors.toMap`, which refuses a key made twice and a NULL value: the call fails (and
//! so evaluates to NULL, logged), where a plain map would keep one entry.

use super::compile::{CompileError, EvalError, Frame, Node, Scope, compile};
use super::{ExprKind, TypedExpr};
use crate::types::Value;
use crate::types::java_hash_map::{DEFAULT_CAPACITY, hash_map_order};

/// Compiles a call of a lambda function; `None` when `name` is not one.
pub(crate) fn compile_call(
    name: &str,
    args: &[TypedExpr],
    scope: &Scope<'_>,
) -> Result<Option<Node>, CompileError> {
    if !matches!(name, "TRANSFORM" | "FILTER" | "REDUCE") {
        return Ok(None);
    }
    let outer = scope.bound_params();
    let mut values = Vec::new();
    let mut lambdas = Vec::new();
    for arg in args {
        match &arg.kind {
            ExprKind::Lambda { params, body } => {
                let inner = scope.enter_lambda(params.len());
                lambdas.push(compile(body, &inner)?);
            }
            _ => values.push(compile(arg, scope)?),
        }
    }
    let (value_count, lambda_count) = (values.len(), lambdas.len());
    let shape_error = || CompileError::Unsupported {
        what: format!("{name} with {value_count} values and {lambda_count} lambdas"),
    };
    let mut values = values.into_iter();
    let collection = values.next().ok_or_else(shape_error)?;
    let node: Node = match (name, values.next(), lambdas.len()) {
        ("TRANSFORM", None, 1) => {
            let f = lambdas.remove(0);
            Box::new(move |row| {
                let mut call = Call::new(row, outer);
                Ok(match collection(row)? {
                    Value::Array(items) => {
                        let out = items
                            .iter()
                            .map(|x| call.apply(&f, &[x]))
                            .collect::<Result<_, _>>()?;
                        Value::array(out)
                    }
                    _ => Value::Null,
                })
            })
        }
        ("TRANSFORM", None, 2) => {
            let (key_fn, value_fn) = (lambdas.remove(0), lambdas.remove(0));
            Box::new(move |row| {
                let mut call = Call::new(row, outer);
                Ok(match collection(row)? {
                    Value::Map(entries) => {
                        let mut out = Vec::with_capacity(entries.len());
                        for (k, v) in entries.iter() {
                            out.push((
                                call.apply(&key_fn, &[k, v])?,
                                call.apply(&value_fn, &[k, v])?,
                            ));
                        }
                        collected_map("TRANSFORM", out)?
                    }
                    _ => Value::Null,
                })
            })
        }
        ("FILTER", None, 1) => {
            let f = lambdas.remove(0);
            Box::new(move |row| {
                let mut call = Call::new(row, outer);
                Ok(match collection(row)? {
                    Value::Array(items) => {
                        let mut out = Vec::new();
                        for x in items.iter() {
                            if call.apply(&f, &[x])?.as_bool() == Some(true) {
                                out.push(x.clone());
                            }
                        }
                        Value::array(out)
                    }
                    Value::Map(entries) => {
                        let mut out = Vec::new();
                        for (k, v) in entries.iter() {
                            if call.apply(&f, &[k, v])?.as_bool() == Some(true) {
                                out.push((k.clone(), v.clone()));
                            }
                        }
                        collected_map("FILTER", out)?
                    }
                    _ => Value::Null,
                })
            })
        }
        ("REDUCE", Some(initial), 1) => {
            let f = lambdas.remove(0);
            Box::new(move |row| {
                let mut state = initial(row)?;
                if state.is_null() {
                    return Ok(Value::Null);
                }
                let mut call = Call::new(row, outer);
                match collection(row)? {
                    Value::Array(items) => {
                        for x in items.iter() {
                            state = call.apply(&f, &[&state, x])?;
                        }
                    }
                    Value::Map(entries) => {
                        for (k, v) in entries.iter() {
                            state = call.apply(&f, &[&state, k, v])?;
                        }
                    }
                    _ => {}
                }
                Ok(state)
            })
        }
        _ => return Err(shape_error()),
    };
    // As any function call, a failing lambda function evaluates to NULL.
    Ok(Some(Box::new(move |row| {
        Ok(node(row).unwrap_or_else(|error| {
            row.call_errors.borrow_mut().push(error);
            Value::Null
        }))
    })))
}

/// `entries` as a map, or the error Java's `Collectors.toMap` raises: a key that comes twice
/// (`IllegalStateException`) or a NULL value (`NullPointerException`). A NULL key is kept.
fn collected_map(function: &str, entries: Vec<(Value, Value)>) -> Result<Value, EvalError> {
    for (i, (key, value)) in entries.iter().enumerate() {
        if value.is_null() {
            return Err(EvalError::Function(format!(
                "{function} gave NULL for the value of map key {key:?}: ksqlDB's map collector \
                 refuses NULL values; give the value lambda a non-NULL result (COALESCE)"
            )));
        }
        if entries[..i].iter().any(|(earlier, _)| earlier == key) {
            return Err(EvalError::Function(format!(
                "{function} made the map key {key:?} twice: ksqlDB's map collector refuses \
                 duplicate keys; make the key lambda give distinct keys"
            )));
        }
    }
    // `Collectors.toMap` collects into a `new HashMap<>()`.
    Ok(Value::Map(hash_map_order(entries, DEFAULT_CAPACITY).into()))
}

/// One evaluation of a lambda function: the enclosing lambdas' arguments followed by this
/// lambda's, in a buffer reused across elements.
struct Call<'r> {
    row: &'r Frame<'r>,
    outer: usize,
    params: Vec<Value>,
}

impl<'r> Call<'r> {
    fn new(row: &'r Frame<'r>, outer: usize) -> Call<'r> {
        let mut params = Vec::with_capacity(outer + 3);
        params.extend(row.params.iter().take(outer).cloned());
        Call { row, outer, params }
    }

    fn apply(&mut self, body: &Node, args: &[&Value]) -> Result<Value, EvalError> {
        self.params.truncate(self.outer);
        self.params.extend(args.iter().map(|v| (*v).clone()));
        body(&Frame {
            row: self.row.row,
            params: &self.params,
            call_errors: self.row.call_errors,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::compile::{EvalRow, Evaluator, Slot};
    use super::super::{ArithmeticOp, ColumnRef, FunctionRef, Literal};
    use super::*;
    use crate::types::SqlType;

    fn param(depth: u16, index: u16, ty: SqlType) -> TypedExpr {
        TypedExpr::column(ColumnRef::LambdaParam { depth, index }, ty)
    }

    fn lambda(params: Vec<SqlType>, body: TypedExpr) -> TypedExpr {
        TypedExpr::new(
            SqlType::String,
            ExprKind::Lambda {
                params,
                body: Box::new(body),
            },
        )
    }

    fn call(name: &str, ty: SqlType, args: Vec<TypedExpr>) -> TypedExpr {
        TypedExpr::new(
            ty,
            ExprKind::Call {
                function: FunctionRef {
                    name: name.into(),
                    signature: 0,
                    params: vec![],
                },
                args,
            },
        )
    }

    fn add(l: TypedExpr, r: TypedExpr) -> TypedExpr {
        TypedExpr::new(
            SqlType::Int,
            ExprKind::Arithmetic {
                op: ArithmeticOp::Add,
                left: Box::new(l),
                right: Box::new(r),
            },
        )
    }

    fn eval(e: &TypedExpr, value: &[Value]) -> Result<Value, EvalError> {
        let layout = |c: ColumnRef| match c {
            ColumnRef::Input { index, .. } => Some(Slot::Value(index as usize)),
            _ => None,
        };
        let row = EvalRow {
            key: &[],
            value,
            timestamp: 0,
            partition: 0,
            offset: 0,
            window: None,
        };
        Evaluator::compile(e, &layout).unwrap().eval(&row)
    }

    fn ints(v: &[i32]) -> Value {
        Value::array(v.iter().map(|i| Value::Int(*i)).collect())
    }

    #[test]
    fn transform_filter_and_reduce_arrays() {
        let arr = TypedExpr::column(
            ColumnRef::Input { side: 0, index: 0 },
            SqlType::array(SqlType::Int),
        );
        let x = param(0, 0, SqlType::Int);
        let one = TypedExpr::literal(Literal::Int(1), SqlType::Int);
        let t = call(
            "TRANSFORM",
            SqlType::array(SqlType::Int),
            vec![
                arr.clone(),
                lambda(vec![SqlType::Int], add(x.clone(), one.clone())),
            ],
        );
        assert_eq!(eval(&t, &[ints(&[1, 2])]), Ok(ints(&[2, 3])));
        assert_eq!(eval(&t, &[Value::Null]), Ok(Value::Null));
        // NULL arithmetic fails inside a lambda, and the whole call is NULL.
        let with_null = Value::array(vec![Value::Int(5), Value::Null]);
        assert_eq!(eval(&t, &[with_null]), Ok(Value::Null));
        let positive = TypedExpr::new(
            SqlType::Boolean,
            ExprKind::Compare {
                op: super::super::Comparison::Gt,
                left: Box::new(x.clone()),
                right: Box::new(one.clone()),
            },
        );
        let f = call(
            "FILTER",
            SqlType::array(SqlType::Int),
            vec![arr.clone(), lambda(vec![SqlType::Int], positive)],
        );
        assert_eq!(eval(&f, &[ints(&[1, 2, 3])]), Ok(ints(&[2, 3])));
        let sum = lambda(
            vec![SqlType::Int, SqlType::Int],
            add(param(0, 0, SqlType::Int), param(0, 1, SqlType::Int)),
        );
        let r = call(
            "REDUCE",
            SqlType::Int,
            vec![arr, TypedExpr::literal(Literal::Int(10), SqlType::Int), sum],
        );
        assert_eq!(eval(&r, &[ints(&[1, 2, 3])]), Ok(Value::Int(16)));
        assert_eq!(eval(&r, &[Value::Null]), Ok(Value::Int(10)));
    }

    #[test]
    fn nested_lambdas_see_outer_parameters_and_maps_transform() {
        // TRANSFORM(arr, x => REDUCE(arr, 0, (s, y) => s + x))
        let arr = TypedExpr::column(
            ColumnRef::Input { side: 0, index: 0 },
            SqlType::array(SqlType::Int),
        );
        let inner = lambda(
            vec![SqlType::Int, SqlType::Int],
            add(param(1, 0, SqlType::Int), param(0, 0, SqlType::Int)),
        );
        let reduce = call(
            "REDUCE",
            SqlType::Int,
            vec![
                arr.clone(),
                TypedExpr::literal(Literal::Int(0), SqlType::Int),
                inner,
            ],
        );
        let t = call(
            "TRANSFORM",
            SqlType::array(SqlType::Int),
            vec![arr, lambda(vec![SqlType::Int], reduce)],
        );
        assert_eq!(eval(&t, &[ints(&[1, 2])]), Ok(ints(&[2, 4])));

        let map_ty = SqlType::map(SqlType::String, SqlType::Int);
        let m = TypedExpr::column(ColumnRef::Input { side: 0, index: 0 }, map_ty.clone());
        let key = lambda(
            vec![SqlType::String, SqlType::Int],
            param(0, 0, SqlType::String),
        );
        let value = lambda(
            vec![SqlType::String, SqlType::Int],
            add(
                param(0, 1, SqlType::Int),
                TypedExpr::literal(Literal::Int(1), SqlType::Int),
            ),
        );
        let t = call("TRANSFORM", map_ty, vec![m, key, value]);
        let input = Value::map(vec![(Value::string("a"), Value::Int(1))]);
        assert_eq!(
            eval(&t, &[input]),
            Ok(Value::map(vec![(Value::string("a"), Value::Int(2))]))
        );
    }

    #[test]
    fn map_results_refuse_duplicate_keys_and_null_values_as_java_collectors_do() {
        let map_ty = SqlType::map(SqlType::String, SqlType::Int);
        let m = TypedExpr::column(ColumnRef::Input { side: 0, index: 0 }, map_ty.clone());
        let pair = vec![SqlType::String, SqlType::Int];
        let constant_key = lambda(
            pair.clone(),
            TypedExpr::literal(Literal::String("k".into()), SqlType::String),
        );
        let same_key = lambda(pair.clone(), param(0, 0, SqlType::String));
        let same_value = lambda(pair.clone(), param(0, 1, SqlType::Int));
        let two = Value::map(vec![
            (Value::string("a"), Value::Int(1)),
            (Value::string("b"), Value::Int(2)),
        ]);
        // Two entries made one key: NULL, where a plain map would keep one of them.
        let collide = call(
            "TRANSFORM",
            map_ty.clone(),
            vec![m.clone(), constant_key.clone(), same_value.clone()],
        );
        assert_eq!(eval(&collide, std::slice::from_ref(&two)), Ok(Value::Null));
        // One entry made into that key is fine.
        let one = Value::map(vec![(Value::string("a"), Value::Int(1))]);
        assert_eq!(
            eval(&collide, &[one]),
            Ok(Value::map(vec![(Value::string("k"), Value::Int(1))]))
        );
        // A NULL value, from the lambda or kept by FILTER, fails the call too.
        let with_null = Value::map(vec![
            (Value::string("a"), Value::Int(1)),
            (Value::string("b"), Value::Null),
        ]);
        let identity = call(
            "TRANSFORM",
            map_ty.clone(),
            vec![m.clone(), same_key, same_value],
        );
        assert_eq!(
            eval(&identity, std::slice::from_ref(&with_null)),
            Ok(Value::Null)
        );
        assert_eq!(eval(&identity, std::slice::from_ref(&two)), Ok(two.clone()));
        let keep_all = lambda(
            pair.clone(),
            TypedExpr::literal(Literal::Boolean(true), SqlType::Boolean),
        );
        let filter_all = call("FILTER", map_ty.clone(), vec![m.clone(), keep_all]);
        assert_eq!(
            eval(&filter_all, std::slice::from_ref(&with_null)),
            Ok(Value::Null)
        );
        // FILTER that drops the NULL-valued entry gives the rest.
        let only_a = lambda(
            pair,
            TypedExpr::new(
                SqlType::Boolean,
                ExprKind::Compare {
                    op: crate::expr::Comparison::Eq,
                    left: Box::new(param(0, 0, SqlType::String)),
                    right: Box::new(TypedExpr::literal(
                        Literal::String("a".into()),
                        SqlType::String,
                    )),
                },
            ),
        );
        let filter_a = call("FILTER", map_ty, vec![m, only_a]);
        assert_eq!(
            eval(&filter_a, &[with_null]),
            Ok(Value::map(vec![(Value::string("a"), Value::Int(1))]))
        );
    }
}
