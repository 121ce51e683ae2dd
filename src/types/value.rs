//! Runtime values: [`Value`], one per column or expression result, and [`Row`], a record's
//! columns. Cloning is cheap (strings, bytes and collections are shared behind `Arc`) because
//! rows are copied into joins, projections and state. Equality, hashing and ordering here are the
//! *grouping* semantics (NULL equals NULL); SQL three-valued comparison is [`Value::sql_cmp`] and
//! [`Value::sql_equals`]. Values never check themselves against a schema; serdes and casts do.

use std::cmp::Ordering;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use rust_decimal::Decimal;

/// A record's columns, in schema order.
pub type Row = Vec<Value>;

/// One SQL value. Temporal values are UTC numbers: `Date` in days since the epoch, `Time` in
/// milliseconds of the day, `Timestamp` in milliseconds since the epoch (as ksqlDB stores them).
/// A `Struct` holds its fields positionally, in the order of its `SqlType::Struct` fields.
#[derive(Debug, Clone, Default)]
pub enum Value {
    #[default]
    Null,
    Boolean(bool),
    Int(i32),
    Bigint(i64),
    Double(f64),
    Decimal(Decimal),
    String(Arc<str>),
    Bytes(Arc<[u8]>),
    Date(i32),
    Time(i32),
    Timestamp(i64),
    Array(Arc<[Value]>),
    /// Entries in insertion order; keys are unique (see [`Value::map`]).
    Map(Arc<[(Value, Value)]>),
    Struct(Arc<[Value]>),
}

impl Value {
    pub fn string(text: impl Into<Arc<str>>) -> Value {
        Value::String(text.into())
    }

    pub fn bytes(data: impl Into<Arc<[u8]>>) -> Value {
        Value::Bytes(data.into())
    }

    pub fn array(elements: Vec<Value>) -> Value {
        Value::Array(elements.into())
    }

    /// A map from entries; a repeated key keeps its first position and takes the last value,
    /// like Java's `LinkedHashMap.put`.
    pub fn map(entries: Vec<(Value, Value)>) -> Value {
        let mut unique: Vec<(Value, Value)> = Vec::with_capacity(entries.len());
        for (key, value) in entries {
            match unique.iter_mut().find(|(k, _)| *k == key) {
                Some(existing) => existing.1 = value,
                None => unique.push((key, value)),
            }
        }
        Value::Map(unique.into())
    }

