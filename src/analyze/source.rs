//! `CREATE STREAM|TABLE` with a column list, `CREATE TYPE` and `SET`: declared columns and
//! their types, formats and their defaults (KEY_FORMAT defaults to KAFKA; FORMAT sets both
//! sides), topic, partitions, event-time column, windowed keys, and the checks ksqlDB makes on
//! them. It registers sources in the catalog; it must not look at queries.

use super::catalog::{
    Column, KeyWindow, Namespace, Schema, Source, SourceType, TimestampColumn, WindowType,
};
use super::{Analyzer, R};
use crate::sql::{
    ColumnConstraint, CreateSource, CreateType, DataType, Diagnostic, Literal, Properties,
    SourceKind, Span, TypeKind,
};
use crate::types::SqlType;

/// System column names no declared column or alias may take.
pub const RESERVED_COLUMNS: &[&str] = &[
    "ROWTIME",
    "ROWPARTITION",
    "ROWOFFSET",
    "WINDOWSTART",
    "WINDOWEND",
];

/// The text of a property value (strings unquoted, numbers as written).
pub fn literal_text(value: &Literal) -> String {
    match value {
        Literal::Null => "null".to_string(),
        Literal::Boolean(b) => b.to_string(),
        Literal::Int(i) => i.to_string(),
        Literal::BigInt(i) => i.to_string(),
        Literal::Decimal(d) => d.clone(),
        Literal::Double(d) => d.to_string(),
        Literal::String(s) => s.clone(),
    }
}

pub fn source_type(kind: SourceKind) -> SourceType {
    match kind {
        SourceKind::Stream => SourceType::Stream,
        SourceKind::Table => SourceType::Table,
    }
}

