//! [`RegistryClient`]: the Confluent Schema Registry REST API over HTTP, blocking.
//!
//! Why `ureq`: the callers are synchronous stream threads and the startup path, each wanting
//! one short request with a timeout; ureq is a small, well-kept blocking client with rustls
//! (PEM trust stores and client certificates built in) and no async runtime of its own, so a
//! lookup is a plain function call on the thread that needs it. reqwest's blocking client
//! would start a tokio runtime per client to do the same.
//!
//! URLs are tried in order: a transient failure (no connection, a timeout, a 5xx) moves on to
//! the next; any other answer is final. Schemas by id are cached ([`super::cache`]); ids found
//! by registering are remembered per subject and text, so each sink registers once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value as Json, json};
use ureq::Agent;

use super::cache::SchemaCache;
use super::{
    NewSchema, Reference, RegistryError, RegistrySettings, Schema, SchemaKind, SchemaRegistry,
};

const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";
/// Deepest chain of schema references followed (a cycle is cut here, not looped on).
const MAX_REFERENCE_DEPTH: usize = 16;

/// A client for one registry (one or more URLs of the same cluster).
#[derive(Debug)]
pub struct RegistryClient {
    agent: Agent,
    urls: Vec<String>,
    authorization: Option<String>,
    cache: SchemaCache,
    registered: Mutex<HashMap<(String, NewSchema), u32>>,
}

