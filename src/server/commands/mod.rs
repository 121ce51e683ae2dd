//! The subcommands and their exit codes: 0 for a clean stop, 2 for bad config, queries or
//! lock, 1 for a runtime failure. Errors are printed once, here, with everything they know.

mod check;
mod demo;
mod run;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use super::cli::{Cli, Command, ConfigFlags};
use super::config::{self, Config, ConfigErrors, ConfigSources};
use crate::sql::{self, Statement, StatementKind};

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
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("graceful shutdown did not finish within shutdown_timeout ({0:?}); exiting anyway")]
    ShutdownTimeout(std::time::Duration),
}

impl CommandError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CommandError::Config(_)
            | CommandError::Flag(_)
            | CommandError::Queries { .. }
            | CommandError::Sql { .. }
            | CommandError::NotImplemented(_) => EXIT_BAD_INPUT,
            CommandError::Io { .. } | CommandError::ShutdownTimeout(_) => EXIT_RUNTIME_FAILURE,
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
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Run(flags) => run::run(flags),
        Command::Check(flags) => check::check(flags),
        Command::Lock(_) => Err(CommandError::NotImplemented("lock")),
        Command::Plan(_) => Err(CommandError::NotImplemented("plan")),
        Command::Explain(_) => Err(CommandError::NotImplemented("explain")),
        Command::Demo(_) => demo::demo(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            match &error {
                // Rendered diagnostics carry their own `error:` prefixes.
                CommandError::Sql { .. } => eprintln!("{error}"),
                _ => eprintln!("error: {error}"),
            }
            ExitCode::from(error.exit_code())
        }
    }
}

/// Loads the layered config for a command.
fn load_config(flags: &ConfigFlags) -> Result<Config, CommandError> {
    let overrides = flags.overrides().map_err(CommandError::Flag)?;
    let sources = ConfigSources::from_process(flags.config.clone(), overrides);
    Ok(config::load(&sources)?)
}

/// The queries file, read once at startup and parsed.
struct LoadedQueries {
    statements: Vec<Statement>,
}

impl LoadedQueries {
    /// How many persistent queries (`CREATE … AS SELECT`, `INSERT INTO … SELECT`) it holds.
    fn persistent_query_count(&self) -> usize {
        self.statements
            .iter()
            .filter(|s| {
                matches!(
                    s.kind,
                    StatementKind::CreateAsSelect(_) | StatementKind::InsertInto(_)
                )
            })
            .count()
    }
}

/// Reads and parses the queries file, reporting every error in it at once.
fn load_queries(config: &Config) -> Result<LoadedQueries, CommandError> {
    let path = &config.queries;
    let text = std::fs::read_to_string(path).map_err(|error| CommandError::Queries {
        path: path.clone(),
        message: error.to_string(),
    })?;
    let statements = sql::parse_file(&text).map_err(|diagnostics| CommandError::Sql {
        path: path.clone(),
        rendered: sql::render_all(&diagnostics, &text, &path.display().to_string()),
        count: diagnostics.len(),
    })?;
    let loaded = LoadedQueries { statements };
    if loaded.persistent_query_count() == 0 {
        return Err(CommandError::Queries {
            path: path.clone(),
            message: "holds no persistent query; add a `CREATE STREAM|TABLE … AS SELECT` or \
                      `INSERT INTO … SELECT` statement"
                .into(),
        });
    }
    Ok(loaded)
}
