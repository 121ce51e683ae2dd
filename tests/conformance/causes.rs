//! Why a case still fails, in three categories for the runner's report and summary:
//!
//! - **test-jar UDF**: the case calls a function that exists only in ksqlDB's test build and
//!   that the runner does not register. ksqlDB's harness (`TestExecutor`,
//!   `TestFunctionRegistry` → `UdfLoaderUtil.load`) loads, besides the built-ins, every
//!   annotated function on its test class path, i.e. the test-jars of `ksqldb-engine`,
//!   `ksqldb-common`, `ksqldb-metastore`, `ksqldb-rest-model`, `ksqldb-rest-client` and
//!   `ksqldb-rest-app` (the `pom.xml` of `ksqldb-functional-tests`), and the extension jar
//!   `ksqldb-functional-tests/src/test/resources/udf-example.jar`. [`TEST_JAR_FUNCTIONS`]
//!   lists the names those sources declare. No production ksqlDB has them, so weir's catalog
//!   does not either; the runner registers the ones the cases call as extra functions
//!   (`test_functions/`), and a case that calls only those fails for the reasons any other
//!   case does.
//! - **unsupported by design**: weir refuses the statement in a queries file (its parser's
//!   "is not allowed in a queries file": `DROP`, `TERMINATE`, bare `SELECT`, …), as a
//!   headless queries file holds only persistent queries and what they use.
//! - **known gap**: everything else; the report's `reason` says what differs.
//!
//! The categories only label failures; they never turn a failure into a pass. A case that
//! expects an exception and gets one passes; whether its message is ksqlDB's, and why not when
//! it is not (by design: a statement weir refuses in a queries file, or a syntax error worded
//! by weir's parser rather than ANTLR; or other), is `messages.rs`'s to say.

/// The functions declared (`@UdfDescription`, `@UdtfDescription`, `@UdafDescription`) in the
/// test sources ksqlDB's harness loads: `ksqldb-engine/src/test/java/.../function/udf/`
/// (`TestUdf`, `BadUdf`, `BadTestUdf`, `WhenCondition`, `WhenResult`, `TestUdtf`,
/// `BadTestUdtf`, `ThrowingUdtf`), `.../function/udaf/` (`TestUdaf`, `BadTestUdaf`,
/// `MultiArgUdaf`, `FourArgUdaf`, `FiveArgUdaf`, `VarArgUdaf`, `MiddleVarArgUdaf`,
/// `GenericVarArgUdaf`, `ObjVarColArgUdaf`), the functions nested in `UdfLoaderTest`,
/// `UdtfLoaderTest` and `EndToEndIntegrationTest`, `ksqldb-rest-app`'s `TemporaryEngine`, and
/// the classes of `udf-example.jar` (`Multiply`, `ToList`, `ToMap`, `ToString`, `ToStruct`).
pub const TEST_JAR_FUNCTIONS: &[&str] = &[
    "TEST_UDF",
    "BAD_UDF",
    "BAD_TEST_UDF",
    "WHENCONDITION",
    "WHENRESULT",
    "TEST_UDTF",
    "BAD_TEST_UDTF",
    "THROWING_UDTF",
    "TEST_UDAF",
    "BAD_TEST_UDAF",
    "MULTI_ARG",
    "FOUR_ARG",
    "FIVE_ARG",
    "VAR_ARG",
    "MID_VAR_ARG",
    "GENERIC_VAR_ARG",
    "OBJ_COL_ARG",
    "CONFIGURABLEUDF",
    "SOMEFUNCTION",
    "COMPLEXFUNCTION",
    "RETURNDECIMAL",
    "DECIMALSTRUCT",
    "KSQLSTRUCTUDF",
    "RETURNINCOMPATIBLE",
    "BADRETURNUDTF",
    "RAWLISTRETURN",
    "BIGDECIMALNOSCHEMAPROVIDER",
    "E2ECONFIGURABLEUDF",
    "TEST_UDF_1",
    "TEST_UDTF1",
    "TEST_UDTF2",
    "MULTIPLY",
    "TOLIST",
    "TOMAP",
    "TOSTRING",
    "TOSTRUCT",
];

/// The category of a failing case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Cause {
    TestJarUdf,
    UnsupportedByDesign,
    KnownGap,
}

impl Cause {
    pub const ALL: [Cause; 3] = [
        Cause::TestJarUdf,
        Cause::UnsupportedByDesign,
        Cause::KnownGap,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Cause::TestJarUdf => "test-jar UDF not registered",
            Cause::UnsupportedByDesign => "unsupported by design",
            Cause::KnownGap => "known gap",
        }
    }
}

/// Whether `statements` call a function of ksqlDB's test build: one of
/// [`TEST_JAR_FUNCTIONS`] (any case) followed by an opening parenthesis, outside string
/// literals and quoted identifiers.
pub fn calls_test_jar_function(statements: &str) -> bool {
    !called_test_jar_functions(statements).is_empty()
}

/// Whether `statements` call a function of ksqlDB's test build that the runner did not
/// register (see [`calls_test_jar_function`]).
pub fn calls_unregistered_test_jar_function(statements: &str) -> bool {
    called_test_jar_functions(statements)
        .iter()
        .any(|name| weir::functions::Registry::builtin().get(name).is_none())
}

/// The names of [`TEST_JAR_FUNCTIONS`] that `statements` call.
fn called_test_jar_functions(statements: &str) -> Vec<&'static str> {
    let mut called = Vec::new();
    let chars: Vec<char> = statements.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' || c == '"' || c == '`' {
            // Skip to the closing quote; a doubled quote inside is skipped with it.
            i += 1;
            while i < chars.len() && chars[i] != c {
                i += 1;
            }
            i += 1;
            continue;
        }
        if !(c.is_alphanumeric() || c == '_') {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
            i += 1;
        }
        let word: String = chars[start..i].iter().collect::<String>().to_uppercase();
        let mut next = i;
        while next < chars.len() && chars[next].is_whitespace() {
            next += 1;
        }
        if chars.get(next) == Some(&'(')
            && let Some(name) = TEST_JAR_FUNCTIONS.iter().find(|n| **n == word)
            && !called.contains(name)
        {
            called.push(*name);
        }
    }
    called
}

/// The category of a failed case: `calls_unregistered` says whether its statements call a
/// test-jar function the runner does not register, `reason` is the failure message.
pub fn cause(calls_unregistered: bool, reason: &str) -> Cause {
    if calls_unregistered {
        Cause::TestJarUdf
    } else if reason.contains("is not allowed in a queries file") {
        Cause::UnsupportedByDesign
    } else {
        Cause::KnownGap
    }
}
