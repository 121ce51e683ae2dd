//! Config loading: the layer order (defaults < file < `WEIR_` env < flags) and the exact text
//! of every class of config error, all reported in one run.

use std::path::{Path, PathBuf};
use std::time::Duration;

use weir::server::config::{
    ConfigSources, FlagOverrides, OffsetReset, ProcessingGuarantee, RecordErrorPolicy, load,
};

/// A temp folder holding `weir.toml` and `app.sql`.
struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new(config: &str) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("weir.toml"), config).unwrap();
        std::fs::write(
            dir.path().join("app.sql"),
            "CREATE STREAM A (ID INT KEY) WITH (KAFKA_TOPIC='a', VALUE_FORMAT='JSON');\n",
        )
        .unwrap();
        Fixture { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn sources(&self, env: &[(&str, &str)], flags: &[&str]) -> ConfigSources {
        let mut overrides = FlagOverrides::default();
        for flag in flags {
            overrides.set_assignment(flag).unwrap();
        }
        ConfigSources {
            file: Some(self.path("weir.toml")),
            default_file: None,
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            flags: overrides,
        }
    }

    /// The error text for a config, with the temp folder replaced by `DIR`.
    fn error_text(&self, env: &[(&str, &str)], flags: &[&str]) -> String {
        let error = load(&self.sources(env, flags)).expect_err("config should be rejected");
        scrub(&error.to_string(), self.dir.path())
    }
}

fn scrub(text: &str, dir: &Path) -> String {
    text.replace(&dir.display().to_string(), "DIR")
}

#[test]
fn defaults_apply_when_only_queries_is_set() {
    let fixture = Fixture::new("queries = \"app.sql\"\n");
    let config = load(&fixture.sources(&[], &[])).unwrap();
    assert_eq!(config.service_id, "weir");
    assert_eq!(
        config.queries,
        fixture.path("app.sql"),
        "relative to the file"
    );
    assert_eq!(config.state_dir, PathBuf::from("/var/lib/weir"));
    assert_eq!(
        config.processing_guarantee,
        ProcessingGuarantee::AtLeastOnce
    );
    assert_eq!(config.commit_interval, Duration::from_secs(2));
    assert_eq!(config.shutdown_timeout, Duration::from_secs(30));
    assert_eq!(config.startup_timeout, Duration::from_secs(60));
    assert_eq!(config.auto_offset_reset, OffsetReset::Earliest);
    assert!(!config.static_membership, "static membership is opt-in");
    assert_eq!(config.standby_replicas, 0, "no standby replicas by default");
    assert_eq!(config.http.listen, Some("127.0.0.1:9464".parse().unwrap()));
    assert_eq!(config.log.filter, "info");
    assert_eq!(
        config.errors.on_deserialization,
        RecordErrorPolicy::LogAndContinue
    );
    assert_eq!(config.errors.processing_log_topic, "weir_processing_log");
    assert!(config.threads >= 1);
}

