//! The benchmark workloads: each names its queries file under `benches/workloads/`, its
//! processing guarantee, the inputs it reads and the sink whose output latency is timed.

use std::path::PathBuf;

use super::generator::{Event, Generator};
use super::registry_formats::ValueFormat;

/// Which records a workload reads.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Inputs {
    /// Only bids.
    Bids,
    /// All auctions first (the join's table), then the bids.
    AuctionsThenBids,
    /// Bids from a new bidder each (the 1M-key restore aggregate).
    BidsByNewBidders,
}

/// One workload.
#[derive(Clone, Debug)]
pub struct Workload {
    /// Short id: W1 … W5, RESTORE.
    pub id: &'static str,
    pub title: &'static str,
    /// File name under `benches/workloads/`.
    pub file: &'static str,
    /// `processing_guarantee` for `weir run`.
    pub guarantee: &'static str,
    pub inputs: Inputs,
    /// Queries in the file that read the bids (each consumes every bid).
    pub queries: u64,
    /// The sink topic whose records the latency phase times.
    pub sink: &'static str,
    /// The sources' value format: the file's JSON, or a Schema Registry format in its place.
    pub value_format: ValueFormat,
    /// Size of the sink's tumbling windows (ms) when its final windows are checked against
    /// the input ([`windows`](super::windows)): W2 and W4.
    pub window_ms: Option<i64>,
}

/// W1–W5, in report order.
pub fn all() -> Vec<Workload> {
    vec![
        Workload {
            id: "W1",
            title: "filter + projection (q1/q2)",
            file: "w1_filter_project.sql",
            guarantee: "at_least_once",
            inputs: Inputs::Bids,
            queries: 1,
            sink: "BIDS_EUR",
            value_format: ValueFormat::Json,
            window_ms: None,
        },
        Workload {
            id: "W2",
            title: "tumbling-window aggregate by key (q5/q7)",
            file: "w2_tumbling_aggregate.sql",
            guarantee: "at_least_once",
            inputs: Inputs::Bids,
            queries: 1,
            sink: "AUCTION_WINDOW_STATS",
            value_format: ValueFormat::Json,
            window_ms: Some(10_000),
        },
        Workload {
            id: "W3",
            title: "stream-table join bids x auctions",
            file: "w3_stream_table_join.sql",
            guarantee: "at_least_once",
            inputs: Inputs::AuctionsThenBids,
            queries: 1,
            sink: "BIDS_ENRICHED",
            value_format: ValueFormat::Json,
            window_ms: None,
        },
        Workload {
            id: "W4",
            title: "W2 under exactly_once_v2",
            file: "w2_tumbling_aggregate.sql",
            guarantee: "exactly_once_v2",
            inputs: Inputs::Bids,
            queries: 1,
            sink: "AUCTION_WINDOW_STATS",
            value_format: ValueFormat::Json,
            window_ms: Some(10_000),
        },
        Workload {
            id: "W5",
            title: "ten queries on one daemon",
            file: "w5_ten_queries.sql",
            guarantee: "at_least_once",
            inputs: Inputs::Bids,
            queries: 10,
            sink: "Q01_BIDS_EUR",
            value_format: ValueFormat::Json,
            window_ms: None,
        },
    ]
}

/// W1 with its bids in AVRO and in PROTOBUF behind a Schema Registry (engine only).
pub fn registry_variants() -> Vec<Workload> {
    let w1 = all().into_iter().next().expect("W1 is the first workload");
    [
        ("W1-AVRO", "W1 with AVRO values", ValueFormat::Avro),
        (
            "W1-PROTOBUF",
            "W1 with PROTOBUF values",
            ValueFormat::Protobuf,
        ),
    ]
    .into_iter()
    .map(|(id, title, value_format)| Workload {
        id,
        title,
        value_format,
        ..w1.clone()
    })
    .collect()
}

/// The restore workload: a per-bidder aggregate over bids from distinct bidders.
pub fn restore() -> Workload {
    Workload {
        id: "RESTORE",
        title: "restore a per-key aggregate from its changelog",
        file: "restore_1m_keys.sql",
        guarantee: "at_least_once",
        inputs: Inputs::BidsByNewBidders,
        queries: 1,
        sink: "BIDDER_TOTALS",
        value_format: ValueFormat::Json,
        window_ms: None,
    }
}

/// `benches/workloads/`, found from the crate root.
pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/workloads")
}

impl Workload {
    /// The queries file's text, with the value format of its sources replaced for the
    /// Schema Registry variants.
    pub fn sql(&self) -> Result<String, String> {
        let path = dir().join(self.file);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("reading {}: {e}", path.display()))?;
        if self.value_format == ValueFormat::Json {
            return Ok(text);
        }
        const JSON: &str = "VALUE_FORMAT='JSON'";
        if !text.contains(JSON) {
            return Err(format!("{} declares no {JSON} to replace", path.display()));
        }
        Ok(text.replace(
            JSON,
            &format!("VALUE_FORMAT='{}'", self.value_format.name()),
        ))
    }

    /// Auctions the bids refer to for `bids` bids (Nexmark's 1 auction per ~15 bids, at least 100).
    pub fn auctions_for(bids: u64) -> u64 {
        (bids / 15).max(100)
    }

    /// The generator for a run of `bids` bids with timestamps from `base_ms`.
    pub fn generator(bids: u64, base_ms: i64) -> Generator {
        Generator::new(Self::auctions_for(bids), base_ms)
    }

    /// Every input record of a run of `bids` bids, in produce order.
    pub fn events(&self, bids: u64, base_ms: i64) -> Vec<Event> {
        let g = Self::generator(bids, base_ms);
        let mut events = Vec::new();
        if self.inputs == Inputs::AuctionsThenBids {
            events.extend((0..g.auctions).map(|n| g.auction(n)));
        }
        match self.inputs {
            Inputs::BidsByNewBidders => events.extend((0..bids).map(|i| g.bid_by_new_bidder(i))),
            _ => events.extend((0..bids).map(|i| g.bid(i))),
        }
        events
    }

    /// Input topics: (name, records of a run of `bids` bids).
    pub fn topics(&self, bids: u64) -> Vec<(&'static str, u64)> {
        match self.inputs {
            Inputs::AuctionsThenBids => {
                vec![("auctions", Self::auctions_for(bids)), ("bids", bids)]
            }
            _ => vec![("bids", bids)],
        }
    }
}
