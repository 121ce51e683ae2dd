//! TLS for the registry client: a CA bundle to trust (otherwise the bundled web roots) and,
//! for mutual TLS, a certificate chain and its private key, from PEM files or from PKCS#12
//! stores (read with the `p12-keystore` crate). Files are read once, when the client is built;
//! every problem names the file and the config key. A Java KeyStore (JKS, JCEKS) is refused
//! with the `keytool` command that converts it to PKCS#12.

use std::path::Path;

use base64::Engine;
use p12_keystore::{KeyStore, KeyStoreEntry, Pkcs12ImportPolicy};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use ureq::tls::{Certificate, ClientCert, PemItem, PrivateKey, RootCerts, TlsConfig};

use super::{Pkcs12Store, RegistryError, TlsFiles};

/// A client certificate chain with its key, for ureq and (the same key) for the rustls check.
type ClientIdentity = (
    Vec<Certificate<'static>>,
    PrivateKey<'static>,
    PrivateKeyDer<'static>,
);

pub(super) fn config(files: &TlsFiles) -> Result<TlsConfig, RegistryError> {
    let mut builder = TlsConfig::builder();
    let trusted = match (&files.ca_pem, &files.truststore) {
        (Some(_), Some(_)) => return Err(both("tls_ca_pem", "tls_truststore")),
        (Some(path), None) => Some(certificates(path, "tls_ca_pem")?),
        (None, Some(store)) => Some(trusted_certificates(store)?),
        (None, None) => None,
    };
    if let Some(certs) = trusted {
        builder = builder.root_certs(RootCerts::new_with_certs(&certs));
    }
    let client = match (&files.cert_pem, &files.key_pem, &files.keystore) {
        (Some(_), _, Some(_)) | (_, Some(_), Some(_)) => {
            return Err(both("tls_cert_pem/tls_key_pem", "tls_keystore"));
        }
        (Some(cert), Some(key), None) => {
            let (key, checked) = private_key(key)?;
            Some((certificates(cert, "tls_cert_pem")?, key, checked))
        }
        (None, None, Some(store)) => Some(key_and_chain(store)?),
        (None, None, None) => None,
        _ => {
            return Err(RegistryError::Settings(
                "tls_cert_pem and tls_key_pem go together: set both for mutual TLS, or neither"
                    .into(),
            ));
        }
    };
    if let Some((chain, key, checked)) = client {
        usable_client_cert(&chain, checked)?;
        builder = builder.client_cert(Some(ClientCert::new_with_certs(&chain, key)));
    }
    Ok(builder.build())
}

/// Whether rustls takes `chain` and `key` as a client identity (ureq would panic later, on
/// the first request, where it does not).
fn usable_client_cert(
    chain: &[Certificate<'static>],
    key: PrivateKeyDer<'static>,
) -> Result<(), RegistryError> {
    let chain: Vec<CertificateDer<'static>> = chain
        .iter()
        .map(|c| CertificateDer::from(c.der().to_vec()))
        .collect();
    // The provider ureq builds its own config with (deprecated upstream for lacking
    // post-quantum key exchange, which a certificate check does not involve).
    #[allow(deprecated)]
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(rustls::ALL_VERSIONS)
        .and_then(|b| {
            b.with_root_certificates(rustls::RootCertStore::empty())
                .with_client_auth_cert(chain, key)
        })
        .map(|_| ())
        .map_err(|e| {
            RegistryError::Settings(format!(
                "the client certificate of tls_cert_pem/tls_key_pem or tls_keystore cannot be \
                 used for TLS: {e:?}"
            ))
        })
}

fn both(a: &str, b: &str) -> RegistryError {
    RegistryError::Settings(format!("set either {a} or {b}, not both"))
}

/// The store's entries; `key` names it in errors (`tls_keystore`, `tls_truststore`).
fn open_store(
    store: &Pkcs12Store,
    key: &str,
    policy: Pkcs12ImportPolicy,
) -> Result<KeyStore, RegistryError> {
    let bytes = read(&store.path, key)?;
    let fail = |why: String| {
        RegistryError::Settings(format!(
            "schema_registry.{key}: {} {why}",
            store.path.display()
        ))
    };
    // JKS and JCEKS files start with these magic numbers; PKCS#12 is a DER SEQUENCE (0x30).
    if bytes.starts_with(&[0xfe, 0xed, 0xfe, 0xed]) || bytes.starts_with(&[0xce, 0xce, 0xce, 0xce])
    {
        return Err(fail(format!(
            "is a Java KeyStore (JKS), which weir does not read; convert it to PKCS#12 with \
             `keytool -importkeystore -srckeystore {0} -srcstoretype JKS -destkeystore \
             store.p12 -deststoretype PKCS12` and point {key} at store.p12",
            store.path.display()
        )));
    }
    KeyStore::from_pkcs12(&bytes, &store.password, policy).map_err(|e| {
        fail(format!(
            "cannot be read as PKCS#12 ({e}); check the file and {key}_password"
        ))
    })
}

/// Every certificate of a PKCS#12 trust store (OpenSSL's `-nokeys` export and Java's
/// trusted-certificate entries alike).
fn trusted_certificates(store: &Pkcs12Store) -> Result<Vec<Certificate<'static>>, RegistryError> {
    let keystore = open_store(store, "tls_truststore", Pkcs12ImportPolicy::Raw)?;
    let certs: Vec<Certificate<'static>> = keystore
        .entries()
        .filter_map(|(_, entry)| match entry {
            KeyStoreEntry::Certificate(cert) => {
                Some(Certificate::from_der(cert.as_der()).to_owned())
            }
            _ => None,
        })
        .collect();
    if certs.is_empty() {
        return Err(RegistryError::Settings(format!(
            "schema_registry.tls_truststore: {} holds no certificate",
            store.path.display()
        )));
    }
    Ok(certs)
}

