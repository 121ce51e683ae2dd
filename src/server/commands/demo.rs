//! `weir demo`: the first thing a new user runs. It starts librdkafka's in-process mock
//! cluster, runs `queries/demo.sql` (built into the binary) on it with the real runtime,
//! feeds it generated users and pageviews, prints every record the queries write, serves
//! `/metrics` and the health endpoints, and stops cleanly on Ctrl-C, or when the reader of its
//! output goes away (`weir demo | head`). Nothing outside the process is needed: no broker, no
//! files but a temporary state directory.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::mocking::MockCluster;
use rdkafka::producer::DefaultProducerContext;

use super::output::{outln, unless_closed};
use super::{CommandError, ConfigFlags, demo_feed, launch, load_config_from};
use crate::plan;
use crate::runtime::{NewTopicSpec, TopicAdmin};
use crate::server::http::{self, HttpState};
use crate::server::logging;
use crate::server::signals::{self, Shutdown};
use crate::telemetry::status::ProcessPhase;
use crate::telemetry::{Metrics, StatusBoard};

/// The demo's queries, built into the binary so `weir demo` works from any folder.
const DEMO_QUERIES: &str = include_str!("../../../queries/demo.sql");

/// The sinks whose records the demo prints, and whether their keys are windowed.
const SINKS: [(&str, bool); 3] = [
    ("CONTENT_VIEWS", false),
    ("PAGEVIEWS_ENRICHED", false),
    ("VIEWS_PER_REGION", true),
];

pub fn demo(flags: &ConfigFlags) -> Result<(), CommandError> {
    let dir = std::env::temp_dir().join(format!("weir-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(CommandError::io("creating the demo folder"))?;
    let queries = dir.join("demo.sql");
    std::fs::write(&queries, DEMO_QUERIES).map_err(CommandError::io("writing demo.sql"))?;
    let result = run_demo(flags, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn run_demo(flags: &ConfigFlags, dir: &std::path::Path) -> Result<(), CommandError> {
    let cluster: MockCluster<'static, DefaultProducerContext> = MockCluster::new(1)
        .map_err(|e| CommandError::Runtime(format!("starting the in-process cluster: {e}")))?;
    let bootstrap = cluster.bootstrap_servers();
    let mut flags = flags.clone();
    flags.queries = Some(dir.join("demo.sql"));
    flags.state_dir = Some(dir.join("state"));
    flags.bootstrap_servers = Some(bootstrap.clone());
    flags.threads.get_or_insert_with(|| "1".into());
    flags
        .http_listen
        .get_or_insert_with(|| "127.0.0.1:9464".into());
    let mut defaults = vec![
        "commit_interval=500ms".to_owned(),
        "log.filter=warn,weir=info".to_owned(),
    ];
    defaults.append(&mut flags.set);
    flags.set = defaults;
    let config = load_config_from(&flags, false)?;
    logging::init(&config.log);
    let shutdown = signals::install().map_err(CommandError::io("installing signal handlers"))?;
    let planned = plan::plan_file(DEMO_QUERIES, &config.service_id).map_err(|diagnostics| {
        CommandError::Sql {
            path: "queries/demo.sql".into(),
            rendered: crate::sql::render_all(&diagnostics, DEMO_QUERIES, "queries/demo.sql"),
            count: diagnostics.len(),
        }
    })?;

    let io = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(CommandError::io("starting the I/O runtime"))?;
    let metrics = Metrics::new();
    let status = Arc::new(StatusBoard::new(
        &config.service_id,
        "queries/demo.sql",
        Duration::from_secs(15),
    ));
    if let Some(addr) = config.http.listen {
        let state = HttpState {
            metrics: metrics.clone(),
            status: status.clone(),
        };
        let bound = io.block_on(http::bind(addr, state.clone(), shutdown.clone()));
        // A busy default port is no reason to fail a demo: take any free one.
        let bound = match bound {
            Ok(bound) => bound,
            Err(_) => io
                .block_on(http::bind(
                    ([127, 0, 0, 1], 0).into(),
                    state,
                    shutdown.clone(),
                ))
                .map_err(CommandError::io("binding HTTP"))?,
        };
        outln!(
            "metrics and health: http://{}/metrics /readyz /info",
            bound.0
        )?;
        io.spawn(bound.1);
    }

    let admin = MockAdmin::new(&cluster, &bootstrap)?;
    let runtime = launch::start(&config, &planned, &admin, &metrics, &status)?;
    status.set_phase(ProcessPhase::Running);
    // The printer sends once when stdout's reader has gone; the demo then stops as on Ctrl-C.
    let (reader_gone, mut output_closed) = Shutdown::manual();
    if let Err(CommandError::StdoutClosed) = outln!(
        "weir demo: {} queries running on an in-process Kafka cluster; Ctrl-C stops.",
        planned.queries.len()
    ) {
        reader_gone.send_replace(true);
    }
    let stop = Arc::new(AtomicBool::new(false));
    let feeder = demo_feed::generate(&bootstrap, stop.clone());
    let printer = demo_feed::print(&bootstrap, &SINKS, stop.clone(), reader_gone);

    let mut waiting = shutdown.clone();
    io.block_on(async {
        tokio::select! {
            () = waiting.requested() => {}
            () = output_closed.requested() => {}
        }
    });
    // Whatever became of stdout, the queries stop before the demo returns.
    let _ = outln!("stopping…");
    status.set_phase(ProcessPhase::Stopping);
    stop.store(true, Ordering::Relaxed);
    let stopped = runtime.stop(config.shutdown_timeout);
    let _ = feeder.join();
    let _ = printer.join();
    io.shutdown_timeout(Duration::from_secs(2));
    if stopped {
        unless_closed(outln!("stopped cleanly"))
    } else {
        Err(CommandError::ShutdownTimeout(config.shutdown_timeout))
    }
}

/// Topic administration on the mock cluster, whose CreateTopics request is not implemented.
struct MockAdmin<'c> {
    cluster: &'c MockCluster<'static, DefaultProducerContext>,
    metadata: BaseConsumer,
}

impl<'c> MockAdmin<'c> {
    fn new(
        cluster: &'c MockCluster<'static, DefaultProducerContext>,
        bootstrap: &str,
    ) -> Result<Self, CommandError> {
        let metadata = ClientConfig::new()
            .set("bootstrap.servers", bootstrap)
            .create()
            .map_err(|e| CommandError::Runtime(format!("connecting to the demo cluster: {e}")))?;
        Ok(MockAdmin { cluster, metadata })
    }
}

impl TopicAdmin for MockAdmin<'_> {
    fn describe(&self) -> Result<std::collections::BTreeMap<String, i32>, String> {
        let metadata = self
            .metadata
            .fetch_metadata(None, Duration::from_secs(5))
            .map_err(|e| e.to_string())?;
        Ok(metadata
            .topics()
            .iter()
            .filter(|t| t.error().is_none() && !t.partitions().is_empty())
            .map(|t| (t.name().to_owned(), t.partitions().len() as i32))
            .collect())
    }

    fn create(&self, topics: &[NewTopicSpec]) -> Result<(), String> {
        for topic in topics {
            self.cluster
                .create_topic(&topic.name, topic.partitions, 1)
                .map_err(|e| format!("creating {}: {e}", topic.name))?;
        }
        Ok(())
    }
}
