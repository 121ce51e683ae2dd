//! What a running weir tells the outside world about itself: the Prometheus metrics (every
//! metric name lives in [`metrics`]) and the status board ([`status`]) behind `/healthz`,
//! `/readyz`, `/info` and the systemd watchdog, with the liveness rule in [`liveness`]. The runtime fills both; the server only serves them. Nothing here
//! knows about SQL or Kafka.

pub mod liveness;
pub mod metrics;
pub mod status;

pub use liveness::LoopWatch;
pub use metrics::Metrics;
pub use status::{QueryState, QueryStatus, StatusBoard};
