//! The operating surface: config (figment), CLI (clap), logging (tracing-subscriber), signals
//! (signal-hook), the HTTP endpoints (`/metrics`, `/healthz`, `/readyz`, `/info`) and systemd
//! notification. It sits on top of every other layer and is the only one that reads the
//! environment.
