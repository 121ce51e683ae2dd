//! `weir run`: the daemon. Loads and validates everything first, then starts the HTTP
//! endpoints and the queries, tells systemd it is ready, and on SIGTERM/SIGINT stops within
//! `shutdown_timeout`.

use std::sync::Arc;
use std::time::Duration;

use super::{CommandError, ConfigFlags, load_config, load_queries};
use crate::server::config::Config;
use crate::server::http::{self, HttpState};
use crate::server::signals::{self, Shutdown};
use crate::server::{logging, notify};
use crate::telemetry::status::ProcessPhase;
use crate::telemetry::{Metrics, StatusBoard};

/// How often the I/O runtime proves it is responsive.
const HEARTBEAT_EVERY: Duration = Duration::from_secs(1);
/// `/healthz` fails when a watched loop has not beaten for this long.
const STALL_AFTER: Duration = Duration::from_secs(15);

pub fn run(flags: &ConfigFlags) -> Result<(), CommandError> {
    let config = load_config(flags)?;
    logging::init(&config.log);
    let _queries = load_queries(&config)?;
    let shutdown = signals::install().map_err(CommandError::io("installing signal handlers"))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("weir-io")
        .enable_all()
        .build()
        .map_err(CommandError::io("starting the I/O runtime"))?;
    runtime.block_on(serve(config, shutdown))
}

async fn serve(config: Config, mut shutdown: Shutdown) -> Result<(), CommandError> {
    let metrics = Metrics::new();
    let status = Arc::new(StatusBoard::new(
        &config.service_id,
        &config.queries.display().to_string(),
        STALL_AFTER,
    ));

    let http_server = match config.http.listen {
        Some(addr) => {
            let state = HttpState {
                metrics: metrics.clone(),
                status: status.clone(),
            };
            let (local, server) = http::bind(addr, state, shutdown.clone())
                .await
                .map_err(CommandError::io(format!("binding HTTP on {addr}")))?;
            tracing::info!(addr = %local, "serving HTTP");
            Some(tokio::spawn(server))
        }
        None => None,
    };
    let heartbeat = tokio::spawn(beat(status.clone(), shutdown.clone()));

    status.set_phase(ProcessPhase::Running);
    notify::ready("running");
    tracing::info!(
        service_id = %config.service_id,
        queries = %config.queries.display(),
        "weir started"
    );

    shutdown.requested().await;
    status.set_phase(ProcessPhase::Stopping);
    notify::stopping();
    let drain = async {
        if let Some(server) = http_server
            && let Ok(Err(error)) = server.await
        {
            tracing::warn!(%error, "HTTP server ended with an error");
        }
        let _ = heartbeat.await;
    };
    match tokio::time::timeout(config.shutdown_timeout, drain).await {
        Ok(()) => {
            tracing::info!("stopped cleanly");
            Ok(())
        }
        Err(_) => Err(CommandError::ShutdownTimeout(config.shutdown_timeout)),
    }
}

/// Beats for the I/O runtime until shutdown, so `/healthz` notices if it stalls.
async fn beat(status: Arc<StatusBoard>, mut shutdown: Shutdown) {
    loop {
        status.heartbeat("io-runtime");
        tokio::select! {
            _ = shutdown.requested() => break,
            _ = tokio::time::sleep(HEARTBEAT_EVERY) => {}
        }
    }
    status.forget_heartbeat("io-runtime");
}
