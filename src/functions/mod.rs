//! ksqlDB's function library as descriptors: for every scalar, aggregate and table function,
//! its name, kind and signatures, and overload resolution under ksqlDB's implicit widening.
//! Adding a function is one entry in [`catalog`] or `catalog_aggregate` (a name and its
//! signature lines); the engine attaches the implementation to the same entry later. This
//! module decides types only: it evaluates nothing and knows nothing of columns or SQL text.
//!
//! - [`signature`]: the signature mini-language (`"STRING, INT -> STRING"`) and its types.
//! - [`resolve`]: overload resolution and ksqlDB's error messages.
//! - [`names`]: ksqlDB's spelling of function names in those messages.
//! - [`catalog`]: the entries (scalar functions), and `catalog_aggregate` (aggregate and
//!   table functions).
//! - [`extra`]: functions an embedding program registers besides the built-ins (none in the
//!   daemon), resolved exactly like them.

pub mod catalog;
mod catalog_aggregate;
pub mod extra;
pub mod names;
pub mod resolve;
pub mod signature;

use std::collections::BTreeMap;
use std::sync::OnceLock;

pub use resolve::{ArgType, ResolveError, Resolved};
pub use signature::{Param, Returns, Signature};

/// What a function does to rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FunctionKind {
    /// One value per row.
    Scalar,
    /// One value per group, folded over the group's rows.
    Aggregate,
    /// Zero or more rows per row (`EXPLODE`).
    Table,
}

/// One function: its upper-case name, kind and overloads in declaration order.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionDescriptor {
    pub name: &'static str,
    pub kind: FunctionKind,
    pub signatures: Vec<Signature>,
}

/// All functions by upper-case name: the built-ins, then the [`extra`] functions installed
/// by the embedding program.
#[derive(Debug)]
pub struct Registry {
    functions: BTreeMap<&'static str, FunctionDescriptor>,
}

impl Registry {
    /// The built-in registry, built once from [`catalog`].
    pub fn builtin() -> &'static Registry {
        static REGISTRY: OnceLock<Registry> = OnceLock::new();
        REGISTRY.get_or_init(|| {
            let mut functions = BTreeMap::new();
            for entry in catalog::entries() {
                functions.insert(entry.name, entry);
            }
            Registry { functions }
        })
    }

    /// The function with this (case-insensitive) name: a built-in, else an installed extra
    /// function (which can never have a built-in's name).
    pub fn get(&self, name: &str) -> Option<&FunctionDescriptor> {
        self.get_builtin(name).or_else(|| extra::descriptor(name))
    }

    /// The built-in function with this (case-insensitive) name.
    pub fn get_builtin(&self, name: &str) -> Option<&FunctionDescriptor> {
        self.functions.get(name.to_ascii_uppercase().as_str())
    }

    /// Every function name, extra ones included, for did-you-mean.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.functions.keys().copied().chain(extra::names())
    }

    pub fn is_aggregate(&self, name: &str) -> bool {
        self.get(name)
            .is_some_and(|f| f.kind == FunctionKind::Aggregate)
    }

    pub fn is_table(&self, name: &str) -> bool {
        self.get(name)
            .is_some_and(|f| f.kind == FunctionKind::Table)
    }
}
