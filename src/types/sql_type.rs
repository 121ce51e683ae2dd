//! The SQL type system: [`SqlType`] with ksqlDB's spelling, numeric widening and the result types
//! of arithmetic. Pure data: it holds no values and must not know about formats or expressions.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The type of a column, struct field or expression, as ksqlDB names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SqlType {
    Boolean,
    Int,
    Bigint,
    Double,
    Decimal { precision: u32, scale: u32 },
    String,
    Bytes,
    Date,
    Time,
    Timestamp,
    Array(Box<SqlType>),
    Map(Box<SqlType>, Box<SqlType>),
    Struct(Vec<StructField>),
}

/// One named field of a `STRUCT`. Names are case-sensitive as stored (unquoted names were
/// upper-cased by the parser).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StructField {
    pub name: String,
    pub ty: SqlType,
}

/// The arithmetic operators whose result type depends on the operand types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ArithmeticOp {
    Add,
    Subtract,
    Multiply,
    Divide,
    Modulus,
}

impl ArithmeticOp {
    pub fn symbol(self) -> &'static str {
        match self {
            ArithmeticOp::Add => "+",
            ArithmeticOp::Subtract => "-",
            ArithmeticOp::Multiply => "*",
            ArithmeticOp::Divide => "/",
            ArithmeticOp::Modulus => "%",
        }
    }
}

/// A type rule was broken: an invalid `DECIMAL(p, s)` or operands that cannot be combined.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TypeError {
    #[error("DECIMAL precision must be >= 1: DECIMAL({precision},{scale})")]
    DecimalPrecisionTooSmall { precision: u32, scale: u32 },
    #[error("DECIMAL precision must be >= scale: DECIMAL({precision},{scale})")]
    DecimalScaleAbovePrecision { precision: u32, scale: u32 },
    #[error("Unsupported arithmetic types. {left} {right}")]
    UnsupportedArithmetic {
        left: &'static str,
        right: &'static str,
    },
    #[error("Cannot convert {from} to DECIMAL.")]
    NotConvertibleToDecimal { from: &'static str },
}

/// `DECIMAL(10, 0)`: the decimal type an `INT` widens to.
pub const INT_AS_DECIMAL: SqlType = SqlType::Decimal {
    precision: 10,
    scale: 0,
};
/// `DECIMAL(19, 0)`: the decimal type a `BIGINT` widens to.
pub const BIGINT_AS_DECIMAL: SqlType = SqlType::Decimal {
    precision: 19,
    scale: 0,
};

impl SqlType {
    /// A checked `DECIMAL(precision, scale)`, with ksqlDB's messages for invalid parameters.
    pub fn decimal(precision: u32, scale: u32) -> Result<SqlType, TypeError> {
        if precision < 1 {
            return Err(TypeError::DecimalPrecisionTooSmall { precision, scale });
        }
        if scale > precision {
            return Err(TypeError::DecimalScaleAbovePrecision { precision, scale });
        }
        Ok(SqlType::Decimal { precision, scale })
    }

    pub fn array(element: SqlType) -> SqlType {
        SqlType::Array(Box::new(element))
    }

    pub fn map(key: SqlType, value: SqlType) -> SqlType {
        SqlType::Map(Box::new(key), Box::new(value))
    }

    pub fn structure<N: Into<String>>(fields: impl IntoIterator<Item = (N, SqlType)>) -> SqlType {
        SqlType::Struct(
            fields
                .into_iter()
                .map(|(name, ty)| StructField {
                    name: name.into(),
                    ty,
                })
                .collect(),
        )
    }

