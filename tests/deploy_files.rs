//! Checks the deployment files against the facts of the daemon they deploy: the compose file
//! and every Kubernetes manifest parse as YAML and run non-root replicas of one `service_id`
//! with probes on the right paths and port and the queries mounted read-only; the Dockerfile
//! has two stages, a non-root user and a health check; the systemd unit carries its settings
//! and passes `systemd-analyze verify` (skipped, with a note, where that tool is missing).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use yaml_rust2::{Yaml, YamlLoader};

/// weir's HTTP port (`[http] listen`, default 127.0.0.1:9464).
const HTTP_PORT: i64 = 9464;
/// weir's default shutdown timeout: stop grace periods must exceed it.
const SHUTDOWN_TIMEOUT_SECS: i64 = 30;
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

/// A short-syntax compose volume `source:target[:mode]`.
struct Mount {
    source: String,
    target: String,
    read_only: bool,
}

fn compose_mounts(service: &Yaml, name: &str) -> Vec<Mount> {
    list(
        &service["volumes"],
        &format!("compose service {name}: volumes"),
    )
    .iter()
    .map(|volume| {
        let spec = text(
            volume,
            &format!("compose service {name}: volume (short syntax)"),
        );
        let parts: Vec<&str> = spec.split(':').collect();
        assert!(
            (2..=3).contains(&parts.len()),
            "compose service {name}: volume {spec:?} is not source:target[:mode]"
        );
        Mount {
            source: parts[0].to_owned(),
            target: parts[1].to_owned(),
            read_only: parts
                .get(2)
                .is_some_and(|mode| mode.split(',').any(|m| m == "ro")),
        }
    })
    .collect()
}

#[test]
fn compose_runs_two_replicas_of_one_service_id_beside_a_kraft_broker() {
    let docs = load_yaml("deploy/compose.yaml");
    assert_eq!(
        docs.len(),
        1,
        "deploy/compose.yaml: expected one YAML document"
    );
    let compose = &docs[0];
    let services = compose["services"]
        .as_hash()
        .expect("deploy/compose.yaml: `services` must be a mapping");

    // The Kafka broker: apache/kafka in KRaft mode (no ZooKeeper).
    let kafka: Vec<_> = services
        .iter()
        .filter(|(_, s)| {
            s["image"]
                .as_str()
                .is_some_and(|i| i.starts_with("apache/kafka"))
        })
        .collect();
    assert_eq!(
        kafka.len(),
        1,
        "deploy/compose.yaml: expected one apache/kafka service"
    );
    let (kafka_name, kafka) = kafka[0];
    let roles = text(
        &kafka["environment"]["KAFKA_PROCESS_ROLES"],
        "kafka: environment KAFKA_PROCESS_ROLES (KRaft)",
    );
    assert!(
        roles.contains("broker") && roles.contains("controller"),
        "kafka: a single KRaft node must be broker and controller, got {roles:?}"
    );

    let config = check_weir_config(&read("deploy/weir.toml"), "deploy/weir.toml");
    let weir: Vec<(&str, &Yaml)> = services
        .iter()
        .filter(|(_, s)| {
            s["build"]["dockerfile"].as_str() == Some("deploy/Dockerfile")
                || s["image"].as_str().is_some_and(|i| i.starts_with("weir"))
        })
        .map(|(name, s)| (text(name, "service name"), s))
        .collect();
    assert_eq!(
        weir.len(),
        2,
        "deploy/compose.yaml: expected two weir replicas, found {:?}",
        weir.iter().map(|(n, _)| n).collect::<Vec<_>>()
    );

    let mut config_sources = Vec::new();
    let mut state_volumes = Vec::new();
    for (name, service) in &weir {
        let mounts = compose_mounts(service, name);
        let at = |target: &str| {
            mounts
                .iter()
                .find(|m| m.target == target)
                .unwrap_or_else(|| panic!("compose service {name}: nothing mounted at {target}"))
        };
        let config_mount = at(CONFIG_PATH);
        assert!(
            config_mount.read_only,
            "compose service {name}: {CONFIG_PATH} must be :ro"
        );
        config_sources.push(config_mount.source.clone());
        let queries = at(QUERIES_PATH);
        assert!(
            queries.read_only,
            "compose service {name}: {QUERIES_PATH} must be :ro"
        );
        let state = at(STATE_DIR);
        assert!(
            !state.read_only,
            "compose service {name}: {STATE_DIR} must be writable"
        );
        assert!(
            !compose["volumes"][state.source.as_str()].is_badvalue(),
            "compose service {name}: state volume {} is not declared under top-level volumes",
            state.source
        );
        state_volumes.push(state.source.clone());

        // Nothing may give one replica another service_id.
        let env = &service["environment"];
        assert!(
            env["WEIR_SERVICE_ID"].is_badvalue()
                && !list_or_empty(env).iter().any(|e| e
                    .as_str()
                    .is_some_and(|e| e.starts_with("WEIR_SERVICE_ID="))),
            "compose service {name}: must not override service_id through the environment"
        );
        let depends = &service["depends_on"];
        assert!(
            !depends[kafka_name.as_str().unwrap_or_default()].is_badvalue(),
            "compose service {name}: must depend on the Kafka service"
        );
        let ports = list(&service["ports"], &format!("compose service {name}: ports"));
        assert!(
            ports
                .iter()
                .filter_map(Yaml::as_str)
                .any(|p| p.ends_with(&format!(":{HTTP_PORT}"))),
            "compose service {name}: container port {HTTP_PORT} must be published, got {ports:?}"
        );
    }
    assert_eq!(
        config_sources[0], config_sources[1],
        "both replicas must mount the same weir.toml (one service_id {:?})",
        config.service_id
    );
    assert_ne!(
        state_volumes[0], state_volumes[1],
        "each replica needs its own state volume"
    );
    let bootstrap_host = kafka_name.as_str().unwrap_or_default();
    let kafka_config = parse_toml(&read("deploy/weir.toml"), "deploy/weir.toml");
    let servers = kafka_config["kafka"]["bootstrap.servers"]
        .as_str()
        .unwrap_or_default();
    assert!(
        servers
            .split(',')
            .any(|s| s.starts_with(&format!("{bootstrap_host}:"))),
        "deploy/weir.toml: bootstrap.servers {servers:?} must point at the compose service {bootstrap_host:?}"
    );
}

