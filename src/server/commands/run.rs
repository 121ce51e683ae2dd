//! `weir run`: the daemon. Loads and validates everything first, then starts the HTTP
//! endpoints and the queries, tells systemd it is ready, and on SIGTERM/SIGINT stops within
//! `shutdown_timeout`.

use std::sync::Arc;
use std::time::Duration;

use super::{
    CommandError, ConfigFlags, LoadedQueries, ensure_locked, launch, load_config,
    load_queries_waiting, lock_state,
};
use crate::lock::LockFile;
use crate::runtime::KafkaAdmin;
use crate::runtime::memory;
use crate::server::config::Config;
use crate::server::http::{self, HttpState};
use crate::server::signals::{self, Shutdown};
use crate::server::{logging, notify};
use crate::telemetry::status::ProcessPhase;
use crate::telemetry::{Metrics, QueryState, QueryStatus, StatusBoard};

/// How often the I/O runtime proves it is responsive.
const HEARTBEAT_EVERY: Duration = Duration::from_secs(1);
/// `/healthz` fails (and the systemd watchdog goes unfed) when a watched loop has not beaten
/// for this long, outside a broker call or past the call's own bound.
const STALL_AFTER: Duration = Duration::from_secs(15);

pub fn run(flags: &ConfigFlags) -> Result<(), CommandError> {
    let config = load_config(flags)?;
    logging::init(&config.log);
    // Installed before anything slow, so a stop signal during startup is a graceful stop too.
    let shutdown = signals::install().map_err(CommandError::io("installing signal handlers"))?;
    let loaded = load_queries_waiting(&config, config.startup_timeout)?;
    let lock = locked_or_first_lock(&config, &loaded)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("weir-io")
        .enable_all()
        .build()
        .map_err(CommandError::io("starting the I/O runtime"))?;
    let result = runtime.block_on(serve(config, loaded, lock, shutdown));
    // A stop during startup leaves the Kafka connection attempt behind: do not wait for it.
    runtime.shutdown_timeout(Duration::from_millis(500));
    result
}

async fn serve(
    config: Config,
    loaded: LoadedQueries,
    lock: LockFile,
    mut shutdown: Shutdown,
) -> Result<(), CommandError> {
    let metrics = Metrics::new();
    let status = Arc::new(StatusBoard::new(
        &config.service_id,
        &config.queries.display().to_string(),
        STALL_AFTER,
    ));
    status.set_lock_hash(&lock.hash());
    metrics.queries.set(loaded.planned.queries.len() as i64);
    for query in &loaded.planned.queries {
        status.set_query(QueryStatus {
            id: query.id.clone(),
            state: QueryState::Pending,
            sink: query.sink.clone(),
            tasks: Vec::new(),
            detail: Some("waiting for the Kafka cluster".into()),
        });
    }

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
    if let Some(interval) = notify::watchdog_interval() {
        tokio::spawn(notify::watchdog(status.clone(), interval, shutdown.clone()));
    }
    tokio::spawn(trim_memory(shutdown.clone()));
    let starting = {
        let (config, metrics, status) = (config.clone(), metrics.clone(), status.clone());
        tokio::task::spawn_blocking(move || {
            let admin = KafkaAdmin::connect(
                &launch::client_settings(&config).admin(),
                config.startup_timeout,
            )
            .map_err(|e| CommandError::Runtime(e.to_string()))?;
            launch::start(&config, &loaded.planned, &admin, &metrics, &status)
        })
    };
    let runtime = tokio::select! {
        started = starting => {
            started.map_err(|e| CommandError::Runtime(format!("startup: {e}")))??
        }
        _ = shutdown.requested() => {
            tracing::info!("stop requested during startup");
            return Ok(());
        }
    };
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
    let stop_timeout = config.shutdown_timeout;
    let drain = async {
        let stopped = tokio::task::spawn_blocking(move || runtime.stop(stop_timeout)).await;
        if !matches!(stopped, Ok(true)) {
            tracing::warn!("stream threads did not stop in time");
        }
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

/// The lock that `run` holds the file to: the one on disk, which must match, or on a first
/// run a new one written next to the queries file.
fn locked_or_first_lock(config: &Config, loaded: &LoadedQueries) -> Result<LockFile, CommandError> {
    let (wanted, on_disk) = lock_state(config, loaded)?;
    match on_disk {
        Some(lock) => {
            ensure_locked(config, &wanted, &lock)?;
            Ok(lock)
        }
        None => {
            let path = wanted.write_for(&config.queries)?;
            tracing::info!(
                lock = %path.display(),
                queries = wanted.queries.len(),
                "no lock file yet: created it from the queries file"
            );
            Ok(wanted)
        }
    }
}

/// Hands memory the C libraries freed back to the system every few seconds until shutdown.
async fn trim_memory(mut shutdown: Shutdown) {
    loop {
        tokio::select! {
            _ = shutdown.requested() => break,
            _ = tokio::time::sleep(memory::TRIM_EVERY) => {
                let _ = tokio::task::spawn_blocking(memory::release_freed).await;
            }
        }
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
