//! Process signals with signal-hook, on a dedicated thread (signal handlers must not do real
//! work). SIGTERM and SIGINT request a graceful shutdown; a second one exits at once. SIGHUP
//! only logs: the queries file is locked and is re-read only on restart.

use std::io;
use std::thread;

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;
use tokio::sync::watch;

/// Exit code when a second stop signal cuts a graceful shutdown short.
pub const FORCED_EXIT_CODE: i32 = 1;

/// Fires once when a graceful shutdown is requested.
///
/// The signal thread is the only sender; it sends `true` on the first SIGTERM/SIGINT. Every
/// task that must stop holds a clone and awaits [`Shutdown::requested`]. The sender lives as
/// long as the process, so the channel never closes while anyone waits.
#[derive(Debug, Clone)]
pub struct Shutdown {
    requested: watch::Receiver<bool>,
}

impl Shutdown {
    /// Resolves once a graceful shutdown has been requested (at once if it already was).
    pub async fn requested(&mut self) {
        // `wait_for` errs only if the sender is gone, which means the process is ending.
        let _ = self.requested.wait_for(|requested| *requested).await;
    }

    /// Whether shutdown has been requested, without waiting.
    pub fn is_requested(&self) -> bool {
        *self.requested.borrow()
    }

    /// A shutdown that another part of the program triggers (tests, `weir demo`).
    pub fn manual() -> (watch::Sender<bool>, Shutdown) {
        let (sender, requested) = watch::channel(false);
        (sender, Shutdown { requested })
    }
}

/// Installs the handlers and starts the signal thread.
pub fn install() -> io::Result<Shutdown> {
    let mut signals = Signals::new([SIGTERM, SIGINT, SIGHUP])?;
    let (sender, shutdown) = Shutdown::manual();
    thread::Builder::new()
        .name("weir-signals".into())
        .spawn(move || {
            for signal in signals.forever() {
                match signal {
                    SIGHUP => tracing::warn!(
                        "SIGHUP received; the queries file is locked and is re-read only on restart"
                    ),
                    _ if *sender.borrow() => {
                        tracing::warn!(signal, "second stop signal; exiting now without draining");
                        std::process::exit(FORCED_EXIT_CODE);
                    }
                    _ => {
                        tracing::info!(signal, "stop signal received; shutting down gracefully");
                        sender.send_replace(true);
                    }
                }
            }
        })?;
    Ok(shutdown)
}
