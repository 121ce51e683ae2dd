//! The `[schema_registry]` table: where the Schema Registry of the AVRO topics is and how to
//! authenticate to it, with ksqlDB's meaning (`ksql.schema.registry.url` and the
//! `ksql.schema.registry.*` client settings). No table, or no `urls`, means no registry: a
//! source or sink in a registry format is then a `weir check` error naming it.

use std::time::Duration;

use figment::value::Value;

use super::{Reader, Table};
use crate::registry::{Pkcs12Store, RegistrySettings, TlsFiles};

const REGISTRY_KEYS: &[&str] = &[
    "urls",
    "basic_auth_user_info",
    "bearer_token",
    "tls_ca_pem",
    "tls_cert_pem",
    "tls_key_pem",
    "tls_keystore",
    "tls_keystore_password",
    "tls_truststore",
    "tls_truststore_password",
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
        let tls = TlsFiles {
            ca_pem: self.path(table, "tls_ca_pem"),
            cert_pem: self.path(table, "tls_cert_pem"),
            key_pem: self.path(table, "tls_key_pem"),
            keystore: self.pkcs12_store(table, "tls_keystore"),
            truststore: self.pkcs12_store(table, "tls_truststore"),
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
        for (pem, store, set) in [
            (
                "tls_ca_pem",
                "tls_truststore",
                tls.ca_pem.is_some() && tls.truststore.is_some(),
            ),
            (
                "tls_cert_pem",
                "tls_keystore",
                tls.cert_pem.is_some() && tls.keystore.is_some(),
            ),
        ] {
            if set {
                let value = table.dict.and_then(|d| d.get(store));
                self.error(
                    table,
                    store,
                    value,
                    format!("either {pem} (PEM) or {store} (PKCS#12), not both"),
                );
            }
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

    /// `<key>` and `<key>_password`: a PKCS#12 file and its password (required: PKCS#12
    /// files without one are not read).
    fn pkcs12_store(&mut self, table: Table, key: &str) -> Option<Pkcs12Store> {
        let path = self.path(table, key);
        let java = path
            .as_ref()
            .and_then(|p| p.extension())
            .is_some_and(|e| e.eq_ignore_ascii_case("jks") || e.eq_ignore_ascii_case("jceks"));
        if java {
            let value = table.dict.and_then(|d| d.get(key));
            self.error(
                table,
                key,
                value,
                format!(
                    "a PKCS#12 file; a Java KeyStore (JKS) is not read by weir: convert it with \
                     `keytool -importkeystore -srckeystore <store>.jks -srcstoretype JKS \
                     -destkeystore <store>.p12 -deststoretype PKCS12` and set {key} to the .p12"
                ),
            );
            return None;
        }
        let password_key = format!("{key}_password");
        let password = self.string(table, &password_key);
        match (path, password) {
            (Some(path), Some(password)) => Some(Pkcs12Store { path, password }),
            (Some(_), None) => {
                self.error(
                    table,
                    &password_key,
                    None,
                    format!("the password of the PKCS#12 file {key} (required with {key})"),
                );
                None
            }
            (None, Some(_)) => {
                let value = table.dict.and_then(|d| d.get(&password_key));
                self.error(
                    table,
                    &password_key,
                    value,
                    format!("set {key} (a PKCS#12 file) with its password"),
                );
                None
            }
            (None, None) => None,
        }
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