#[test]
fn file_is_overridden_by_env_which_is_overridden_by_flags() {
    let fixture = Fixture::new(
        r#"
queries = "app.sql"
service_id = "from-file"
threads = 2
commit_interval = "10s"

[http]
listen = "127.0.0.1:1000"

[kafka]
"bootstrap.servers" = "file:9092"
"linger.ms" = 5
"enable.idempotence" = true

[kafka.consumer]
"fetch.min.bytes" = "1"
"#,
    );
    let env = [
        ("WEIR_SERVICE_ID", "from-env"),
        ("WEIR_THREADS", "3"),
        ("WEIR_HTTP__LISTEN", "127.0.0.1:2000"),
        ("WEIR_KAFKA__BOOTSTRAP_SERVERS", "env:9092"),
        ("WEIR_KAFKA__CONSUMER__FETCH_MIN_BYTES", "2"),
        ("OTHER_SERVICE_ID", "ignored"),
    ];
    let config = load(&fixture.sources(&env, &[])).unwrap();
    assert_eq!(config.service_id, "from-env");
    assert_eq!(config.threads, 3);
    assert_eq!(config.commit_interval, Duration::from_secs(10), "file only");
    assert_eq!(config.http.listen, Some("127.0.0.1:2000".parse().unwrap()));
    assert_eq!(config.kafka.common["bootstrap.servers"], "env:9092");
    assert_eq!(config.kafka.common["linger.ms"], "5");
    assert_eq!(config.kafka.common["enable.idempotence"], "true");
    assert_eq!(config.kafka.consumer["fetch.min.bytes"], "2");
    assert_eq!(config.kafka.for_consumer()["fetch.min.bytes"], "2");

    let flags = [
        "service_id=from-flag",
        "http.listen=off",
        "kafka.bootstrap.servers=flag:9092",
    ];
    let config = load(&fixture.sources(&env, &flags)).unwrap();
    assert_eq!(config.service_id, "from-flag");
    assert_eq!(config.threads, 3, "env still wins over the file");
    assert_eq!(config.http.listen, None);
    assert_eq!(config.kafka.common["bootstrap.servers"], "flag:9092");
}

#[test]
fn the_record_cache_is_ksqldbs_10_mb_unless_set() {
    let fixture = Fixture::new("queries = \"app.sql\"\n");
    let config = load(&fixture.sources(&[], &[])).unwrap();
    assert_eq!(config.state.record_cache_bytes, 10_000_000);
    let config =
        load(&fixture.sources(&[("WEIR_STATE__CACHE_MAX_BYTES_BUFFERING", "0")], &[])).unwrap();
    assert_eq!(config.state.record_cache_bytes, 0, "off");
    let config = load(&fixture.sources(&[], &["state.cache_max_bytes_buffering=2MiB"])).unwrap();
    assert_eq!(config.state.record_cache_bytes, 2 << 20);
    let text = fixture.error_text(&[], &["state.cache_max_bytes_buffering=lots"]);
    assert!(text.contains("`state.cache_max_bytes_buffering`"), "{text}");
}

#[test]
fn exactly_once_commits_every_two_seconds_like_ksqldb() {
    let fixture =
        Fixture::new("queries = \"app.sql\"\nprocessing_guarantee = \"exactly_once_v2\"\n");
    let config = load(&fixture.sources(&[], &[])).unwrap();
    assert_eq!(
        config.processing_guarantee,
        ProcessingGuarantee::ExactlyOnceV2
    );
    assert_eq!(config.commit_interval, Duration::from_secs(2));
}

#[test]
fn static_membership_is_a_boolean_from_the_file_env_or_flags() {
    let fixture = Fixture::new("queries = \"app.sql\"\nstatic_membership = true\n");
    assert!(load(&fixture.sources(&[], &[])).unwrap().static_membership);
    let env = [("WEIR_STATIC_MEMBERSHIP", "false")];
    assert!(!load(&fixture.sources(&env, &[])).unwrap().static_membership);
    let flags = ["static_membership=TRUE"];
    assert!(
        load(&fixture.sources(&env, &flags))
            .unwrap()
            .static_membership
    );

    let fixture = Fixture::new(
        "queries = \"app.sql\"\nstatic_membership = \"yes\"\n[kafka]\n\"group.instance.id\" = \"me\"\n",
    );
    assert_eq!(
        fixture.error_text(&[], &[]),
        "config has 2 errors:\n  \
         - `static_membership` = \"yes\" (from DIR/weir.toml): true or false\n  \
         - `kafka.group.instance.id` = \"me\" (from DIR/weir.toml): not set here: weir sets it per \
         query and stream thread; use the top-level key static_membership"
    );
}

