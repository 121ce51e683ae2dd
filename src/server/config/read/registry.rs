//! The `[schema_registry]` table: where the Schema Registry of the AVRO topics is and how to
//! authenticate to it, with ksqlDB's meaning (`ksql.schema.registry.url` and the
//! `ksql.schema.registry.*` client settings). No table, or no `urls`, means no registry: a
//! source or sink in a registry format is then a `weir check` error naming it.

use std::time::Duration;

use figment::value::Value;

use super::{Reader, Table};
use crate::registry::{RegistrySettings, TlsFiles};

const REGISTRY_KEYS: &[&str] = &[
    "urls",
    "basic_auth_user_info",
    "bearer_token",
    "tls_ca_pem",
    "tls_cert_pem",
    "tls_key_pem",
    "tls_keystore",
    "tls_truststore",
    "request_timeout",
    "cache_capacity",
    "unavailable_wait",
];

impl<'a> Reader<'a> {
    pub(super) fn schema_registry(&mut self, top: Table<'a>) -> Option<RegistrySettings> {
        let table = self.sub_table(top, "schema_registry", &["schema_registry"]);
        table.dict?;
        self.check_known_keys(table, REGISTRY_KEYS);
        let urls = self.url_list(table);
        let basic_auth = self.parsed(
            table,
            "basic_auth_user_info",
            "\"user:password\" (ksqlDB's basic.auth.user.info)",
            |text| {
                let (user, password) = text.split_once(':')?;
                Some((user.to_string(), password.to_string()))
            },
        );
        let bearer_token = self.string(table, "bearer_token");
        if basic_auth.is_some() && bearer_token.is_some() {
            let value = table.dict.and_then(|d| d.get("bearer_token"));
            self.error(
                table,
                "bearer_token",
                value,
                "either basic_auth_user_info or bearer_token, not both".into(),
            );
        }
        for (key, convert) in [
            (
                "tls_keystore",
                "convert it to PEM and set tls_cert_pem and tls_key_pem (for PKCS#12: \
                 `openssl pkcs12 -in store.p12 -nokeys -out cert.pem` and `openssl pkcs12 -in \
                 store.p12 -nocerts -nodes -out key.pem`; for JKS first `keytool \
                 -importkeystore -srcstoretype JKS -deststoretype PKCS12`)",
            ),
            (
                "tls_truststore",
                "convert it to a PEM bundle and set tls_ca_pem (`keytool -exportcert -rfc \
                 -keystore truststore.jks -alias <alias> -file ca.pem`)",
            ),
        ] {
            if let Some(value) = table.dict.and_then(|d| d.get(key)) {
                self.error(
                    table,
                    key,
                    Some(value),
                    format!("Java keystores (JKS, PKCS#12) are not read by weir; {convert}"),
                );
            }
        }
        let tls = TlsFiles {
            ca_pem: self.path(table, "tls_ca_pem"),
            cert_pem: self.path(table, "tls_cert_pem"),
            key_pem: self.path(table, "tls_key_pem"),
        };
        if tls.cert_pem.is_some() != tls.key_pem.is_some() {
            let key = if tls.cert_pem.is_some() {
                "tls_key_pem"
            } else {
                "tls_cert_pem"
            };
            self.error(
                table,
                key,
                None,
                "tls_cert_pem and tls_key_pem go together: set both for mutual TLS".into(),
            );
        }
        let defaults = RegistrySettings::new(Vec::new());
        let request_timeout = self
            .duration(table, "request_timeout")
            .unwrap_or(defaults.request_timeout);
        let cache_capacity = self
            .integer(table, "cache_capacity", 1, 10_000_000)
            .map_or(defaults.cache_capacity, |n| n as usize);
        let unavailable_wait = self
            .duration(table, "unavailable_wait")
            .unwrap_or(defaults.unavailable_wait);
        if urls.is_empty() {
            return None;
        }
        Some(RegistrySettings {
            urls,
            basic_auth,
            bearer_token,
            tls,
            request_timeout: request_timeout.max(Duration::from_millis(1)),
            cache_capacity,
            unavailable_wait,
        })
    }

    /// `urls`: a list of `http(s)://` URLs, or one string of comma-separated URLs (the form
    /// of ksqlDB's `ksql.schema.registry.url`, and of a `WEIR_` variable).
    fn url_list(&mut self, table: Table) -> Vec<String> {
        let Some(value) = table.dict.and_then(|d| d.get("urls")) else {
            return Vec::new();
        };
        let texts: Option<Vec<String>> = match value {
            Value::String(_, text) => Some(
                text.split(',')
                    .map(|u| u.trim().to_string())
                    .filter(|u| !u.is_empty())
                    .collect(),
            ),
            Value::Array(_, items) => items
                .iter()
                .map(|item| match item {
                    Value::String(_, text) => Some(text.trim().to_string()),
                    _ => None,
                })
                .collect(),
            _ => None,
        };
        let valid = texts.filter(|urls| {
            urls.iter()
                .all(|u| u.starts_with("http://") || u.starts_with("https://"))
        });
        match valid {
            Some(urls) => urls,
            None => {
                self.error(
                    table,
                    "urls",
                    Some(value),
                    "a list of http:// or https:// URLs, or one string of comma-separated URLs"
                        .into(),
                );
                Vec::new()
            }
        }
    }
}