    /// A struct from its field values, in the order of the type's fields.
    pub fn structure(fields: Vec<Value>) -> Value {
        Value::Struct(fields.into())
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Boolean(b) => Some(*b),
            _ => None,
        }
    }

    /// INT, BIGINT, DATE, TIME or TIMESTAMP as an `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(v) | Value::Date(v) | Value::Time(v) => Some(i64::from(*v)),
            Value::Bigint(v) | Value::Timestamp(v) => Some(*v),
            _ => None,
        }
    }

    /// Any number as an `f64` (ksqlDB's `doubleValue()`).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(v) => Some(f64::from(*v)),
            Value::Bigint(v) => Some(*v as f64),
            Value::Double(v) => Some(*v),
            Value::Decimal(d) => d.to_string().parse().ok(),
            _ => None,
        }
    }

    /// INT, BIGINT or DECIMAL as an exact decimal.
    pub fn as_decimal(&self) -> Option<Decimal> {
        match self {
            Value::Int(v) => Some(Decimal::from(*v)),
            Value::Bigint(v) => Some(Decimal::from(*v)),
            Value::Decimal(d) => Some(*d),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(Value, Value)]> {
        match self {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn as_struct(&self) -> Option<&[Value]> {
        match self {
            Value::Struct(fields) => Some(fields),
            _ => None,
        }
    }

    /// The value stored under `key` in a MAP (grouping equality on keys).
    pub fn map_get(&self, key: &Value) -> Option<&Value> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// SQL ordering: `None` when either side is NULL or the two cannot be ordered. Numbers of
    /// different types compare by value (INT < BIGINT < DECIMAL < DOUBLE widening), a DATE
    /// compares with a TIMESTAMP at midnight, BYTES compare as signed bytes (Java's ByteBuffer).
    pub fn sql_cmp(&self, other: &Value) -> Option<Ordering> {
        use Value::*;
        match (self, other) {
            (Null, _) | (_, Null) => None,
            (Boolean(a), Boolean(b)) => Some(a.cmp(b)),
            (String(a), String(b)) => Some(a.cmp(b)),
            (Bytes(a), Bytes(b)) => {
                Some(a.iter().map(|&x| x as i8).cmp(b.iter().map(|&y| y as i8)))
            }
            (Date(a), Date(b)) | (Time(a), Time(b)) => Some(a.cmp(b)),
            (Timestamp(a), Timestamp(b)) => Some(a.cmp(b)),
            (Date(d), Timestamp(t)) => Some(super::time::date_to_timestamp(*d).cmp(t)),
            (Timestamp(t), Date(d)) => Some(t.cmp(&super::time::date_to_timestamp(*d))),
            // ksqlDB compares a temporal value with a string by parsing the string as that
            // type; a string that does not parse compares as nothing (the comparison is false).
            (Date(_) | Time(_) | Timestamp(_), String(text)) => {
                self.sql_cmp(&Self::parse_temporal_like(self, text)?)
            }
            (String(text), Date(_) | Time(_) | Timestamp(_)) => {
                Self::parse_temporal_like(other, text)?.sql_cmp(other)
            }
            (Double(_), _) | (_, Double(_)) => self.as_f64()?.partial_cmp(&other.as_f64()?),
            (Decimal(_), _) | (_, Decimal(_)) => Some(self.as_decimal()?.cmp(&other.as_decimal()?)),
            (Int(_) | Bigint(_), Int(_) | Bigint(_)) => Some(self.as_i64()?.cmp(&other.as_i64()?)),
            _ => None,
        }
    }

    /// `text` parsed as the temporal type of `like` (DATE, TIME or TIMESTAMP).
    fn parse_temporal_like(like: &Value, text: &str) -> Option<Value> {
        match like {
            Value::Date(_) => super::time::parse_date(text).ok().map(Value::Date),
            Value::Time(_) => super::time::parse_time(text).ok().map(Value::Time),
            Value::Timestamp(_) => super::time::parse_timestamp(text)
                .ok()
                .map(Value::Timestamp),
            _ => None,
        }
    }

    /// Java's `equals` on the values ksqlDB's functions hold in lists and sets (COLLECT_SET,
    /// ARRAY_DISTINCT and the like): `==`, except that two maps are equal when they hold the
    /// same entries in any order (`Map.equals`), at any depth. `==` itself keeps maps in
    /// entry order, as the state codec's byte order does.
    pub fn java_equals(&self, other: &Value) -> bool {
        use Value::*;
        match (self, other) {
            (Map(a), Map(b)) => {
                a.len() == b.len()
                    && a.iter().all(|(k, v)| {
                        b.iter()
                            .any(|(k2, v2)| k.java_equals(k2) && v.java_equals(v2))
                    })
            }
            (Array(a), Array(b)) | (Struct(a), Struct(b)) => {
                a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| x.java_equals(y))
            }
            _ => self == other,
        }
    }

    /// SQL `=`: `None` when either side is NULL; collections compare element-wise with NULL
    /// elements equal to each other (Java's `List.equals`), numbers across types by value.
    pub fn sql_equals(&self, other: &Value) -> Option<bool> {
        if self.is_null() || other.is_null() {
            return None;
        }
        Some(self.loose_equals(other))
    }

    fn loose_equals(&self, other: &Value) -> bool {
        use Value::*;
        match (self, other) {
            (Array(a), Array(b)) | (Struct(a), Struct(b)) => {
                a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| x.loose_equals(y))
            }
            (Map(a), Map(b)) => {
                a.len() == b.len()
                    && a.iter().all(|(k, v)| {
                        b.iter()
                            .any(|(k2, v2)| k.loose_equals(k2) && v.loose_equals(v2))
                    })
            }
            (Null, Null) => true,
            (Null, _) | (_, Null) => false,
            _ => self.sql_cmp(other) == Some(Ordering::Equal),
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Value::Null => 0,
            Value::Boolean(_) => 1,
            Value::Int(_) => 2,
            Value::Bigint(_) => 3,
            Value::Decimal(_) => 4,
            Value::Double(_) => 5,
            Value::String(_) => 6,
            Value::Bytes(_) => 7,
            Value::Date(_) => 8,
            Value::Time(_) => 9,
            Value::Timestamp(_) => 10,
            Value::Array(_) => 11,
            Value::Map(_) => 12,
            Value::Struct(_) => 13,
        }
    }
}

