//! The aggregate (`udaf`) and table (`udtf`) functions of the built-in catalog, one entry
//! per function with its signatures in the text form of [`super::signature`]; the scalar
//! functions and the list every caller reads are in [`super::catalog`].

use super::catalog::UNARY_MATH;

/// The signatures of MIN and MAX: every type they order, each to itself.
const ORDERED: &[&str] = &[
    "INT -> INT",
    "BIGINT -> BIGINT",
    "DOUBLE -> DOUBLE",
    "DECIMAL -> =0",
    "STRING -> STRING",
    "BYTES -> BYTES",
    "DATE -> DATE",
    "TIME -> TIME",
    "TIMESTAMP -> TIMESTAMP",
];

/// Aggregate functions, as ksqlDB's `udaf` package declares them.
pub(super) const AGGREGATE: &[(&str, &[&str])] = &[
    ("COUNT", &[" -> BIGINT", "ANY -> BIGINT"]),
    (
        "SUM",
        &[
            "INT -> INT",
            "BIGINT -> BIGINT",
            "DOUBLE -> DOUBLE",
            "DECIMAL -> @sum",
        ],
    ),
    (
        "AVG",
        &[
            "INT -> DOUBLE",
            "BIGINT -> DOUBLE",
            "DOUBLE -> DOUBLE",
            "DECIMAL -> @avg",
        ],
    ),
    ("MIN", ORDERED),
    ("MAX", ORDERED),
    ("COLLECT_LIST", &["T -> ARRAY<T>", "T, INT -> ARRAY<T>"]),
    ("COLLECT_SET", &["T -> ARRAY<T>", "T, INT -> ARRAY<T>"]),
    (
        "LATEST_BY_OFFSET",
        &[
            "T -> T",
            "T, BOOLEAN -> T",
            "T, INT -> ARRAY<T>",
            "T, INT, BOOLEAN -> ARRAY<T>",
        ],
    ),
    (
        "EARLIEST_BY_OFFSET",
        &[
            "T -> T",
            "T, BOOLEAN -> T",
            "T, INT -> ARRAY<T>",
            "T, INT, BOOLEAN -> ARRAY<T>",
        ],
    ),
    (
        "TOPK",
        &[
            "T, INT -> ARRAY<T>",
            // TOPK(sort, other..., k): each top row's sort value and other columns as a
            // STRUCT; ksqlDB sorts these four types only (`TopkKudaf`'s factories).
            "INT, ANY, ANY..., INT -> @topk_struct",
            "BIGINT, ANY, ANY..., INT -> @topk_struct",
            "DOUBLE, ANY, ANY..., INT -> @topk_struct",
            "STRING, ANY, ANY..., INT -> @topk_struct",
        ],
    ),
    ("TOPKDISTINCT", &["T, INT -> ARRAY<T>"]),
    ("COUNT_DISTINCT", &["T -> BIGINT"]),
    ("ATTR", &["T -> T"]),
    (
        "SUM_LIST",
        &[
            "ARRAY<INT> -> INT",
            "ARRAY<BIGINT> -> BIGINT",
            "ARRAY<DOUBLE> -> DOUBLE",
        ],
    ),
    ("HISTOGRAM", &["STRING -> MAP<STRING, BIGINT>"]),
    ("STDDEV_SAMP", UNARY_MATH),
    ("STDDEV_SAMPLE", UNARY_MATH),
    ("VAR_SAMP", UNARY_MATH),
    ("CORRELATION", &["DOUBLE, DOUBLE -> DOUBLE"]),
];

/// Table functions, as ksqlDB's `udtf` package declares them.
pub(super) const TABLE: &[(&str, &[&str])] = &[
    ("EXPLODE", &["ARRAY<T> -> T"]),
    ("CUBE_EXPLODE", &["ARRAY<T> -> ARRAY<T>"]),
];
