//! Extra functions: the extension point through which a program that embeds weir adds scalar,
//! aggregate and table functions of its own, the way ksqlDB loads UDF jars from its extension
//! directory (and its test harness, `TestFunctionRegistry`, the functions of its test-jars).
//! weir's daemon registers none; the conformance runner registers ksqlDB's test functions.
//!
//! The registration is process-wide: [`install`] sets the list once, before anything is
//! planned, and it cannot be changed or removed afterwards (a plan, a lock file or a running
//! query may name any of them). An extra function is declared like a built-in: its name as
//! ksqlDB would print it, its signatures in the text form of [`super::signature`], and a
//! factory that builds the implementation of one call once its types are known. Resolution
//! treats extras exactly as built-ins ([`super::Registry::get`] falls back to them), so
//! overload ranking, implicit casts, variadics and generics are the same. An extra name must
//! not be a built-in one: [`install`] refuses the whole list instead of shadowing.
//!
//! This module holds only descriptors and factories over [`Value`]s and [`SqlType`]s; the
//! expression compiler (`expr::functions`) and the operators (`ops::aggregate`,
//! `ops::flat_map`) wrap the implementations, so no layer below them evaluates anything.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use super::signature::Signature;
use super::{FunctionDescriptor, FunctionKind, Registry};
use crate::types::{SqlType, Value};

/// What a factory knows about one call: the declared overload it resolved to (an index into
/// the function's signatures), the argument types after resolution (each already cast to its
/// parameter's type), the result type, and the value of every argument that is a literal
/// (`None` where the argument reads the row).
#[derive(Debug, Clone, Copy)]
pub struct CallTypes<'a> {
    pub signature: u32,
    pub args: &'a [SqlType],
    pub returns: &'a SqlType,
    pub literals: &'a [Option<Value>],
}

/// A scalar implementation: the argument values of one row to the result, or the failure's
/// message (the row's expression then evaluates to NULL and the failure is reported).
pub type ScalarFn = Box<dyn Fn(&[Value]) -> Result<Value, String> + Send + Sync>;

/// A table implementation: the argument values of one row to its output values (one output
/// row each), or the failure's message (the row then produces nothing).
pub type TableFn = Box<dyn Fn(&[Value]) -> Result<Vec<Value>, String> + Send + Sync>;

/// An aggregate implementation over accumulators held as [`Value`]s (the state store keeps
/// them encoded, so an accumulator must be a value of some SQL type). `args` are all the
/// call's argument values for one row, constant ones included.
pub trait ExtraAggregate: Send + Sync {
    /// The accumulator of an empty group.
    fn init(&self) -> Value;
    /// Folds one row into `acc`; `Err` drops the row and reports the message.
    fn add(&self, acc: Value, args: &[Value]) -> Result<Value, String>;
    /// Removes a row added earlier (table aggregation); `None` when the function cannot undo.
    fn undo(&self, acc: Value, args: &[Value]) -> Option<Value> {
        let _ = (acc, args);
        None
    }
    /// The result the query reads.
    fn result(&self, acc: &Value) -> Value;
    /// Combines two accumulators of one key (session windows merging).
    fn merge(&self, earlier: Value, later: Value) -> Value;
}

