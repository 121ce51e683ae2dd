//! The names ksqlDB gives the records of registry-format sinks that queries create, so that
//! the schemas weir registers carry the same names (the key's record is named after the sink;
//! values keep the format's default, `KsqlDataSourceSchema`).

/// `io.confluent.ksql.avro_schemas.<Name>Key`, the sink's name turned from UPPER_UNDERSCORE
/// into UpperCamel as Guava's `CaseFormat` does (`MY_SINK` → `MySinkKey`).
pub(crate) fn avro_key_schema_name(sink: &str) -> String {
    let camel: String = sink
        .split('_')
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => first
                    .to_uppercase()
                    .chain(chars.flat_map(char::to_lowercase))
                    .collect(),
                None => String::new(),
            }
        })
        .collect();
    format!("io.confluent.ksql.avro_schemas.{camel}Key")
}

#[cfg(test)]
mod tests {
    use super::avro_key_schema_name;

    #[test]
    fn avro_sink_keys_are_named_after_the_sink_in_upper_camel_case() {
        assert_eq!(
            avro_key_schema_name("OUTPUT"),
            "io.confluent.ksql.avro_schemas.OutputKey"
        );
        assert_eq!(
            avro_key_schema_name("MY_SINK_2"),
            "io.confluent.ksql.avro_schemas.MySink2Key"
        );
    }

    #[test]
    fn a_query_created_avro_sink_names_its_key_record_and_inherits_no_schema_id() {
        let file = crate::analyze::analyze_source(
            "CREATE STREAM S (K1 INT KEY, K2 INT KEY, V INT) WITH (KAFKA_TOPIC='s', \
             FORMAT='AVRO', VALUE_SCHEMA_FULL_NAME='a.B');\n\
             CREATE STREAM MY_OUT AS SELECT * FROM S;",
            &crate::analyze::AnalyzeOptions::default(),
        )
        .unwrap();
        let source = file.catalog.source("S").unwrap();
        assert_eq!(source.value_format.full_name.as_deref(), Some("a.B"));
        assert_eq!(source.key_format.full_name, None);
        let sink = file.catalog.source("MY_OUT").unwrap();
        assert_eq!(
            sink.key_format.full_name.as_deref(),
            Some("io.confluent.ksql.avro_schemas.MyOutKey")
        );
        assert_eq!(sink.value_format.full_name, None);
    }
}
