//! What the commands print to stdout, written so that a reader going away is not a crash.
//! When stdout is a pipe whose reader has exited (`weir explain | head -1`), the next write
//! fails with EPIPE (Rust ignores SIGPIPE, so it is an error, not a signal), and `println!`
//! panics on it with a backtrace. Commands print through [`out!`] and [`outln!`] instead,
//! which return [`CommandError::StdoutClosed`] for it: a command whose output is its point
//! stops there, one with an effect beyond printing (`weir lock` writes the lock, `weir demo`
//! stops its queries gracefully) passes the write through [`unless_closed`] and carries on.
//! `main` ends the process quietly with exit code 0, as `grep`, `git log` and `ripgrep` do
//! when `head` stops reading: everything asked of the command was done or not wanted, and a
//! non-zero code would fail `set -o pipefail` pipelines that did nothing wrong. Any other
//! write error (a full disk behind a redirection) is an I/O error like any other.

use std::fmt;
use std::io::{self, Write as _};

use super::CommandError;

/// Writes formatted text to stdout and flushes it, so the error (if any) belongs to this
/// write rather than to a later one or to the exit.
pub fn print(args: fmt::Arguments<'_>) -> Result<(), CommandError> {
    let mut stdout = io::stdout().lock();
    stdout
        .write_fmt(args)
        .and_then(|()| stdout.flush())
        .map_err(|error| match error.kind() {
            io::ErrorKind::BrokenPipe => CommandError::StdoutClosed,
            _ => CommandError::Io {
                context: "writing to stdout".into(),
                source: error,
            },
        })
}

/// A write whose reader may have gone: a closed stdout is no reason to stop.
pub fn unless_closed(written: Result<(), CommandError>) -> Result<(), CommandError> {
    match written {
        Err(CommandError::StdoutClosed) => Ok(()),
        other => other,
    }
}

/// `print!` to stdout, returning the write's result (see the module doc).
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::server::commands::output::print(format_args!($($arg)*))
    };
}

/// `println!` to stdout, returning the write's result (see the module doc).
macro_rules! outln {
    () => {
        $crate::server::commands::output::print(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::server::commands::output::print(format_args!("{}\n", format_args!($($arg)*)))
    };
}

pub(crate) use {out, outln};
