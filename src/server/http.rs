//! The HTTP endpoints (axum): `GET /metrics` (Prometheus text), `GET /healthz` (alive: no
//! loop stuck, though some may wait on the broker), `GET /readyz` (every query running and
//! restored, the brokers reachable), `GET /info` (JSON status).
//! Handlers only read the status board and the metrics registry; they never block on the
//! stream threads.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use tokio::net::TcpListener;

use super::signals::Shutdown;
use crate::telemetry::{Metrics, StatusBoard};

/// What the handlers read.
#[derive(Clone)]
pub struct HttpState {
    pub metrics: Metrics,
    pub status: Arc<StatusBoard>,
}

/// The routes, without a listener (tests serve it on an ephemeral port).
pub fn router(state: HttpState) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/info", get(info))
        .with_state(state)
}

/// Binds `addr` now (so a busy port fails startup) and returns the bound address and the
/// server future, which ends after `shutdown` fires and in-flight requests finish.
pub async fn bind(
    addr: SocketAddr,
    state: HttpState,
    mut shutdown: Shutdown,
) -> std::io::Result<(SocketAddr, impl Future<Output = std::io::Result<()>>)> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let server = axum::serve(listener, router(state))
        .with_graceful_shutdown(async move { shutdown.requested().await });
    Ok((local, server.into_future()))
}

async fn metrics(State(state): State<HttpState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}

/// 200 while no watched loop is stalled, listing the loops that wait on the broker (alive:
/// restarting would not help); 503 naming each stalled loop and where it was blocked.
async fn healthz(State(state): State<HttpState>) -> Response {
    match state.status.liveness() {
        Ok(alive) if alive.waiting.is_empty() => {
            (StatusCode::OK, Json(serde_json::json!({"status": "ok"}))).into_response()
        }
        Ok(alive) => (
            StatusCode::OK,
            Json(serde_json::json!({"status": "ok", "waiting_on_broker": alive.waiting})),
        )
            .into_response(),
        Err(stalled) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({
                "status": "stalled",
                "reason": stalled.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "),
                "stalled": stalled,
            })),
        )
            .into_response(),
    }
}

async fn readyz(State(state): State<HttpState>) -> Response {
    match state.status.readiness() {
        Ok(()) => (StatusCode::OK, Json(serde_json::json!({"status": "ready"}))).into_response(),
        Err(not_ready) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({
                "status": "not ready",
                "phase": not_ready.phase,
                "queries": not_ready.queries,
                "unreachable": not_ready.unreachable,
            })),
        )
            .into_response(),
    }
}

async fn info(State(state): State<HttpState>) -> Json<serde_json::Value> {
    Json(state.status.info())
}