impl RegistryClient {
    /// Builds the client; reads the TLS files now, so a bad path is a startup error.
    pub fn new(settings: &RegistrySettings) -> Result<RegistryClient, RegistryError> {
        if settings.urls.is_empty() {
            return Err(RegistryError::Settings("no registry URL configured".into()));
        }
        let tls = super::tls::config(&settings.tls)?;
        let config = Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(settings.request_timeout))
            .tls_config(tls)
            .build();
        let authorization = match (&settings.basic_auth, &settings.bearer_token) {
            (Some(_), Some(_)) => {
                return Err(RegistryError::Settings(
                    "set either basic_auth_user_info or bearer_token, not both".into(),
                ));
            }
            (Some((user, password)), None) => {
                use base64::Engine as _;
                let encoded =
                    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
                Some(format!("Basic {encoded}"))
            }
            (None, Some(token)) => Some(format!("Bearer {token}")),
            (None, None) => None,
        };
        Ok(RegistryClient {
            agent: Agent::new_with_config(config),
            urls: settings
                .urls
                .iter()
                .map(|u| u.trim_end_matches('/').to_string())
                .collect(),
            authorization,
            cache: SchemaCache::new(settings.cache_capacity),
            registered: Mutex::new(HashMap::new()),
        })
    }

    /// Waits until the registry answers (`GET /subjects`), retrying transient failures with a
    /// growing delay until `timeout` has passed. Refused credentials end the wait at once.
    pub fn wait_until_reachable(&self, timeout: Duration) -> Result<(), RegistryError> {
        let started = Instant::now();
        let mut delay = Duration::from_millis(100);
        loop {
            match self.request("GET", "/subjects", None) {
                Ok(_) => return Ok(()),
                Err(e) if e.is_transient() && started.elapsed() + delay < timeout => {
                    tracing::warn!(error = %e, "Schema Registry not reachable yet; retrying");
                    std::thread::sleep(delay);
                    delay = (delay * 2).min(Duration::from_secs(2));
                }
                Err(RegistryError::Unavailable { url, reason }) => {
                    return Err(RegistryError::Unavailable {
                        url,
                        reason: format!("{reason}; gave up after startup_timeout ({timeout:?})"),
                    });
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// One request, tried against each URL until one gives a final answer.
    fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&Json>,
    ) -> Result<Json, RegistryError> {
        let mut last = None;
        for base in &self.urls {
            let url = format!("{base}{path}");
            match self.request_once(method, &url, body) {
                Err(e) if e.is_transient() => last = Some(e),
                answer => return answer,
            }
        }
        Err(last.unwrap_or_else(|| RegistryError::Settings("no registry URL configured".into())))
    }

    fn request_once(
        &self,
        method: &str,
        url: &str,
        body: Option<&Json>,
    ) -> Result<Json, RegistryError> {
        let unavailable = |reason: String| RegistryError::Unavailable {
            url: url.to_string(),
            reason,
        };
        let result = match (method, body) {
            ("POST", Some(body)) => {
                let mut request = self.agent.post(url).header("Content-Type", CONTENT_TYPE);
                request = request.header("Accept", CONTENT_TYPE);
                if let Some(auth) = &self.authorization {
                    request = request.header("Authorization", auth);
                }
                request.send(body.to_string())
            }
            _ => {
                let mut request = self.agent.get(url).header("Accept", CONTENT_TYPE);
                if let Some(auth) = &self.authorization {
                    request = request.header("Authorization", auth);
                }
                request.call()
            }
        };
        let response = match result {
            Ok(response) => response,
            Err(ureq::Error::BadUri(reason)) => {
                return Err(RegistryError::Settings(format!(
                    "bad registry URL {url}: {reason}"
                )));
            }
            Err(e) => return Err(unavailable(e.to_string())),
        };
        let status = response.status().as_u16();
        let text = response
            .into_body()
            .read_to_string()
            .map_err(|e| unavailable(format!("reading the answer: {e}")))?;
        let json: Option<Json> = serde_json::from_str(&text).ok();
        let message = || {
            json.as_ref()
                .and_then(|j| j.get("message"))
                .and_then(Json::as_str)
                .map_or_else(|| excerpt(&text), str::to_string)
        };
        match status {
            200..=299 => json.ok_or_else(|| RegistryError::BadAnswer {
                url: url.to_string(),
                reason: format!("not JSON: {}", excerpt(&text)),
            }),
            401 | 403 => Err(RegistryError::Unauthorized {
                url: url.to_string(),
                status,
                message: message(),
            }),
            404 => Err(RegistryError::NotFound {
                url: url.to_string(),
                what: String::new(),
                code: json
                    .as_ref()
                    .and_then(|j| j.get("error_code"))
                    .and_then(Json::as_u64)
                    .and_then(|c| u32::try_from(c).ok()),
                message: message(),
            }),
            500..=599 | 408 | 429 => Err(unavailable(format!("HTTP {status}: {}", message()))),
            _ => Err(RegistryError::Rejected {
                url: url.to_string(),
                status,
                message: message(),
            }),
        }
    }

    /// A schema object from the registry (`schema`, `schemaType`, `references`), its
    /// references resolved.
    fn schema_from(&self, json: &Json, url: &str, depth: usize) -> Result<Schema, RegistryError> {
        let bad = |reason: &str| RegistryError::BadAnswer {
            url: url.to_string(),
            reason: reason.to_string(),
        };
        let text = json
            .get("schema")
            .and_then(Json::as_str)
            .ok_or_else(|| bad("no `schema` text"))?
            .to_string();
        let kind = SchemaKind::parse(json.get("schemaType").and_then(Json::as_str))
            .ok_or_else(|| bad("unknown `schemaType`"))?;
        let mut references = Vec::new();
        for reference in json
            .get("references")
            .and_then(Json::as_array)
            .map_or(&[][..], Vec::as_slice)
        {
            let field = |name: &str| reference.get(name);
            references.push(Reference {
                name: field("name")
                    .and_then(Json::as_str)
                    .ok_or_else(|| bad("a reference without a name"))?
                    .into(),
                subject: field("subject")
                    .and_then(Json::as_str)
                    .ok_or_else(|| bad("a reference without a subject"))?
                    .into(),
                version: field("version")
                    .and_then(Json::as_i64)
                    .and_then(|v| i32::try_from(v).ok())
                    .ok_or_else(|| bad("a reference without a version"))?,
            });
        }
        let mut resolved = Vec::new();
        for reference in &references {
            if depth >= MAX_REFERENCE_DEPTH {
                return Err(bad("schema references nested too deep (a cycle?)"));
            }
            let path = format!(
                "/subjects/{}/versions/{}",
                encode(&reference.subject),
                reference.version
            );
            let answer = self
                .request("GET", &path, None)
                .map_err(|e| what(e, &path))?;
            let inner = self.schema_from(&answer, &path, depth + 1)?;
            for item in inner.resolved {
                if !resolved.iter().any(|(name, _)| *name == item.0) {
                    resolved.push(item);
                }
            }
            resolved.push((reference.name.clone(), inner.text));
        }
        Ok(Schema {
            kind,
            text,
            references,
            resolved,
        })
    }
}

impl SchemaRegistry for RegistryClient {
    fn schema_by_id(&self, id: u32) -> Result<Arc<Schema>, RegistryError> {
        if let Some(schema) = self.cache.get(id) {
            return Ok(schema);
        }
        let path = format!("/schemas/ids/{id}");
        let answer = self
            .request("GET", &path, None)
            .map_err(|e| what(e, &format!("schema id {id}")))?;
        let schema = Arc::new(self.schema_from(&answer, &path, 0)?);
        self.cache.insert(id, schema.clone());
        Ok(schema)
    }

    fn latest(&self, subject: &str) -> Result<(u32, Arc<Schema>), RegistryError> {
        let path = format!("/subjects/{}/versions/latest", encode(subject));
        let answer = self
            .request("GET", &path, None)
            .map_err(|e| what(e, &format!("subject {subject}")))?;
        let id = answer
            .get("id")
            .and_then(Json::as_u64)
            .and_then(|id| u32::try_from(id).ok())
            .ok_or_else(|| RegistryError::BadAnswer {
                url: path.clone(),
                reason: "no schema `id`".into(),
            })?;
        let schema = Arc::new(self.schema_from(&answer, &path, 0)?);
        self.cache.insert(id, schema.clone());
        Ok((id, schema))
    }

    fn register(&self, subject: &str, schema: &NewSchema) -> Result<u32, RegistryError> {
        let key = (subject.to_string(), schema.clone());
        if let Some(id) = self
            .registered
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
        {
            return Ok(*id);
        }
        let mut body = json!({ "schema": schema.text });
        if schema.kind != SchemaKind::Avro {
            body["schemaType"] = json!(schema.kind.name());
        }
        if !schema.references.is_empty() {
            body["references"] = Json::Array(
                schema
                    .references
                    .iter()
                    .map(|r| json!({"name": r.name, "subject": r.subject, "version": r.version}))
                    .collect(),
            );
        }
        let path = format!("/subjects/{}/versions", encode(subject));
        let answer = self
            .request("POST", &path, Some(&body))
            .map_err(|e| what(e, &format!("subject {subject}")))?;
        let id = answer
            .get("id")
            .and_then(Json::as_u64)
            .and_then(|id| u32::try_from(id).ok())
            .ok_or_else(|| RegistryError::BadAnswer {
                url: path,
                reason: "no schema `id` in the answer to a registration".into(),
            })?;
        self.registered
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, id);
        Ok(id)
    }
}

/// Names what was not found in a 404.
fn what(error: RegistryError, subject: &str) -> RegistryError {
    match error {
        RegistryError::NotFound {
            url, code, message, ..
        } => RegistryError::NotFound {
            url,
            what: subject.to_string(),
            code,
            message,
        },
        other => other,
    }
}

/// Percent-encodes a path segment (subjects may hold any character).
fn encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn excerpt(text: &str) -> String {
    let text = text.trim();
    match text.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_are_percent_encoded() {
        assert_eq!(encode("orders-value"), "orders-value");
        assert_eq!(encode("a/b c"), "a%2Fb%20c");
    }

    #[test]
    fn unreachable_registry_is_transient_and_names_the_url() {
        let mut settings = RegistrySettings::new(vec!["http://127.0.0.1:1".into()]);
        settings.request_timeout = Duration::from_millis(500);
        let client = RegistryClient::new(&settings).unwrap();
        let err = client.schema_by_id(7).unwrap_err();
        assert!(err.is_transient(), "{err}");
        assert!(
            err.to_string().contains("http://127.0.0.1:1/schemas/ids/7"),
            "{err}"
        );
        let err = client
            .wait_until_reachable(Duration::from_millis(300))
            .unwrap_err();
        assert!(
            err.to_string().contains("gave up after startup_timeout"),
            "{err}"
        );
    }

    #[test]
    fn both_auth_methods_at_once_are_refused() {
        let mut settings = RegistrySettings::new(vec!["http://localhost:8081".into()]);
        settings.basic_auth = Some(("u".into(), "p".into()));
        settings.bearer_token = Some("t".into());
        assert!(matches!(
            RegistryClient::new(&settings),
            Err(RegistryError::Settings(_))
        ));
    }
}
