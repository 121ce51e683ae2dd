//! SQL types and runtime values: the [`SqlType`] of every column and expression and the
//! [`Value`] a record carries, with ksqlDB's null semantics, widening rules and casts. Knows
//! nothing of SQL text, Kafka or formats.
//!
//! - [`sql_type`]: the type system, ksqlDB's spelling, widening and arithmetic result types.
//! - [`value`]: values and rows, grouping equality and SQL comparison.
//! - [`cast`]: `CAST` rules.
//! - [`decimal`], [`time`], [`java_text`]: DECIMAL fitting, temporal text and JVM number text,
//!   shared by casts, functions and serdes so every layer prints numbers the same way.
//! - [`parse`]: type text (`DECIMAL(4, 2)`, `STRUCT<…>`) for schemas written outside SQL.
//! - [`java_hash_map`]: the entry order of MAP values ksqlDB builds in a Java `HashMap`.

pub mod cast;
pub mod decimal;
pub mod java_hash_map;
pub mod java_text;
pub mod parse;
pub mod sql_type;
pub mod time;
pub mod value;

pub use cast::{CastError, can_cast, cast};
pub use decimal::DecimalError;
pub use parse::TypeParseError;
pub use sql_type::{
    ArithmeticOp, BIGINT_AS_DECIMAL, INT_AS_DECIMAL, SqlType, StructField, TypeError,
    decimal_result,
};
pub use time::TimeParseError;
pub use value::{Row, Value};
