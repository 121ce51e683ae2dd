//! `deploy/compose.yaml`: two weir replicas of one `service_id` beside a KRaft broker, each
//! with its own state volume and the queries mounted read-only.

use super::*;

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
