//! The iteration order of a Java `HashMap`, for the MAP values ksqlDB builds in one: its JSON
//! deserializer (`KsqlJsonDeserializer`) reads an object into `new HashMap<>(size)`, and the
//! Kafka Connect formats (AVRO, PROTOBUF) end in `ConnectDataTranslator`, which copies the
//! converter's map into a `new HashMap<>()` ([`CONNECT_MAP_CAPACITY`]). Every function that
//! walks a map read from a record (REDUCE, TRANSFORM, MAP_KEYS, …) sees the entries in that
//! map's order, not the record's. Keys that share a bucket keep the order they are given in:
//! the record's, which for the Connect formats is an approximation (there the converter's own
//! map decides it). Pure: keys' Java `hashCode`s and the table's growth, nothing of formats.
//!
//! `HashMap` keeps its entries in buckets indexed by the spread hash (`h ^ (h >>> 16)`) masked
//! to the table size, each bucket in insertion order (a resize splits a bucket without
//! reordering it), and iterates bucket by bucket. The table starts at the power of two at
//! least the requested capacity and doubles whenever the size passes three quarters of it.
//! Buckets that Java would turn into trees (eight colliding keys in a table of 64 or more) are
//! kept in insertion order here.

use super::Value;

/// The initial capacity of the `HashMap` ksqlDB copies a Kafka Connect map into
/// (`new HashMap<>()`).
pub const CONNECT_MAP_CAPACITY: usize = 16;

/// `entries` (unique keys, in insertion order) in the order a Java `HashMap` created with
/// `initial_capacity` and filled in that order iterates them. Entries whose key has no known
/// Java hash (anything but strings, integers, booleans and doubles) are left as they are.
pub fn hash_map_order(
    entries: Vec<(Value, Value)>,
    initial_capacity: usize,
) -> Vec<(Value, Value)> {
    let Some(hashes) = entries
        .iter()
        .map(|(key, _)| java_hash_code(key))
        .collect::<Option<Vec<i32>>>()
    else {
        return entries;
    };
    let capacity = table_size(initial_capacity, entries.len());
    let bucket = |h: i32| {
        let h = h as u32;
        ((h ^ (h >> 16)) as usize) & (capacity - 1)
    };
    let mut order: Vec<usize> = (0..entries.len()).collect();
    // Stable: within a bucket, insertion order.
    order.sort_by_key(|&i| bucket(hashes[i]));
    let mut slots: Vec<Option<(Value, Value)>> = entries.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}

/// The table length of a `HashMap` created with `initial_capacity` after `size` puts of new
/// keys: `tableSizeFor(initial_capacity)` at the first put, doubled whenever the size
/// passes the threshold (three quarters of the table, truncated).
fn table_size(initial_capacity: usize, size: usize) -> usize {
    let mut capacity = initial_capacity.max(1).next_power_of_two();
    let threshold = |capacity: usize| capacity * 3 / 4;
    while size > threshold(capacity) {
        capacity *= 2;
    }
    capacity
}

