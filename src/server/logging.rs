//! Logging with tracing-subscriber: human-readable lines on a terminal, JSON lines for
//! containers and journald. The filter comes from `RUST_LOG` when set, else from the config.
//! Logs go to stderr; stdout is left to commands that print results (`explain`, `demo`).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use super::config::{LogConfig, LogFormat};

/// Installs the global subscriber. Call once, early; later calls are ignored.
pub fn init(config: &LogConfig) {
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|env| EnvFilter::try_new(env).ok())
        .unwrap_or_else(|| EnvFilter::new(&config.filter));
    let json = match config.format {
        LogFormat::Json => true,
        LogFormat::Pretty => false,
        LogFormat::Auto => !std::io::stderr().is_terminal(),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(true);
    let result = if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init()
    } else {
        builder.compact().try_init()
    };
    // Only fails when a subscriber is already installed (tests), which is fine.
    drop(result);
}
