//! The iteration order of a Java `HashMap`, for the MAP values ksqlDB builds in one: its JSON
//! deserializer (`KsqlJsonDeserializer`) reads an object into `new HashMap<>(size)`, and the
//! Kafka Connect formats (AVRO, PROTOBUF) end in `ConnectDataTranslator`, which copies the
//! converter's map into a `new HashMap<>()` ([`DEFAULT_CAPACITY`]); the MAP constructor
//! (`MapBuilder`) and the functions that return maps (MAP_UNION, AS_MAP, SPLIT_TO_MAP,
//! JSON_RECORDS, TRANSFORM and FILTER of a map) fill `HashMap`s too. Every function that walks
//! a map (REDUCE, TRANSFORM, MAP_KEYS, …) sees the entries in that map's order, not the
//! order they were read or listed in. Keys that share a bucket keep the order they are given in:
//! the record's, which for the Connect formats is an approximation (there the converter's own
//! map decides it). Pure: keys' Java `hashCode`s and the table's growth, nothing of formats.
//!
//! `HashMap` keeps its entries in buckets indexed by the spread hash (`h ^ (h >>> 16)`) masked
//! to the table size, each bucket in insertion order (a resize splits a bucket without
//! reordering it), and iterates bucket by bucket. The table starts at the power of two at
//! least the requested capacity and doubles whenever the size passes three quarters of it.
//! Buckets that Java would turn into trees (eight colliding keys in a table of 64 or more) are
//! kept in insertion order here.

use std::collections::HashMap;

use super::Value;

/// Entries a map holds before its keys are indexed rather than searched.
const INDEXED_FROM: usize = 8;

/// The initial capacity of `new HashMap<>()` (ksqlDB's `ConnectDataTranslator`, and
/// `Collectors.toMap` in its functions).
pub const DEFAULT_CAPACITY: usize = 16;

/// `entries` (unique keys, in insertion order) in the order a Java `HashMap` created with
/// `initial_capacity` and filled in that order iterates them. Entries whose key has no known
/// Java hash (anything but strings, integers, booleans and doubles) are left as they are.
pub fn hash_map_order(
    entries: Vec<(Value, Value)>,
    initial_capacity: usize,
) -> Vec<(Value, Value)> {
    let mut map = JavaHashMap::with_capacity(initial_capacity);
    for (key, value) in entries {
        map.put(key, value);
    }
    map.into_entries()
}

/// A Java `HashMap` being filled: its entries in insertion order (a repeated key keeps its
/// first place and takes the new value, as `put` does) and the table length its puts have
/// grown it to, which decides the order it iterates in.
#[derive(Debug, Clone, Default)]
pub struct JavaHashMap {
    entries: Vec<(Value, Value)>,
    /// Position of each key in `entries`, once there are more than a few (a long map is
    /// indexed so that filling it stays linear).
    index: HashMap<Value, usize>,
    /// The table length; 0 before the first put allocates it.
    table: usize,
    /// `threshold`: before the table exists, the length it will be allocated with (0: the
    /// default 16); after, the size past which it doubles.
    threshold: usize,
}

impl JavaHashMap {
    /// `new HashMap<>()`.
    pub fn new() -> JavaHashMap {
        JavaHashMap::default()
    }

    /// `new HashMap<>(initial_capacity)`.
    pub fn with_capacity(initial_capacity: usize) -> JavaHashMap {
        JavaHashMap {
            threshold: table_size_for(initial_capacity),
            ..JavaHashMap::default()
        }
    }

    /// `put(key, value)`.
    pub fn put(&mut self, key: Value, value: Value) {
        let at = if self.entries.len() <= INDEXED_FROM {
            self.entries.iter().position(|(k, _)| *k == key)
        } else {
            self.index.get(&key).copied()
        };
        if let Some(at) = at {
            self.entries[at].1 = value;
            return;
        }
        if self.table == 0 {
            self.resize();
        }
        if self.entries.len() == INDEXED_FROM {
            self.index = (self.entries.iter().enumerate())
                .map(|(i, (k, _))| (k.clone(), i))
                .collect();
        }
        if self.entries.len() >= INDEXED_FROM {
            self.index.insert(key.clone(), self.entries.len());
        }
        self.entries.push((key, value));
        if self.entries.len() > self.threshold {
            self.resize();
        }
    }

    /// `putAll` of a map with `entries`: the table is first sized for all of them
    /// (`putMapEntries`), then each is put.
    pub fn put_all(&mut self, entries: Vec<(Value, Value)>) {
        if self.table == 0 && !entries.is_empty() {
            // (int) (size / 0.75f + 1.0f), then the power of two at least that.
            let wanted = table_size_for((entries.len() as f32 / 0.75 + 1.0) as usize);
            self.threshold = self.threshold.max(wanted);
        } else {
            // An allocated table doubles until the other map's size fits under it.
            while entries.len() > self.threshold {
                self.resize();
            }
        }
        for (key, value) in entries {
            self.put(key, value);
        }
    }