    /// ksqlDB's base type name (`SqlBaseType`), as used in error messages:
    /// `INTEGER`, `DECIMAL`, `ARRAY`, …
    pub fn base_name(&self) -> &'static str {
        match self {
            SqlType::Boolean => "BOOLEAN",
            SqlType::Int => "INTEGER",
            SqlType::Bigint => "BIGINT",
            SqlType::Double => "DOUBLE",
            SqlType::Decimal { .. } => "DECIMAL",
            SqlType::String => "STRING",
            SqlType::Bytes => "BYTES",
            SqlType::Date => "DATE",
            SqlType::Time => "TIME",
            SqlType::Timestamp => "TIMESTAMP",
            SqlType::Array(_) => "ARRAY",
            SqlType::Map(..) => "MAP",
            SqlType::Struct(_) => "STRUCT",
        }
    }

    /// INT, BIGINT, DECIMAL or DOUBLE.
    pub fn is_numeric(&self) -> bool {
        self.numeric_rank().is_some()
    }

    /// DATE, TIME or TIMESTAMP.
    pub fn is_temporal(&self) -> bool {
        matches!(self, SqlType::Date | SqlType::Time | SqlType::Timestamp)
    }

    /// ARRAY, MAP or STRUCT.
    pub fn is_collection(&self) -> bool {
        matches!(
            self,
            SqlType::Array(_) | SqlType::Map(..) | SqlType::Struct(_)
        )
    }

    /// True when this type is a MAP or holds one anywhere inside (ksqlDB rejects such key columns).
    pub fn contains_map(&self) -> bool {
        match self {
            SqlType::Map(..) => true,
            SqlType::Array(element) => element.contains_map(),
            SqlType::Struct(fields) => fields.iter().any(|f| f.ty.contains_map()),
            _ => false,
        }
    }

    /// The field of a STRUCT with exactly this name, with its position.
    pub fn struct_field(&self, name: &str) -> Option<(usize, &StructField)> {
        match self {
            SqlType::Struct(fields) => fields.iter().enumerate().find(|(_, f)| f.name == name),
            _ => None,
        }
    }

    fn numeric_rank(&self) -> Option<u8> {
        match self {
            SqlType::Int => Some(0),
            SqlType::Bigint => Some(1),
            SqlType::Decimal { .. } => Some(2),
            SqlType::Double => Some(3),
            _ => None,
        }
    }

    /// ksqlDB's implicit casts (`SqlBaseType.canImplicitlyCast`): a type to itself, numbers up
    /// the chain INT < BIGINT < DECIMAL < DOUBLE, and STRING to DATE/TIME/TIMESTAMP/BYTES.
    /// Decimal precision is not considered here; see [`SqlType::decimal_fits_in`].
    pub fn can_implicitly_cast_to(&self, to: &SqlType) -> bool {
        if std::mem::discriminant(self) == std::mem::discriminant(to) {
            return true;
        }
        match (self.numeric_rank(), to.numeric_rank()) {
            (Some(from), Some(to)) => from <= to,
            _ => matches!(self, SqlType::String) && (to.is_temporal() || *to == SqlType::Bytes),
        }
    }

    /// Whether a DECIMAL of this type fits in `to` without losing digits on either side of the
    /// point (ksqlDB's `DecimalUtil.canImplicitlyCast`). Non-decimals answer false.
    pub fn decimal_fits_in(&self, to: &SqlType) -> bool {
        match (self, to) {
            (
                SqlType::Decimal {
                    precision: p1,
                    scale: s1,
                },
                SqlType::Decimal {
                    precision: p2,
                    scale: s2,
                },
            ) => s1 <= s2 && p1 - s1 <= p2 - s2,
            _ => false,
        }
    }

    /// The decimal type an INT, BIGINT or DECIMAL converts to without loss.
    pub fn to_decimal_type(&self) -> Result<(u32, u32), TypeError> {
        match self {
            SqlType::Decimal { precision, scale } => Ok((*precision, *scale)),
            SqlType::Int => Ok((10, 0)),
            SqlType::Bigint => Ok((19, 0)),
            other => Err(TypeError::NotConvertibleToDecimal {
                from: other.base_name(),
            }),
        }
    }

    /// The narrowest numeric type both operands widen to (INT < BIGINT < DECIMAL < DOUBLE); two
    /// decimals (or a decimal and an integer) widen to a DECIMAL wide enough for both.
    /// `None` when either side is not numeric.
    pub fn widen_numeric(left: &SqlType, right: &SqlType) -> Option<SqlType> {
        let (l, r) = (left.numeric_rank()?, right.numeric_rank()?);
        match l.max(r) {
            3 => Some(SqlType::Double),
            2 => {
                let (lp, ls) = left.to_decimal_type().ok()?;
                let (rp, rs) = right.to_decimal_type().ok()?;
                let whole = (lp - ls).max(rp - rs);
                let scale = ls.max(rs);
                Some(SqlType::Decimal {
                    precision: whole + scale,
                    scale,
                })
            }
            1 => Some(SqlType::Bigint),
            _ => Some(SqlType::Int),
        }
    }

    /// The result type of `left op right` (ksqlDB's `Operator.resultType`): STRING + STRING is
    /// STRING; otherwise both must be numeric, the wider side wins, and a DECIMAL result takes
    /// the precision and scale rules of [`decimal_result`].
    pub fn arithmetic_result(
        op: ArithmeticOp,
        left: &SqlType,
        right: &SqlType,
    ) -> Result<SqlType, TypeError> {
        if op == ArithmeticOp::Add && *left == SqlType::String && *right == SqlType::String {
            return Ok(SqlType::String);
        }
        let unsupported = || TypeError::UnsupportedArithmetic {
            left: left.base_name(),
            right: right.base_name(),
        };
        let (l, r) = match (left.numeric_rank(), right.numeric_rank()) {
            (Some(l), Some(r)) => (l, r),
            _ => return Err(unsupported()),
        };
        if l.max(r) != 2 {
            return Ok(if l >= r { left.clone() } else { right.clone() });
        }
        let (lp, ls) = left.to_decimal_type()?;
        let (rp, rs) = right.to_decimal_type()?;
        let (precision, scale) = decimal_result(op, (lp, ls), (rp, rs));
        Ok(SqlType::Decimal { precision, scale })
    }
}

