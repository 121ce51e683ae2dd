//! Checks the deployment files against the facts of the daemon they deploy: the compose file
//! and every Kubernetes manifest parse as YAML and run non-root replicas of one `service_id`
//! with probes on the right paths and port and the queries mounted read-only; the Dockerfile
//! has two stages, a non-root user and a health check; the systemd unit carries its settings
//! and passes `systemd-analyze verify` (skipped, with a note, where that tool is missing); the
//! Prometheus alerts and the Grafana dashboard query only metrics weir exports.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use yaml_rust2::{Yaml, YamlLoader};

mod compose;
mod dockerfile;
mod k8s;
mod monitoring;
mod systemd;

/// weir's HTTP port (`[http] listen`, default 127.0.0.1:9464).
const HTTP_PORT: i64 = 9464;
/// weir's default shutdown timeout: stop grace periods must exceed it.
const SHUTDOWN_TIMEOUT_SECS: i64 = 30;
/// weir's `STALL_AFTER` (`src/server/commands/run.rs`): a loop silent this long is stuck.
const STALL_AFTER_SECS: u64 = 15;
const CONFIG_PATH: &str = "/etc/weir/weir.toml";
const QUERIES_PATH: &str = "/etc/weir/queries.sql";
const STATE_DIR: &str = "/var/lib/weir";

fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

fn read(relative: &str) -> String {
    let path = repo_path(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn load_yaml(relative: &str) -> Vec<Yaml> {
    YamlLoader::load_from_str(&read(relative))
        .unwrap_or_else(|e| panic!("{relative} is not valid YAML: {e}"))
}

fn parse_toml(text: &str, what: &str) -> toml::Table {
    text.parse()
        .unwrap_or_else(|e| panic!("{what} is not valid TOML: {e}"))
}

/// A string at `node`, or a panic naming `what` was expected.
fn text<'a>(node: &'a Yaml, what: &str) -> &'a str {
    node.as_str()
        .unwrap_or_else(|| panic!("{what}: expected a string, found {node:?}"))
}

fn list<'a>(node: &'a Yaml, what: &str) -> &'a [Yaml] {
    node.as_vec()
        .unwrap_or_else(|| panic!("{what}: expected a list, found {node:?}"))
}

/// The weir config the deployment ships, with the facts the other files must agree with.
struct WeirConfig {
    service_id: String,
    queries: String,
    state_dir: String,
    listen_port: i64,
}

fn check_weir_config(text: &str, what: &str) -> WeirConfig {
    let config = parse_toml(text, what);
    let get = |key: &str| {
        config
            .get(key)
            .and_then(toml::Value::as_str)
            .unwrap_or_else(|| panic!("{what}: `{key}` must be set to a string"))
            .to_owned()
    };
    let service_id = get("service_id");
    assert!(!service_id.is_empty(), "{what}: service_id is empty");
    let listen = config
        .get("http")
        .and_then(|http| http.get("listen"))
        .and_then(toml::Value::as_str)
        .unwrap_or_else(|| panic!("{what}: [http] listen must be set for a container"));
    assert!(
        listen.starts_with("0.0.0.0:"),
        "{what}: [http] listen = {listen:?} must bind all interfaces in a container"
    );
    let listen_port = listen
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("{what}: [http] listen = {listen:?} has no port"));
    assert!(
        config
            .get("kafka")
            .and_then(|kafka| kafka.get("bootstrap.servers"))
            .and_then(toml::Value::as_str)
            .is_some(),
        "{what}: [kafka] \"bootstrap.servers\" must be set"
    );
    WeirConfig {
        service_id,
        queries: get("queries"),
        state_dir: get("state_dir"),
        listen_port,
    }
}

#[test]
fn container_config_matches_the_image_layout() {
    let config = check_weir_config(&read("deploy/weir.toml"), "deploy/weir.toml");
    assert_eq!(config.queries, QUERIES_PATH, "deploy/weir.toml: queries");
    assert_eq!(config.state_dir, STATE_DIR, "deploy/weir.toml: state_dir");
    assert_eq!(
        config.listen_port, HTTP_PORT,
        "deploy/weir.toml: [http] listen port"
    );
}

fn list_or_empty(node: &Yaml) -> &[Yaml] {
    node.as_vec().map(Vec::as_slice).unwrap_or_default()
}
