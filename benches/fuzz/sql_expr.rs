//! Expressions for the SQL generator ([`SqlGen`]): columns of the source a query reads (by
//! name or qualified, pseudo columns too), literals at the edges of each type, operators,
//! `CASE`, `CAST`, `BETWEEN`, `LIKE`, `IN`, struct and subscript access, constructors, and calls
//! of weir's catalog functions with arguments shaped by one of their signatures (lambdas
//! where a signature takes one, time units where it takes a unit).

use rand::Rng;
use rand::seq::IndexedRandom;
use weir::functions::{FunctionKind, Param, Registry};

use super::sql_gen::SqlGen;

const LITERALS: &[&str] = &[
    "1",
    "0",
    "-1",
    "2147483648",
    "9223372036854775807",
    "9223372036854775808",
    "1.5",
    "0.0",
    "1e3",
    "-2.5E-3",
    "'text'",
    "'it''s'",
    "''",
    "TRUE",
    "FALSE",
    "NULL",
    "'2020-01-01'",
    "123.4500",
    "99999999999999999999999999999999999999999",
    "'\u{00e9}\u{1F600}'",
];

impl SqlGen<'_> {
    pub(super) fn column(&mut self, source: usize) -> String {
        let name = match self.sources.get(source) {
            Some(s) if !s.columns.is_empty() && self.rng.random_bool(0.9) => s
                .columns
                .choose(self.rng)
                .map(|c| c.0.clone())
                .unwrap_or_default(),
            _ => self
                .pick(&[
                    "ROWTIME",
                    "ROWPARTITION",
                    "ROWOFFSET",
                    "WINDOWSTART",
                    "WINDOWEND",
                    "NOPE",
                ])
                .to_string(),
        };
        if self.rng.random_ratio(1, 5) {
            let qualifier = self.sources.get(source).map_or("X", |s| s.name.as_str());
            format!("{qualifier}.{name}")
        } else {
            name
        }
    }

    /// An expression over the columns of source `from`.
    pub fn expr(&mut self, depth: usize, from: usize) -> String {
        if depth == 0 {
            return if self.rng.random_bool(0.6) {
                self.column(from)
            } else {
                self.pick(LITERALS).to_string()
            };
        }
        let d = depth - 1;
        match self.rng.random_range(0..16) {
            0 | 1 => self.column(from),
            2 => self.pick(LITERALS).to_string(),
            3 => format!(
                "({} {} {})",
                self.expr(d, from),
                self.pick(&["+", "-", "*", "/", "%"]),
                self.expr(d, from)
            ),
            4 => format!(
                "{} {} {}",
                self.expr(d, from),
                self.pick(&["=", "<>", "!=", "<", "<=", ">", ">="]),
                self.expr(d, from)
            ),
            5 => format!(
                "({} {} {})",
                self.expr(d, from),
                self.pick(&["AND", "OR"]),
                self.expr(d, from)
            ),
            6 => format!("NOT {}", self.expr(d, from)),
            7 => format!("{} IS {}NULL", self.expr(d, from), self.pick(&["", "NOT "])),
            8 => format!(
                "{} {}BETWEEN {} AND {}",
                self.expr(d, from),
                self.pick(&["", "NOT "]),
                self.expr(d, from),
                self.expr(d, from)
            ),
            9 => format!(
                "{} {}LIKE '%a_' {}",
                self.expr(d, from),
                self.pick(&["", "NOT "]),
                self.pick(&["", "ESCAPE '!'"])
            ),
            10 => format!(
                "{} IN ({}, {})",
                self.expr(d, from),
                self.expr(d, from),
                self.expr(d, from)
            ),
            11 => format!(
                "CASE WHEN {} THEN {} ELSE {} END",
                self.expr(d, from),
                self.expr(d, from),
                self.expr(d, from)
            ),
            12 => {
                let ty = self.data_type(1);
                format!("CAST({} AS {ty})", self.expr(d, from))
            }
            13 => match self.rng.random_range(0..5) {
                0 => format!("{}->F1", self.column(from)),
                1 => format!("{}[{}]", self.column(from), self.expr(d, from)),
                2 => format!("ARRAY[{}, {}]", self.expr(d, from), self.expr(d, from)),
                3 => format!("MAP('k' := {})", self.expr(d, from)),
                _ => format!(
                    "STRUCT(F1 := {}, `f 2` := {})",
                    self.expr(d, from),
                    self.expr(d, from)
                ),
            },
            14 => format!("-{}", self.expr(d, from)),
            _ => self.call(d, FunctionKind::Scalar),
        }
    }

    /// A call of a catalog function of `kind` with arguments shaped by one of its signatures.
    pub(super) fn call(&mut self, depth: usize, kind: FunctionKind) -> String {
        let registry = Registry::builtin();
        let names: Vec<&'static str> = registry
            .names()
            .filter(|n| registry.get(n).is_some_and(|f| f.kind == kind))
            .collect();
        let Some(&name) = names.choose(self.rng) else {
            return "NOW()".into();
        };
        let params: Vec<Param> = registry
            .get(name)
            .and_then(|f| f.signatures.choose(self.rng))
            .map(|s| s.params.clone())
            .unwrap_or_default();
        let from = self.rng.random_range(0..self.sources.len().max(1));
        let args: Vec<String> = params
            .iter()
            .map(|param| match param {
                Param::Lambda { inputs, .. } => {
                    let vars: Vec<String> = (0..inputs.len()).map(|i| format!("x{i}")).collect();
                    let body = if self.rng.random_bool(0.5) {
                        vars.join(" + ")
                    } else {
                        self.expr(depth.min(1), from)
                    };
                    match vars.as_slice() {
                        [one] => format!("{one} => {body}"),
                        _ => format!("({}) => {body}", vars.join(", ")),
                    }
                }
                Param::Unit => self.pick(&["SECONDS", "DAYS", "MILLISECONDS"]).to_string(),
                _ => self.expr(depth.min(2), from),
            })
            .collect();
        format!("{name}({})", args.join(", "))
    }
}
