//! The registry over mutual TLS with PKCS#12 stores: OpenSSL's command line makes a CA, a
//! server and a client certificate and exports the client's key and chain and the CA as
//! password-protected PKCS#12 files (OpenSSL 3's default AES encryption, and the 3DES one
//! older tools and Java write); socat terminates TLS in front of rivven-schema and demands a
//! client certificate signed by the CA. `weir lock` infers a source's columns through it,
//! which only works when weir trusted the server from the trust store and presented the key
//! store's certificate. Without the key store, with a wrong password, or with a JKS file, the
//! commands fail saying what to fix.

mod harness;
mod support;

use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use harness::Workspace;
use support::fault_registry::free_address;
use support::registry::TestRegistry;

const QUERIES: &str = "
CREATE STREAM ORDERS WITH (KAFKA_TOPIC='orders', FORMAT='AVRO');
CREATE STREAM PAID AS SELECT * FROM ORDERS WHERE STATUS = 'paid' EMIT CHANGES;
";

const ORDER: &str = r#"{"type":"record","name":"Order","fields":[
  {"name":"status","type":"string"},{"name":"amount","type":"double"}]}"#;

fn openssl(dir: &Path, args: &[&str]) {
    let output = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs (installed by .ci/prereqs)");
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A CA, a server certificate for 127.0.0.1 and a client certificate, signed by the CA; the
/// client's key and chain as `client.p12` (AES) and `client-3des.p12`, the CA as `trust.p12`.
fn certificates(dir: &Path) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=weir test CA",
        ],
    );
    std::fs::write(dir.join("server.ext"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    std::fs::write(dir.join("client.ext"), "extendedKeyUsage=clientAuth\n").unwrap();
    for (name, subject, ext) in [
        ("server", "/CN=127.0.0.1", "server.ext"),
        ("client", "/CN=weir client", "client.ext"),
    ] {
        openssl(
            dir,
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                &format!("{name}.key"),
                "-out",
                &format!("{name}.csr"),
                "-subj",
                subject,
            ],
        );
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &format!("{name}.csr"),
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                &format!("{name}.pem"),
                "-days",
                "2",
                "-extfile",
                ext,
            ],
        );
    }
    openssl(
        dir,
        &[
            "pkcs12",
            "-export",
            "-in",
            "client.pem",
            "-inkey",
            "client.key",
            "-certfile",
            "ca.pem",
            "-out",
            "client.p12",
            "-passout",
            "pass:keysecret",
        ],
    );
    openssl(
        dir,
        &[
            "pkcs12",
            "-export",
            "-in",
            "client.pem",
            "-inkey",
            "client.key",
            "-certfile",
            "ca.pem",
            "-out",
            "client-3des.p12",
            "-passout",
            "pass:keysecret",
            "-keypbe",
            "PBE-SHA1-3DES",
            "-certpbe",
            "PBE-SHA1-3DES",
            "-macalg",
            "sha1",
        ],
    );
    openssl(
        dir,
        &[
            "pkcs12",
            "-export",
            "-nokeys",
            "-in",
            "ca.pem",
            "-out",
            "trust.p12",
            "-passout",
            "pass:trustsecret",
        ],
    );
}

/// socat terminating TLS at `listen`, requiring a client certificate signed by the CA, and
/// forwarding to `upstream`. Killed on drop.
struct TlsProxy(Child);

impl TlsProxy {
    fn start(dir: &Path, listen: SocketAddr, upstream: &str) -> TlsProxy {
        let child = Command::new("socat")
            .arg(format!(
                "OPENSSL-LISTEN:{},bind=127.0.0.1,reuseaddr,fork,cert=server.pem,key=server.key,\
                 cafile=ca.pem,verify=1",
                listen.port()
            ))
            .arg(format!("TCP:{upstream}"))
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("socat runs (installed by .ci/prereqs)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(listen).is_err() {
            assert!(
                Instant::now() < deadline,
                "socat never listened on {listen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        TlsProxy(child)
    }
}

impl Drop for TlsProxy {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn workspace(url: &str, tls: &str) -> Workspace {
    Workspace::new(
        &format!(
            "queries = \"app.sql\"\nstate_dir = \"state\"\n[kafka]\n\
             \"bootstrap.servers\" = \"127.0.0.1:9\"\n[schema_registry]\nurls = [\"{url}\"]\n\
             request_timeout = \"3s\"\n{tls}"
        ),
        QUERIES,
    )
}

#[test]
fn pkcs12_key_and_trust_stores_carry_mutual_tls_to_the_registry() {
    let certs = tempfile::tempdir().unwrap();
    let dir = certs.path();
    certificates(dir);
    let registry = TestRegistry::start();
    registry.register("orders-value", "AVRO", ORDER, "[]");
    let upstream = registry.url().trim_start_matches("http://").to_owned();
    let listen = free_address();
    let _proxy = TlsProxy::start(dir, listen, &upstream);
    let url = format!("https://127.0.0.1:{}", listen.port());
    let trust = format!(
        "tls_truststore = \"{}\"\ntls_truststore_password = \"trustsecret\"\n",
        dir.join("trust.p12").display()
    );

    for keystore in ["client.p12", "client-3des.p12"] {
        let tls = format!(
            "{trust}tls_keystore = \"{}\"\ntls_keystore_password = \"keysecret\"\n",
            dir.join(keystore).display()
        );
        let workspace = workspace(&url, &tls);
        let (code, stdout, stderr) = workspace.output(&["lock"]);
        assert_eq!(code, 0, "{keystore}: {stdout}{stderr}");
        let lock = std::fs::read_to_string(workspace.path("app.sql.lock")).unwrap();
        assert!(
            lock.contains("source = \"ORDERS\""),
            "{keystore}: the columns came through TLS: {lock}"
        );
    }

    // No client certificate: the TLS server refuses the handshake.
    let (code, _, stderr) = workspace(&url, &trust).output(&["check"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("which did not answer"), "{stderr}");

    // A wrong password names the store and its password key.
    let wrong = format!(
        "{trust}tls_keystore = \"{}\"\ntls_keystore_password = \"nope\"\n",
        dir.join("client.p12").display()
    );
    let (code, _, stderr) = workspace(&url, &wrong).output(&["check"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("schema_registry.tls_keystore"), "{stderr}");
    assert!(stderr.contains("tls_keystore_password"), "{stderr}");

    // An X.509 v1 client certificate (no extensions), which rustls refuses: a clear error,
    // not a panic on the first request.
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "client.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "client-v1.pem",
            "-days",
            "2",
        ],
    );
    let v1 = format!(
        "{trust}tls_cert_pem = \"{}\"\ntls_key_pem = \"{}\"\n",
        dir.join("client-v1.pem").display(),
        dir.join("client.key").display()
    );
    let (code, _, stderr) = workspace(&url, &v1).output(&["check"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("cannot be used for TLS"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    // A Java KeyStore under a PKCS#12 name is recognised by its magic number.
    std::fs::write(dir.join("java.p12"), [0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2]).unwrap();
    let java = format!(
        "{trust}tls_keystore = \"{}\"\ntls_keystore_password = \"keysecret\"\n",
        dir.join("java.p12").display()
    );
    let (code, _, stderr) = workspace(&url, &java).output(&["check"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("keytool -importkeystore"), "{stderr}");
}
