//! Map functions: MAP_KEYS, MAP_VALUES, MAP_UNION (later maps win), AS_MAP (keys zipped with
//! values, missing values NULL) and ENTRIES (an array of `STRUCT<K, V>`, sorted by key on
//! request). Entries keep insertion order.

use super::{CallSite, FnImpl, array_arg, f};
use crate::types::Value;
use crate::types::java_hash_map::JavaHashMap;

pub fn lookup(site: &CallSite<'_>) -> Option<FnImpl> {
    match site.name {
        "MAP_KEYS" => f(|a| {
            map_arg(a, 0).map_or(Value::Null, |m| {
                Value::array(m.iter().map(|(k, _)| k.clone()).collect())
            })
        }),
        "MAP_VALUES" => f(|a| {
            map_arg(a, 0).map_or(Value::Null, |m| {
                Value::array(m.iter().map(|(_, v)| v.clone()).collect())
            })
        }),
        "MAP_UNION" => f(|a| {
            let maps: Vec<&[(Value, Value)]> = (0..2).filter_map(|i| map_arg(a, i)).collect();
            if maps.is_empty() {
                return Value::Null;
            }
            // `new HashMap<>()`, then `putAll` of each map.
            let mut union = JavaHashMap::new();
            for map in maps {
                union.put_all(map.to_vec());
            }
            union.into_value()
        }),
        "AS_MAP" => f(|a| {
            let (Some(keys), Some(values)) = (array_arg(a, 0), array_arg(a, 1)) else {
                return Value::Null;
            };
            // `new HashMap<>(keys.size())`, each key put with the value at its index.
            let mut map = JavaHashMap::with_capacity(keys.len());
            for (i, k) in keys.iter().enumerate() {
                map.put(k.clone(), values.get(i).cloned().unwrap_or(Value::Null));
            }
            map.into_value()
        }),
        "ENTRIES" => f(|a| {
            let Some(m) = map_arg(a, 0) else {
                return Value::Null;
            };
            let mut entries: Vec<&(Value, Value)> = m.iter().collect();
            if a.get(1).and_then(Value::as_bool) == Some(true) {
                entries.sort_by(|x, y| x.0.cmp(&y.0));
            }
            Value::array(
                entries
                    .into_iter()
                    .map(|(k, v)| Value::structure(vec![k.clone(), v.clone()]))
                    .collect(),
            )
        }),
        _ => None,
    }
}

fn map_arg(a: &[Value], i: usize) -> Option<&[(Value, Value)]> {
    a.get(i).and_then(Value::as_map)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::types::SqlType;

    #[test]
    fn keys_values_union_and_entries() {
        let t = SqlType::map(SqlType::String, SqlType::Int);
        let m = |e: &[(&str, i32)]| {
            Value::map(e.iter().map(|(k, v)| (sv(k), Value::Int(*v))).collect())
        };
        let x = (m(&[("b", 2), ("a", 1)]), t.clone());
        let y = (m(&[("a", 9), ("c", 3)]), t.clone());
        assert_eq!(
            call(
                "MAP_KEYS",
                SqlType::array(SqlType::String),
                std::slice::from_ref(&x)
            ),
            Ok(Value::array(vec![sv("b"), sv("a")]))
        );
        assert_eq!(
            call(
                "MAP_VALUES",
                SqlType::array(SqlType::Int),
                std::slice::from_ref(&x)
            ),
            Ok(Value::array(vec![Value::Int(2), Value::Int(1)]))
        );
        assert_eq!(
            call("MAP_UNION", t.clone(), &[x.clone(), y]),
            // In the order of the Java `HashMap` the union is put into.
            Ok(m(&[("a", 9), ("b", 2), ("c", 3)]))
        );
        let entries = call(
            "ENTRIES",
            SqlType::String,
            &[x, (Value::Boolean(true), SqlType::Boolean)],
        );
        assert_eq!(
            entries,
            Ok(Value::array(vec![
                Value::structure(vec![sv("a"), Value::Int(1)]),
                Value::structure(vec![sv("b"), Value::Int(2)]),
            ]))
        );
        let keys = (
            Value::array(vec![sv("a"), sv("b")]),
            SqlType::array(SqlType::String),
        );
        let values = (
            Value::array(vec![Value::Int(1)]),
            SqlType::array(SqlType::Int),
        );
        assert_eq!(
            call("AS_MAP", t, &[keys, values]),
            Ok(Value::map(vec![
                (sv("a"), Value::Int(1)),
                (sv("b"), Value::Null)
            ]))
        );
    }
}
