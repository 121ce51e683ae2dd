//! The function catalog against ksqlDB's whole function reference: every documented scalar,
//! aggregate and table function, with each signature its implementation declares, listed in
//! `tests/function_reference/ksqldb_functions.txt` (its header says where the list comes from
//! and how it is written). Each line must resolve in weir's built-in registry as a function of
//! the same kind, to the same result type, with lambda parameters typed as documented. Lines
//! marked `missing:` are printed as known gaps and must keep failing until the prefix goes.

use std::collections::BTreeSet;

use weir::functions::resolve::{lambda_inputs, resolve};
use weir::functions::{ArgType, FunctionKind, Registry};
use weir::types::SqlType;

const REFERENCE: &str = include_str!("function_reference/ksqldb_functions.txt");

/// The concrete types each type variable is tried with.
const VARIABLE_TYPES: &[&str] = &["INT", "STRING", "ARRAY<BIGINT>"];

/// One argument as written in the reference.
#[derive(Debug, Clone)]
enum Arg {
    Type(String),
    Unit,
    Lambda { inputs: Vec<String>, body: String },
}

/// One reference line.
#[derive(Debug)]
struct Entry {
    line: usize,
    text: String,
    missing: bool,
    kind: FunctionKind,
    name: String,
    args: Vec<Arg>,
    /// Whether the last argument repeats zero or more times.
    variadic: bool,
    result: String,
}

fn parse_entry(line: usize, raw: &str) -> Result<Entry, String> {
    let (missing, text) = match raw.strip_prefix("missing:") {
        Some(rest) => (true, rest.trim()),
        None => (false, raw),
    };
    let (kind_text, rest) = text.split_once(' ').ok_or("no kind")?;
    let kind = match kind_text {
        "scalar" => FunctionKind::Scalar,
        "aggregate" => FunctionKind::Aggregate,
        "table" => FunctionKind::Table,
        other => return Err(format!("unknown kind `{other}`")),
    };
    let open = rest.find('(').ok_or("no `(`")?;
    let (head, result) = rest.rsplit_once("->").ok_or("no `->`")?;
    let close = head.rfind(')').ok_or("no `)`")?;
    let name = rest[..open].trim().to_string();
    let mut args_text = head[open + 1..close].trim();
    let variadic = args_text.ends_with("...");
    if variadic {
        args_text = args_text.trim_end_matches("...");
    }
    let args = split_top(args_text)
        .into_iter()
        .filter(|a| !a.is_empty())
        .map(parse_arg)
        .collect::<Result<_, _>>()?;
    Ok(Entry {
        line,
        text: text.to_string(),
        missing,
        kind,
        name,
        args,
        variadic,
        result: result.trim().to_string(),
    })
}

fn parse_arg(text: &str) -> Result<Arg, String> {
    if text == "UNIT" {
        return Ok(Arg::Unit);
    }
    if let Some(inner) = text.strip_prefix("FN(").and_then(|t| t.strip_suffix(')')) {
        let (inputs, body) = inner.split_once("=>").ok_or("lambda without `=>`")?;
        return Ok(Arg::Lambda {
            inputs: split_top(inputs).into_iter().map(str::to_string).collect(),
            body: body.trim().to_string(),
        });
    }
    Ok(Arg::Type(text.to_string()))
}

