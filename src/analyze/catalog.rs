//! The catalog the analyzer builds while walking a queries file: streams, tables, custom types
//! and the `SET` properties in force, and the schema types sources and queries share. A
//! [`Schema`] renders the way ksqlDB's `post.sources[].schema` does. The catalog is plain data:
//! it never reaches Kafka and never checks a statement (the other modules do).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::format::Format;
use crate::format::protobuf::NullableRepresentation;
use crate::types::SqlType;

/// Stream or table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SourceType {
    Stream,
    Table,
}

impl SourceType {
    pub fn name(self) -> &'static str {
        match self {
            SourceType::Stream => "stream",
            SourceType::Table => "table",
        }
    }
}

/// Where a column lives in a record.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Namespace {
    Key,
    Value,
    /// `HEADERS` (all headers, `key` = None) or `HEADER('key')`.
    Header {
        key: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    pub ty: SqlType,
    pub namespace: Namespace,
}

impl Column {
    pub fn key(name: impl Into<String>, ty: SqlType) -> Column {
        Column {
            name: name.into(),
            ty,
            namespace: Namespace::Key,
        }
    }

    pub fn value(name: impl Into<String>, ty: SqlType) -> Column {
        Column {
            name: name.into(),
            ty,
            namespace: Namespace::Value,
        }
    }

    pub fn is_key(&self) -> bool {
        self.namespace == Namespace::Key
    }
}

/// A source's or query's columns: key columns first, then value and header columns, in
/// declared order. Column positions in typed expressions index this list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Schema {
    pub columns: Vec<Column>,
}

impl Schema {
    pub fn new(mut columns: Vec<Column>) -> Schema {
        columns.sort_by_key(|c| !c.is_key());
        Schema { columns }
    }

    pub fn keys(&self) -> impl Iterator<Item = &Column> {
        self.columns.iter().filter(|c| c.is_key())
    }

    pub fn values(&self) -> impl Iterator<Item = &Column> {
        self.columns.iter().filter(|c| !c.is_key())
    }

    pub fn find(&self, name: &str) -> Option<(usize, &Column)> {
        self.columns
            .iter()
            .enumerate()
            .find(|(_, c)| c.name == name)
    }
}

impl fmt::Display for Schema {
    /// ``` `K` INTEGER KEY, `V` STRING ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, column) in self.columns.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "`{}` {}", column.name, column.ty)?;
            match &column.namespace {
                Namespace::Key => f.write_str(" KEY")?,
                Namespace::Value => {}
                Namespace::Header { key: None } => f.write_str(" HEADERS")?,
                Namespace::Header { key: Some(k) } => write!(f, " HEADER('{k}')")?,
            }
        }
        Ok(())
    }
}

/// Window kinds of windowed keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WindowType {
    Tumbling,
    Hopping,
    Session,
}

/// The window of a windowed key: its kind and, for time windows, the size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct KeyWindow {
    pub window_type: WindowType,
    pub size_ms: Option<u64>,
}

/// A key or value format with its options as declared.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FormatInfo {
    pub format: Format,
    /// `WRAP_SINGLE_VALUE` (value side only).
    pub wrap_single_value: Option<bool>,
    /// The DELIMITED separator as written.
    pub delimiter: Option<String>,
    /// `KEY_SCHEMA_ID` / `VALUE_SCHEMA_ID`: the registered schema a sink writes with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_id: Option<u32>,
    /// `*_SCHEMA_FULL_NAME`: the name of the record a registry format writes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
    /// `*_PROTOBUF_NULLABLE_REPRESENTATION`: how a PROTOBUF schema derived from the columns
    /// keeps NULLs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nullable: Option<NullableRepresentation>,
}

impl FormatInfo {
    pub fn of(format: Format) -> FormatInfo {
        FormatInfo {
            format,
            wrap_single_value: None,
            delimiter: None,
            schema_id: None,
            full_name: None,
            nullable: None,
        }
    }
}

/// The event-time column: `TIMESTAMP='col'` with its optional `TIMESTAMP_FORMAT`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TimestampColumn {
    pub column: String,
    pub format: Option<String>,
}

/// A stream or table of the catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Source {
    pub name: String,
    pub source_type: SourceType,
    pub schema: Schema,
    pub topic: String,
    pub key_format: FormatInfo,
    pub value_format: FormatInfo,
    /// `PARTITIONS`, when declared or inherited.
    pub partitions: Option<u32>,
    pub timestamp: Option<TimestampColumn>,
    /// Set when the key is windowed.
    pub window: Option<KeyWindow>,
    /// `CREATE SOURCE STREAM|TABLE`: read-only.
    pub read_only: bool,
    /// The id of the query that writes it, for `… AS SELECT` sinks.
    pub written_by: Option<String>,
    /// The registered schemas its columns were inferred from (none when all are declared).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inferred_from: Vec<super::registry::InferredSchema>,
}

/// Streams, tables, types and properties, as the file builds them up.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub sources: BTreeMap<String, Source>,
    pub types: BTreeMap<String, SqlType>,
    /// `SET` properties and the run's configured properties, by name.
    pub properties: BTreeMap<String, String>,
}

impl Catalog {
    pub fn source(&self, name: &str) -> Option<&Source> {
        self.sources.get(name)
    }

    pub fn source_names(&self) -> impl Iterator<Item = &str> {
        self.sources.keys().map(String::as_str)
    }

    /// A property, by ksqlDB name (`ksql.persistence.default.format.value`).
    pub fn property(&self, name: &str) -> Option<&str> {
        self.properties.get(name).map(String::as_str)
    }
}
