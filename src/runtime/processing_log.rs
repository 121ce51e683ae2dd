//! The processing log: every record that fails to deserialize, evaluate or serialize becomes
//! one JSON record on the processing-log topic (query, where it came from, what failed and the
//! record's bytes in base64), a counter increment and a log line. Nothing is dropped silently.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

use crate::topology::{ProcessingError, RawRecord};

/// The JSON value of the processing-log record for `error`, raised by `raw` in `query`.
pub fn entry(query: &str, error: &ProcessingError, raw: &RawRecord<'_>) -> String {
    let bytes = |b: Option<&[u8]>| b.map(|b| STANDARD.encode(b));
    json!({
        "query": query,
        "kind": error.kind.to_string(),
        "error": error.message,
        "task": error.task.to_string(),
        "node": &*error.node,
        "topic": raw.topic,
        "partition": raw.partition,
        "offset": raw.offset,
        "timestamp": raw.timestamp,
        "key": bytes(raw.key),
        "value": bytes(raw.value),
        "record": error.record,
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::ProcessingErrorKind;

    #[test]
    fn entry_names_the_query_position_error_and_bytes() {
        let mut error = ProcessingError::new(ProcessingErrorKind::Deserialization, "bad JSON");
        error.node = "KsqlTopic/Source".into();
        let raw = RawRecord {
            topic: "orders",
            partition: 2,
            offset: 41,
            timestamp: 7,
            key: Some(b"k"),
            value: Some(b"{oops"),
            headers: &[],
        };
        let parsed: serde_json::Value =
            serde_json::from_str(&entry("CSAS_X", &error, &raw)).expect("valid JSON");
        assert_eq!(parsed["query"], "CSAS_X");
        assert_eq!(parsed["kind"], "DESERIALIZATION_ERROR");
        assert_eq!(parsed["error"], "bad JSON");
        assert_eq!(parsed["topic"], "orders");
        assert_eq!(parsed["partition"], 2);
        assert_eq!(parsed["offset"], 41);
        assert_eq!(parsed["key"], "aw==");
        assert_eq!(parsed["value"], STANDARD.encode(b"{oops"));
    }
}