/// Splits on commas outside `<…>` and `(…)` (the `>` of a lambda's `=>` closes nothing).
fn split_top(text: &str) -> Vec<&str> {
    let (mut parts, mut depth, mut start) = (Vec::new(), 0i32, 0);
    let mut previous = ' ';
    for (i, c) in text.char_indices() {
        let arrow = previous == '=';
        previous = c;
        match c {
            '<' | '(' => depth += 1,
            '>' if arrow => {}
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

/// The type variables (single lower-case letters) of a type text.
fn variables(text: &str, into: &mut BTreeSet<char>) {
    for word in text.split(|c: char| !c.is_ascii_alphanumeric() && c != '_') {
        let mut chars = word.chars();
        if let (Some(c), None) = (chars.next(), chars.next())
            && c.is_ascii_lowercase()
        {
            into.insert(c);
        }
    }
}

/// The type text with each variable replaced, parsed.
fn instantiate(text: &str, binding: &[(char, &str)]) -> Result<SqlType, String> {
    let mut out = String::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let mut chars = word.chars();
        let replaced = match (chars.next(), chars.next()) {
            (Some(c), None) => binding.iter().find(|(v, _)| *v == c).map(|(_, t)| *t),
            _ => None,
        };
        out.push_str(replaced.unwrap_or(word));
        word.clear();
    };
    let mut quoted = false;
    for c in text.chars() {
        if c == '`' {
            quoted = !quoted;
        }
        if (c.is_ascii_alphanumeric() || c == '_') && !quoted {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out.parse::<SqlType>().map_err(|e| e.to_string())
}

/// Every assignment of [`VARIABLE_TYPES`] to `vars`.
fn bindings(vars: &[char]) -> Vec<Vec<(char, &'static str)>> {
    let mut all = vec![Vec::new()];
    for v in vars {
        all = all
            .into_iter()
            .flat_map(|b| {
                VARIABLE_TYPES.iter().map(move |t| {
                    let mut next = b.clone();
                    next.push((*v, *t));
                    next
                })
            })
            .collect();
    }
    all
}

/// Checks one entry under one binding with the variadic argument repeated `repeat` times.
fn check(entry: &Entry, binding: &[(char, &str)], repeat: usize) -> Result<(), String> {
    let registry = Registry::builtin();
    let function = registry
        .get(&entry.name)
        .ok_or_else(|| format!("no function named {}", entry.name))?;
    if function.kind != entry.kind {
        return Err(format!("is {:?}, not {:?}", function.kind, entry.kind));
    }
    let mut written: Vec<&Arg> = entry.args.iter().collect();
    if entry.variadic {
        let last = written.pop().ok_or("variadic without an argument")?;
        written.extend(std::iter::repeat_n(last, repeat));
    }
    let mut args = Vec::new();
    let mut lambdas = Vec::new();
    for (i, arg) in written.iter().enumerate() {
        args.push(match arg {
            Arg::Type(text) => ArgType::Type(instantiate(text, binding)?),
            Arg::Unit => ArgType::Unit,
            Arg::Lambda { inputs, body } => {
                let inputs = inputs
                    .iter()
                    .map(|t| instantiate(t, binding))
                    .collect::<Result<Vec<_>, _>>()?;
                lambdas.push((i, inputs.clone()));
                ArgType::Lambda {
                    arity: inputs.len(),
                    body: Some(instantiate(body, binding)?),
                }
            }
        });
    }
    for (index, want) in &lambdas {
        let mut untyped = args.clone();
        for (i, _) in &lambdas {
            if let ArgType::Lambda { arity, .. } = untyped[*i] {
                untyped[*i] = ArgType::Lambda { arity, body: None };
            }
        }
        let got = lambda_inputs(function, &untyped, *index);
        if got.as_ref() != Some(want) {
            return Err(format!("lambda {index} typed {got:?}, expected {want:?}"));
        }
    }
    let resolved = resolve(function, &args).map_err(|e| e.to_string())?;
    let expected = instantiate(&entry.result, binding)?;
    if resolved.returns != expected {
        return Err(format!("returns {}, expected {expected}", resolved.returns));
    }
    Ok(())
}

/// All problems of one entry (empty when it resolves everywhere).
fn problems(entry: &Entry) -> Vec<String> {
    let mut vars = BTreeSet::new();
    variables(&entry.result, &mut vars);
    for arg in &entry.args {
        match arg {
            Arg::Type(t) => variables(t, &mut vars),
            Arg::Unit => {}
            Arg::Lambda { inputs, body } => {
                inputs.iter().for_each(|t| variables(t, &mut vars));
                variables(body, &mut vars);
            }
        }
    }
    let vars: Vec<char> = vars.into_iter().collect();
    // Zero repetitions only when other arguments still tell the overloads apart.
    let repeats: &[usize] = match (entry.variadic, entry.args.len()) {
        (false, _) => &[1],
        (true, 1) => &[1, 3],
        (true, _) => &[0, 1, 3],
    };
    let mut out = Vec::new();
    for binding in bindings(&vars) {
        for &repeat in repeats {
            if let Err(e) = check(entry, &binding, repeat) {
                let shown: Vec<String> = binding.iter().map(|(v, t)| format!("{v}={t}")).collect();
                out.push(format!("[{} x{repeat}] {e}", shown.join(" ")));
            }
        }
    }
    out
}

#[test]
fn every_documented_function_resolves_with_its_signature() {
    let entries: Vec<Entry> = REFERENCE
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|(i, l)| {
            parse_entry(i + 1, l.trim()).unwrap_or_else(|e| panic!("line {}: {e}", i + 1))
        })
        .collect();
    let names: BTreeSet<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    let mut failures = Vec::new();
    let mut known = Vec::new();
    for entry in &entries {
        let found = problems(entry);
        match (entry.missing, found.is_empty()) {
            (false, false) => failures.push(format!(
                "line {}: {}\n    {}{}",
                entry.line,
                entry.text,
                found[..found.len().min(3)].join("\n    "),
                if found.len() > 3 { "\n    …" } else { "" }
            )),
            (true, true) => failures.push(format!(
                "line {}: {} resolves now; drop its `missing:` prefix",
                entry.line, entry.text
            )),
            (true, false) => known.push(format!("line {}: {}", entry.line, entry.text)),
            (false, true) => {}
        }
    }
    println!(
        "{} signatures of {} functions checked; {} known missing",
        entries.len(),
        names.len(),
        known.len()
    );
    for line in &known {
        println!("known missing: {line}");
    }
    assert!(
        failures.is_empty(),
        "{} signatures do not resolve as documented:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