#[test]
fn standby_replicas_is_a_small_whole_number() {
    let fixture = Fixture::new("queries = \"app.sql\"\nstandby_replicas = 2\n");
    assert_eq!(
        load(&fixture.sources(&[], &[])).unwrap().standby_replicas,
        2
    );
    let env = [("WEIR_STANDBY_REPLICAS", "1")];
    assert_eq!(
        load(&fixture.sources(&env, &[])).unwrap().standby_replicas,
        1
    );
    let fixture = Fixture::new("queries = \"app.sql\"\nstandby_replicas = -1\n");
    assert_eq!(
        fixture.error_text(&[], &[]),
        "config has 1 error:\n  - `standby_replicas` = -1 (from DIR/weir.toml): a whole number \
         from 0 to 64"
    );
}

#[test]
fn unknown_key_suggests_the_closest() {
    let fixture = Fixture::new("queries = \"app.sql\"\ncomit_interval = \"5s\"\n");
    assert_eq!(
        fixture.error_text(&[], &[]),
        "config has 1 error:\n  - `comit_interval` = \"5s\" (from DIR/weir.toml): unknown key; \
         did you mean `commit_interval`?"
    );
}

#[test]
fn unknown_key_without_a_close_match_lists_known_keys() {
    let fixture = Fixture::new("queries = \"app.sql\"\n[http]\nport = 80\n");
    assert_eq!(
        fixture.error_text(&[], &[]),
        "config has 1 error:\n  - `http.port` = 80 (from DIR/weir.toml): unknown key; \
         known keys here: listen"
    );
}

#[test]
fn wrong_type_bad_duration_bad_address_and_bad_choice_are_reported_together() {
    let fixture = Fixture::new(
        r#"
queries = "app.sql"
service_id = 7
shutdown_timeout = "soon"
processing_guarantee = "exactly_once"
threads = 0
[http]
listen = "localhost"
"#,
    );
    assert_eq!(
        fixture.error_text(&[], &[]),
        "config has 5 errors:\n  \
         - `service_id` = 7 (from DIR/weir.toml): a non-empty name of letters, digits, '.', '_' or '-'\n  \
         - `threads` = 0 (from DIR/weir.toml): a whole number from 1 to 256\n  \
         - `processing_guarantee` = \"exactly_once\" (from DIR/weir.toml): one of \"at_least_once\", \"exactly_once_v2\"\n  \
         - `shutdown_timeout` = \"soon\" (from DIR/weir.toml): a duration such as \"30s\", \"500ms\" or \"2m\"\n  \
         - `http.listen` = \"localhost\" (from DIR/weir.toml): a socket address such as \"127.0.0.1:9464\" or \"0.0.0.0:9464\", or \"off\""
    );
}

#[test]
fn errors_name_the_environment_variable_or_flag_they_came_from() {
    let fixture = Fixture::new("queries = \"app.sql\"\n");
    assert_eq!(
        fixture.error_text(
            &[("WEIR_COMMIT_INTERVAL", "5 parsecs")],
            &["log.format=fancy"]
        ),
        "config has 2 errors:\n  \
         - `commit_interval` = \"5 parsecs\" (from WEIR_COMMIT_INTERVAL): a duration such as \"30s\", \"500ms\" or \"2m\"\n  \
         - `log.format` = \"fancy\" (from flag --set log.format): one of \"auto\", \"pretty\", \"json\""
    );
}

#[test]
fn missing_queries_key_says_how_to_set_it() {
    let fixture = Fixture::new("service_id = \"svc\"\n");
    assert_eq!(
        fixture.error_text(&[], &[]),
        "config has 1 error:\n  - `queries`: the path of the .sql queries file; set it in the \
         config file, as WEIR_QUERIES, or with --queries"
    );
}

#[test]
fn missing_queries_file_is_an_error_naming_the_path() {
    let fixture = Fixture::new("queries = \"nope.sql\"\n");
    assert_eq!(
        fixture.error_text(&[], &[]),
        "config has 1 error:\n  - `queries` = \"nope.sql\" (from DIR/weir.toml): a readable .sql \
         file (DIR/nope.sql: No such file or directory (os error 2))"
    );
}