impl Analyzer<'_> {
    /// A string-valued property of a `WITH` list.
    pub(super) fn prop(&self, properties: &Properties, name: &str) -> Option<(String, Span)> {
        properties
            .get(name)
            .map(|p| (literal_text(&p.value), p.value_span))
    }

    /// Resolves a written type, custom types included.
    pub(super) fn resolve_type(&self, data_type: &DataType) -> R<SqlType> {
        Ok(match &data_type.kind {
            TypeKind::Boolean => SqlType::Boolean,
            TypeKind::Int => SqlType::Int,
            TypeKind::BigInt => SqlType::Bigint,
            TypeKind::Double => SqlType::Double,
            TypeKind::Decimal { precision, scale } => SqlType::decimal(*precision, *scale)
                .map_err(|e| Diagnostic::error(data_type.span, e.to_string()))?,
            TypeKind::String => SqlType::String,
            TypeKind::Bytes => SqlType::Bytes,
            TypeKind::Date => SqlType::Date,
            TypeKind::Time => SqlType::Time,
            TypeKind::Timestamp => SqlType::Timestamp,
            TypeKind::Array(element) => SqlType::array(self.resolve_type(element)?),
            TypeKind::Map(key, value) => {
                SqlType::map(self.resolve_type(key)?, self.resolve_type(value)?)
            }
            TypeKind::Struct(fields) => SqlType::Struct(
                fields
                    .iter()
                    .map(|f| {
                        Ok(crate::types::StructField {
                            name: f.name.value.clone(),
                            ty: self.resolve_type(&f.data_type)?,
                        })
                    })
                    .collect::<R<Vec<_>>>()?,
            ),
            TypeKind::Custom(name) => match self.catalog.types.get(&name.value) {
                Some(ty) => ty.clone(),
                None => {
                    let mut d = Diagnostic::error(
                        name.span,
                        format!("Cannot resolve unknown type: {}", name.value),
                    );
                    if let Some(s) = crate::sql::suggest(
                        &name.value,
                        self.catalog.types.keys().map(String::as_str),
                    ) {
                        d = d.with_help(format!("did you mean `{s}`?"));
                    }
                    return Err(d);
                }
            },
        })
    }

    pub(super) fn create_type(&mut self, create: &CreateType) -> R<()> {
        let ty = self.resolve_type(&create.data_type)?;
        if self.catalog.types.contains_key(&create.name.value) && !create.if_not_exists {
            return Err(Diagnostic::error(
                create.name.span,
                format!(
                    "Cannot register custom type '{}' since it is already registered with type: {}",
                    create.name.value, self.catalog.types[&create.name.value]
                ),
            ));
        }
        self.catalog
            .types
            .entry(create.name.value.clone())
            .or_insert(ty);
        Ok(())
    }

    pub(super) fn create_source(&mut self, create: &CreateSource, span: Span) -> R<()> {
        let name = create.name.value.clone();
        let source_type = source_type(create.kind);
        let kind_word = source_type.name();
        if create.or_replace
            && (create.is_source || self.catalog.source(&name).is_some_and(|s| s.read_only))
        {
            return Err(Diagnostic::error(
                create.name.span,
                format!(
                    "Cannot add {kind_word} '{name}': CREATE OR REPLACE is not supported on source {kind_word}s."
                ),
            ));
        }
        if let Some(existing) = self.catalog.source(&name) {
            if create.if_not_exists {
                return Ok(());
            }
            if !create.or_replace || existing.source_type != source_type {
                return Err(Diagnostic::error(
                    create.name.span,
                    format!(
                        "Cannot add {kind_word} '{name}': A {} with the same name already exists",
                        existing.source_type.name()
                    ),
                ));
            }
        }
        let elements = create.elements.as_deref().unwrap_or_default();
        let mut columns: Vec<Column> = Vec::new();
        for element in elements {
            let column_name = element.name.value.clone();
            if RESERVED_COLUMNS.contains(&column_name.as_str()) {
                return Err(Diagnostic::error(
                    element.name.span,
                    format!(
                        "'{column_name}' is a reserved column name. You cannot use it as a name for a column."
                    ),
                ));
            }
            if columns.iter().any(|c| c.name == column_name) {
                return Err(Diagnostic::error(
                    element.name.span,
                    format!("Duplicate column names: `{column_name}`"),
                ));
            }
            let ty = self.resolve_type(&element.data_type)?;
            let namespace = match &element.constraint {
                None => Namespace::Value,
                Some(ColumnConstraint::Key { span }) => {
                    if source_type == SourceType::Table {
                        return Err(Diagnostic::error(
                            *span,
                            format!(
                                "Column `{column_name}` is a 'KEY' column: please use 'PRIMARY KEY' for tables.\nTables have PRIMARY KEYs, which are unique and NON NULL.\nStreams have KEYs, which have no uniqueness or NON NULL constraints."
                            ),
                        ));
                    }
                    Namespace::Key
                }
                Some(ColumnConstraint::PrimaryKey { span }) => {
                    if source_type == SourceType::Stream {
                        return Err(Diagnostic::error(
                            *span,
                            format!(
                                "Column `{column_name}` is a 'PRIMARY KEY' column: please use 'KEY' for streams.\nTables have PRIMARY KEYs, which are unique and NON NULL.\nStreams have KEYs, which have no uniqueness or NON NULL constraints."
                            ),
                        ));
                    }
                    Namespace::Key
                }
                Some(ColumnConstraint::Headers { span }) => {
                    let expected = SqlType::array(SqlType::structure([
                        ("KEY", SqlType::String),
                        ("VALUE", SqlType::Bytes),
                    ]));
                    if ty != expected {
                        return Err(Diagnostic::error(
                            *span,
                            format!(
                                "Invalid type for HEADERS column: expected {expected}, got {ty}"
                            ),
                        ));
                    }
                    Namespace::Header { key: None }
                }
                Some(ColumnConstraint::Header { key, span }) => {
                    if ty != SqlType::Bytes {
                        return Err(Diagnostic::error(
                            *span,
                            format!(
                                "Invalid type for HEADER('{}') column: expected BYTES, got {ty}",
                                key.value
                            ),
                        ));
                    }
                    Namespace::Header {
                        key: Some(key.value.clone()),
                    }
                }
            };
            columns.push(Column {
                name: column_name,
                ty,
                namespace,
            });
        }
        let properties = &create.properties;
        let Some((topic, _)) = self.prop(properties, "KAFKA_TOPIC") else {
            return Err(Diagnostic::error(
                properties.span.to(create.name.span),
                "Missing required property \"KAFKA_TOPIC\" for CREATE STREAM|TABLE: Corresponding Kafka topic (KAFKA_TOPIC) should be set in WITH clause.",
            ));
        };
        let (key_format, value_format) = self.formats(properties, None, None, span)?;
        let inferred_from = self.infer_columns(
            properties,
            &topic,
            (&key_format, &value_format),
            &mut columns,
            create.elements.is_some(),
            create.name.span,
        )?;
        if source_type == SourceType::Table && !columns.iter().any(Column::is_key) {
            return Err(Diagnostic::error(
                create.name.span,
                "Tables require a PRIMARY KEY. Please define the PRIMARY KEY.",
            )
            .with_help("declare one column as `name TYPE PRIMARY KEY`"));
        }
        let schema = Schema::new(columns);
        self.validate_formats(&schema, &key_format, &value_format, span)?;
        let partitions = self.partitions(properties)?;
        let timestamp = self.timestamp_column(properties, &schema)?;
        let window = self.key_window(properties)?;
        self.catalog.sources.insert(
            name.clone(),
            Source {
                name,
                source_type,
                schema,
                topic,
                key_format,
                value_format,
                partitions,
                timestamp,
                window,
                read_only: create.is_source,
                written_by: None,
                inferred_from,
            },
        );
        Ok(())
    }

    pub(super) fn partitions(&self, properties: &Properties) -> R<Option<u32>> {
        match self.prop(properties, "PARTITIONS") {
            Some((text, span)) => text
                .parse::<u32>()
                .ok()
                .filter(|p| *p > 0)
                .map(Some)
                .ok_or_else(|| {
                    Diagnostic::error(span, format!("Invalid number of partitions: {text}"))
                }),
            None => Ok(None),
        }
    }

    /// `TIMESTAMP='col'` names a BIGINT or TIMESTAMP column, or a STRING one with a format.
    pub(super) fn timestamp_column(
        &self,
        properties: &Properties,
        schema: &Schema,
    ) -> R<Option<TimestampColumn>> {
        let Some((raw, span)) = self.prop(properties, "TIMESTAMP") else {
            return Ok(None);
        };
        let name = if raw.starts_with('`') && raw.ends_with('`') && raw.len() >= 2 {
            raw[1..raw.len() - 1].to_string()
        } else {
            raw.to_uppercase()
        };
        let format = self.prop(properties, "TIMESTAMP_FORMAT").map(|(f, _)| f);
        let Some((_, column)) = schema.find(&name) else {
            let mut d = Diagnostic::error(
                span,
                format!(
                    "The TIMESTAMP column set in the WITH clause does not exist in the schema: '{name}'"
                ),
            );
            if let Some(s) =
                crate::sql::suggest(&name, schema.columns.iter().map(|c| c.name.as_str()))
            {
                d = d.with_help(format!("did you mean `{s}`?"));
            }
            return Err(d);
        };
        let ok = match column.ty {
            SqlType::Bigint | SqlType::Timestamp => true,
            SqlType::String => format.is_some(),
            _ => false,
        };
        if !ok {
            return Err(Diagnostic::error(
                span,
                format!(
                    "Timestamp column, `{name}`, should be LONG(INT64), TIMESTAMP, or a String with a timestamp_format specified."
                ),
            ));
        }
        Ok(Some(TimestampColumn {
            column: name,
            format,
        }))
    }

    fn key_window(&self, properties: &Properties) -> R<Option<KeyWindow>> {
        let Some((text, span)) = self.prop(properties, "WINDOW_TYPE") else {
            return Ok(None);
        };
        let window_type = match text.to_ascii_uppercase().as_str() {
            "TUMBLING" => WindowType::Tumbling,
            "HOPPING" => WindowType::Hopping,
            "SESSION" => WindowType::Session,
            other => {
                return Err(Diagnostic::error(
                    span,
                    format!(
                        "Invalid WINDOW_TYPE: '{other}'. Valid values are TUMBLING, HOPPING and SESSION."
                    ),
                ));
            }
        };
        let size = self.prop(properties, "WINDOW_SIZE");
        let size_ms = match (&size, window_type) {
            (Some(_), WindowType::Session) => {
                return Err(Diagnostic::error(
                    size.as_ref().map_or(span, |s| s.1),
                    "'WINDOW_SIZE' should not be set for SESSION windows.",
                ));
            }
            (None, WindowType::Session) => None,
            (None, _) => {
                return Err(Diagnostic::error(
                    span,
                    format!(
                        "'WINDOW_SIZE' must be set for {} windows.",
                        text.to_ascii_uppercase()
                    ),
                ));
            }
            (Some((size, size_span)), _) => Some(parse_window_size(size).map_err(|e| {
                // `ConfigValidators.parsed` around `DurationParser.parse`.
                Diagnostic::error(
                    *size_span,
                    format!("Configuration WINDOW_SIZE is invalid: {e}"),
                )
                .with_help("write a number and a unit, e.g. '10 SECONDS'")
            })?),
        };
        Ok(Some(KeyWindow {
            window_type,
            size_ms,
        }))
    }
}

