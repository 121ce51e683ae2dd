//! The HTTP endpoints served on an ephemeral port by the library, with the status board
//! driven through readiness states (503 naming the queries that are not running, then 200) and
//! liveness: 200 naming a loop that waits on the broker, 503 naming a stalled one.

mod harness;

use std::sync::Arc;
use std::time::Duration;

use harness::http_get;
use weir::server::http::{self, HttpState};
use weir::server::signals::Shutdown;
use weir::telemetry::status::ProcessPhase;
use weir::telemetry::{LoopWatch, Metrics, QueryState, QueryStatus, StatusBoard};

fn query(id: &str, state: QueryState) -> QueryStatus {
    QueryStatus {
        id: id.into(),
        state,
        sink: id.trim_start_matches("CSAS_").into(),
        tasks: vec!["0_0".into()],
        detail: None,
    }
}

/// Serves the routes over `status` on an ephemeral port: (address, stop switch, server task).
async fn serve(
    status: Arc<StatusBoard>,
) -> (
    std::net::SocketAddr,
    tokio::sync::watch::Sender<bool>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let state = HttpState {
        metrics: Metrics::new(),
        status,
    };
    let (stop, shutdown) = Shutdown::manual();
    let (addr, server) = http::bind("127.0.0.1:0".parse().unwrap(), state, shutdown)
        .await
        .unwrap();
    (addr, stop, tokio::spawn(server))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_follows_query_states_and_info_lists_them() {
    let status = Arc::new(StatusBoard::new(
        "svc",
        "/etc/weir/queries.sql",
        Duration::from_secs(60),
    ));
    let (addr, stop, server) = serve(status.clone()).await;
    let get = move |path: &'static str| tokio::task::spawn_blocking(move || http_get(addr, path));

    status.set_query(query("CSAS_A", QueryState::Running));
    status.set_query(query("CSAS_B", QueryState::Restoring));
    status.set_lock_hash("abc123");
    status.set_phase(ProcessPhase::Running);

    let (code, body) = get("/readyz").await.unwrap();
    assert_eq!(code, 503);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["queries"][0]["id"], "CSAS_B");
    assert_eq!(json["queries"][0]["state"], "RESTORING");

    status.set_query_state("CSAS_B", QueryState::Running, None);
    let (code, body) = get("/readyz").await.unwrap();
    assert_eq!((code, body.as_str()), (200, r#"{"status":"ready"}"#));

    let (code, body) = get("/info").await.unwrap();
    assert_eq!(code, 200);
    let info: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(info["lock_hash"], "abc123");
    assert_eq!(info["queries"].as_array().unwrap().len(), 2);
    assert_eq!(info["queries"][1]["tasks"][0], "0_0");

    status.set_query_state("CSAS_A", QueryState::Error, Some("producer fenced".into()));
    let (code, body) = get("/readyz").await.unwrap();
    assert_eq!(code, 503);
    assert!(body.contains("producer fenced"), "{body}");

    status.heartbeat("stream-thread-0");
    let (code, _) = get("/healthz").await.unwrap();
    assert_eq!(code, 200);

    stop.send_replace(true);
    server.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_names_a_broker_wait_with_200_and_a_stalled_loop_with_503() {
    // Every loop is stalled the moment it is silent, unless it waits inside a broker call.
    let status = Arc::new(StatusBoard::new("svc", "q.sql", Duration::ZERO));
    let (addr, stop, server) = serve(status.clone()).await;
    let get = move |path: &'static str| tokio::task::spawn_blocking(move || http_get(addr, path));

    let watch = LoopWatch::new(status.clone(), "CSAS_A/thread-0");
    let call = watch.enter("commit_transaction", Duration::from_secs(30));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (code, body) = get("/healthz").await.unwrap();
    assert_eq!(code, 200, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    let waiting = &json["waiting_on_broker"][0];
    assert_eq!(waiting["loop"], "CSAS_A/thread-0", "{body}");
    assert_eq!(waiting["call"], "commit_transaction", "{body}");
    assert_eq!(waiting["bound_seconds"], 30.0, "{body}");
    assert!(waiting["for_seconds"].as_f64().unwrap() >= 1.0, "{body}");

    drop(call);
    tokio::time::sleep(Duration::from_millis(5)).await;
    let (code, body) = get("/healthz").await.unwrap();
    assert_eq!(code, 503, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["stalled"][0]["loop"], "CSAS_A/thread-0", "{body}");
    assert!(
        json["reason"].as_str().unwrap().contains("CSAS_A/thread-0"),
        "{body}"
    );

    stop.send_replace(true);
    server.await.unwrap().unwrap();
}