#[test]
fn reserved_kafka_properties_and_nested_tables_are_rejected() {
    let fixture = Fixture::new(
        "queries = \"app.sql\"\n[kafka]\n\"group.id\" = \"mine\"\n[kafka.ssl]\nca = \"x\"\n",
    );
    assert_eq!(
        fixture.error_text(&[], &[]),
        "config has 2 errors:\n  \
         - `kafka.group.id` = \"mine\" (from DIR/weir.toml): not set here: weir sets it per query to the query's application id\n  \
         - `kafka.ssl` = a table (from DIR/weir.toml): a librdkafka property value (string, number or boolean)"
    );
}

#[test]
fn a_missing_config_file_and_bad_toml_are_errors() {
    let fixture = Fixture::new("queries = \"app.sql\"\nthreads = [\n");
    let text = fixture.error_text(&[], &[]);
    assert!(
        text.starts_with("config has 1 error:\n  - `--config` = \"DIR/weir.toml\": valid TOML ("),
        "{text}"
    );
    let mut sources = fixture.sources(&[], &[]);
    sources.file = Some(fixture.path("absent.toml"));
    let text = scrub(&load(&sources).unwrap_err().to_string(), fixture.dir.path());
    assert_eq!(
        text,
        "config has 1 error:\n  - `--config` = \"DIR/absent.toml\" (from command-line flag): a \
         readable TOML file (No such file or directory (os error 2))"
    );
}

#[test]
fn schema_registry_settings_read_with_defaults_and_env_overrides() {
    let fixture = Fixture::new(
        "queries = \"app.sql\"\n[schema_registry]\nurls = [\"http://a:8081\", \"https://b:8081\"]\n\
         basic_auth_user_info = \"user:pa:ss\"\ntls_ca_pem = \"ca.pem\"\nrequest_timeout = \"2s\"\n",
    );
    let config = load(&fixture.sources(&[], &[])).unwrap();
    let registry = config.schema_registry.expect("a registry");
    assert_eq!(registry.urls, ["http://a:8081", "https://b:8081"]);
    assert_eq!(
        registry.basic_auth,
        Some(("user".to_string(), "pa:ss".to_string()))
    );
    assert_eq!(registry.tls.ca_pem, Some(fixture.path("ca.pem")));
    assert_eq!(registry.request_timeout, Duration::from_secs(2));
    assert_eq!(registry.cache_capacity, 1000);
    assert_eq!(registry.unavailable_wait, Duration::from_secs(10));

    let env = [("WEIR_SCHEMA_REGISTRY__URLS", "http://x:1, http://y:2")];
    let config = load(&fixture.sources(&env, &[])).unwrap();
    assert_eq!(
        config.schema_registry.unwrap().urls,
        ["http://x:1", "http://y:2"]
    );

    let none = Fixture::new("queries = \"app.sql\"\n[schema_registry]\n");
    assert!(
        load(&none.sources(&[], &[]))
            .unwrap()
            .schema_registry
            .is_none()
    );
}

#[test]
fn schema_registry_mistakes_are_all_reported_and_java_keystores_say_how_to_convert() {
    let fixture = Fixture::new(
        "queries = \"app.sql\"\n[schema_registry]\nurls = \"localhost:8081\"\n\
         basic_auth_user_info = \"nopassword\"\ntls_keystore = \"client.jks\"\n\
         tls_cert_pem = \"c.pem\"\ncache_size = 5\n",
    );
    let text = fixture.error_text(&[], &[]);
    for needle in [
        "`schema_registry.urls`",
        "a list of http:// or https:// URLs",
        "`schema_registry.basic_auth_user_info`",
        "\"user:password\"",
        "`schema_registry.tls_keystore`",
        "a Java KeyStore (JKS) is not read by weir",
        "keytool -importkeystore",
        "`schema_registry.tls_key_pem`",
        "`schema_registry.cache_size`",
        "unknown key",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
    }
}
