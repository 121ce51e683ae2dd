//! Output names under ksqlDB's rules: a column keeps its name (`L_A` in a join), a struct
//! dereference takes its field name, anything else gets `KSQL_COL_n` (the lowest `n` not
//! already taken). Also the expression text used in messages. It resolves nothing.

use crate::sql::{BinaryOp, Expr, ExprKind, Literal, UnaryOp};

/// Names a column of a join output from its qualifier and name (`L`, `A` → `L_A`).
pub type JoinAlias<'a> = dyn Fn(Option<&str>, &str) -> String + 'a;

/// The name an unaliased select expression gets, if it is not generated.
pub fn natural_name(expr: &Expr, join_alias: Option<&JoinAlias>) -> Option<String> {
    match &expr.kind {
        ExprKind::Column { qualifier, name } => Some(match (join_alias, qualifier) {
            (Some(alias), Some(q)) => alias(Some(q.value.as_str()), &name.value),
            _ => name.value.clone(),
        }),
        ExprKind::Dereference { field, .. } => Some(field.value.clone()),
        _ => None,
    }
}

/// Generates `KSQL_COL_n` names that do not clash with `taken`.
#[derive(Debug, Default)]
pub struct NameGenerator {
    next: usize,
}

impl NameGenerator {
    pub fn next(&mut self, taken: &[String]) -> String {
        loop {
            let name = format!("KSQL_COL_{}", self.next);
            self.next += 1;
            if !taken.contains(&name) {
                return name;
            }
        }
    }
}

/// ksqlDB-style text of an expression, for messages: `ABS(INPUT.ID)`, `(A + 1)`.
pub fn expr_text(expr: &Expr) -> String {
    match &expr.kind {
        ExprKind::Literal(literal) => match literal {
            Literal::Null => "null".to_string(),
            Literal::Boolean(b) => b.to_string(),
            Literal::Int(i) => i.to_string(),
            Literal::BigInt(i) => i.to_string(),
            Literal::Decimal(d) => d.clone(),
            Literal::Double(d) => format!("{d:?}"),
            Literal::String(s) => format!("'{}'", s.replace('\'', "''")),
        },
        ExprKind::Column { qualifier, name } => match qualifier {
            Some(q) => format!("{}.{}", q.value, name.value),
            None => name.value.clone(),
        },
        ExprKind::Dereference { base, field } => format!("{}->{}", expr_text(base), field.value),
        ExprKind::Subscript { base, index } => format!("{}[{}]", expr_text(base), expr_text(index)),
        ExprKind::Unary { op, operand } => match op {
            UnaryOp::Plus => format!("+{}", expr_text(operand)),
            UnaryOp::Minus => format!("-{}", expr_text(operand)),
            UnaryOp::Not => format!("(NOT {})", expr_text(operand)),
        },
        ExprKind::Binary { op, left, right } => {
            let symbol = match op {
                BinaryOp::Add => "+",
                BinaryOp::Subtract => "-",
                BinaryOp::Multiply => "*",
                BinaryOp::Divide => "/",
                BinaryOp::Modulo => "%",
                BinaryOp::Concat => "||",
                BinaryOp::Eq => "=",
                BinaryOp::NotEq => "<>",
                BinaryOp::Lt => "<",
                BinaryOp::LtEq => "<=",
                BinaryOp::Gt => ">",
                BinaryOp::GtEq => ">=",
                BinaryOp::And => "AND",
                BinaryOp::Or => "OR",
            };
            format!("({} {symbol} {})", expr_text(left), expr_text(right))
        }
        ExprKind::Function { name, args, star } => {
            if *star {
                format!("{}(*)", name.value)
            } else {
                let args: Vec<String> = args.iter().map(expr_text).collect();
                format!("{}({})", name.value, args.join(", "))
            }
        }
        ExprKind::Cast { expr: inner, .. } => format!("CAST({} AS …)", expr_text(inner)),
        ExprKind::Array(elements) => {
            let items: Vec<String> = elements.iter().map(expr_text).collect();
            format!("ARRAY[{}]", items.join(", "))
        }
        ExprKind::Map(entries) => {
            let items: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{}:={}", expr_text(k), expr_text(v)))
                .collect();
            format!("MAP({})", items.join(", "))
        }
        ExprKind::Struct(fields) => {
            let items: Vec<String> = fields
                .iter()
                .map(|(n, v)| format!("{}:={}", n.value, expr_text(v)))
                .collect();
            format!("STRUCT({})", items.join(", "))
        }
        _ => "<expression>".to_string(),
    }
}

/// `A`, `A and B`, `A, B and C`.
pub fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// `A`, `A or B`, `A, B or C`.
pub fn or_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}