fn list_or_empty(node: &Yaml) -> &[Yaml] {
    node.as_vec().map(Vec::as_slice).unwrap_or_default()
}

/// Every document of every file under deploy/k8s, keyed by `kind`.
fn k8s_objects() -> BTreeMap<String, Vec<Yaml>> {
    let dir = repo_path("deploy/k8s");
    let mut objects: BTreeMap<String, Vec<Yaml>> = BTreeMap::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("read_dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no manifests in {}", dir.display());
    for file in files {
        let relative = format!("deploy/k8s/{}", file.file_name().unwrap().to_string_lossy());
        for doc in load_yaml(&relative) {
            if doc.is_null() {
                continue;
            }
            text(&doc["apiVersion"], &format!("{relative}: apiVersion"));
            let kind = text(&doc["kind"], &format!("{relative}: kind")).to_owned();
            text(
                &doc["metadata"]["name"],
                &format!("{relative}: metadata.name"),
            );
            objects.entry(kind).or_default().push(doc);
        }
    }
    objects
}

fn only<'a>(objects: &'a BTreeMap<String, Vec<Yaml>>, kind: &str) -> &'a Yaml {
    match objects.get(kind).map(Vec::as_slice) {
        Some([one]) => one,
        other => panic!(
            "deploy/k8s: expected exactly one {kind}, found {}",
            other.map_or(0, <[_]>::len)
        ),
    }
}

/// Resolves a probe's `httpGet.port` (a number or a container port name) to a number.
fn probe_port(container: &Yaml, probe: &Yaml, what: &str) -> i64 {
    let port = &probe["httpGet"]["port"];
    if let Some(number) = port.as_i64() {
        return number;
    }
    let name = text(port, &format!("{what}: httpGet.port"));
    list(&container["ports"], "container ports")
        .iter()
        .find(|p| p["name"].as_str() == Some(name))
        .and_then(|p| p["containerPort"].as_i64())
        .unwrap_or_else(|| panic!("{what}: port name {name:?} is not a container port"))
}

