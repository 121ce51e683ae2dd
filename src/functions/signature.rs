//! Function signatures and the small text form they are written in, so that a catalog entry
//! reads like ksqlDB's documentation: `"STRING, INT, STRING -> STRING"`. Parameter types are
//! concrete SQL types (with `DECIMAL(p, s)` and `STRUCT<A STRING, …>` as exact types),
//! `DECIMAL` (any precision), `STRUCT` (any struct), `ANY`, generics (`T`,
//! `U`, `K`, `V`, `S`), `ARRAY<…>`, `MAP<…, …>`, time units (`UNIT`) and lambdas
//! (`FN<T, U: V>`: parameters `T, U`, result `V`). `...` after one parameter makes it
//! variadic (zero or more), last or in the middle as ksqlDB allows (`T, ANY..., INT`).
//! Return types are the same, or `=n` (the type of argument n), or `@rule` (a named rule in
//! [`Returns::Rule`]).

use crate::types::SqlType;

/// A declared parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Param {
    Exact(SqlType),
    AnyDecimal,
    AnyStruct,
    Any,
    Generic(char),
    Array(Box<Param>),
    Map(Box<Param>, Box<Param>),
    /// A time unit keyword (`SECONDS`).
    Unit,
    Lambda {
        inputs: Vec<Param>,
        output: Box<Param>,
    },
}

/// How the result type is found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Returns {
    /// A type, possibly with generics bound from the arguments.
    Type(Param),
    /// The type of argument `n`.
    ArgType(usize),
    /// A named rule for types no pattern can express (decimal precision arithmetic).
    Rule(&'static str),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub params: Vec<Param>,
    /// The position of the variadic parameter, if there is one.
    pub variadic: Option<usize>,
    pub returns: Returns,
}

impl Signature {
    /// The parameter that argument `i` of a call with `count` arguments fills; `None` when
    /// the call has more arguments than a fixed arity takes.
    pub fn param_for(&self, i: usize, count: usize) -> Option<&Param> {
        self.params.get(self.param_index(i, count)?)
    }

    /// The position of the parameter that argument `i` of a call with `count` arguments
    /// fills; `None` past the declared parameters.
    pub fn param_index(&self, i: usize, count: usize) -> Option<usize> {
        let Some(at) = self.variadic else {
            return (i < self.params.len()).then_some(i);
        };
        // The arguments the variadic parameter takes: all but those of the fixed ones.
        let repeated = (count + 1).saturating_sub(self.params.len());
        let index = if i < at {
            i
        } else if i < at + repeated {
            at
        } else {
            i + 1 - repeated
        };
        (index < self.params.len()).then_some(index)
    }

    /// Whether a call with `count` arguments fits the arity.
    pub fn takes(&self, count: usize) -> bool {
        match self.variadic {
            Some(_) => count + 1 >= self.params.len(),
            None => count == self.params.len(),
        }
    }
}

impl Signature {
    /// Parses the text form; `Err` names the problem (a catalog bug, caught by tests).
    pub fn parse(text: &str) -> Result<Signature, String> {
        let (params_text, returns_text) = text
            .rsplit_once("->")
            .ok_or_else(|| format!("no `->` in `{text}`"))?;
        let mut variadic = None;
        let mut params = Vec::new();
        for part in split_top(params_text.trim())
            .into_iter()
            .filter(|p| !p.is_empty())
        {
            let part = match part.strip_suffix("...") {
                Some(repeated) if variadic.is_none() => {
                    variadic = Some(params.len());
                    repeated
                }
                Some(_) => return Err(format!("two variadic parameters in `{text}`")),
                None => part,
            };
            params.push(parse_param(part)?);
        }
        let returns_text = returns_text.trim();
        let returns = if let Some(n) = returns_text.strip_prefix('=') {
            Returns::ArgType(n.parse().map_err(|_| format!("bad `={n}`"))?)
        } else if let Some(rule) = returns_text.strip_prefix('@') {
            Returns::Rule(leak(rule))
        } else {
            Returns::Type(parse_param(returns_text)?)
        };
        Ok(Signature {
            params,
            variadic,
            returns,
        })
    }
}

fn leak(text: &str) -> &'static str {
    match text {
        "round_decimal" => "round_decimal",
        "ceil_decimal" => "ceil_decimal",
        "avg" => "avg",
        "sum" => "sum",
        "widest" => "widest",
        "entries" => "entries",
        "topk_struct" => "topk_struct",
        _ => "unknown",
    }
}