/// Precision and scale of `DECIMAL(p1, s1) op DECIMAL(p2, s2)`, following ksqlDB's `SqlDecimal`.
pub fn decimal_result(op: ArithmeticOp, left: (u32, u32), right: (u32, u32)) -> (u32, u32) {
    let ((p1, s1), (p2, s2)) = (left, right);
    match op {
        ArithmeticOp::Add | ArithmeticOp::Subtract => {
            let scale = s1.max(s2);
            (scale + (p1 - s1).max(p2 - s2) + 1, scale)
        }
        ArithmeticOp::Multiply => (p1 + p2 + 1, s1 + s2),
        ArithmeticOp::Divide => {
            let scale = 6.max(s1 + p2 + 1);
            (p1 - s1 + s2 + scale, scale)
        }
        ArithmeticOp::Modulus => {
            let scale = s1.max(s2);
            ((p1 - s1).min(p2 - s2) + scale, scale)
        }
    }
}

impl fmt::Display for SqlType {
    /// ksqlDB's `SqlType.toString()`: `INTEGER`, `DECIMAL(4, 2)`, `ARRAY<STRING>`,
    /// `MAP<STRING, BIGINT>`, ``STRUCT<`A` INTEGER, `B` STRING>`` and `STRUCT< >` when empty.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SqlType::Decimal { precision, scale } => write!(f, "DECIMAL({precision}, {scale})"),
            SqlType::Array(element) => write!(f, "ARRAY<{element}>"),
            SqlType::Map(key, value) => write!(f, "MAP<{key}, {value}>"),
            SqlType::Struct(fields) if fields.is_empty() => f.write_str("STRUCT< >"),
            SqlType::Struct(fields) => {
                f.write_str("STRUCT<")?;
                for (i, field) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "`{}` {}", field.name, field.ty)?;
                }
                f.write_str(">")
            }
            primitive => f.write_str(primitive.base_name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(p: u32, s: u32) -> SqlType {
        SqlType::Decimal {
            precision: p,
            scale: s,
        }
    }

    #[test]
    fn displays_like_ksqldb() {
        assert_eq!(SqlType::Int.to_string(), "INTEGER");
        assert_eq!(dec(4, 2).to_string(), "DECIMAL(4, 2)");
        assert_eq!(SqlType::array(SqlType::String).to_string(), "ARRAY<STRING>");
        assert_eq!(
            SqlType::map(SqlType::String, SqlType::Bigint).to_string(),
            "MAP<STRING, BIGINT>"
        );
        let s = SqlType::structure([("A", SqlType::Int), ("f", SqlType::array(SqlType::Double))]);
        assert_eq!(s.to_string(), "STRUCT<`A` INTEGER, `f` ARRAY<DOUBLE>>");
        assert_eq!(SqlType::Struct(vec![]).to_string(), "STRUCT< >");
    }

    #[test]
    fn decimal_parameters_are_checked() {
        assert!(SqlType::decimal(4, 2).is_ok());
        assert_eq!(
            SqlType::decimal(2, 3).unwrap_err().to_string(),
            "DECIMAL precision must be >= scale: DECIMAL(2,3)"
        );
        assert!(SqlType::decimal(0, 0).is_err());
    }

    #[test]
    fn widening_follows_the_numeric_chain() {
        assert_eq!(
            SqlType::widen_numeric(&SqlType::Int, &SqlType::Bigint),
            Some(SqlType::Bigint)
        );
        assert_eq!(
            SqlType::widen_numeric(&SqlType::Int, &dec(4, 2)),
            Some(dec(12, 2))
        );
        assert_eq!(
            SqlType::widen_numeric(&SqlType::Bigint, &dec(4, 2)),
            Some(dec(21, 2))
        );
        assert_eq!(
            SqlType::widen_numeric(&dec(4, 2), &SqlType::Double),
            Some(SqlType::Double)
        );
        assert_eq!(
            SqlType::widen_numeric(&SqlType::String, &SqlType::Int),
            None
        );
        assert!(SqlType::Int.can_implicitly_cast_to(&SqlType::Double));
        assert!(!SqlType::Double.can_implicitly_cast_to(&SqlType::Int));
        assert!(SqlType::String.can_implicitly_cast_to(&SqlType::Timestamp));
        assert!(dec(4, 2).decimal_fits_in(&dec(5, 3)));
        assert!(!dec(4, 2).decimal_fits_in(&dec(4, 3)));
    }

    #[test]
    fn arithmetic_result_types() {
        use ArithmeticOp::*;
        let r = |op, l: &SqlType, rt: &SqlType| SqlType::arithmetic_result(op, l, rt).unwrap();
        assert_eq!(r(Add, &SqlType::Int, &SqlType::Int), SqlType::Int);
        assert_eq!(r(Add, &SqlType::Int, &SqlType::Bigint), SqlType::Bigint);
        assert_eq!(
            r(Multiply, &SqlType::Bigint, &SqlType::Double),
            SqlType::Double
        );
        assert_eq!(r(Add, &SqlType::String, &SqlType::String), SqlType::String);
        assert_eq!(r(Add, &dec(4, 2), &dec(6, 3)), dec(7, 3));
        assert_eq!(r(Subtract, &SqlType::Int, &dec(4, 2)), dec(13, 2));
        assert_eq!(r(Multiply, &dec(4, 2), &dec(3, 1)), dec(8, 3));
        assert_eq!(r(Divide, &dec(4, 2), &dec(3, 1)), dec(9, 6));
        assert_eq!(r(Divide, &dec(33, 16), &dec(10, 0)), dec(44, 27));
        assert_eq!(r(Modulus, &dec(4, 2), &dec(3, 1)), dec(4, 2));
        assert_eq!(
            SqlType::arithmetic_result(Add, &SqlType::Int, &SqlType::String)
                .unwrap_err()
                .to_string(),
            "Unsupported arithmetic types. INTEGER STRING"
        );
    }

    #[test]
    fn finds_maps_inside_key_types() {
        let nested = SqlType::array(SqlType::map(SqlType::Int, SqlType::Double));
        assert!(nested.contains_map());
        assert!(!SqlType::structure([("F", SqlType::Int)]).contains_map());
    }
}