#[test]
fn k8s_statefulset_runs_two_hardened_replicas_with_probes() {
    let objects = k8s_objects();
    let sts = only(&objects, "StatefulSet");
    let config_map = only(&objects, "ConfigMap");
    let service = only(&objects, "Service");

    assert_eq!(
        sts["spec"]["replicas"].as_i64(),
        Some(2),
        "StatefulSet: replicas"
    );
    let pod = &sts["spec"]["template"]["spec"];
    let grace = pod["terminationGracePeriodSeconds"]
        .as_i64()
        .expect("StatefulSet: terminationGracePeriodSeconds must be set");
    assert!(
        grace > SHUTDOWN_TIMEOUT_SECS,
        "StatefulSet: terminationGracePeriodSeconds {grace} must exceed the shutdown timeout {SHUTDOWN_TIMEOUT_SECS}"
    );
    assert_eq!(
        pod["securityContext"]["runAsNonRoot"].as_bool(),
        Some(true),
        "StatefulSet: pod securityContext.runAsNonRoot"
    );
    assert!(
        pod["securityContext"]["runAsUser"]
            .as_i64()
            .is_some_and(|uid| uid != 0),
        "StatefulSet: pod securityContext.runAsUser must be a non-zero uid"
    );

    let containers = list(&pod["containers"], "StatefulSet: containers");
    assert_eq!(containers.len(), 1, "StatefulSet: expected one container");
    let container = &containers[0];
    let security = &container["securityContext"];
    assert_eq!(
        security["readOnlyRootFilesystem"].as_bool(),
        Some(true),
        "container: readOnlyRootFilesystem"
    );
    assert_eq!(
        security["allowPrivilegeEscalation"].as_bool(),
        Some(false),
        "container: allowPrivilegeEscalation"
    );
    assert!(
        list_or_empty(&security["capabilities"]["drop"])
            .iter()
            .any(|c| c.as_str() == Some("ALL")),
        "container: capabilities.drop must include ALL"
    );
    for (probe, path) in [("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")] {
        let node = &container[probe];
        assert_eq!(
            node["httpGet"]["path"].as_str(),
            Some(path),
            "container: {probe} path"
        );
        assert_eq!(
            probe_port(container, node, probe),
            HTTP_PORT,
            "container: {probe} port"
        );
    }

    // Volumes: config from the ConfigMap read-only at /etc/weir, state from a claim template.
    let mounts = list(&container["volumeMounts"], "container: volumeMounts");
    let mount_at = |path: &str| {
        mounts
            .iter()
            .find(|m| m["mountPath"].as_str() == Some(path))
            .unwrap_or_else(|| panic!("container: nothing mounted at {path}"))
    };
    let config_mount = mount_at("/etc/weir");
    assert_eq!(
        config_mount["readOnly"].as_bool(),
        Some(true),
        "container: /etc/weir must be readOnly"
    );
    let config_volume = list(&pod["volumes"], "StatefulSet: volumes")
        .iter()
        .find(|v| v["name"] == config_mount["name"])
        .expect("StatefulSet: the /etc/weir mount names no pod volume");
    assert_eq!(
        config_volume["configMap"]["name"], config_map["metadata"]["name"],
        "StatefulSet: /etc/weir must come from the ConfigMap"
    );
    let state_mount = mount_at(STATE_DIR);
    let claims = list(
        &sts["spec"]["volumeClaimTemplates"],
        "StatefulSet: volumeClaimTemplates",
    );
    assert!(
        claims
            .iter()
            .any(|c| c["metadata"]["name"] == state_mount["name"]),
        "StatefulSet: {STATE_DIR} must be a volumeClaimTemplate (per-replica state)"
    );

    // The config the pods read agrees with the manifest.
    let config = check_weir_config(
        text(
            &config_map["data"]["weir.toml"],
            "ConfigMap: data weir.toml",
        ),
        "ConfigMap weir.toml",
    );
    assert_eq!(
        config.state_dir, STATE_DIR,
        "ConfigMap weir.toml: state_dir"
    );
    assert_eq!(
        config.listen_port, HTTP_PORT,
        "ConfigMap weir.toml: [http] listen port"
    );
    let queries_key = config
        .queries
        .strip_prefix("/etc/weir/")
        .unwrap_or_else(|| {
            panic!(
                "ConfigMap weir.toml: queries {:?} is not under /etc/weir",
                config.queries
            )
        });
    text(
        &config_map["data"][queries_key],
        &format!("ConfigMap: data {queries_key}"),
    );

    // Headless Service selecting the pods, on the metrics port.
    assert_eq!(
        service["spec"]["clusterIP"].as_str(),
        Some("None"),
        "Service must be headless"
    );
    assert_eq!(
        sts["spec"]["serviceName"], service["metadata"]["name"],
        "StatefulSet: serviceName"
    );
    let labels = sts["spec"]["template"]["metadata"]["labels"]
        .as_hash()
        .expect("pod labels");
    for (key, value) in service["spec"]["selector"]
        .as_hash()
        .expect("Service: selector")
    {
        assert_eq!(
            labels.get(key),
            Some(value),
            "Service selector {key:?} must match the pod labels"
        );
    }
    let ports = list(&service["spec"]["ports"], "Service: ports");
    assert!(
        ports.iter().any(|p| p["port"].as_i64() == Some(HTTP_PORT)),
        "Service: port {HTTP_PORT} missing"
    );
}

