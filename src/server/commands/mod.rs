//! The subcommands and their exit codes: 0 for a clean stop, 2 for bad config, queries or
//! lock, 1 for a runtime failure. Errors are printed once, here, with everything they know.

mod check;
mod run;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use super::cli::{Cli, Command, ConfigFlags};
use super::config::{self, Config, ConfigErrors, ConfigSources};

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
        Command::Demo(_) => Err(CommandError::NotImplemented("demo")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
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

/// The queries file's text, read once at startup.
fn read_queries(config: &Config) -> Result<String, CommandError> {
    let text = std::fs::read_to_string(&config.queries).map_err(|error| CommandError::Queries {
        path: config.queries.clone(),
        message: error.to_string(),
    })?;
    if text.trim().is_empty() {
        return Err(CommandError::Queries {
            path: config.queries.clone(),
            message: "the file is empty; it must hold at least one persistent query".into(),
        });
    }
    Ok(text)
}
