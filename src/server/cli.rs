//! The command line (clap): `weir run | check | lock | plan | explain | demo`, with the config
//! flags every subcommand shares. Flags are the top config layer.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use super::config::FlagOverrides;

/// A headless streaming-SQL daemon for Apache Kafka that runs ksqlDB queries files.
#[derive(Debug, Parser)]
#[command(name = "weir", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run every persistent query of the locked queries file (the daemon).
    Run(ConfigFlags),
    /// Validate config, queries and lock without touching Kafka; exit 0 when all is well, 2 otherwise.
    Check(ConfigFlags),
    /// Write the lock file next to the queries file.
    Lock(ConfigFlags),
    /// Show what changed between the queries file and its lock, and what happens to state.
    Plan(ConfigFlags),
    /// Print each query's topology: sub-topologies, processors, stores, internal topics.
    Explain(ConfigFlags),
    /// Run the demo job on an in-process Kafka cluster with generated data.
    Demo(ConfigFlags),
}

impl Command {
    pub fn flags(&self) -> &ConfigFlags {
        match self {
            Command::Run(flags)
            | Command::Check(flags)
            | Command::Lock(flags)
            | Command::Plan(flags)
            | Command::Explain(flags)
            | Command::Demo(flags) => flags,
        }
    }
}

/// Config flags shared by every subcommand; each overrides the file and the environment.
#[derive(Debug, Clone, Default, Args)]
pub struct ConfigFlags {
    /// Config file (TOML). Default: /etc/weir/weir.toml when it exists.
    #[arg(short, long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// The .sql queries file (config key `queries`).
    #[arg(short, long, value_name = "PATH")]
    pub queries: Option<PathBuf>,
    /// Name of this cluster of replicas (config key `service_id`).
    #[arg(long, value_name = "NAME")]
    pub service_id: Option<String>,
    /// Folder for local state (config key `state_dir`).
    #[arg(long, value_name = "PATH")]
    pub state_dir: Option<PathBuf>,
    /// Stream threads (config key `threads`).
    #[arg(long, value_name = "N")]
    pub threads: Option<String>,
    /// Kafka bootstrap servers (config key `kafka."bootstrap.servers"`).
    #[arg(short, long, value_name = "HOST:PORT,…")]
    pub bootstrap_servers: Option<String>,
    /// HTTP listen address or `off` (config key `http.listen`).
    #[arg(long, value_name = "ADDR")]
    pub http_listen: Option<String>,
    /// `auto`, `pretty` or `json` (config key `log.format`).
    #[arg(long, value_name = "FORMAT")]
    pub log_format: Option<String>,
    /// Any config key: `--set commit_interval=5s`, `--set kafka.linger.ms=5`. Repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
}

impl ConfigFlags {
    /// The flags as the top config layer.
    pub fn overrides(&self) -> Result<FlagOverrides, String> {
        let mut overrides = FlagOverrides::default();
        let path_text = |path: &PathBuf| path.display().to_string();
        let named: [(&[&str], Option<String>); 7] = [
            (&["queries"], self.queries.as_ref().map(path_text)),
            (&["service_id"], self.service_id.clone()),
            (&["state_dir"], self.state_dir.as_ref().map(path_text)),
            (&["threads"], self.threads.clone()),
            (
                &["kafka", "bootstrap.servers"],
                self.bootstrap_servers.clone(),
            ),
            (&["http", "listen"], self.http_listen.clone()),
            (&["log", "format"], self.log_format.clone()),
        ];
        for (path, value) in named {
            if let Some(value) = value {
                overrides.set(path.iter().map(|s| s.to_string()).collect(), value);
            }
        }
        for assignment in &self.set {
            overrides.set_assignment(assignment)?;
        }
        Ok(overrides)
    }
}