/// The private key of a PKCS#12 key store with its certificate chain, leaf first.
fn key_and_chain(store: &Pkcs12Store) -> Result<ClientIdentity, RegistryError> {
    let keystore = open_store(store, "tls_keystore", Pkcs12ImportPolicy::Strict)?;
    let Some((_, chain)) = keystore.private_key_chain() else {
        return Err(RegistryError::Settings(format!(
            "schema_registry.tls_keystore: {} holds no private key with its certificate",
            store.path.display()
        )));
    };
    let certs = chain
        .certs()
        .iter()
        .map(|cert| Certificate::from_der(cert.as_der()).to_owned())
        .collect();
    // The store's key is PKCS#8 DER; ureq takes keys of a stated kind only through PEM.
    let body = base64::engine::general_purpose::STANDARD.encode(chain.key().as_der());
    let pem = format!("-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n");
    let key = PrivateKey::from_pem(pem.as_bytes()).map_err(|e| {
        RegistryError::Settings(format!(
            "schema_registry.tls_keystore: the private key in {} cannot be used: {e}",
            store.path.display()
        ))
    })?;
    let checked = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(chain.key().as_der().to_vec()));
    Ok((certs, key, checked))
}

fn read(path: &Path, key: &str) -> Result<Vec<u8>, RegistryError> {
    std::fs::read(path).map_err(|e| {
        RegistryError::Settings(format!(
            "schema_registry.{key}: cannot read {}: {e}",
            path.display()
        ))
    })
}

fn certificates(path: &Path, key: &str) -> Result<Vec<Certificate<'static>>, RegistryError> {
    let bytes = read(path, key)?;
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(&bytes) {
        match item {
            Ok(PemItem::Certificate(cert)) => certs.push(cert),
            Ok(_) => {}
            Err(e) => {
                return Err(RegistryError::Settings(format!(
                    "schema_registry.{key}: {} is not valid PEM: {e}",
                    path.display()
                )));
            }
        }
    }
    if certs.is_empty() {
        return Err(RegistryError::Settings(format!(
            "schema_registry.{key}: {} holds no PEM certificate",
            path.display()
        )));
    }
    Ok(certs)
}

fn private_key(
    path: &Path,
) -> Result<(PrivateKey<'static>, PrivateKeyDer<'static>), RegistryError> {
    let bytes = read(path, "tls_key_pem")?;
    let refuse = |e: String| {
        RegistryError::Settings(format!(
            "schema_registry.tls_key_pem: {} holds no PEM private key: {e}",
            path.display()
        ))
    };
    let key = PrivateKey::from_pem(&bytes).map_err(|e| refuse(e.to_string()))?;
    let checked = PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| refuse(e.to_string()))?;
    Ok((key, checked))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_without_certificates_is_refused_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "not a certificate\n").unwrap();
        let files = TlsFiles {
            ca_pem: Some(path.clone()),
            ..TlsFiles::default()
        };
        let err = config(&files).unwrap_err().to_string();
        assert!(err.contains("tls_ca_pem"), "{err}");
        assert!(err.contains(&path.display().to_string()), "{err}");
    }

    #[test]
    fn a_certificate_without_its_key_is_refused() {
        let files = TlsFiles {
            cert_pem: Some("/nonexistent.pem".into()),
            ..TlsFiles::default()
        };
        let err = config(&files).unwrap_err().to_string();
        assert!(err.contains("go together"), "{err}");
    }
}
