//! Logging with tracing-subscriber: human-readable lines on a terminal, JSON lines for
//! containers and journald. The filter comes from `RUST_LOG` when set, else from the config.
//! Logs go to stderr; stdout is left to commands that print results (`explain`, `demo`).
//!
//! Under systemd, when stderr is the journal (`JOURNAL_STREAM` names stderr's device and
//! inode, as systemd.exec(5) says to check), each line starts with the sd-daemon(3) priority
//! prefix: `<3>` error, `<4>` warn, `<6>` info, `<7>` debug and trace. journald turns it into
//! the entry's PRIORITY (`SyslogLevelPrefix=yes`, its default) and strips it; the line after
//! it is the same JSON or text as anywhere else. Without a matching `JOURNAL_STREAM` (a pipe,
//! a file, a terminal, or a child that inherited the variable) no prefix is written.
//!
//! The prefix was chosen over `tracing-journald` (the journal's native protocol, which would
//! store every field as a journal field): it needs no dependency and no socket, keeps one
//! log format for every deployment (the same JSON line is in `journalctl -o cat` as in
//! `kubectl logs`), and falls back to plain stderr by itself; the native protocol would
//! need its own fallback when the socket is missing and would rename fields to the journal's
//! upper-case rules. Tools that read the JSON lines keep working; `journalctl -p warning`
//! filters by level.

use std::io::{IsTerminal, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::MetadataExt;

use tracing::{Level, Metadata};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

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
    let writer = Stderr {
        journal: stderr_is_journal(),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
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

/// Whether stderr is the journal (`JOURNAL_STREAM` names it).
pub fn stderr_is_journal() -> bool {
    std::env::var("JOURNAL_STREAM")
        .ok()
        .is_some_and(|stream| stderr_is(&stream))
}

/// `text` for stderr with the error priority on each line when stderr is the journal
/// (journald makes one entry per line).
pub fn error_text(text: &str) -> String {
    if !stderr_is_journal() {
        return text.to_owned();
    }
    text.lines()
        .map(|line| format!("<3>{line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether `journal_stream` (`<device>:<inode>`, decimal, from `JOURNAL_STREAM`) is this
/// process's stderr.
fn stderr_is(journal_stream: &str) -> bool {
    let Some((dev, ino)) = journal_stream.trim().split_once(':') else {
        return false;
    };
    let (Ok(dev), Ok(ino)) = (dev.parse::<u64>(), ino.parse::<u64>()) else {
        return false;
    };
    let Ok(fd) = std::io::stderr().as_fd().try_clone_to_owned() else {
        return false;
    };
    std::fs::File::from(fd)
        .metadata()
        .is_ok_and(|meta| meta.dev() == dev && meta.ino() == ino)
}

/// The sd-daemon(3) prefix for events of `level`.
fn priority(level: &Level) -> &'static [u8] {
    match *level {
        Level::ERROR => b"<3>",
        Level::WARN => b"<4>",
        Level::INFO => b"<6>",
        _ => b"<7>",
    }
}

/// Makes the writer of each event: stderr, with the priority prefix when it is the journal.
#[derive(Debug, Clone, Copy)]
struct Stderr {
    journal: bool,
}

impl<'a> MakeWriter<'a> for Stderr {
    type Writer = EventWriter;

    fn make_writer(&'a self) -> EventWriter {
        EventWriter { prefix: None }
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> EventWriter {
        EventWriter {
            prefix: self.journal.then(|| priority(meta.level())),
        }
    }
}

/// Writes one event to stderr, the prefix (if any) in the same write as its first bytes.
struct EventWriter {
    prefix: Option<&'static [u8]>,
}

impl Write for EventWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.prefix.take() {
            Some(prefix) => {
                let mut line = Vec::with_capacity(prefix.len() + buf.len());
                line.extend_from_slice(prefix);
                line.extend_from_slice(buf);
                std::io::stderr().write_all(&line)?;
                Ok(buf.len())
            }
            None => std::io::stderr().write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_map_to_syslog_priorities() {
        assert_eq!(priority(&Level::ERROR), b"<3>");
        assert_eq!(priority(&Level::WARN), b"<4>");
        assert_eq!(priority(&Level::INFO), b"<6>");
        assert_eq!(priority(&Level::DEBUG), b"<7>");
        assert_eq!(priority(&Level::TRACE), b"<7>");
    }

    #[test]
    fn a_journal_stream_that_is_not_stderr_or_is_malformed_is_ignored() {
        for stream in ["", "1", "x:y", "1:2:3", "0:0", "18446744073709551615:1"] {
            assert!(!stderr_is(stream), "{stream:?}");
        }
    }
}
