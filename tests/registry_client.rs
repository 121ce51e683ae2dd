//! `weir::registry::RegistryClient` against the test registry over real HTTP: lookups by id
//! with references resolved, latest by subject, registration, the cache, failover between
//! URLs, and each fault the registry can inject (5xx, 401, a slow answer, an unknown id).

mod support;

use std::time::{Duration, Instant};

use support::fault_registry::{FaultRegistry, free_address};
use weir::registry::{
    NewSchema, RegistryClient, RegistryError, RegistrySettings, SchemaKind, SchemaRegistry,
};

fn client(urls: Vec<String>) -> RegistryClient {
    let mut settings = RegistrySettings::new(urls);
    settings.request_timeout = Duration::from_millis(500);
    RegistryClient::new(&settings).expect("a client")
}

#[test]
fn schemas_by_id_resolve_references_and_are_cached() {
    let registry = FaultRegistry::start();
    let address = r#"{"type":"record","name":"Address","namespace":"shop","fields":[{"name":"city","type":"string"}]}"#;
    registry.register("address", address);
    let order = r#"{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"ship_to","type":"shop.Address"}]}"#;
    let id =
        registry.register_with_references("orders-value", order, &[("shop.Address", "address", 1)]);
    let client = client(vec![registry.url()]);
    let schema = client.schema_by_id(id).unwrap();
    assert_eq!(schema.kind, SchemaKind::Avro);
    assert_eq!(schema.text, order);
    assert_eq!(schema.references.len(), 1);
    assert_eq!(schema.references[0].subject, "address");
    assert_eq!(
        schema.resolved,
        vec![("shop.Address".to_string(), address.to_string())]
    );
    let asked = registry.requests();
    assert_eq!(client.schema_by_id(id).unwrap(), schema);
    assert_eq!(
        registry.requests(),
        asked,
        "the second lookup is served from the cache"
    );

    let (latest, text) = client
        .latest("orders-value")
        .map(|(i, s)| (i, s.text.clone()))
        .unwrap();
    assert_eq!((latest, text.as_str()), (id, order));
}

#[test]
fn registering_returns_the_id_once_per_subject_and_text() {
    let registry = FaultRegistry::start();
    let client = client(vec![registry.url()]);
    let schema = NewSchema {
        kind: SchemaKind::Avro,
        text: r#""long""#.into(),
        references: Vec::new(),
    };
    let id = client.register("t-key", &schema).unwrap();
    assert_eq!(
        registry.latest("t-key"),
        Some((id, r#""long""#.to_string()))
    );
    let asked = registry.requests();
    assert_eq!(client.register("t-key", &schema).unwrap(), id);
    assert_eq!(registry.requests(), asked, "registered once");
}

#[test]
fn faults_are_sorted_into_transient_refused_and_unknown() {
    let registry = FaultRegistry::start();
    let id = registry.register("s", r#""int""#);
    let client = client(vec![registry.url()]);

    let unknown = client.schema_by_id(9999).unwrap_err();
    assert!(
        matches!(
            unknown,
            RegistryError::NotFound {
                code: Some(40403),
                ..
            }
        ),
        "{unknown}"
    );
    assert!(unknown.to_string().contains("schema id 9999"), "{unknown}");

    registry.fail_with(500);
    let failed = client.schema_by_id(id).unwrap_err();
    assert!(failed.is_transient(), "{failed}");
    assert!(failed.to_string().contains("HTTP 500"), "{failed}");

    registry.fail_with(401);
    let refused = client.latest("s").unwrap_err();
    assert!(
        matches!(refused, RegistryError::Unauthorized { status: 401, .. }),
        "{refused}"
    );
    assert!(!refused.is_transient());
    let started = Instant::now();
    let refused = client
        .wait_until_reachable(Duration::from_secs(30))
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "refused credentials end the wait"
    );
    assert!(
        refused.to_string().contains("basic_auth_user_info"),
        "{refused}"
    );

    registry.fail_with(0);
    registry.set_latency(Duration::from_secs(2));
    let slow = client.latest("s").unwrap_err();
    assert!(slow.is_transient(), "a timeout is transient: {slow}");
    registry.set_latency(Duration::ZERO);
    assert_eq!(client.schema_by_id(id).unwrap().text, r#""int""#);
}

#[test]
fn a_dead_url_fails_over_to_the_next() {
    let registry = FaultRegistry::start();
    let id = registry.register("s", r#""string""#);
    let dead = format!("http://{}", free_address());
    let client = client(vec![dead, registry.url()]);
    assert_eq!(client.schema_by_id(id).unwrap().text, r#""string""#);
    client.wait_until_reachable(Duration::from_secs(5)).unwrap();
}
