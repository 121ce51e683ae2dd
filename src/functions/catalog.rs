//! The built-in functions: one entry per function, its signatures in the text form of
//! [`super::signature`]. Signatures follow ksqlDB's `udf`, `udaf` and `udtf` packages. To add
//! a function, add one line here (scalar functions) or in [`super::catalog_aggregate`]
//! (aggregate and table functions).

use super::catalog_aggregate::{AGGREGATE, TABLE};
use super::signature::Signature;
use super::{FunctionDescriptor, FunctionKind};

/// The signatures of the one-argument math functions (SQRT, EXP, SIN, …): any number in, DOUBLE out.
pub(super) const UNARY_MATH: &[&str] = &["INT -> DOUBLE", "BIGINT -> DOUBLE", "DOUBLE -> DOUBLE"];

const SCALAR: &[(&str, &[&str])] = &[
    // strings
    ("LEN", &["STRING -> INT", "BYTES -> INT"]),
    ("UCASE", &["STRING -> STRING"]),
    ("LCASE", &["STRING -> STRING"]),
    ("TRIM", &["STRING -> STRING"]),
    ("LTRIM", &["STRING -> STRING"]),
    ("RTRIM", &["STRING -> STRING"]),
    ("INITCAP", &["STRING -> STRING"]),
    (
        "SUBSTRING",
        &[
            "STRING, INT -> STRING",
            "STRING, INT, INT -> STRING",
            "BYTES, INT -> BYTES",
            "BYTES, INT, INT -> BYTES",
        ],
    ),
    ("CONCAT", &["STRING... -> STRING", "BYTES... -> BYTES"]),
    (
        "CONCAT_WS",
        &["STRING, STRING... -> STRING", "BYTES, BYTES... -> BYTES"],
    ),
    ("REPLACE", &["STRING, STRING, STRING -> STRING"]),
    (
        "SPLIT",
        &[
            "STRING, STRING -> ARRAY<STRING>",
            "BYTES, BYTES -> ARRAY<BYTES>",
        ],
    ),
    (
        "SPLIT_TO_MAP",
        &["STRING, STRING, STRING -> MAP<STRING, STRING>"],
    ),
    (
        "LPAD",
        &[
            "STRING, INT, STRING -> STRING",
            "BYTES, INT, BYTES -> BYTES",
        ],
    ),
    (
        "RPAD",
        &[
            "STRING, INT, STRING -> STRING",
            "BYTES, INT, BYTES -> BYTES",
        ],
    ),
    (
        "INSTR",
        &[
            "STRING, STRING -> INT",
            "STRING, STRING, INT -> INT",
            "STRING, STRING, INT, INT -> INT",
        ],
    ),
    ("CHR", &["INT -> STRING", "STRING -> STRING"]),
    ("ELT", &["INT, STRING... -> STRING"]),
    ("FIELD", &["STRING, STRING... -> INT"]),
    ("ENCODE", &["STRING, STRING, STRING -> STRING"]),
    ("TO_BYTES", &["STRING, STRING -> BYTES"]),
    ("INT_FROM_BYTES", &["BYTES -> INT", "BYTES, STRING -> INT"]),
    (
        "BIGINT_FROM_BYTES",
        &["BYTES -> BIGINT", "BYTES, STRING -> BIGINT"],
    ),
    (
        "DOUBLE_FROM_BYTES",
        &["BYTES -> DOUBLE", "BYTES, STRING -> DOUBLE"],
    ),
    ("FROM_BYTES", &["BYTES, STRING -> STRING"]),
    ("UUID", &[" -> STRING", "BYTES -> STRING"]),
    (
        "MASK",
        &[
            "STRING -> STRING",
            "STRING, STRING -> STRING",
            "STRING, STRING, STRING -> STRING",
            "STRING, STRING, STRING, STRING -> STRING",
            "STRING, STRING, STRING, STRING, STRING -> STRING",
        ],
    ),
    (
        "MASK_KEEP_LEFT",
        &[
            "STRING, INT -> STRING",
            "STRING, INT, STRING -> STRING",
            "STRING, INT, STRING, STRING -> STRING",
            "STRING, INT, STRING, STRING, STRING -> STRING",
            "STRING, INT, STRING, STRING, STRING, STRING -> STRING",
        ],
    ),
    (
        "MASK_KEEP_RIGHT",
        &[
            "STRING, INT -> STRING",
            "STRING, INT, STRING -> STRING",
            "STRING, INT, STRING, STRING -> STRING",
            "STRING, INT, STRING, STRING, STRING -> STRING",
            "STRING, INT, STRING, STRING, STRING, STRING -> STRING",
        ],
    ),
    (
        "MASK_LEFT",
        &[
            "STRING, INT -> STRING",
            "STRING, INT, STRING -> STRING",
            "STRING, INT, STRING, STRING -> STRING",
            "STRING, INT, STRING, STRING, STRING -> STRING",
            "STRING, INT, STRING, STRING, STRING, STRING -> STRING",
        ],
    ),
    (
        "MASK_RIGHT",
        &[
            "STRING, INT -> STRING",
            "STRING, INT, STRING -> STRING",
            "STRING, INT, STRING, STRING -> STRING",
            "STRING, INT, STRING, STRING, STRING -> STRING",
            "STRING, INT, STRING, STRING, STRING, STRING -> STRING",
        ],
    ),
    (
        "REGEXP_EXTRACT",
        &["STRING, STRING -> STRING", "STRING, STRING, INT -> STRING"],
    ),
    (
        "REGEXP_EXTRACT_ALL",
        &[
            "STRING, STRING -> ARRAY<STRING>",
            "STRING, STRING, INT -> ARRAY<STRING>",
        ],
    ),
    ("REGEXP_REPLACE", &["STRING, STRING, STRING -> STRING"]),
    (
        "REGEXP_SPLIT_TO_ARRAY",
        &["STRING, STRING -> ARRAY<STRING>"],
    ),
    ("EXTRACTJSONFIELD", &["STRING, STRING -> STRING"]),
    ("JSON_ARRAY_LENGTH", &["STRING -> INT"]),
    ("JSON_ARRAY_CONTAINS", &["STRING, ANY -> BOOLEAN"]),
    ("JSON_CONCAT", &["STRING... -> STRING"]),
    ("JSON_ITEMS", &["STRING -> ARRAY<STRING>"]),
    ("JSON_KEYS", &["STRING -> ARRAY<STRING>"]),
    ("JSON_RECORDS", &["STRING -> MAP<STRING, STRING>"]),
    ("IS_JSON_STRING", &["STRING -> BOOLEAN"]),
    ("TO_JSON_STRING", &["ANY -> STRING"]),
    ("MD5", &["STRING -> STRING"]),
    ("URL_DECODE_PARAM", &["STRING -> STRING"]),
    ("URL_ENCODE_PARAM", &["STRING -> STRING"]),
    ("URL_EXTRACT_FRAGMENT", &["STRING -> STRING"]),
    ("URL_EXTRACT_HOST", &["STRING -> STRING"]),
    ("URL_EXTRACT_PARAMETER", &["STRING, STRING -> STRING"]),
    ("URL_EXTRACT_PATH", &["STRING -> STRING"]),
    ("URL_EXTRACT_PORT", &["STRING -> INT"]),
    ("URL_EXTRACT_PROTOCOL", &["STRING -> STRING"]),
    ("URL_EXTRACT_QUERY", &["STRING -> STRING"]),
    // math
    (
        "ABS",
        &[
            "INT -> INT",
            "BIGINT -> BIGINT",
            "DOUBLE -> DOUBLE",
            "DECIMAL -> =0",
        ],
    ),
    (
        "CEIL",
        &[
            "INT -> INT",
            "BIGINT -> BIGINT",
            "DOUBLE -> DOUBLE",
            "DECIMAL -> =0",
        ],
    ),
    (
        "FLOOR",
        &[
            "INT -> INT",
            "BIGINT -> BIGINT",
            "DOUBLE -> DOUBLE",
            "DECIMAL -> =0",
        ],
    ),
    (
        "ROUND",
        &[
            "INT -> BIGINT",
            "BIGINT -> BIGINT",
            "DOUBLE -> BIGINT",
            "DOUBLE, INT -> DOUBLE",
            "DECIMAL -> @round_decimal",
            "DECIMAL, INT -> =0",
        ],
    ),
    (
        "TRUNC",
        &[
            "INT -> BIGINT",
            "BIGINT -> BIGINT",
            "DOUBLE -> BIGINT",
            "DOUBLE, INT -> DOUBLE",
            "DECIMAL -> @round_decimal",
            "DECIMAL, INT -> =0",
        ],
    ),
    ("SQRT", UNARY_MATH),
    ("CBRT", UNARY_MATH),
    ("EXP", UNARY_MATH),
    ("LN", UNARY_MATH),
    (
        "LOG",
        &[
            "INT -> DOUBLE",
            "BIGINT -> DOUBLE",
            "DOUBLE -> DOUBLE",
            "INT, INT -> DOUBLE",
            "BIGINT, BIGINT -> DOUBLE",
            "DOUBLE, DOUBLE -> DOUBLE",
        ],
    ),
    (
        "POWER",
        &[
            "INT, INT -> DOUBLE",
            "BIGINT, BIGINT -> DOUBLE",
            "DOUBLE, DOUBLE -> DOUBLE",
        ],
    ),
    ("SIGN", &["INT -> INT", "BIGINT -> INT", "DOUBLE -> INT"]),
    ("RANDOM", &[" -> DOUBLE"]),
    ("PI", &[" -> DOUBLE"]),
    ("DEGREES", UNARY_MATH),
    ("RADIANS", UNARY_MATH),
    ("SIN", UNARY_MATH),
    ("COS", UNARY_MATH),
    ("TAN", UNARY_MATH),
    ("ASIN", UNARY_MATH),
    ("ACOS", UNARY_MATH),
    ("ATAN", UNARY_MATH),
    (
        "ATAN2",
        &[
            "INT, INT -> DOUBLE",
            "BIGINT, BIGINT -> DOUBLE",
            "DOUBLE, DOUBLE -> DOUBLE",
        ],
    ),
    ("SINH", UNARY_MATH),
    ("COSH", UNARY_MATH),
    ("TANH", UNARY_MATH),
    ("COT", UNARY_MATH),
    (
        "GREATEST",
        &[
            "INT, INT... -> INT",
            "BIGINT, BIGINT... -> BIGINT",
            "DOUBLE, DOUBLE... -> DOUBLE",
            "DECIMAL, DECIMAL... -> @widest",
            "STRING, STRING... -> STRING",
            "BYTES, BYTES... -> BYTES",
            "DATE, DATE... -> DATE",
            "TIME, TIME... -> TIME",
            "TIMESTAMP, TIMESTAMP... -> TIMESTAMP",
        ],
    ),
    (
        "LEAST",
        &[
            "INT, INT... -> INT",
            "BIGINT, BIGINT... -> BIGINT",
            "DOUBLE, DOUBLE... -> DOUBLE",
            "DECIMAL, DECIMAL... -> @widest",
            "STRING, STRING... -> STRING",
            "BYTES, BYTES... -> BYTES",
            "DATE, DATE... -> DATE",
            "TIME, TIME... -> TIME",
            "TIMESTAMP, TIMESTAMP... -> TIMESTAMP",
        ],
    ),
    (
        "GEO_DISTANCE",
        &[
            "DOUBLE, DOUBLE, DOUBLE, DOUBLE -> DOUBLE",
            "DOUBLE, DOUBLE, DOUBLE, DOUBLE, STRING -> DOUBLE",
        ],
    ),
    // nulls and conversions
    ("IFNULL", &["T, T -> T"]),
    ("COALESCE", &["T, T... -> T"]),
    ("NULLIF", &["T, T -> T"]),
    ("AS_VALUE", &["T -> T"]),
    // collections
    ("ARRAY_CONTAINS", &["ARRAY<T>, T -> BOOLEAN"]),
    ("ARRAY_LENGTH", &["ARRAY<T> -> INT"]),
    ("ARRAY_DISTINCT", &["ARRAY<T> -> ARRAY<T>"]),
    ("ARRAY_EXCEPT", &["ARRAY<T>, ARRAY<T> -> ARRAY<T>"]),
    ("ARRAY_INTERSECT", &["ARRAY<T>, ARRAY<T> -> ARRAY<T>"]),
    ("ARRAY_UNION", &["ARRAY<T>, ARRAY<T> -> ARRAY<T>"]),
    ("ARRAY_CONCAT", &["ARRAY<T>, ARRAY<T> -> ARRAY<T>"]),
    ("ARRAY_REMOVE", &["ARRAY<T>, T -> ARRAY<T>"]),
    ("ARRAY_MAX", &["ARRAY<T> -> T"]),
    ("ARRAY_MIN", &["ARRAY<T> -> T"]),
    (
        "ARRAY_SORT",
        &["ARRAY<T> -> ARRAY<T>", "ARRAY<T>, STRING -> ARRAY<T>"],
    ),
    (
        "ARRAY_JOIN",
        &["ARRAY<T> -> STRING", "ARRAY<T>, STRING -> STRING"],
    ),
    ("SLICE", &["ARRAY<T>, INT, INT -> ARRAY<T>"]),
    (
        "GENERATE_SERIES",
        &[
            "INT, INT -> ARRAY<INT>",
            "INT, INT, INT -> ARRAY<INT>",
            "BIGINT, BIGINT -> ARRAY<BIGINT>",
            "BIGINT, BIGINT, INT -> ARRAY<BIGINT>",
        ],
    ),
    ("ENTRIES", &["MAP<STRING, V>, BOOLEAN -> @entries"]),
    ("MAP_KEYS", &["MAP<K, V> -> ARRAY<K>"]),
    ("MAP_VALUES", &["MAP<K, V> -> ARRAY<V>"]),
    ("MAP_UNION", &["MAP<K, V>, MAP<K, V> -> MAP<K, V>"]),
    ("AS_MAP", &["ARRAY<K>, ARRAY<V> -> MAP<K, V>"]),
    (
        "TRANSFORM",
        &[
            "ARRAY<T>, FN<T: U> -> ARRAY<U>",
            "MAP<K, V>, FN<K, V: A>, FN<K, V: B> -> MAP<A, B>",
        ],
    ),
    (
        "FILTER",
        &[
            "ARRAY<T>, FN<T: BOOLEAN> -> ARRAY<T>",
            "MAP<K, V>, FN<K, V: BOOLEAN> -> MAP<K, V>",
        ],
    ),
    (
        "REDUCE",
        &[
            "ARRAY<T>, S, FN<S, T: S> -> S",
            "MAP<K, V>, S, FN<S, K, V: S> -> S",
        ],
    ),
    // date and time
    (
        "TIMESTAMPTOSTRING",
        &[
            "BIGINT, STRING -> STRING",
            "BIGINT, STRING, STRING -> STRING",
        ],
    ),
    (
        "STRINGTOTIMESTAMP",
        &[
            "STRING, STRING -> BIGINT",
            "STRING, STRING, STRING -> BIGINT",
        ],
    ),
    ("STRINGTODATE", &["STRING, STRING -> INT"]),
    ("DATETOSTRING", &["INT, STRING -> STRING"]),
    ("PARSE_DATE", &["STRING, STRING -> DATE"]),
    ("FORMAT_DATE", &["DATE, STRING -> STRING"]),
    ("PARSE_TIME", &["STRING, STRING -> TIME"]),
    ("FORMAT_TIME", &["TIME, STRING -> STRING"]),
    (
        "PARSE_TIMESTAMP",
        &[
            "STRING, STRING -> TIMESTAMP",
            "STRING, STRING, STRING -> TIMESTAMP",
        ],
    ),
    (
        "FORMAT_TIMESTAMP",
        &[
            "TIMESTAMP, STRING -> STRING",
            "TIMESTAMP, STRING, STRING -> STRING",
        ],
    ),
    ("UNIX_TIMESTAMP", &[" -> BIGINT", "TIMESTAMP -> BIGINT"]),
    ("UNIX_DATE", &[" -> INT", "DATE -> INT"]),
    ("FROM_UNIXTIME", &["BIGINT -> TIMESTAMP"]),
    ("FROM_DAYS", &["INT -> DATE"]),
    ("CONVERT_TZ", &["TIMESTAMP, STRING, STRING -> TIMESTAMP"]),
    ("DATEADD", &["UNIT, INT, DATE -> DATE"]),
    ("DATESUB", &["UNIT, INT, DATE -> DATE"]),
    ("TIMEADD", &["UNIT, INT, TIME -> TIME"]),
    ("TIMESUB", &["UNIT, INT, TIME -> TIME"]),
    ("TIMESTAMPADD", &["UNIT, BIGINT, TIMESTAMP -> TIMESTAMP"]),
    ("TIMESTAMPSUB", &["UNIT, BIGINT, TIMESTAMP -> TIMESTAMP"]),
];

