//! `deploy/k8s/`: the StatefulSet (two hardened replicas, probes, a state volume each, spread
//! over nodes), its ConfigMap (config, queries and the lock `weir check` accepts), the
//! PodDisruptionBudget and the Service.

use super::*;

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
    let shutdown_timeout = configured_shutdown_timeout_secs(text(
        &config_map["data"]["weir.toml"],
        "ConfigMap: data weir.toml",
    ));
    assert!(
        grace > shutdown_timeout,
        "StatefulSet: terminationGracePeriodSeconds {grace} must exceed the ConfigMap's shutdown_timeout ({shutdown_timeout}s)"
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
    let weir_toml = parse_toml(
        text(
            &config_map["data"]["weir.toml"],
            "ConfigMap: data weir.toml",
        ),
        "ConfigMap weir.toml",
    );
    assert_eq!(
        weir_toml
            .get("static_membership")
            .and_then(toml::Value::as_bool),
        Some(true),
        "ConfigMap weir.toml: static_membership = true (each pod's volume keeps its replica id, \
         so a restarted pod rejoins as the same static group members)"
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

/// `shutdown_timeout` of a weir config in whole seconds (`"30s"`, `"2m"`), or weir's default.
fn configured_shutdown_timeout_secs(weir_toml: &str) -> i64 {
    let config = parse_toml(weir_toml, "ConfigMap weir.toml");
    let Some(value) = config.get("shutdown_timeout") else {
        return SHUTDOWN_TIMEOUT_SECS;
    };
    let value = value.as_str().unwrap_or_else(|| {
        panic!("ConfigMap weir.toml: shutdown_timeout {value:?} is not a string")
    });
    let (number, unit_secs) = if let Some(minutes) = value.strip_suffix('m') {
        (minutes, 60)
    } else if let Some(seconds) = value.strip_suffix('s') {
        (seconds, 1)
    } else {
        panic!("ConfigMap weir.toml: shutdown_timeout {value:?} is not in s or m")
    };
    number
        .parse::<i64>()
        .unwrap_or_else(|_| panic!("ConfigMap weir.toml: shutdown_timeout {value:?}"))
        * unit_secs
}

/// The ConfigMap's lock is the one `weir lock` writes for its queries: `weir check` (which
/// needs no broker) accepts the pair as the pods will read them from /etc/weir, with the
/// ConfigMap's own weir.toml (paths moved to a temp dir by flags).
#[test]
fn k8s_configmap_carries_the_lock_of_its_queries() {
    let objects = k8s_objects();
    let config_map = only(&objects, "ConfigMap");
    let data = &config_map["data"];
    let config = check_weir_config(
        text(&data["weir.toml"], "ConfigMap: data weir.toml"),
        "ConfigMap weir.toml",
    );
    let dir = tempfile::tempdir().expect("a temp dir");
    for key in ["weir.toml", "queries.sql", "queries.sql.lock"] {
        std::fs::write(
            dir.path().join(key),
            text(&data[key], &format!("ConfigMap: data {key}")),
        )
        .expect("writing the ConfigMap's files");
    }
    let output = Command::new(env!("CARGO_BIN_EXE_weir"))
        .args(["check", "--config"])
        .arg(dir.path().join("weir.toml"))
        .arg("--queries")
        .arg(dir.path().join("queries.sql"))
        .args(["--service-id", &config.service_id, "--state-dir"])
        .arg(dir.path().join("state"))
        .output()
        .expect("running weir check");
    assert!(
        output.status.success(),
        "weir check refused the ConfigMap's weir.toml, queries.sql and queries.sql.lock: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Node drains take one replica at a time, and replicas prefer distinct nodes.
#[test]
fn k8s_replicas_spread_over_nodes_and_drain_one_at_a_time() {
    let objects = k8s_objects();
    let sts = only(&objects, "StatefulSet");
    let pdb = only(&objects, "PodDisruptionBudget");
    let pod_labels = &sts["spec"]["template"]["metadata"]["labels"];
    let selects_the_pods = |selector: &Yaml, what: &str| {
        let wanted = selector["matchLabels"]
            .as_hash()
            .unwrap_or_else(|| panic!("{what}: matchLabels"));
        assert!(!wanted.is_empty(), "{what}: matchLabels is empty");
        for (key, value) in wanted {
            assert_eq!(
                pod_labels[key.as_str().unwrap_or_default()],
                *value,
                "{what}: label {key:?} must match the pod labels"
            );
        }
    };

    selects_the_pods(&pdb["spec"]["selector"], "PodDisruptionBudget: selector");
    let replicas = sts["spec"]["replicas"].as_i64().expect("replicas");
    let unavailable = match (
        pdb["spec"]["maxUnavailable"].as_i64(),
        pdb["spec"]["minAvailable"].as_i64(),
    ) {
        (Some(max_unavailable), None) => max_unavailable,
        (None, Some(min_available)) => replicas - min_available,
        other => panic!(
            "PodDisruptionBudget: set one of maxUnavailable or minAvailable, found {other:?}"
        ),
    };
    assert_eq!(
        unavailable, 1,
        "PodDisruptionBudget: drains must take one replica at a time"
    );

    let pod = &sts["spec"]["template"]["spec"];
    let spread = list_or_empty(&pod["topologySpreadConstraints"]);
    let anti_affinity = list_or_empty(
        &pod["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"],
    );
    assert!(
        !spread.is_empty() || !anti_affinity.is_empty(),
        "StatefulSet: replicas must spread over nodes (topologySpreadConstraints or podAntiAffinity)"
    );
    for constraint in spread {
        assert_eq!(
            constraint["topologyKey"].as_str(),
            Some("kubernetes.io/hostname"),
            "topologySpreadConstraints: topologyKey"
        );
        selects_the_pods(&constraint["labelSelector"], "topologySpreadConstraints");
    }
    for term in anti_affinity {
        let term = &term["podAffinityTerm"];
        assert_eq!(
            term["topologyKey"].as_str(),
            Some("kubernetes.io/hostname"),
            "podAntiAffinity: topologyKey"
        );
        selects_the_pods(&term["labelSelector"], "podAntiAffinity");
    }
}
