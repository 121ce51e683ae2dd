//! The formats of a source: `KEY_FORMAT`, `VALUE_FORMAT` and `FORMAT` in a `WITH` list with
//! their defaults (inherited for `… AS SELECT`, configured for `CREATE`), their options
//! (wrapping, delimiters, Schema Registry properties), and ksqlDB's checks of a schema's
//! columns against them. It decides formats only; the source itself is registered in
//! `source`.

use std::str::FromStr;

use super::catalog::{FormatInfo, Namespace, Schema};
use super::{Analyzer, R, registry};
use crate::format::protobuf::NullableRepresentation;
use crate::format::{self, Format, Role, SerdeColumn, SerdeOptions};
use crate::sql::{Diagnostic, Properties, Span};
use crate::types::SqlType;

impl Analyzer<'_> {
    /// Key and value formats of a `WITH` list, with defaults from `default_key`/`default_value`
    /// (inherited formats for `… AS SELECT`, configured defaults for `CREATE`).
    pub(super) fn formats(
        &self,
        properties: &Properties,
        default_key: Option<FormatInfo>,
        default_value: Option<FormatInfo>,
        statement_span: Span,
    ) -> R<(FormatInfo, FormatInfo)> {
        let parse = |name: &str| -> R<Option<Format>> {
            match self.prop(properties, name) {
                Some((text, span)) => Format::from_str(&text)
                    .map(Some)
                    .map_err(|e| Diagnostic::error(span, e.to_string())),
                None => Ok(None),
            }
        };
        let both = parse("FORMAT")?;
        let mut key = parse("KEY_FORMAT")?;
        let mut value = parse("VALUE_FORMAT")?;
        if let Some(both) = both {
            for (side, given) in [("KEY_FORMAT", key), ("VALUE_FORMAT", value)] {
                if given.is_some() {
                    let span = properties
                        .get("FORMAT")
                        .map_or(statement_span, |p| p.name_span);
                    return Err(Diagnostic::error(
                        span,
                        // ksqlDB's `CommonCreateConfigs.validateKeyValueFormats`.
                        format!(
                            "Cannot supply both '{side}' and 'FORMAT' properties, as 'FORMAT' sets both key and value formats. Either use just 'FORMAT', or use 'KEY_FORMAT' and 'VALUE_FORMAT'."
                        ),
                    ));
                }
            }
            key = Some(both);
            value = Some(both);
        }
        let default_format = |prop: &str| {
            self.catalog
                .property(prop)
                .and_then(|text| Format::from_str(text).ok())
                .map(FormatInfo::of)
        };
        let mut key = match key {
            Some(f) => FormatInfo::of(f),
            None => default_key
                .or_else(|| default_format("ksql.persistence.default.format.key"))
                .unwrap_or(FormatInfo::of(Format::Kafka)),
        };
        let mut value = match value {
            Some(f) => FormatInfo::of(f),
            None => default_value
                .or_else(|| default_format("ksql.persistence.default.format.value"))
                .ok_or_else(|| {
                    Diagnostic::error(
                        properties.span.to(statement_span),
                        "Statement is missing the 'VALUE_FORMAT' property from the WITH clause. Either provide one or set a default via the 'ksql.persistence.default.format.value' config.",
                    )
                })?,
        };
        if let Some((wrap, span)) = self.prop(properties, "WRAP_SINGLE_VALUE") {
            value.wrap_single_value = Some(match wrap.to_ascii_lowercase().as_str() {
                "true" => true,
                "false" => false,
                _ => {
                    return Err(Diagnostic::error(
                        span,
                        "Property 'WRAP_SINGLE_VALUE' must be true or false",
                    ));
                }
            });
        }
        // ksqlDB validates the delimiters with the WITH clause (`ConfigValidators`, when it
        // prepares the statement) and the formats' configs (`Format.validateProperties`),
        // both before it looks at the columns.
        for (info, word) in [(&mut value, "VALUE"), (&mut key, "KEY")] {
            let Some((d, span)) = self.prop(properties, &format!("{word}_DELIMITER")) else {
                continue;
            };
            crate::format::Delimiter::parse(&d).map_err(|e| {
                Diagnostic::error(
                    span,
                    format!(
                        "Failed to prepare statement: Configuration {word}_DELIMITER is invalid: {e}"
                    ),
                )
            })?;
            if info.format != Format::Delimited {
                let refusal = crate::format::FormatError::UnsupportedProperty {
                    format: info.format,
                    property: "delimiter",
                };
                return Err(Diagnostic::error(span, refusal.to_string()));
            }
            info.delimiter = Some(d);
        }
        for (info, word) in [(&mut key, "KEY"), (&mut value, "VALUE")] {
            if let Some((id, _)) = self.prop(properties, &format!("{word}_SCHEMA_ID")) {
                // A malformed id is reported by the schema-id checks (`infer.rs`).
                info.schema_id = id.trim().parse().ok();
            }
            let names: &[&str] = match word {
                "KEY" => &["KEY_SCHEMA_FULL_NAME"],
                _ => &["VALUE_SCHEMA_FULL_NAME", "VALUE_AVRO_SCHEMA_FULL_NAME"],
            };
            for name in names {
                if let Some((full, _)) = self.prop(properties, name) {
                    info.full_name = Some(full);
                }
            }
            let name = format!("{word}_PROTOBUF_NULLABLE_REPRESENTATION");
            if let Some((text, span)) = self.prop(properties, &name) {
                if !matches!(info.format, Format::Protobuf | Format::ProtobufNoSr) {
                    return Err(Diagnostic::error(
                        span,
                        format!(
                            "{} does not support the following configs: [nullableRepresentation]",
                            info.format
                        ),
                    )
                    .with_help(format!("{name} applies to PROTOBUF and PROTOBUF_NOSR only")));
                }
                info.nullable = Some(NullableRepresentation::parse(&text).ok_or_else(|| {
                    Diagnostic::error(
                        span,
                        format!(
                            "Invalid value {text} for property {name}: use OPTIONAL or WRAPPER"
                        ),
                    )
                })?);
            }
        }
        self.check_registry_properties(properties, &key, &value)?;
        Ok((key, value))
    }

    /// ksqlDB's format checks for both sides of a schema.
    pub(super) fn validate_formats(
        &self,
        schema: &Schema,
        key: &FormatInfo,
        value: &FormatInfo,
        span: Span,
    ) -> R<()> {
        for (role, info, columns) in [
            (Role::Key, key, schema.keys().collect::<Vec<_>>()),
            (
                Role::Value,
                value,
                schema
                    .columns
                    .iter()
                    .filter(|c| c.namespace == Namespace::Value)
                    .collect(),
            ),
        ] {
            if !info.format.is_supported() {
                if registry::supports_inference(info.format) || info.format == Format::ProtobufNoSr
                {
                    let typed: Vec<(&str, &SqlType)> =
                        columns.iter().map(|c| (c.name.as_str(), &c.ty)).collect();
                    registry::checks::check_columns(info.format, role, &typed)
                        .map_err(|e| Diagnostic::error(span, e))?;
                }
                continue;
            }
            let mut options = SerdeOptions {
                wrap_single_value: info.wrap_single_value,
                delimiter: None,
                nullable: None,
            };
            if let Some(text) = &info.delimiter {
                options.delimiter = Some(
                    crate::format::Delimiter::parse(text).map_err(|e| {
                        Diagnostic::error(
                            span,
                            format!(
                                "Failed to prepare statement: Configuration {}_DELIMITER is invalid: {e}",
                                if role == Role::Key { "KEY" } else { "VALUE" }
                            ),
                        )
                    })?,
                );
            }
            let serde_columns: Vec<SerdeColumn> = columns
                .iter()
                .map(|c| SerdeColumn::new(c.name.clone(), c.ty.clone()))
                .collect();
            format::validate(info.format, role, &serde_columns, &options)
                .map_err(|e| Diagnostic::error(span, e.schema_refusal(role, &serde_columns)))?;
        }
        Ok(())
    }
}
