//! systemd notification (`Type=notify`): READY=1 once startup is done, STOPPING=1 when a
//! graceful stop begins, STATUS= lines in between, and the watchdog: when the service
//! manager asks for it (`WatchdogSec=` sets `WATCHDOG_USEC`), WATCHDOG=1 every half interval,
//! but only while the status board finds every watched loop alive. A stream thread waiting on
//! a slow or unreachable broker within its call's bound is alive, so the pings go on; a
//! stuck one (or a stuck I/O runtime, which sends the pings) stops them and systemd restarts
//! the service. Outside systemd (no `NOTIFY_SOCKET`) all of this does nothing.

use std::sync::Arc;
use std::time::Duration;

use sd_notify::NotifyState;

use super::signals::Shutdown;
use crate::telemetry::StatusBoard;

/// Tells systemd that startup finished.
pub fn ready(status: &str) {
    send(&[NotifyState::Ready, NotifyState::Status(status)]);
}

/// Tells systemd that a graceful stop began.
pub fn stopping() {
    send(&[NotifyState::Stopping, NotifyState::Status("stopping")]);
}

/// The watchdog interval the service manager set for this process, if any.
pub fn watchdog_interval() -> Option<Duration> {
    sd_notify::watchdog_enabled().filter(|interval| !interval.is_zero())
}

/// Pings the watchdog every `interval / 2` while `status` finds every loop alive, until
/// shutdown. Logs when it starts and stops withholding the ping.
pub async fn watchdog(status: Arc<StatusBoard>, interval: Duration, mut shutdown: Shutdown) {
    let every = interval / 2;
    tracing::info!(interval = ?interval, every = ?every, "systemd watchdog enabled");
    let mut withheld = false;
    loop {
        match status.liveness() {
            Ok(_) => {
                if withheld {
                    tracing::info!(
                        "every watched loop is alive again: pinging the systemd watchdog"
                    );
                    withheld = false;
                }
                // The send blocks while the manager's socket queue is full: not on a worker
                // of the I/O runtime, which serves /healthz.
                let _ = tokio::task::spawn_blocking(|| send(&[NotifyState::Watchdog])).await;
            }
            Err(stalled) => {
                if !withheld {
                    let stalled: Vec<String> = stalled.iter().map(ToString::to_string).collect();
                    tracing::error!(
                        stalled = %stalled.join("; "),
                        "a watched loop is stuck: withholding the systemd watchdog ping"
                    );
                    withheld = true;
                }
            }
        }
        tokio::select! {
            _ = shutdown.requested() => break,
            _ = tokio::time::sleep(every) => {}
        }
    }
}

fn send(states: &[NotifyState]) {
    if let Err(error) = sd_notify::notify(states) {
        tracing::warn!(%error, "could not notify systemd");
    }
}
