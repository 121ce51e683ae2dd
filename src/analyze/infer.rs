//! The `CREATE STREAM|TABLE` checks and steps that involve Schema Registry: `*_SCHEMA_ID`,
//! `*_SCHEMA_FULL_NAME` and `WRAP_SINGLE_VALUE` against the formats, and the inference of key
//! and value columns a statement leaves out, through the analyzer's [`SchemaSource`]. The
//! translation of schema text to SQL types lives in [`registry`](super::registry).
//!
//! [`SchemaSource`]: super::registry::SchemaSource

use super::catalog::{Column, FormatInfo, Namespace, Schema};
use super::registry::{self, InferOptions, InferredSchema, SchemaSide};
use super::{Analyzer, R};
use crate::format::Format;
use crate::sql::{Diagnostic, Properties, Span};

/// Formats that may name the schema they write (`*_SCHEMA_FULL_NAME`).
fn supports_full_name(format: Format) -> bool {
    matches!(
        format,
        Format::Avro | Format::Protobuf | Format::ProtobufNoSr
    )
}

impl Analyzer<'_> {
    /// Checks of the Schema Registry properties that hold for every statement with a `WITH`.
    pub(super) fn check_registry_properties(
        &self,
        properties: &Properties,
        key: &FormatInfo,
        value: &FormatInfo,
    ) -> R<()> {
        for (names, info) in [
            (&["KEY_SCHEMA_FULL_NAME"][..], key),
            (
                &["VALUE_SCHEMA_FULL_NAME", "VALUE_AVRO_SCHEMA_FULL_NAME"][..],
                value,
            ),
        ] {
            for name in names {
                if let Some((_, span)) = self.prop(properties, name)
                    && !supports_full_name(info.format)
                {
                    return Err(Diagnostic::error(
                        span,
                        format!(
                            "{} does not support the following configs: [fullSchemaName]",
                            info.format
                        ),
                    )
                    .with_help(format!("{name} applies to AVRO and PROTOBUF only")));
                }
            }
        }
        if value.wrap_single_value == Some(false)
            && !value.format.unwraps_single_column()
            && let Some((_, span)) = self.prop(properties, "WRAP_SINGLE_VALUE")
        {
            return Err(Diagnostic::error(
                span,
                format!(
                    "Format '{}' does not support 'WRAP_SINGLE_VALUE' set to 'false'.",
                    value.format
                ),
            ));
        }
        Ok(())
    }

    /// Adds the key and value columns `declared` leaves out and the formats can infer from
    /// the topic's registered schemas. `declared_any` is false when the statement has no
    /// column list at all. Returns the registered schemas the columns came from.
    pub(super) fn infer_columns(
        &self,
        properties: &Properties,
        topic: &str,
        formats: (&FormatInfo, &FormatInfo),
        declared: &mut Vec<Column>,
        declared_any: bool,
        name_span: Span,
    ) -> R<Vec<InferredSchema>> {
        let (key, value) = formats;
        let has_keys = declared.iter().any(Column::is_key);
        let has_values = declared.iter().any(|c| c.namespace == Namespace::Value);
        let mut inferred = Vec::new();
        let mut inferred_from = Vec::new();
        for (side, info, has_declared) in [
            (SchemaSide::Key, key, has_keys),
            (SchemaSide::Value, value, has_values),
        ] {
            let word = side.word();
            let id = match self.prop(properties, &format!("{word}_SCHEMA_ID")) {
                Some((text, span)) => {
                    if !registry::supports_inference(info.format) {
                        return Err(Diagnostic::error(
                            span,
                            format!(
                                "{word}_FORMAT should support schema inference when {word}_SCHEMA_ID is provided. Current format is {}.",
                                info.format
                            ),
                        ));
                    }
                    if has_declared {
                        return Err(Diagnostic::error(
                            span,
                            format!(
                                "Table elements and {word}_SCHEMA_ID cannot both exist for create statement."
                            ),
                        )
                        .with_help(format!(
                            "either drop the {} columns or the {word}_SCHEMA_ID",
                            word.to_lowercase()
                        )));
                    }
                    Some(text.parse::<i64>().map_err(|_| {
                        Diagnostic::error(
                            span,
                            format!("{word}_SCHEMA_ID must be a number, got '{text}'"),
                        )
                    })?)
                }
                None => None,
            };
            if has_declared || !registry::supports_inference(info.format) {
                continue;
            }
            let Some(schema) = self.schemas.schema(topic, side, id) else {
                // A missing key schema leaves the source without a key, unless an id names one.
                if side == SchemaSide::Key && id.is_none() {
                    continue;
                }
                let message = if self.schemas.is_connected() {
                    format!(
                        "Schema for message {}s on topic '{topic}' does not exist in the Schema Registry.",
                        word.to_lowercase()
                    )
                } else {
                    format!(
                        "{word}_FORMAT='{}' without {} columns needs the schema from Schema Registry, which weir does not support yet; declare the columns",
                        info.format,
                        word.to_lowercase()
                    )
                };
                return Err(Diagnostic::error(name_span, message)
                    .with_help("list the columns: CREATE STREAM name (col TYPE, …) WITH (…)"));
            };
            let options = InferOptions {
                schema_id: id.is_some(),
                full_name: self
                    .prop(properties, &format!("{word}_SCHEMA_FULL_NAME"))
                    .map(|(name, _)| name),
                unwrap_single: side == SchemaSide::Value && info.wrap_single_value == Some(false),
            };
            let columns = registry::infer_columns(info.format, side, &schema, &options)
                .map_err(|why| {
                    Diagnostic::error(
                        name_span,
                        format!(
                            "Cannot infer the {} columns from the {} schema registered for topic '{topic}': {why}",
                            word.to_lowercase(),
                            info.format
                        ),
                    )
                })?;
            inferred_from.push(InferredSchema {
                side,
                fingerprint: schema.fingerprint(),
            });
            inferred.extend(columns.into_iter().map(|(name, ty)| Column {
                name,
                ty,
                namespace: match side {
                    SchemaSide::Key => Namespace::Key,
                    SchemaSide::Value => Namespace::Value,
                },
            }));
        }
        if !declared_any && inferred.is_empty() {
            return Err(Diagnostic::error(
                name_span,
                "The statement does not define any columns.",
            )
            .with_help(
                "list the columns: CREATE STREAM name (col TYPE, …) WITH (…), or use a Schema Registry format (AVRO, PROTOBUF, JSON_SR) whose schema is registered",
            ));
        }
        declared.extend(inferred);
        Ok(inferred_from)
    }
}