/// Splits on commas outside `<…>` and `(…)`.
fn split_top(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in text.char_indices() {
        match c {
            '<' | '(' => depth += 1,
            '>' | ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(text[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(text[start..].trim());
    parts
}

fn parse_param(text: &str) -> Result<Param, String> {
    let text = text.trim();
    if let Some(inner) = text
        .strip_prefix("ARRAY<")
        .and_then(|t| t.strip_suffix('>'))
    {
        return Ok(Param::Array(Box::new(parse_param(inner)?)));
    }
    if let Some(inner) = text.strip_prefix("MAP<").and_then(|t| t.strip_suffix('>')) {
        let parts = split_top(inner);
        if parts.len() != 2 {
            return Err(format!("bad map `{text}`"));
        }
        return Ok(Param::Map(
            Box::new(parse_param(parts[0])?),
            Box::new(parse_param(parts[1])?),
        ));
    }
    if let Some(inner) = text.strip_prefix("FN<").and_then(|t| t.strip_suffix('>')) {
        let (inputs, output) = inner
            .rsplit_once(':')
            .ok_or_else(|| format!("bad lambda `{text}`"))?;
        return Ok(Param::Lambda {
            inputs: split_top(inputs)
                .into_iter()
                .map(parse_param)
                .collect::<Result<_, _>>()?,
            output: Box::new(parse_param(output)?),
        });
    }
    if text.starts_with("STRUCT<") || text.starts_with("DECIMAL(") {
        return text
            .parse::<SqlType>()
            .map(Param::Exact)
            .map_err(|e| e.to_string());
    }
    Ok(match text {
        "BOOLEAN" => Param::Exact(SqlType::Boolean),
        "INT" => Param::Exact(SqlType::Int),
        "BIGINT" => Param::Exact(SqlType::Bigint),
        "DOUBLE" => Param::Exact(SqlType::Double),
        "STRING" => Param::Exact(SqlType::String),
        "BYTES" => Param::Exact(SqlType::Bytes),
        "DATE" => Param::Exact(SqlType::Date),
        "TIME" => Param::Exact(SqlType::Time),
        "TIMESTAMP" => Param::Exact(SqlType::Timestamp),
        "DECIMAL" => Param::AnyDecimal,
        "STRUCT" => Param::AnyStruct,
        "ANY" => Param::Any,
        "UNIT" => Param::Unit,
        g if g.len() == 1 && g.chars().all(|c| c.is_ascii_uppercase()) => {
            Param::Generic(g.chars().next().unwrap_or('T'))
        }
        other => return Err(format!("unknown type `{other}`")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_fill_a_middle_variadic_parameter_between_the_fixed_ones() {
        let s = Signature::parse("INT, ANY, ANY..., INT -> INT").unwrap();
        let int = Param::Exact(SqlType::Int);
        assert!(!s.takes(2));
        assert!(s.takes(3) && s.takes(6));
        // Three arguments: the variadic parameter takes none.
        assert_eq!(s.param_for(0, 3), Some(&int));
        assert_eq!(s.param_for(1, 3), Some(&Param::Any));
        assert_eq!(s.param_for(2, 3), Some(&int));
        // Five: it takes two, and the last argument is still the INT.
        assert_eq!(s.param_for(2, 5), Some(&Param::Any));
        assert_eq!(s.param_for(3, 5), Some(&Param::Any));
        assert_eq!(s.param_for(4, 5), Some(&int));
        assert_eq!(s.param_for(5, 5), None);
        let trailing = Signature::parse("STRING, STRING... -> STRING").unwrap();
        assert_eq!(
            trailing.param_for(7, 8),
            Some(&Param::Exact(SqlType::String))
        );
        let fixed = Signature::parse("INT -> INT").unwrap();
        assert_eq!(fixed.param_for(1, 2), None);
    }

    #[test]
    fn parses_the_mini_language() {
        let s = Signature::parse("ARRAY<T>, FN<T: U> -> ARRAY<U>").unwrap();
        assert_eq!(s.params.len(), 2);
        assert_eq!(
            s.returns,
            Returns::Type(Param::Array(Box::new(Param::Generic('U'))))
        );
        let v = Signature::parse("STRING, STRING... -> STRING").unwrap();
        assert_eq!(v.variadic, Some(1));
        let middle = Signature::parse("INT, ANY..., INT -> INT").unwrap();
        assert_eq!(middle.variadic, Some(1));
        assert_eq!(middle.params.len(), 3);
        assert!(Signature::parse("INT..., ANY... -> INT").is_err());
        assert_eq!(Signature::parse(" -> DOUBLE").unwrap().params, vec![]);
        assert_eq!(
            Signature::parse("DECIMAL -> =0").unwrap().returns,
            Returns::ArgType(0)
        );
        let exact =
            Signature::parse("STRUCT<A STRING, B INT>, DECIMAL(4, 2) -> DECIMAL(30, 10)").unwrap();
        assert_eq!(
            exact.params,
            vec![
                Param::Exact(SqlType::structure([
                    ("A", SqlType::String),
                    ("B", SqlType::Int)
                ])),
                Param::Exact(SqlType::Decimal {
                    precision: 4,
                    scale: 2
                }),
            ]
        );
        assert_eq!(
            exact.returns,
            Returns::Type(Param::Exact(SqlType::Decimal {
                precision: 30,
                scale: 10
            }))
        );
    }
}
