//! Output names under ksqlDB's rules: a column keeps its name (`L_A` in a join), a struct
//! dereference takes its field name, anything else gets `KSQL_COL_n` (the lowest `n` not
//! already taken). Also the expression text used in messages, qualified by the caller's rule
//! where ksqlDB prints analyzed expressions. It resolves nothing itself.

use crate::sql::{BinaryOp, DataType, Expr, ExprKind, Literal, TypeKind, UnaryOp};

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
    qualified_text(expr, &|_| None)
}

/// The source (alias) an unqualified column belongs to, if one alone has it.
pub type Qualify<'a> = dyn Fn(&str) -> Option<String> + 'a;

/// [`expr_text`] with unqualified columns qualified as ksqlDB's analyzer qualifies them before
/// the planner prints a join condition (`LEFT_TABLE.ID`).
pub fn qualified_text(expr: &Expr, qualify: &Qualify) -> String {
    column_text(expr, &|qualifier, name| match qualifier {
        Some(q) => format!("{q}.{name}"),
        None => match qualify(name) {
            Some(source) => format!("{source}.{name}"),
            None => name.to_string(),
        },
    })
}

/// [`expr_text`] with every column named as in a join's output (`I1_BAR`; unqualified ones by
/// `qualify`): ksqlDB rewrites the expressions after a join onto the join's schema before it
/// type-checks WHERE and HAVING (`LogicalPlanner` over `JoinNode`), so its messages print
/// them so.
pub fn joined_text(expr: &Expr, qualify: &Qualify) -> String {
    column_text(expr, &|qualifier, name| match qualifier
        .map(str::to_string)
        .or_else(|| qualify(name))
    {
        Some(source) => format!("{source}_{name}"),
        None => name.to_string(),
    })
}

/// [`expr_text`] with every column unqualified, as ksqlDB's planner prints expressions it
/// has rewritten onto a single source's schema.
pub fn unqualified_text(expr: &Expr) -> String {
    column_text(expr, &|_, name| name.to_string())
}

/// ksqlDB-style text of an expression, with each column as `column` prints its qualifier
/// (as written) and name.
fn column_text(expr: &Expr, column: &JoinAlias) -> String {
    let text = |e: &Expr| column_text(e, column);
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
        ExprKind::Column { qualifier, name } => {
            column(qualifier.as_ref().map(|q| q.value.as_str()), &name.value)
        }
        ExprKind::Dereference { base, field } => format!("{}->{}", text(base), field.value),
        ExprKind::Subscript { base, index } => format!("{}[{}]", text(base), text(index)),
        ExprKind::Unary { op, operand } => match op {
            UnaryOp::Plus => format!("+{}", text(operand)),
            UnaryOp::Minus => format!("-{}", text(operand)),
            UnaryOp::Not => format!("(NOT {})", text(operand)),
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
            format!("({} {symbol} {})", text(left), text(right))
        }
        ExprKind::Function { name, args, star } => {
            if *star {
                format!("{}(*)", name.value)
            } else {
                let args: Vec<String> = args.iter().map(&text).collect();
                format!("{}({})", name.value, args.join(", "))
            }
        }
        ExprKind::Cast {
            expr: inner,
            data_type,
        } => format!("CAST({} AS {})", text(inner), type_text(data_type)),
        ExprKind::Array(elements) => {
            let items: Vec<String> = elements.iter().map(&text).collect();
            format!("ARRAY[{}]", items.join(", "))
        }
        ExprKind::Map(entries) => {
            let items: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{}:={}", text(k), text(v)))
                .collect();
            format!("MAP({})", items.join(", "))
        }
        ExprKind::Struct(fields) => {
            let items: Vec<String> = fields
                .iter()
                .map(|(n, v)| format!("{}:={}", n.value, text(v)))
                .collect();
            format!("STRUCT({})", items.join(", "))
        }
        _ => "<expression>".to_string(),
    }
}

/// A type as ksqlDB prints it in expressions: `INTEGER`, `DECIMAL(4, 2)`, `MAP<STRING, INT>`.
pub fn type_text(ty: &DataType) -> String {
    match &ty.kind {
        TypeKind::Boolean => "BOOLEAN".into(),
        TypeKind::Int => "INTEGER".into(),
        TypeKind::BigInt => "BIGINT".into(),
        TypeKind::Double => "DOUBLE".into(),
        TypeKind::Decimal { precision, scale } => format!("DECIMAL({precision}, {scale})"),
        TypeKind::String => "STRING".into(),
        TypeKind::Bytes => "BYTES".into(),
        TypeKind::Date => "DATE".into(),
        TypeKind::Time => "TIME".into(),
        TypeKind::Timestamp => "TIMESTAMP".into(),
        TypeKind::Array(item) => format!("ARRAY<{}>", type_text(item)),
        TypeKind::Map(k, v) => format!("MAP<{}, {}>", type_text(k), type_text(v)),
        TypeKind::Struct(fields) => {
            let fields: Vec<String> = fields
                .iter()
                .map(|f| format!("`{}` {}", f.name.value, type_text(&f.data_type)))
                .collect();
            format!("STRUCT<{}>", fields.join(", "))
        }
        TypeKind::Custom(name) => name.value.clone(),
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