impl Analyzer<'_> {
    /// `CREATE … AS SELECT … WITH (KEY_SCHEMA_ID=…, VALUE_SCHEMA_ID=…)`: the query writes with a
    /// schema already registered, so its columns must come first in that schema, in order and
    /// with the same types. Without a registry (weir's default) there is nothing to check.
    pub(super) fn check_sink_schema_ids(
        &self,
        properties: &Properties,
        topic: &str,
        formats: (&FormatInfo, &FormatInfo),
        output: &Schema,
    ) -> R<()> {
        for (side, info) in [(SchemaSide::Key, formats.0), (SchemaSide::Value, formats.1)] {
            let word = side.word();
            let Some((text, span)) = self.prop(properties, &format!("{word}_SCHEMA_ID")) else {
                continue;
            };
            if !registry::supports_inference(info.format) {
                return Err(Diagnostic::error(
                    span,
                    format!(
                        "{word}_FORMAT should support schema inference when {word}_SCHEMA_ID is provided. Current format is {}.",
                        info.format
                    ),
                ));
            }
            let id = text.parse::<i64>().map_err(|_| {
                Diagnostic::error(
                    span,
                    format!("{word}_SCHEMA_ID must be a number, got '{text}'"),
                )
            })?;
            let Some(schema) = self.schemas.schema(topic, side, Some(id)) else {
                continue;
            };
            let options = InferOptions {
                schema_id: true,
                full_name: self
                    .prop(properties, &format!("{word}_SCHEMA_FULL_NAME"))
                    .map(|(name, _)| name),
                unwrap_single: side == SchemaSide::Value && info.wrap_single_value == Some(false),
            };
            let registered = registry::infer_columns(info.format, side, &schema, &options)
                .map_err(|why| {
                    Diagnostic::error(
                        span,
                        format!(
                            "Cannot read the {} schema with id {id} registered for topic '{topic}': {why}",
                            info.format
                        ),
                    )
                })?;
            let mine: Vec<&Column> = output
                .columns
                .iter()
                .filter(|c| match side {
                    SchemaSide::Key => c.is_key(),
                    SchemaSide::Value => c.namespace == Namespace::Value,
                })
                .collect();
            let changed: Vec<String> = mine
                .iter()
                .enumerate()
                .filter(|(i, c)| registered.get(*i) != Some(&(c.name.clone(), c.ty.clone())))
                .map(|(_, c)| format!("`{}` {}", c.name, c.ty))
                .collect();
            if !changed.is_empty() {
                let registered: Vec<String> = registered
                    .iter()
                    .map(|(name, ty)| format!("`{name}` {ty}"))
                    .collect();
                return Err(Diagnostic::error(
                    span,
                    format!(
                        "The following {} columns are changed, missing or reordered: [{}]. Schema from schema registry is [{}]",
                        word.to_lowercase(),
                        changed.join(", "),
                        registered.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use super::super::registry::{RegisteredSchema, SchemaSide, SchemaSource};
    use super::super::{AnalyzeOptions, analyze_source};

    /// A registry holding one key and one value schema per topic.
    #[derive(Debug, Default)]
    struct Registry(BTreeMap<(String, bool), String>);

    impl SchemaSource for Registry {
        fn schema(
            &self,
            topic: &str,
            side: SchemaSide,
            _: Option<i64>,
        ) -> Option<RegisteredSchema> {
            self.0
                .get(&(topic.to_string(), side == SchemaSide::Key))
                .map(|text| RegisteredSchema {
                    text: text.clone(),
                    references: Vec::new(),
                })
        }
    }

    fn options(schemas: &[(&str, bool, &str)]) -> AnalyzeOptions {
        let registry = Registry(
            schemas
                .iter()
                .map(|(t, k, s)| ((t.to_string(), *k), s.to_string()))
                .collect(),
        );
        AnalyzeOptions {
            allow_no_queries: true,
            schemas: Some(Arc::new(registry)),
            ..AnalyzeOptions::default()
        }
    }

    fn schema(text: &str, options: &AnalyzeOptions) -> Result<String, String> {
        match analyze_source(text, options) {
            Ok(file) => Ok(file.catalog.source("S").expect("S").schema.to_string()),
            Err(d) => Err(d[0].message.clone()),
        }
    }

    const RECORD: &str = r#"{"type":"record","name":"r","fields":[{"name":"c1","type":"int"}]}"#;

    #[test]
    fn value_columns_come_from_the_registry() {
        let opts = options(&[("t", false, RECORD)]);
        assert_eq!(
            schema(
                "CREATE STREAM S (ID INT KEY) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='AVRO');",
                &opts
            ),
            Ok("`ID` INTEGER KEY, `C1` INTEGER".to_string())
        );
        assert_eq!(
            schema(
                "CREATE STREAM S (ID INT KEY) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='AVRO', VALUE_SCHEMA_ID=1);",
                &opts
            ),
            Ok("`ID` INTEGER KEY, `c1` INTEGER".to_string())
        );
    }

    #[test]
    fn key_and_value_are_inferred_together() {
        let opts = options(&[("t", true, r#"{"type":"long"}"#), ("t", false, RECORD)]);
        assert_eq!(
            schema(
                "CREATE TABLE S WITH (KAFKA_TOPIC='t', FORMAT='AVRO');",
                &opts
            ),
            Ok("`ROWKEY` BIGINT KEY, `C1` INTEGER".to_string())
        );
    }

    #[test]
    fn a_table_whose_topic_has_no_key_schema_has_no_primary_key() {
        let opts = options(&[("t", false, RECORD)]);
        assert_eq!(
            schema(
                "CREATE TABLE S WITH (KAFKA_TOPIC='t', VALUE_FORMAT='AVRO');",
                &opts
            ),
            Err("Tables require a PRIMARY KEY. Please define the PRIMARY KEY.".to_string())
        );
    }

    #[test]
    fn without_a_registry_the_error_says_to_declare_columns() {
        let opts = AnalyzeOptions {
            allow_no_queries: true,
            ..AnalyzeOptions::default()
        };
        assert_eq!(
            schema("CREATE STREAM S WITH (KAFKA_TOPIC='t', VALUE_FORMAT='AVRO');", &opts),
            Err("VALUE_FORMAT='AVRO' without value columns needs the schema from Schema Registry, which weir does not support yet; declare the columns".to_string())
        );
        assert_eq!(
            schema(
                "CREATE STREAM S WITH (KAFKA_TOPIC='t', VALUE_FORMAT='JSON');",
                &opts
            ),
            Err("The statement does not define any columns.".to_string())
        );
    }

    #[test]
    fn schema_id_rules() {
        let opts = options(&[("t", false, RECORD)]);
        assert_eq!(
            schema(
                "CREATE STREAM S WITH (KAFKA_TOPIC='t', KEY_FORMAT='KAFKA', VALUE_FORMAT='AVRO', KEY_SCHEMA_ID=1);",
                &opts
            ),
            Err("KEY_FORMAT should support schema inference when KEY_SCHEMA_ID is provided. Current format is KAFKA.".to_string())
        );
        assert_eq!(
            schema(
                "CREATE STREAM S (C INT) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='AVRO', VALUE_SCHEMA_ID=1);",
                &opts
            ),
            Err(
                "Table elements and VALUE_SCHEMA_ID cannot both exist for create statement."
                    .to_string()
            )
        );
        assert_eq!(
            schema(
                "CREATE STREAM S WITH (KAFKA_TOPIC='other', VALUE_FORMAT='AVRO');",
                &opts
            ),
            Err(
                "Schema for message values on topic 'other' does not exist in the Schema Registry."
                    .to_string()
            )
        );
    }

    #[test]
    fn format_property_rules() {
        let opts = options(&[]);
        assert_eq!(
            schema(
                "CREATE STREAM S (C INT) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='JSON', VALUE_AVRO_SCHEMA_FULL_NAME='a.b');",
                &opts
            ),
            Err("JSON does not support the following configs: [fullSchemaName]".to_string())
        );
        assert_eq!(
            schema(
                "CREATE STREAM S (C INT) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='PROTOBUF', WRAP_SINGLE_VALUE=false);",
                &opts
            ),
            Err(
                "Format 'PROTOBUF' does not support 'WRAP_SINGLE_VALUE' set to 'false'."
                    .to_string()
            )
        );
        assert_eq!(
            schema(
                "CREATE STREAM S (C INT) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='JSON', VALUE_PROTOBUF_NULLABLE_REPRESENTATION='WRAPPER');",
                &opts
            ),
            Err(
                "JSON does not support the following configs: [nullableRepresentation]".to_string()
            )
        );
        assert_eq!(
            schema(
                "CREATE STREAM S (C INT) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='PROTOBUF_NOSR', VALUE_PROTOBUF_NULLABLE_REPRESENTATION='boxed');",
                &opts
            ),
            Err("Invalid value boxed for property VALUE_PROTOBUF_NULLABLE_REPRESENTATION: use OPTIONAL or WRAPPER".to_string())
        );
        assert!(
            schema(
                "CREATE STREAM S (K INT KEY, C INT) WITH (KAFKA_TOPIC='t', FORMAT='PROTOBUF_NOSR', KEY_PROTOBUF_NULLABLE_REPRESENTATION='optional');",
                &opts
            )
            .is_ok()
        );
    }

    #[test]
    fn an_untranslatable_schema_names_the_topic() {
        let opts = options(&[("t", false, "syntax = \"proto3\"; message M { Nope n = 1; }")]);
        assert_eq!(
            schema("CREATE STREAM S WITH (KAFKA_TOPIC='t', VALUE_FORMAT='PROTOBUF');", &opts),
            Err("Cannot infer the value columns from the PROTOBUF schema registered for topic 't': unknown PROTOBUF type `Nope`".to_string())
        );
    }

    #[test]
    fn a_sink_schema_id_must_start_with_the_query_columns() {
        let registered = r#"{"type":"record","name":"r","fields":[{"name":"c1","type":"string"},{"name":"c2","type":"double"}]}"#;
        let opts = options(&[("OUT", false, registered)]);
        let source = "CREATE STREAM S (`id` INT KEY, `c1` INT) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='AVRO');\n";
        let error = analyze_source(
            &format!("{source}CREATE STREAM OUT WITH (VALUE_SCHEMA_ID=2) AS SELECT * FROM S;"),
            &opts,
        )
        .unwrap_err();
        assert_eq!(
            error[0].message,
            "The following value columns are changed, missing or reordered: [`c1` INTEGER]. Schema from schema registry is [`c1` STRING, `c2` DOUBLE]"
        );
        let ok = analyze_source(
            &format!(
                "{source}CREATE STREAM OUT WITH (VALUE_SCHEMA_ID=2) AS SELECT `id`, CAST(`c1` AS STRING) AS `c1` FROM S;"
            ),
            &opts,
        );
        assert!(ok.is_ok(), "{ok:?}");
    }
}
