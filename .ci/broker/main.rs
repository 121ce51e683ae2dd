//! The test broker's entry point: nisshi 0.7.0's command line (the `nisshi-cli` crate, as
//! nisshi's own `src/bin/nisshi.rs` runs it) over the storage crates patched by
//! `nisshi-0.7.0.patch`. Built by `.ci/install-broker`; see `README.md`.

#[tokio::main]
async fn main() -> nisshi_cli::Result<nisshi_sans_io::ErrorCode> {
    let _guard = nisshi_broker::otel::init(nisshi_broker::TracingFormat::Text)?;
    nisshi_cli::Cli::main().await
}