/// Dockerfile instructions with continuation lines joined and comments dropped.
fn dockerfile_instructions(text: &str) -> Vec<(String, String)> {
    let mut instructions = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if current.is_empty() && (trimmed.is_empty() || trimmed.starts_with('#')) {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(head) => {
                current.push_str(head);
                current.push(' ');
            }
            None => {
                current.push_str(trimmed);
                let (op, args) = current
                    .split_once(char::is_whitespace)
                    .unwrap_or((&current, ""));
                instructions.push((op.to_ascii_uppercase(), args.trim().to_owned()));
                current.clear();
            }
        }
    }
    instructions
}

#[test]
fn dockerfile_builds_in_two_stages_and_runs_non_root() {
    let instructions = dockerfile_instructions(&read("deploy/Dockerfile"));
    let args_of = |op: &str| -> Vec<&str> {
        instructions
            .iter()
            .filter(|(o, _)| o == op)
            .map(|(_, a)| a.as_str())
            .collect()
    };
    let from = args_of("FROM");
    assert!(
        from.len() >= 2,
        "Dockerfile: expected a build and a runtime stage, found FROM {from:?}"
    );
    assert!(
        args_of("RUN")
            .iter()
            .any(|r| r.contains("cargo build --release --locked")),
        "Dockerfile: the build stage must run `cargo build --release --locked`"
    );
    let runtime_from = instructions.iter().rposition(|(o, _)| o == "FROM").unwrap();
    let runtime = &instructions[runtime_from..];
    let user = runtime
        .iter()
        .rev()
        .find(|(o, _)| o == "USER")
        .map(|(_, a)| a.as_str())
        .expect("Dockerfile: the runtime stage must set USER");
    let user_name = user.split(':').next().unwrap_or_default();
    assert!(
        user_name != "root" && user_name != "0",
        "Dockerfile: USER {user} runs as root"
    );
    let healthcheck = args_of("HEALTHCHECK");
    assert!(
        healthcheck
            .iter()
            .any(|h| h.contains("/healthz") && h.contains(&HTTP_PORT.to_string())),
        "Dockerfile: HEALTHCHECK must probe /healthz on {HTTP_PORT}, found {healthcheck:?}"
    );
    assert!(
        args_of("EXPOSE")
            .iter()
            .any(|e| e.split_whitespace().any(|p| p == HTTP_PORT.to_string())),
        "Dockerfile: EXPOSE {HTTP_PORT}"
    );
    assert!(
        args_of("VOLUME").iter().any(|v| v.contains(STATE_DIR)),
        "Dockerfile: VOLUME {STATE_DIR}"
    );
    let entrypoint = args_of("ENTRYPOINT");
    assert_eq!(
        entrypoint.last().map(|e| e.replace(' ', "")),
        Some(format!(r#"["weir","run","--config","{CONFIG_PATH}"]"#)),
        "Dockerfile: ENTRYPOINT"
    );
    let runtime_runs: Vec<_> = runtime
        .iter()
        .filter(|(o, _)| o == "RUN")
        .map(|(_, a)| a)
        .collect();
    for package in ["ca-certificates", "libssl3"] {
        assert!(
            runtime_runs.iter().any(|r| r.contains(package)),
            "Dockerfile: the runtime stage must install {package}"
        );
    }
}

/// `key=value` settings of a unit file, per key in file order (keys may repeat).
fn unit_settings(text: &str) -> BTreeMap<String, Vec<String>> {
    let mut settings: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty()
            || line.starts_with('#')
            || line.starts_with(';')
            || line.starts_with('[')
        {
            continue;
        }
        if let Some((key, value)) = line.split_once('=') {
            settings
                .entry(key.trim().to_owned())
                .or_default()
                .push(value.trim().to_owned());
        }
    }
    settings
}

#[test]
fn systemd_unit_has_the_documented_settings() {
    let settings = unit_settings(&read("systemd/weir.service"));
    let one = |key: &str| -> &str {
        match settings.get(key).map(Vec::as_slice) {
            Some([value]) => value,
            other => panic!("weir.service: expected one {key}=, found {other:?}"),
        }
    };
    for (key, expected) in [
        ("Type", "notify"),
        (
            "ExecStartPre",
            "/usr/bin/weir check --config /etc/weir/weir.toml",
        ),
        (
            "ExecStart",
            "/usr/bin/weir run --config /etc/weir/weir.toml",
        ),
        ("Restart", "on-failure"),
        ("RestartPreventExitStatus", "2"),
        ("KillSignal", "SIGTERM"),
        ("StateDirectory", "weir"),
        ("ConfigurationDirectory", "weir"),
        ("DynamicUser", "yes"),
        ("NoNewPrivileges", "yes"),
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        ("PrivateDevices", "yes"),
        ("ProtectKernelTunables", "yes"),
        ("ProtectKernelModules", "yes"),
        ("ProtectKernelLogs", "yes"),
        ("RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"),
        ("LockPersonality", "yes"),
        ("MemoryDenyWriteExecute", "yes"),
    ] {
        assert_eq!(one(key), expected, "weir.service: {key}=");
    }
    assert!(
        settings["SystemCallFilter"]
            .iter()
            .any(|f| f == "@system-service"),
        "weir.service: SystemCallFilter=@system-service"
    );
    for key in ["ReadWritePaths", "ReadWriteDirectories"] {
        assert!(
            !settings.contains_key(key),
            "weir.service: {key}= would make more than the state directory writable"
        );
    }
    let stop = one("TimeoutStopSec");
    let stop_secs = humantime::parse_duration(stop)
        .unwrap_or_else(|e| panic!("weir.service: TimeoutStopSec={stop}: {e}"))
        .as_secs() as i64;
    assert!(
        stop_secs > SHUTDOWN_TIMEOUT_SECS,
        "weir.service: TimeoutStopSec={stop} must exceed the shutdown timeout ({SHUTDOWN_TIMEOUT_SECS}s)"
    );
}

/// Runs `systemd-analyze verify` on a copy of the unit that points at the built binary.
/// `verify` needs no running systemd, but a sandbox may still make it fail for reasons of its
/// own: only messages about the unit itself count as failures; anything else is a skip note.
#[test]
fn systemd_unit_passes_systemd_analyze_verify() {
    let Some(analyze) = find_in_path("systemd-analyze") else {
        eprintln!("skipped: systemd-analyze is not installed");
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let unit = dir.path().join("weir.service");
    let text = read("systemd/weir.service").replace("/usr/bin/weir", env!("CARGO_BIN_EXE_weir"));
    std::fs::write(&unit, text).expect("write the unit copy");

    let output = Command::new(&analyze)
        .args(["verify", "--man=no"])
        .arg(&unit)
        .env("SYSTEMD_LOG_COLOR", "0")
        .output()
        .expect("cannot run systemd-analyze");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let unit_path = unit.display().to_string();
    // Messages about the unit: "<path>:<line>: ..." (parse problems) or "weir.service: ..."
    // (bad commands, bad settings once loaded).
    let about_unit: Vec<&str> = stderr
        .lines()
        .chain(stdout.lines())
        .filter(|l| l.starts_with(&unit_path) || l.starts_with("weir.service:"))
        .collect();
    assert!(
        about_unit.is_empty(),
        "systemd-analyze verify found problems in systemd/weir.service:\n{}",
        about_unit.join("\n")
    );
    if !output.status.success() {
        eprintln!(
            "skipped: systemd-analyze verify failed ({}) with nothing about the unit; \
             assuming the sandbox:\n{stderr}{stdout}",
            output.status
        );
        return;
    }
    if !stderr.trim().is_empty() {
        eprintln!("note: systemd-analyze verify said (not about the unit):\n{stderr}");
    }

    // The hardening stays good: `security --offline` scores the file without a manager.
    let security = Command::new(&analyze)
        .args(["security", "--offline=yes", "--no-pager"])
        .arg(&unit)
        .output()
        .expect("cannot run systemd-analyze security");
    let report = String::from_utf8_lossy(&security.stdout);
    match report
        .lines()
        .find_map(|l| l.split_once("Overall exposure level for weir.service:"))
        .and_then(|(_, rest)| rest.split_whitespace().next()?.parse::<f64>().ok())
    {
        Some(exposure) => assert!(
            exposure <= 2.0,
            "systemd-analyze security: exposure {exposure} above 2.0 (hardening weakened?):\n{report}"
        ),
        None => eprintln!(
            "skipped exposure check: systemd-analyze security --offline gave no score ({}):\n{}",
            security.status,
            String::from_utf8_lossy(&security.stderr)
        ),
    }
}

fn find_in_path(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|path| path.is_file())
}