/// Grouping equality: NULL equals NULL, doubles compare by bit pattern (NaN equals NaN, `-0.0`
/// differs from `0.0` as their serialized keys do), different variants are never equal.
impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Value {}

impl Hash for Value {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u8(self.rank());
        match self {
            Value::Null => {}
            Value::Boolean(b) => b.hash(state),
            Value::Int(v) | Value::Date(v) | Value::Time(v) => v.hash(state),
            Value::Bigint(v) | Value::Timestamp(v) => v.hash(state),
            Value::Double(v) => canonical_bits(*v).hash(state),
            Value::Decimal(d) => d.normalize().hash(state),
            Value::String(s) => s.hash(state),
            Value::Bytes(b) => b.hash(state),
            Value::Array(items) | Value::Struct(items) => items.hash(state),
            Value::Map(entries) => entries.hash(state),
        }
    }
}

/// A total order for sorting and ordered state: by variant, then by value (doubles by
/// `total_cmp`). Consistent with `Eq` and `Hash`.
impl Ord for Value {
    fn cmp(&self, other: &Value) -> Ordering {
        use Value::*;
        match (self, other) {
            (Null, Null) => Ordering::Equal,
            (Boolean(a), Boolean(b)) => a.cmp(b),
            (Int(a), Int(b)) | (Date(a), Date(b)) | (Time(a), Time(b)) => a.cmp(b),
            (Bigint(a), Bigint(b)) | (Timestamp(a), Timestamp(b)) => a.cmp(b),
            (Double(a), Double(b)) => {
                f64::from_bits(canonical_bits(*a)).total_cmp(&f64::from_bits(canonical_bits(*b)))
            }
            (Decimal(a), Decimal(b)) => a.cmp(b),
            (String(a), String(b)) => a.cmp(b),
            (Bytes(a), Bytes(b)) => a.cmp(b),
            (Array(a), Array(b)) | (Struct(a), Struct(b)) => a.cmp(b),
            (Map(a), Map(b)) => a.cmp(b),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

impl PartialOrd for Value {
    fn partial_cmp(&self, other: &Value) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

fn canonical_bits(value: f64) -> u64 {
    if value.is_nan() {
        f64::NAN.to_bits()
    } else {
        value.to_bits()
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Value {
        Value::Boolean(v)
    }
}

impl From<i32> for Value {
    fn from(v: i32) -> Value {
        Value::Int(v)
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Bigint(v)
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Value {
        Value::Double(v)
    }
}

impl From<Decimal> for Value {
    fn from(v: Decimal) -> Value {
        Value::Decimal(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::String(v.into())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::String(v.into())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::str::FromStr;

    fn dec(text: &str) -> Value {
        Value::Decimal(Decimal::from_str(text).unwrap())
    }

    #[test]
    fn grouping_equality_treats_null_as_a_value() {
        assert_eq!(Value::Null, Value::Null);
        assert_ne!(Value::Int(1), Value::Bigint(1));
        assert_eq!(Value::Double(f64::NAN), Value::Double(f64::NAN));
        assert_eq!(dec("1.0"), dec("1.00"));
        let keys: HashSet<Value> = [dec("1.0"), dec("1.00"), Value::Null, Value::Null]
            .into_iter()
            .collect();
        assert_eq!(keys.len(), 2);
    }

    #[test]
    fn java_equality_finds_maps_equal_in_any_entry_order() {
        let entry = |k: &str, v: i64| (Value::string(k), Value::Bigint(v));
        let ab = Value::map(vec![entry("a", 1), entry("b", 2)]);
        let ba = Value::map(vec![entry("b", 2), entry("a", 1)]);
        assert!(ab.java_equals(&ba));
        assert_ne!(ab, ba, "grouping equality keeps the entry order");
        let nested = |m: &Value| Value::array(vec![Value::structure(vec![m.clone()])]);
        assert!(nested(&ab).java_equals(&nested(&ba)));
        assert!(!ab.java_equals(&Value::map(vec![entry("a", 1), entry("b", 3)])));
        assert!(!ab.java_equals(&Value::map(vec![entry("a", 1)])));
        assert!(Value::Null.java_equals(&Value::Null));
        assert!(!Value::Int(1).java_equals(&Value::Bigint(1)));
    }

    #[test]
    fn temporal_values_compare_with_strings_parsed_as_their_type() {
        let s = |t: &str| Value::String(t.into());
        assert_eq!(
            Value::Date(10).sql_cmp(&s("1970-01-11")),
            Some(Ordering::Equal)
        );
        assert_eq!(
            s("1970-01-11").sql_cmp(&Value::Date(11)),
            Some(Ordering::Less)
        );
        assert_eq!(
            Value::Time(11).sql_cmp(&s("00:00:00.010")),
            Some(Ordering::Greater)
        );
        assert_eq!(
            Value::Timestamp(10).sql_equals(&s("1970-01-01T00:00:00.010")),
            Some(true)
        );
        assert_eq!(Value::Date(10).sql_cmp(&s("not a date")), None);
    }

    #[test]
    fn sql_comparison_widens_numbers_and_is_unknown_for_null() {
        assert_eq!(
            Value::Int(1).sql_cmp(&Value::Bigint(2)),
            Some(Ordering::Less)
        );
        assert_eq!(Value::Int(2).sql_cmp(&dec("1.5")), Some(Ordering::Greater));
        assert_eq!(
            dec("1.5").sql_cmp(&Value::Double(1.5)),
            Some(Ordering::Equal)
        );
        assert_eq!(Value::Null.sql_cmp(&Value::Null), None);
        assert_eq!(Value::Int(1).sql_equals(&Value::Null), None);
        assert_eq!(Value::from("a").sql_cmp(&Value::Int(1)), None);
        assert_eq!(
            Value::Date(1).sql_cmp(&Value::Timestamp(86_400_000)),
            Some(Ordering::Equal)
        );
        let a = Value::array(vec![Value::Int(1), Value::Null]);
        let b = Value::array(vec![Value::Bigint(1), Value::Null]);
        assert_eq!(a.sql_equals(&b), Some(true));
        assert_eq!(
            Value::bytes(vec![0x80]).sql_cmp(&Value::bytes(vec![0x01])),
            Some(Ordering::Less)
        );
    }

    #[test]
    fn maps_keep_insertion_order_and_unique_keys() {
        let m = Value::map(vec![
            (Value::from("b"), Value::Int(1)),
            (Value::from("a"), Value::Int(2)),
            (Value::from("b"), Value::Int(3)),
        ]);
        let entries = m.as_map().unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0], (Value::from("b"), Value::Int(3)));
        assert_eq!(m.map_get(&Value::from("a")), Some(&Value::Int(2)));
    }

    #[test]
    fn clones_share_storage() {
        let s = Value::from("shared text");
        let t = s.clone();
        match (&s, &t) {
            (Value::String(a), Value::String(b)) => assert!(Arc::ptr_eq(a, b)),
            _ => unreachable!(),
        }
    }
}
