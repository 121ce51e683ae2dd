//! The functions of ksqlDB's test build, registered as extra functions
//! ([`weir::functions::extra`]) when the runner starts, as ksqlDB's harness
//! (`TestFunctionRegistry` → `UdfLoaderUtil.load`) loads the annotated classes of its
//! test-jars besides the built-ins. Each function follows the semantics of its Java test
//! source in `ksqldb-engine/src/test/java/io/confluent/ksql/function/` (or of
//! `udf-example.jar`), every overload included, not only what one case calls:
//!
//! - [`scalar`]: `test_udf`, `bad_udf`, `WhenCondition`, `WhenResult` (`udf/`) and
//!   `tostruct` (`udf-example.jar`).
//! - [`table`]: `test_udtf`, `throwing_udtf` (`udf/`).
//! - [`aggregate`]: `test_udaf` (`udaf/TestUdaf`).
//! - [`multi_column`]: the multi-column and variadic UDAFs `MULTI_ARG`, `FOUR_ARG`,
//!   `FIVE_ARG`, `VAR_ARG`, `MID_VAR_ARG`, `GENERIC_VAR_ARG`, `OBJ_COL_ARG` (`udaf/`).
//!
//! Java's failures (an exception the UDF throws, a `NullPointerException` on a NULL passed
//! to a primitive parameter or dereferenced) are the implementations' `Err` messages. The
//! other names of `causes::TEST_JAR_FUNCTIONS` are not registered: no case that could pass
//! calls them. weir's daemon registers none of these.

mod aggregate;
mod multi_column;
mod scalar;
mod table;

use weir::functions::extra::{self, ExtraFunction};
use weir::types::Value;

/// Registers every test function for the rest of the process; the runner calls it once,
/// before planning any case.
pub fn install() -> Result<(), extra::ExtensionError> {
    let mut functions: Vec<ExtraFunction> = Vec::new();
    functions.extend(scalar::functions());
    functions.extend(table::functions());
    functions.extend(aggregate::functions());
    functions.extend(multi_column::functions());
    extra::install(functions)
}

/// The message of the `NullPointerException` Java throws where a NULL reaches a primitive
/// parameter or is dereferenced.
const NULL_POINTER: &str = "java.lang.NullPointerException";

/// A value that Java could not take as NULL: `Err` (a `NullPointerException`) when it is.
fn present(value: Option<&Value>) -> Result<&Value, String> {
    match value {
        Some(v) if !v.is_null() => Ok(v),
        _ => Err(NULL_POINTER.to_string()),
    }
}

/// Java's `String.length()` (UTF-16 code units) of a string value; 0 for NULL, as the test
/// UDAFs count a NULL string.
fn java_length(value: &Value) -> i64 {
    value
        .as_str()
        .map_or(0, |s| s.encode_utf16().count() as i64)
}