type ScalarFactory = dyn Fn(&CallTypes<'_>) -> Result<ScalarFn, String> + Send + Sync;
type AggregateFactory =
    dyn Fn(&CallTypes<'_>) -> Result<Box<dyn ExtraAggregate>, String> + Send + Sync;
type TableFactory = dyn Fn(&CallTypes<'_>) -> Result<TableFn, String> + Send + Sync;

/// How an extra function is implemented.
#[derive(Clone)]
pub enum Implementation {
    Scalar(Arc<ScalarFactory>),
    /// `columns[i]` is how many leading parameters of signature `i` (a variadic one counted
    /// once) take a value per row; the arguments of the parameters after them are given once,
    /// when the aggregate is created, and must be literals (ksqlDB's `@UdafFactory`
    /// parameters).
    Aggregate {
        columns: Vec<usize>,
        factory: Arc<AggregateFactory>,
    },
    Table(Arc<TableFactory>),
}

/// One extra function as the embedding program declares it.
#[derive(Clone)]
pub struct ExtraFunction {
    /// The name as ksqlDB prints it in messages (`WhenCondition`, `test_udf`); calls match it
    /// in any case.
    pub declared_name: &'static str,
    /// Overloads in the text form of [`super::signature`], in declaration order.
    pub signatures: Vec<&'static str>,
    pub implementation: Implementation,
}

impl ExtraFunction {
    /// A scalar function.
    pub fn scalar(
        declared_name: &'static str,
        signatures: &[&'static str],
        factory: impl Fn(&CallTypes<'_>) -> Result<ScalarFn, String> + Send + Sync + 'static,
    ) -> ExtraFunction {
        ExtraFunction {
            declared_name,
            signatures: signatures.to_vec(),
            implementation: Implementation::Scalar(Arc::new(factory)),
        }
    }

    /// An aggregate function: each signature with the number of its per-row parameters.
    pub fn aggregate(
        declared_name: &'static str,
        signatures: &[(&'static str, usize)],
        factory: impl Fn(&CallTypes<'_>) -> Result<Box<dyn ExtraAggregate>, String>
        + Send
        + Sync
        + 'static,
    ) -> ExtraFunction {
        ExtraFunction {
            declared_name,
            signatures: signatures.iter().map(|(s, _)| *s).collect(),
            implementation: Implementation::Aggregate {
                columns: signatures.iter().map(|(_, c)| *c).collect(),
                factory: Arc::new(factory),
            },
        }
    }

    /// A table function.
    pub fn table(
        declared_name: &'static str,
        signatures: &[&'static str],
        factory: impl Fn(&CallTypes<'_>) -> Result<TableFn, String> + Send + Sync + 'static,
    ) -> ExtraFunction {
        ExtraFunction {
            declared_name,
            signatures: signatures.to_vec(),
            implementation: Implementation::Table(Arc::new(factory)),
        }
    }

    fn kind(&self) -> FunctionKind {
        match self.implementation {
            Implementation::Scalar(_) => FunctionKind::Scalar,
            Implementation::Aggregate { .. } => FunctionKind::Aggregate,
            Implementation::Table(_) => FunctionKind::Table,
        }
    }
}

/// Why a list of extra functions was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtensionError {
    #[error("extra function '{name}' has the name of a built-in function; rename it")]
    ShadowsBuiltin { name: String },
    #[error("extra function '{name}' is declared twice; declare its overloads in one entry")]
    Duplicate { name: String },
    #[error("extra function '{name}': bad signature `{signature}`: {reason}")]
    BadSignature {
        name: String,
        signature: String,
        reason: String,
    },
    #[error("extra aggregate '{name}' needs one per-row parameter count per signature")]
    BadColumns { name: String },
    #[error("extra functions are already installed; install them once, before planning")]
    AlreadyInstalled,
}

/// One installed extra function.
struct Installed {
    descriptor: FunctionDescriptor,
    declared_name: &'static str,
    implementation: Implementation,
}

static EXTRAS: OnceLock<BTreeMap<String, Installed>> = OnceLock::new();

/// Installs `functions` for the rest of the process, after checking all of them; refuses the
/// whole list on the first problem (a built-in name, a duplicate, a signature that does not
/// parse), and any second installation.
pub fn install(functions: Vec<ExtraFunction>) -> Result<(), ExtensionError> {
    let checked = check(functions)?;
    EXTRAS
        .set(checked)
        .map_err(|_| ExtensionError::AlreadyInstalled)
}

fn check(functions: Vec<ExtraFunction>) -> Result<BTreeMap<String, Installed>, ExtensionError> {
    let mut out = BTreeMap::new();
    for function in functions {
        let upper = function.declared_name.to_ascii_uppercase();
        if Registry::builtin().get_builtin(&upper).is_some() {
            return Err(ExtensionError::ShadowsBuiltin { name: upper });
        }
        if out.contains_key(&upper) {
            return Err(ExtensionError::Duplicate { name: upper });
        }
        let signatures = function
            .signatures
            .iter()
            .map(|text| {
                Signature::parse(text).map_err(|reason| ExtensionError::BadSignature {
                    name: upper.clone(),
                    signature: (*text).to_string(),
                    reason,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if let Implementation::Aggregate { columns, .. } = &function.implementation
            && (columns.len() != signatures.len()
                || columns
                    .iter()
                    .zip(&signatures)
                    .any(|(c, s)| *c > s.params.len()))
        {
            return Err(ExtensionError::BadColumns { name: upper });
        }
        // Descriptors name functions by `&'static str`; an installation happens once per
        // process, so the names live as long as it anyway.
        let name: &'static str = Box::leak(upper.clone().into_boxed_str());
        out.insert(
            upper,
            Installed {
                descriptor: FunctionDescriptor {
                    name,
                    kind: function.kind(),
                    signatures,
                },
                declared_name: function.declared_name,
                implementation: function.implementation,
            },
        );
    }
    Ok(out)
}

fn installed(name: &str) -> Option<&'static Installed> {
    EXTRAS.get()?.get(name.to_ascii_uppercase().as_str())
}

/// The descriptor of the extra function `name` (any case), if one is installed.
pub fn descriptor(name: &str) -> Option<&'static FunctionDescriptor> {
    installed(name).map(|f| &f.descriptor)
}

/// The upper-case names of the installed extra functions.
pub fn names() -> impl Iterator<Item = &'static str> {
    EXTRAS
        .get()
        .into_iter()
        .flat_map(|m| m.values().map(|f| f.descriptor.name))
}

/// How the extra function `name` spells itself in messages.
pub fn declared_name(name: &str) -> Option<&'static str> {
    installed(name).map(|f| f.declared_name)
}

/// The implementation of the extra function `name`.
pub fn implementation(name: &str) -> Option<&'static Implementation> {
    installed(name).map(|f| &f.implementation)
}

/// For an extra aggregate called through `signature` with `count` arguments: whether each
/// argument is given once, at creation (`None` when `name` is no extra aggregate).
pub fn aggregate_constants(name: &str, signature: u32, count: usize) -> Option<Vec<bool>> {
    let function = installed(name)?;
    let Implementation::Aggregate { columns, .. } = &function.implementation else {
        return None;
    };
    let columns = *columns.get(signature as usize)?;
    let declared = function.descriptor.signatures.get(signature as usize)?;
    Some(
        (0..count)
            .map(|i| declared.param_index(i, count).is_some_and(|p| p >= columns))
            .collect(),
    )
}

#[cfg(test)]
#[path = "extra_tests.rs"]
pub(crate) mod tests;