/// `'10 SECONDS'` → milliseconds, with the messages of ksqlDB's `DurationParser.parse`: two
/// tokens split at each whitespace character, a whole number, and a `TimeUnit` name with or
/// without its plural `S`, in any case.
fn parse_window_size(text: &str) -> Result<u64, String> {
    let mut parts: Vec<&str> = text.split(char::is_whitespace).collect();
    // Java's `String.split` drops trailing empty strings.
    while parts.len() > 1 && parts.last() == Some(&"") {
        parts.pop();
    }
    let invalid = |why: String| format!("Invalid duration: '{text}'. {why}");
    let [amount, unit] = parts[..] else {
        return Err(invalid(format!("Expected 2 tokens, got: {}", parts.len())));
    };
    let amount: u64 = amount
        .parse()
        .map_err(|_| invalid(format!("Not numeric: '{amount}'")))?;
    let unit = unit.to_uppercase();
    let plural = if unit.ends_with('S') {
        unit.clone()
    } else {
        format!("{unit}S")
    };
    let nanos: u64 = match plural.as_str() {
        "NANOSECONDS" => 1,
        "MICROSECONDS" => 1_000,
        "MILLISECONDS" => 1_000_000,
        "SECONDS" => 1_000_000_000,
        "MINUTES" => 60_000_000_000,
        "HOURS" => 3_600_000_000_000,
        "DAYS" => 86_400_000_000_000,
        _ => {
            return Err(invalid(format!(
                "Unknown time unit: '{unit}'\nSupported time units are: NANOSECONDS, \
                 MICROSECONDS, MILLISECONDS, SECONDS, MINUTES, HOURS, DAYS"
            )));
        }
    };
    Ok(amount.saturating_mul(nanos) / 1_000_000)
}
