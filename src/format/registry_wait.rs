//! The one way the registry formats call the Schema Registry from a record's path: retry while
//! the registry cannot be reached, for at most the binding's `unavailable_wait`, then give up
//! with [`FormatError::RegistryUnavailable`] (which runners retry, never log or skip). Any other
//! registry error is the record's fault ([`FormatError::Registry`]). This module sleeps the
//! calling thread between attempts; it never logs.

use std::time::{Duration, Instant};

use super::FormatError;
use crate::registry::RegistryError;

/// Runs `call`, retrying transient failures with a doubling delay (50 ms to 1 s) while less
/// than `unavailable_wait` has passed. `context` names what was being fetched, for the error.
pub(super) fn wait_for<T>(
    unavailable_wait: Duration,
    context: &dyn Fn() -> String,
    call: impl Fn() -> Result<T, RegistryError>,
) -> Result<T, FormatError> {
    let started = Instant::now();
    let mut delay = Duration::from_millis(50);
    loop {
        match call() {
            Ok(value) => return Ok(value),
            Err(e) if e.is_transient() && started.elapsed() + delay < unavailable_wait => {
                std::thread::sleep(delay);
                delay = (delay * 2).min(Duration::from_secs(1));
            }
            Err(e @ (RegistryError::Unavailable { .. } | RegistryError::Unauthorized { .. })) => {
                return Err(FormatError::RegistryUnavailable {
                    context: context(),
                    source: e,
                });
            }
            Err(e) => {
                return Err(FormatError::Registry {
                    context: context(),
                    source: e,
                });
            }
        }
    }
}
