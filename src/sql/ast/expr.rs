//! Expressions, literals and SQL types of the syntax tree. Literals are typed the way ksqlDB
//! types them at parse time (INT or BIGINT by magnitude, `1.5` as DECIMAL, `1.5E3` as DOUBLE);
//! nothing here resolves a column or a function.

use super::Ident;
use crate::sql::diagnostic::Span;

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    /// The whole expression's text, parentheses around it included.
    pub span: Span,
}

impl Expr {
    /// The expressions directly inside this one, in the order they are written.
    pub fn children(&self) -> Vec<&Expr> {
        match &self.kind {
            ExprKind::Literal(_) | ExprKind::Column { .. } | ExprKind::TimeUnit(_) => Vec::new(),
            ExprKind::Dereference { base, .. } => vec![base],
            ExprKind::Subscript { base, index } => vec![base, index],
            ExprKind::Unary { operand, .. } => vec![operand],
            ExprKind::Binary { left, right, .. } | ExprKind::IsDistinctFrom { left, right, .. } => {
                vec![left, right]
            }
            ExprKind::Between {
                expr, low, high, ..
            } => vec![expr, low, high],
            ExprKind::InList { expr, list, .. } => {
                std::iter::once(expr.as_ref()).chain(list).collect()
            }
            ExprKind::Like { expr, pattern, .. } => vec![expr, pattern],
            ExprKind::IsNull { expr, .. }
            | ExprKind::Cast { expr, .. }
            | ExprKind::AtTimeZone { expr, .. } => vec![expr],
            ExprKind::Case {
                operand,
                whens,
                else_result,
            } => operand
                .iter()
                .map(|o| o.as_ref())
                .chain(whens.iter().flat_map(|(w, t)| [w, t]))
                .chain(else_result.iter().map(|e| e.as_ref()))
                .collect(),
            ExprKind::Array(items) | ExprKind::Function { args: items, .. } => {
                items.iter().collect()
            }
            ExprKind::Map(entries) => entries.iter().flat_map(|(k, v)| [k, v]).collect(),
            ExprKind::Struct(fields) => fields.iter().map(|(_, v)| v).collect(),
            ExprKind::Lambda { body, .. } => vec![body],
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Literal(Literal),
    /// `name` or `qualifier.name`.
    Column {
        qualifier: Option<Ident>,
        name: Ident,
    },
    /// `base->field`
    Dereference {
        base: Box<Expr>,
        field: Ident,
    },
    /// `base[index]` on arrays (1-based, negative from the end) and maps.
    Subscript {
        base: Box<Expr>,
        index: Box<Expr>,
    },
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    Between {
        expr: Box<Expr>,
        low: Box<Expr>,
        high: Box<Expr>,
        negated: bool,
    },
    InList {
        expr: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
    },
    Like {
        expr: Box<Expr>,
        pattern: Box<Expr>,
        escape: Option<char>,
        negated: bool,
    },
    IsNull {
        expr: Box<Expr>,
        negated: bool,
    },
    IsDistinctFrom {
        left: Box<Expr>,
        right: Box<Expr>,
        negated: bool,
    },
    /// `CASE [operand] WHEN … THEN … [ELSE …] END`
    Case {
        operand: Option<Box<Expr>>,
        whens: Vec<(Expr, Expr)>,
        else_result: Option<Box<Expr>>,
    },
    Cast {
        expr: Box<Expr>,
        data_type: DataType,
    },
    /// `ARRAY[…]`
    Array(Vec<Expr>),
    /// `MAP(k := v, …)`
    Map(Vec<(Expr, Expr)>),
    /// `STRUCT(name := v, …)`
    Struct(Vec<(Ident, Expr)>),
    /// `name(args)`; `COUNT(*)` has `star` set and no arguments.
    Function {
        name: Ident,
        args: Vec<Expr>,
        star: bool,
    },
    /// `x => body` or `(x, y) => body`, only as a function argument.
    Lambda {
        params: Vec<Ident>,
        body: Box<Expr>,
    },
    /// A bare time unit passed as a function argument, e.g. `TIMESTAMPADD(SECONDS, 1, ts)`.
    TimeUnit(TimeUnit),
    /// `expr AT TIME ZONE 'zone'`
    AtTimeZone {
        expr: Box<Expr>,
        zone: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Null,
    Boolean(bool),
    /// A whole number that fits in 32 bits.
    Int(i32),
    /// A whole number that needs 64 bits.
    BigInt(i64),
    /// A number with a decimal point and no exponent, kept as written (e.g. `1.50`).
    Decimal(String),
    /// A number with an exponent.
    Double(f64),
    String(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Plus,
    Minus,
    Not,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Subtract,
    Multiply,
    Divide,
    Modulo,
    Concat,
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
    And,
    Or,
}

/// A unit of time, as in `SIZE 5 MINUTES`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    Millisecond,
    Second,
    Minute,
    Hour,
    Day,
}

impl TimeUnit {
    /// The unit named by a (singular or plural, any case) word.
    pub fn from_word(word: &str) -> Option<TimeUnit> {
        let upper = word.to_uppercase();
        let singular = upper.strip_suffix('S').unwrap_or(&upper);
        match singular {
            "MILLISECOND" => Some(TimeUnit::Millisecond),
            "SECOND" => Some(TimeUnit::Second),
            "MINUTE" => Some(TimeUnit::Minute),
            "HOUR" => Some(TimeUnit::Hour),
            "DAY" => Some(TimeUnit::Day),
            _ => None,
        }
    }

    pub fn millis(self) -> u64 {
        match self {
            TimeUnit::Millisecond => 1,
            TimeUnit::Second => 1_000,
            TimeUnit::Minute => 60_000,
            TimeUnit::Hour => 3_600_000,
            TimeUnit::Day => 86_400_000,
        }
    }
}

/// A SQL type as written.
#[derive(Debug, Clone, PartialEq)]
pub struct DataType {
    pub kind: TypeKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TypeKind {
    Boolean,
    Int,
    BigInt,
    Double,
    Decimal {
        precision: u32,
        scale: u32,
    },
    String,
    Bytes,
    Date,
    Time,
    Timestamp,
    Array(Box<DataType>),
    Map(Box<DataType>, Box<DataType>),
    Struct(Vec<StructField>),
    /// A type registered with `CREATE TYPE`.
    Custom(Ident),
}

#[derive(Debug, Clone, PartialEq)]
pub struct StructField {
    pub name: Ident,
    pub data_type: DataType,
}