/// The `hashCode` Java gives the boxed value ksqlDB holds for `value`, when known.
fn java_hash_code(value: &Value) -> Option<i32> {
    Some(match value {
        Value::String(s) => s.encode_utf16().fold(0i32, |h, unit| {
            h.wrapping_mul(31).wrapping_add(i32::from(unit))
        }),
        Value::Int(i) => *i,
        Value::Bigint(v) => (v ^ ((*v as u64) >> 32) as i64) as i32,
        Value::Boolean(b) => {
            if *b {
                1231
            } else {
                1237
            }
        }
        Value::Double(d) => {
            // Double.hashCode: the bits (NaN canonical), folded to 32 bits.
            let bits = if d.is_nan() {
                0x7ff8_0000_0000_0000
            } else {
                d.to_bits()
            };
            (bits ^ (bits >> 32)) as i32
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(entries: &[(Value, Value)]) -> Vec<String> {
        entries
            .iter()
            .map(|(k, _)| k.as_str().unwrap_or_default().to_owned())
            .collect()
    }

    fn strings(names: &[&str]) -> Vec<(Value, Value)> {
        names
            .iter()
            .map(|n| (Value::string(*n), Value::Null))
            .collect()
    }

    #[test]
    fn string_keys_iterate_in_java_hash_map_order() {
        // As ksqlDB's REDUCE over this JSON map shows: "yes, thanks", "sure, yeah", "nope".
        let ordered = hash_map_order(strings(&["yes, thanks", "nope", "sure, yeah"]), 3);
        assert_eq!(keys(&ordered), ["yes, thanks", "sure, yeah", "nope"]);
        // "foo" (101574), "bar" (97299), "baz" (97307) in a table of 4: buckets 3, 2, 2.
        let ordered = hash_map_order(strings(&["foo", "bar", "baz"]), 3);
        assert_eq!(keys(&ordered), ["bar", "baz", "foo"]);
    }

    #[test]
    fn orders_agree_with_a_jvm() {
        // Printed by `new HashMap<>(keys.length)` filled in this order on OpenJDK.
        let letters: Vec<String> = ('a'..='q').map(String::from).collect();
        let letters: Vec<&str> = letters.iter().map(String::as_str).collect();
        let cases: [(&[&str], &[&str]); 4] = [
            (&letters, &letters),
            (&["key3", "key2", "key1"], &["key1", "key2", "key3"]),
            // "Aa" and "BB" share a hash: they keep their insertion order.
            (&["zz", "Aa", "BB", "yy"], &["zz", "Aa", "BB", "yy"]),
            (&["yeowza", "nah", ""], &["nah", "", "yeowza"]),
        ];
        for (inserted, iterated) in cases {
            let ordered = hash_map_order(strings(inserted), inserted.len());
            assert_eq!(keys(&ordered), iterated, "{inserted:?}");
        }
        let longs = [-1i64, 1 << 32, 7, 100_000_000_000];
        let entries: Vec<(Value, Value)> = longs
            .iter()
            .map(|v| (Value::Bigint(*v), Value::Null))
            .collect();
        let ordered: Vec<Value> = hash_map_order(entries, 4)
            .into_iter()
            .map(|e| e.0)
            .collect();
        let want = [-1i64, 1 << 32, 100_000_000_000, 7].map(Value::Bigint);
        assert_eq!(ordered, want);
        let doubles = [1.5, -0.0, 2.0].map(|d| (Value::Double(d), Value::Null));
        let ordered = hash_map_order(doubles.to_vec(), 3);
        assert_eq!(ordered, doubles.to_vec());
    }

    #[test]
    fn the_table_grows_past_three_quarters() {
        assert_eq!(table_size(3, 3), 4);
        assert_eq!(table_size(4, 4), 8);
        assert_eq!(table_size(0, 1), 2);
        assert_eq!(table_size(16, 12), 16);
        assert_eq!(table_size(16, 13), 32);
    }

    #[test]
    fn java_hash_codes_of_boxed_values() {
        assert_eq!(java_hash_code(&Value::string("a")), Some(97));
        assert_eq!(java_hash_code(&Value::string("ab")), Some(97 * 31 + 98));
        assert_eq!(java_hash_code(&Value::Bigint(-1)), Some(0));
        assert_eq!(java_hash_code(&Value::Bigint(1 << 32)), Some(1));
        assert_eq!(java_hash_code(&Value::Double(1.0)), Some(1_072_693_248));
        assert_eq!(java_hash_code(&Value::Boolean(true)), Some(1231));
        assert_eq!(java_hash_code(&Value::Date(1)), None);
    }

    #[test]
    fn keys_without_a_known_hash_keep_their_order() {
        let entries = vec![(Value::Date(2), Value::Null), (Value::Date(1), Value::Null)];
        assert_eq!(hash_map_order(entries.clone(), 2), entries);
    }
}
