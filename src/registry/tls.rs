//! TLS for the registry client from PEM files: a CA bundle to trust (otherwise the bundled
//! web roots) and, for mutual TLS, a certificate chain and its private key. Files are read
//! once, when the client is built; every problem names the file and the config key.

use std::path::Path;

use ureq::tls::{Certificate, ClientCert, PemItem, PrivateKey, RootCerts, TlsConfig};

use super::{RegistryError, TlsFiles};

pub(super) fn config(files: &TlsFiles) -> Result<TlsConfig, RegistryError> {
    let mut builder = TlsConfig::builder();
    if let Some(path) = &files.ca_pem {
        let certs = certificates(path, "tls_ca_pem")?;
        builder = builder.root_certs(RootCerts::new_with_certs(&certs));
    }
    match (&files.cert_pem, &files.key_pem) {
        (Some(cert), Some(key)) => {
            let chain = certificates(cert, "tls_cert_pem")?;
            let key = private_key(key)?;
            builder = builder.client_cert(Some(ClientCert::new_with_certs(&chain, key)));
        }
        (None, None) => {}
        _ => {
            return Err(RegistryError::Settings(
                "tls_cert_pem and tls_key_pem go together: set both for mutual TLS, or neither"
                    .into(),
            ));
        }
    }
    Ok(builder.build())
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

fn private_key(path: &Path) -> Result<PrivateKey<'static>, RegistryError> {
    let bytes = read(path, "tls_key_pem")?;
    PrivateKey::from_pem(&bytes).map_err(|e| {
        RegistryError::Settings(format!(
            "schema_registry.tls_key_pem: {} holds no PEM private key: {e}",
            path.display()
        ))
    })
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
