//! The subcommands and their exit codes: 0 for a clean stop (or a stdout whose reader went
//! away, see [`output`]), 2 for bad config, queries or lock, 1 for a runtime failure. Errors
//! are printed once, here, with everything they know.

mod check;
mod demo;
mod demo_feed;
mod explain;
mod launch;
mod locking;
mod output;
mod run;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use super::cli::{Cli, Command, ConfigFlags};
use super::config::{self, Config, ConfigErrors, ConfigSources};
use crate::lock::{self, LockError, LockFile};
use crate::plan::{self, PlannedFile};
use crate::sql;

/// Exit code for bad config, queries or lock.
pub const EXIT_BAD_INPUT: u8 = 2;
/// Exit code for a failure while running.
pub const EXIT_RUNTIME_FAILURE: u8 = 1;

/// Why a command failed; each variant knows its exit code.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error("{0}")]
    Config(#[from] ConfigErrors),
    #[error("bad flag: {0}")]
    Flag(String),
    #[error("queries file {path}: {message}")]
    Queries { path: PathBuf, message: String },
    /// Errors in the SQL of the queries file, already rendered with file, line and caret.
    #[error("{rendered}queries file {path} has {count} error(s)")]
    Sql {
        path: PathBuf,
        rendered: String,
        count: usize,
    },
    #[error("`weir {0}` is not implemented yet")]
    NotImplemented(&'static str),
    #[error("{0}")]
    Lock(#[from] LockError),
    /// The queries file and its lock disagree.
    #[error("{path}: {summary}")]
    LockMismatch { path: PathBuf, summary: String },
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// Every query's consumer group runs another plan of it on a live replica: nothing could
    /// run here (one line per query).
    #[error(
        "no query can run on this replica: the consumer group of every query runs another plan \
         of it on a live replica\n{0}"
    )]
    LockConflict(String),
    /// The runtime could not start or failed.
    #[error("{0}")]
    Runtime(String),
    #[error("graceful shutdown did not finish within shutdown_timeout ({0:?}); exiting anyway")]
    ShutdownTimeout(std::time::Duration),
    /// The Schema Registry could not be used (bad settings, unreachable, refused credentials).
    #[error("{0}")]
    Registry(#[from] crate::registry::RegistryError),
    /// Stdout is a pipe whose reader has gone (`weir explain | head -1`): not a failure, the
    /// process ends quietly with exit code 0.
    #[error("stdout was closed by its reader")]
    StdoutClosed,
}

impl CommandError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CommandError::Config(_)
            | CommandError::Flag(_)
            | CommandError::Queries { .. }
            | CommandError::Sql { .. }
            | CommandError::NotImplemented(_)
            | CommandError::Lock(_)
            | CommandError::LockMismatch { .. }
            | CommandError::LockConflict(_) => EXIT_BAD_INPUT,
            CommandError::Io { .. }
            | CommandError::Runtime(_)
            | CommandError::ShutdownTimeout(_) => EXIT_RUNTIME_FAILURE,
            CommandError::Registry(crate::registry::RegistryError::Settings(_)) => EXIT_BAD_INPUT,
            CommandError::Registry(_) => EXIT_RUNTIME_FAILURE,
            CommandError::StdoutClosed => 0,
        }
    }

    pub(crate) fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> CommandError {
        let context = context.into();
        move |source| CommandError::Io { context, source }
    }
}

/// The binary's entry point: parses the command line, runs the command, maps errors to exit
/// codes.
pub fn main() -> ExitCode {
    crate::runtime::memory::limit_arenas();
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Run(flags) => run::run(flags),
        Command::Check(flags) => check::check(flags),
        Command::Lock(flags) => locking::lock(flags),
        Command::Plan(flags) => locking::plan(flags),
        Command::Explain(flags) => explain::explain(flags),
        Command::Demo(flags) => demo::demo(flags),
    };
    match result {
        Ok(()) | Err(CommandError::StdoutClosed) => ExitCode::SUCCESS,
        Err(error) => {
            // Rendered diagnostics carry their own `error:` prefixes. A closed stderr
            // (`2>&1 | head -1`) leaves nowhere to report to, so it is not an error itself.
            let prefix = if let CommandError::Sql { .. } = error {
                ""
            } else {
                "error: "
            };
            let text = crate::server::logging::error_text(&format!("{prefix}{error}"));
            let _ = writeln!(std::io::stderr(), "{text}");
            ExitCode::from(error.exit_code())
        }
    }
}

/// Loads the layered config for a command.
fn load_config(flags: &ConfigFlags) -> Result<Config, CommandError> {
    load_config_from(flags, true)
}

