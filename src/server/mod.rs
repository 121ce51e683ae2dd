//! The operating surface: config (figment), CLI (clap), logging (tracing-subscriber), signals
//! (signal-hook), the HTTP endpoints (`/metrics`, `/healthz`, `/readyz`, `/info`) and systemd
//! notification. It sits on top of every other layer and is the only one that reads the
//! process environment.

pub mod cli;
pub mod commands;
pub mod config;
pub mod http;
pub mod logging;
pub mod notify;
pub mod signals;

pub use commands::main;
