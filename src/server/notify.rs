//! systemd notification (`Type=notify`): READY=1 once startup is done, STOPPING=1 when a
//! graceful stop begins, STATUS= lines in between. Outside systemd (no `NOTIFY_SOCKET`) these
//! do nothing.

use sd_notify::NotifyState;

/// Tells systemd that startup finished.
pub fn ready(status: &str) {
    send(&[NotifyState::Ready, NotifyState::Status(status)]);
}

/// Tells systemd that a graceful stop began.
pub fn stopping() {
    send(&[NotifyState::Stopping, NotifyState::Status("stopping")]);
}

fn send(states: &[NotifyState]) {
    if let Err(error) = sd_notify::notify(states) {
        tracing::warn!(%error, "could not notify systemd");
    }
}
