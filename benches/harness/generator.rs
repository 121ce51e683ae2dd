//! A small deterministic generator of Nexmark's three streams (person, auction, bid) in the
//! shapes of the Nexmark benchmark (field names in snake_case, as the `nexmark` crate writes
//! them), JSON-encoded. Record `i` is a pure function of `(seed, i)`, so runs repeat exactly.
//!
//! Keys are 8-byte big-endian BIGINTs (ksqlDB's KAFKA key format): bids are keyed by auction,
//! auctions by id, persons by id, so bids and auctions are co-partitioned.

/// One record to produce: topic, key, JSON value, timestamp (ms).
#[derive(Clone, Debug)]
pub struct Event {
    pub topic: &'static str,
    pub key: Vec<u8>,
    pub value: Vec<u8>,
    pub timestamp: i64,
}

const CHANNELS: [&str; 4] = ["apple", "google", "facebook", "baidu"];
const CITIES: [&str; 6] = ["Phoenix", "Seattle", "Kent", "Boise", "Portland", "Bend"];
const STATES: [&str; 5] = ["AZ", "WA", "ID", "OR", "CA"];
const FIRST_NAMES: [&str; 6] = ["Peter", "Paul", "Luke", "John", "Saul", "Vicky"];
const LAST_NAMES: [&str; 6] = ["Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton"];

/// splitmix64: a tiny, good-enough mixer so each field is a pure function of its index.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Draws for record `i` of stream `stream`.
struct Draws {
    state: u64,
}

impl Draws {
    fn new(seed: u64, stream: u64, i: u64) -> Draws {
        Draws {
            state: mix(seed ^ mix(stream.wrapping_mul(0x1000_0000_01b3) ^ i)),
        }
    }

    fn next(&mut self, bound: u64) -> u64 {
        self.state = mix(self.state);
        self.state % bound.max(1)
    }
}

/// Generates the streams: `auctions` auctions that bids refer to, timestamps from `base_ms`.
#[derive(Clone, Debug)]
pub struct Generator {
    pub seed: u64,
    pub auctions: u64,
    pub base_ms: i64,
}

impl Generator {
    pub fn new(auctions: u64, base_ms: i64) -> Generator {
        Generator {
            seed: 42,
            auctions: auctions.max(1),
            base_ms,
        }
    }

    /// Bid `i`: on one of the generator's auctions, one millisecond after bid `i - 1`.
    pub fn bid(&self, i: u64) -> Event {
        let mut d = Draws::new(self.seed, 3, i);
        let auction = 1000 + d.next(self.auctions);
        let bidder = 1000 + d.next(self.auctions * 10);
        self.bid_with(i, auction, bidder, self.base_ms + i as i64)
    }

    /// Bid `i` by bidder `i` (every bid a new bidder): for the 1M-key restore workload.
    pub fn bid_by_new_bidder(&self, i: u64) -> Event {
        let mut d = Draws::new(self.seed, 3, i);
        let auction = 1000 + d.next(self.auctions);
        self.bid_with(i, auction, 1_000_000 + i, self.base_ms + i as i64)
    }

    /// A bid on one of the generator's auctions at `timestamp` (for fixed-rate latency runs).
    pub fn bid_at(&self, i: u64, timestamp: i64) -> Event {
        let mut d = Draws::new(self.seed, 3, i);
        let auction = 1000 + d.next(self.auctions);
        let bidder = 1000 + d.next(self.auctions * 10);
        self.bid_with(i, auction, bidder, timestamp)
    }

    fn bid_with(&self, i: u64, auction: u64, bidder: u64, timestamp: i64) -> Event {
        let mut d = Draws::new(self.seed, 4, i);
        let price = 100 + d.next(10_000_000);
        let channel = CHANNELS[d.next(CHANNELS.len() as u64) as usize];
        let url = format!(
            "https://www.nexmark.com/{}/item.htm?query=1&channel_id={}",
            channel,
            d.next(1 << 20)
        );
        let value = format!(
            r#"{{"auction":{auction},"bidder":{bidder},"price":{price},"channel":"{channel}","url":"{url}","date_time":{timestamp},"extra":""}}"#
        );
        Event {
            topic: "bids",
            key: (auction as i64).to_be_bytes().to_vec(),
            value: value.into_bytes(),
            timestamp,
        }
    }

    /// Auction number `n` (id `1000 + n`), starting before any bid.
    pub fn auction(&self, n: u64) -> Event {
        let mut d = Draws::new(self.seed, 2, n);
        let id = 1000 + n;
        let timestamp = self.base_ms - 1_000_000 + n as i64 % 1_000_000;
        let initial = 100 + d.next(10_000);
        let reserve = initial + d.next(100_000);
        let seller = 1000 + d.next(self.auctions / 3 + 1);
        let category = 10 + d.next(5);
        let expires = timestamp + 3_600_000 + d.next(7_200_000) as i64;
        let value = format!(
            r#"{{"id":{id},"item_name":"item-{n}","description":"lot {n} of the day","initial_bid":{initial},"reserve":{reserve},"date_time":{timestamp},"expires":{expires},"seller":{seller},"category":{category},"extra":""}}"#
        );
        Event {
            topic: "auctions",
            key: (id as i64).to_be_bytes().to_vec(),
            value: value.into_bytes(),
            timestamp,
        }
    }

    /// Person number `n` (id `1000 + n`).
    pub fn person(&self, n: u64) -> Event {
        let mut d = Draws::new(self.seed, 1, n);
        let id = 1000 + n;
        let first = FIRST_NAMES[d.next(FIRST_NAMES.len() as u64) as usize];
        let last = LAST_NAMES[d.next(LAST_NAMES.len() as u64) as usize];
        let city = CITIES[d.next(CITIES.len() as u64) as usize];
        let state = STATES[d.next(STATES.len() as u64) as usize];
        let card = d.next(10_000_000_000_000_000);
        let timestamp = self.base_ms - 2_000_000 + n as i64 % 1_000_000;
        let value = format!(
            r#"{{"id":{id},"name":"{first} {last}","email_address":"{first}{n}@example.com","credit_card":"{card:016}","city":"{city}","state":"{state}","date_time":{timestamp},"extra":""}}"#
        );
        Event {
            topic: "persons",
            key: (id as i64).to_be_bytes().to_vec(),
            value: value.into_bytes(),
            timestamp,
        }
    }
}