/// Every built-in function. A signature line that does not parse is dropped (and fails the
/// `every_signature_parses` test).
pub fn entries() -> Vec<FunctionDescriptor> {
    let groups = [
        (FunctionKind::Scalar, SCALAR),
        (FunctionKind::Aggregate, AGGREGATE),
        (FunctionKind::Table, TABLE),
    ];
    let mut out = Vec::new();
    for (kind, list) in groups {
        for (name, lines) in list {
            out.push(FunctionDescriptor {
                name,
                kind,
                signatures: lines
                    .iter()
                    .filter_map(|line| Signature::parse(line).ok())
                    .collect(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::functions::{ArgType, Registry, resolve::resolve};
    use crate::types::SqlType;

    #[test]
    fn every_signature_parses() {
        for list in [SCALAR, AGGREGATE, TABLE].iter() {
            for (name, lines) in list.iter() {
                for line in lines.iter() {
                    assert!(Signature::parse(line).is_ok(), "{name}: {line}");
                }
            }
        }
    }

    #[test]
    fn resolves_with_widening_and_reports_like_ksqldb() {
        let registry = Registry::builtin();
        let t = |ty: SqlType| ArgType::Type(ty);
        let len = registry.get("len").unwrap();
        assert_eq!(
            resolve(len, &[t(SqlType::Int)]).unwrap_err().to_string(),
            "Function 'len' does not accept parameters (INTEGER)."
        );
        let abs = registry.get("ABS").unwrap();
        assert_eq!(
            resolve(abs, &[t(SqlType::Int)]).unwrap().returns,
            SqlType::Int
        );
        let power = registry.get("POWER").unwrap();
        let r = resolve(power, &[t(SqlType::Int), t(SqlType::Double)]).unwrap();
        assert_eq!(r.params[0], Some(SqlType::Double));
        let collect = registry.get("COLLECT_LIST").unwrap();
        assert_eq!(
            resolve(collect, &[t(SqlType::String)]).unwrap().returns,
            SqlType::array(SqlType::String)
        );
        let concat = registry.get("CONCAT").unwrap();
        assert_eq!(
            resolve(
                concat,
                &[t(SqlType::String), t(SqlType::String), ArgType::Null]
            )
            .unwrap()
            .returns,
            SqlType::String
        );
    }
}
