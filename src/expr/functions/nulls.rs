//! NULL handling: IFNULL and COALESCE (the first non-NULL argument), NULLIF (NULL when the two
//! arguments are equal), AS_VALUE (the argument itself, copying a key column into the value).

use super::{CallSite, FnImpl, f};
use crate::types::Value;

pub fn lookup(site: &CallSite<'_>) -> Option<FnImpl> {
    match site.name {
        "IFNULL" | "COALESCE" => f(|a| {
            a.iter()
                .find(|v| !v.is_null())
                .cloned()
                .unwrap_or(Value::Null)
        }),
        "NULLIF" => f(|a| {
            let (x, y) = (a.first().cloned().unwrap_or(Value::Null), a.get(1));
            match y {
                Some(y) if x.sql_equals(y) == Some(true) => Value::Null,
                _ => x,
            }
        }),
        "AS_VALUE" => f(|a| a.first().cloned().unwrap_or(Value::Null)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::types::SqlType;

    #[test]
    fn first_non_null_and_nullif() {
        assert_eq!(
            call("COALESCE", SqlType::Int, &[null(SqlType::Int), i(4), i(5)]),
            Ok(Value::Int(4))
        );
        assert_eq!(
            call(
                "IFNULL",
                SqlType::Int,
                &[null(SqlType::Int), null(SqlType::Int)]
            ),
            Ok(Value::Null)
        );
        assert_eq!(call("NULLIF", SqlType::Int, &[i(4), i(4)]), Ok(Value::Null));
        assert_eq!(
            call("NULLIF", SqlType::Int, &[i(4), i(5)]),
            Ok(Value::Int(4))
        );
        assert_eq!(call("AS_VALUE", SqlType::String, &[s("k")]), Ok(sv("k")));
    }
}