/// Loads the layered config; `default_file` says whether `/etc/weir/weir.toml` is read when
/// no `--config` is given (the demo never reads it).
fn load_config_from(flags: &ConfigFlags, default_file: bool) -> Result<Config, CommandError> {
    let overrides = flags.overrides().map_err(CommandError::Flag)?;
    let mut sources = ConfigSources::from_process(flags.config.clone(), overrides);
    if !default_file {
        sources.default_file = None;
    }
    Ok(config::load(&sources)?)
}

/// The queries file, read once at startup, parsed, analyzed and planned.
struct LoadedQueries {
    planned: PlannedFile,
}

/// Reads and plans the queries file, reporting every error in it at once.
fn load_queries(config: &Config) -> Result<LoadedQueries, CommandError> {
    load_queries_waiting(config, std::time::Duration::ZERO)
}

/// [`load_queries`]; sources declared without columns take their schemas from the configured
/// Schema Registry, waiting up to `wait` for it to answer (`weir run` waits `startup_timeout`,
/// the other commands ask once).
fn load_queries_waiting(
    config: &Config,
    wait: std::time::Duration,
) -> Result<LoadedQueries, CommandError> {
    let path = &config.queries;
    let text = std::fs::read_to_string(path).map_err(|error| CommandError::Queries {
        path: path.clone(),
        message: error.to_string(),
    })?;
    let schemas = match &config.schema_registry {
        Some(settings) => {
            let client = crate::registry::RegistryClient::new(settings)?;
            Some(std::sync::Arc::new(crate::analyze::RegistrySchemas::new(
                std::sync::Arc::new(client),
                wait,
            )))
        }
        None => None,
    };
    let options = crate::analyze::AnalyzeOptions {
        schemas: schemas
            .clone()
            .map(|s| s as std::sync::Arc<dyn crate::analyze::SchemaSource>),
        ..Default::default()
    };
    let planned =
        plan::plan_file_with(&text, &config.service_id, &options).map_err(|diagnostics| {
            match schemas.as_ref().and_then(|s| s.failure()) {
                Some(failure) => CommandError::Queries {
                    path: path.clone(),
                    message: format!(
                        "the columns of sources declared without them come from Schema Registry, \
                     which did not answer: {failure}"
                    ),
                },
                None => CommandError::Sql {
                    path: path.clone(),
                    rendered: sql::render_all(&diagnostics, &text, &path.display().to_string()),
                    count: diagnostics.len(),
                },
            }
        })?;
    if config.schema_registry.is_none() {
        let problems = registry_format_without_registry(&planned);
        if !problems.is_empty() {
            return Err(CommandError::Queries {
                path: path.clone(),
                message: problems.join("\n"),
            });
        }
    }
    if planned.queries.is_empty() {
        return Err(CommandError::Queries {
            path: path.clone(),
            message: "holds no persistent query; add a `CREATE STREAM|TABLE … AS SELECT` or \
                      `INSERT INTO … SELECT` statement"
                .into(),
        });
    }
    Ok(LoadedQueries { planned })
}

/// ksqlDB's refusal of a topic in a Schema Registry format when no registry is configured,
/// one line per stream or table that declares or writes one.
fn registry_format_without_registry(planned: &PlannedFile) -> Vec<String> {
    let mut problems = Vec::new();
    for source in planned.catalog.sources.values() {
        for info in [&source.key_format, &source.value_format] {
            if info.format.needs_registry() {
                let statement = match &source.written_by {
                    Some(query) => format!("the sink {} of query {query}", source.name),
                    None => format!("the statement that creates {}", source.name),
                };
                problems.push(format!(
                    "{statement}: Cannot create topic '{}' with format {} without configuring \
                     'schema_registry.urls'",
                    source.topic, info.format
                ));
                break;
            }
        }
    }
    problems
}

/// The lock the queries file would have, and the lock on disk (if any).
fn lock_state(
    config: &Config,
    loaded: &LoadedQueries,
) -> Result<(LockFile, Option<LockFile>), CommandError> {
    let wanted = LockFile::new(loaded.planned.locked());
    let on_disk = LockFile::read_for(&config.queries)?;
    Ok((wanted, on_disk))
}

/// Refuses a queries file that disagrees with its lock, naming the queries that differ.
fn ensure_locked(
    config: &Config,
    wanted: &LockFile,
    on_disk: &LockFile,
) -> Result<(), CommandError> {
    let diff = lock::diff(wanted, on_disk);
    if diff.is_empty() {
        return Ok(());
    }
    Err(CommandError::LockMismatch {
        path: config.queries.clone(),
        summary: diff.summary(),
    })
}
