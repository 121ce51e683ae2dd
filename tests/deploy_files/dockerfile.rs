//! `deploy/Dockerfile`: two stages, a non-root user, the health check and the image layout.

use super::*;

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
