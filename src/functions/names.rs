//! How ksqlDB spells a function's name in its messages: as the function declares it
//! (`@UdfDescription(name = …)`, `@UdafDescription`, `@UdtfDescription`), which `UdfIndex`
//! and the function factories print verbatim: `'greatest'`, `'Round'`, `'TOPK'`. weir's
//! catalog keys functions by their upper-case name; this module only maps that key back to
//! the declared spelling, for error messages. It must not be used to look functions up.

/// The declared spellings that are not all lower case. Every other function of ksqlDB's
/// library declares its name in lower case.
const NOT_LOWER_CASE: &[&str] = &[
    "Abs",
    "ARRAY_CONTAINS",
    "ARRAY_JOIN",
    "ARRAY_LENGTH",
    "AS_MAP",
    "AS_VALUE",
    "ATTR",
    "Ceil",
    "Chr",
    "COALESCE",
    "COUNT",
    "COUNT_DISTINCT",
    "EARLIEST_BY_OFFSET",
    "ENTRIES",
    "Floor",
    "GENERATE_SERIES",
    "IFNULL",
    "IS_JSON_STRING",
    "JSON_ARRAY_CONTAINS",
    "JSON_ARRAY_LENGTH",
    "JSON_CONCAT",
    "JSON_ITEMS",
    "JSON_KEYS",
    "JSON_RECORDS",
    "LATEST_BY_OFFSET",
    "LPad",
    "MAX",
    "MIN",
    "NULLIF",
    "Round",
    "RPad",
    "STDDEV_SAMP",
    "STDDEV_SAMPLE",
    "SUM",
    "TOPK",
    "TOPKDISTINCT",
    "TO_JSON_STRING",
    "UUID",
];

/// ksqlDB's spelling of the function whose name is `name` (any case): its declared name
/// when ksqlDB declares it other than in lower case, or as an extra function declares it
/// ([`super::extra`]), else `name` in lower case.
pub fn declared_name(name: &str) -> String {
    NOT_LOWER_CASE
        .iter()
        .find(|d| d.eq_ignore_ascii_case(name))
        .copied()
        .or_else(|| super::extra::declared_name(name))
        .map_or_else(|| name.to_ascii_lowercase(), str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_case_unless_declared_otherwise() {
        assert_eq!(declared_name("GREATEST"), "greatest");
        assert_eq!(declared_name("explode"), "explode");
        assert_eq!(declared_name("ROUND"), "Round");
        assert_eq!(declared_name("lpad"), "LPad");
        assert_eq!(declared_name("Topk"), "TOPK");
        assert_eq!(declared_name("COUNT"), "COUNT");
        assert_eq!(declared_name("ARRAY_LENGTH"), "ARRAY_LENGTH");
    }
}