    /// The entries in the order the map iterates them: by bucket, then by insertion.
    pub fn into_entries(self) -> Vec<(Value, Value)> {
        let Some(hashes) = self
            .entries
            .iter()
            .map(|(key, _)| java_hash_code(key))
            .collect::<Option<Vec<i32>>>()
        else {
            return self.entries;
        };
        let mask = self.table.max(1) - 1;
        let bucket = |h: i32| {
            let h = h as u32;
            ((h ^ (h >> 16)) as usize) & mask
        };
        let mut order: Vec<usize> = (0..self.entries.len()).collect();
        // Stable: within a bucket, insertion order (a resize splits a bucket in order).
        order.sort_by_key(|&i| bucket(hashes[i]));
        let mut slots: Vec<Option<(Value, Value)>> = self.entries.into_iter().map(Some).collect();
        order.into_iter().filter_map(|i| slots[i].take()).collect()
    }

    /// The map as a MAP value, in iteration order.
    pub fn into_value(self) -> Value {
        Value::Map(self.into_entries().into())
    }

    /// `resize()`: allocates the table (at the requested length, or 16) or doubles it.
    fn resize(&mut self) {
        let (table, threshold) = match (self.table, self.threshold) {
            (0, 0) => (16, 12),
            (0, requested) => (requested, requested * 3 / 4),
            (old, old_threshold) if old >= 16 => (old * 2, old_threshold * 2),
            (old, _) => (old * 2, old * 2 * 3 / 4),
        };
        self.table = table;
        self.threshold = threshold;
    }
}

/// `tableSizeFor`: the power of two at least `capacity` (1 for 0).
fn table_size_for(capacity: usize) -> usize {
    capacity.max(1).next_power_of_two()
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
    fn put_all_sizes_the_table_as_a_jvm_does() {
        // Printed by OpenJDK 17: `new HashMap<>()`, then `putAll` of maps iterating so.
        let union = |maps: &[&[&str]]| {
            let mut map = JavaHashMap::new();
            for m in maps {
                map.put_all(strings(m));
            }
            keys(&map.into_entries())
        };
        let fruit = [
            "kiwi",
            "banana",
            "cherry",
            "date",
            "fig",
            "grape",
            "lemon",
            "mango",
            "melon",
            "nectarine",
            "orange",
            "papaya",
            "pear",
            "plum",
            "quince",
        ];
        assert_eq!(
            union(&[&["apple"], &fruit]),
            [
                "banana",
                "date",
                "papaya",
                "plum",
                "cherry",
                "kiwi",
                "nectarine",
                "fig",
                "grape",
                "mango",
                "orange",
                "apple",
                "lemon",
                "pear",
                "melon",
                "quince"
            ]
        );
        let twelve = [
            "k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9", "k10", "k11", "k12",
        ];
        assert_eq!(
            union(&[&twelve, &["z"]]),
            [
                "k1", "k2", "k3", "k4", "k5", "k11", "k6", "k10", "k7", "k8", "k12", "k9", "z"
            ]
        );
    }

    #[test]
    fn the_table_grows_past_three_quarters() {
        let grown = |mut map: JavaHashMap, size: usize| {
            for i in 0..size {
                map.put(Value::Int(i as i32), Value::Null);
            }
            map.table
        };
        assert_eq!(grown(JavaHashMap::with_capacity(3), 3), 4);
        assert_eq!(grown(JavaHashMap::with_capacity(4), 4), 8);
        assert_eq!(grown(JavaHashMap::with_capacity(0), 1), 2);
        assert_eq!(grown(JavaHashMap::new(), 12), 16);
        assert_eq!(grown(JavaHashMap::new(), 13), 32);
        assert_eq!(grown(JavaHashMap::new(), 25), 64);
        // putAll into an empty map sizes the table for the whole map first.
        let mut map = JavaHashMap::new();
        map.put_all((0..12).map(|i| (Value::Int(i), Value::Null)).collect());
        assert_eq!(map.table, 32);
    }

    #[test]
    fn long_maps_find_repeated_keys_through_the_index() {
        let mut map = JavaHashMap::new();
        for round in 0..2 {
            for i in 0..100 {
                map.put(Value::Int(i), Value::Int(round));
            }
        }
        let entries = map.into_entries();
        assert_eq!(entries.len(), 100);
        assert!(entries.iter().all(|(_, v)| *v == Value::Int(1)));
        // Integers hash to themselves: a table of 256 iterates them in order.
        assert!(entries.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn a_repeated_key_keeps_its_place_and_takes_the_new_value() {
        let mut map = JavaHashMap::new();
        map.put(Value::string("b"), Value::Int(1));
        map.put(Value::string("a"), Value::Int(2));
        map.put(Value::string("b"), Value::Int(3));
        assert_eq!(
            map.into_entries(),
            vec![
                (Value::string("a"), Value::Int(2)),
                (Value::string("b"), Value::Int(3)),
            ]
        );
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
