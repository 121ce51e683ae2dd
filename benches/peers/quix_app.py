"""W1 and W2 of weir's benchmark as a Quix Streams application, the peer that
`weir-bench broker ... --peers` runs over the same input topic on the same broker as weir.

- W1 (`benches/workloads/w1_filter_project.sql`): keeps the bids whose auction is not a
  multiple of 10 and writes BIDDER, PRICE_EUR = PRICE * 908 / 1000 (integer division, as
  BIGINT division in SQL) and DATE_TIME, keyed by the auction as read.
- W2 (`benches/workloads/w2_tumbling_aggregate.sql`): per auction (the record key) and
  10-second tumbling window of DATE_TIME, COUNT(*) AS BIDS and MAX(PRICE) AS MAX_PRICE, with
  the grace ksqlDB gives a window that declares none (24 hours), and every update written as
  it happens (`.current()`, the EMIT CHANGES of a table without a record cache). Each output
  is keyed by the auction's key bytes; its value is {"start", "end", "BIDS", "MAX_PRICE"}.

Processing guarantee at-least-once, Quix's defaults otherwise (RocksDB state with a changelog
topic, commits every 5 s). The input topic must report its `retention.ms` (Quix sizes its
changelog from it); the test broker describes only configs a topic was created with, so the
harness creates the inputs with `retention.ms=-1` when it runs the peers.

Run by the harness (`benches/harness/peers.rs`) with the pinned install of
`.ci/install-python-peers` on PYTHONPATH:

    python3 benches/peers/quix_app.py --bootstrap HOST:PORT --workload W2 \
        --input bids --output quix-w2 --expected N --state-dir DIR

It reads `--input` from the earliest offset and stops by itself once it has processed
`--expected` records (every input record counts, kept or not). The harness reads its CPU time
from /proc/<pid>/stat between two lines it prints on stdout: `ready Quix Streams <version>`
(imports done, the application built, just before `Application.run`) and
`done <records> late <n>` (the `--expected`-th record processed; `late` counts records Quix
dropped as late for a closed window). `first` marks the first record processed, for the wall
time.
"""

import argparse
import sys

import quixstreams
from quixstreams import Application
from quixstreams.dataframe.windows import Count, Max

GRACE_MS = 24 * 60 * 60 * 1000
WINDOW_MS = 10_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--workload", choices=["W1", "W2"], required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--expected", type=int, required=True)
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--group", default=None)
    args = parser.parse_args()

    processed = [0]
    late = [0]

    def on_processed(_topic: str, _partition: int, _offset: int) -> None:
        processed[0] += 1
        if processed[0] == 1:
            print("first", flush=True)
        if processed[0] == args.expected:
            print(f"done {processed[0]} late {late[0]}", flush=True)
            app.stop()

    app = Application(
        broker_address=args.bootstrap,
        consumer_group=args.group or f"quix-{args.workload.lower()}",
        auto_offset_reset="earliest",
        state_dir=args.state_dir,
        processing_guarantee="at-least-once",
        loglevel="WARNING",
        on_message_processed=on_processed,
    )
    source = app.topic(args.input, key_deserializer="bytes", value_deserializer="json",
                       timestamp_extractor=lambda value, _headers, _ts, _type: value["date_time"])
    sink = app.topic(args.output, key_serializer="bytes", value_serializer="json")
    sdf = app.dataframe(source)

    def on_late(*_args) -> bool:
        late[0] += 1
        return False

    if args.workload == "W1":
        sdf = sdf.filter(lambda bid: bid["auction"] % 10 != 0)
        sdf = sdf.apply(lambda bid: {
            "BIDDER": bid["bidder"],
            "PRICE_EUR": bid["price"] * 908 // 1000,
            "DATE_TIME": bid["date_time"],
        })
    else:
        sdf = (
            sdf.tumbling_window(duration_ms=WINDOW_MS, grace_ms=GRACE_MS, on_late=on_late)
            .agg(BIDS=Count(), MAX_PRICE=Max("price"))
            .current()
        )
    sdf.to_topic(sink)

    print(f"ready Quix Streams {quixstreams.__version__}", flush=True)
    app.run()
    if processed[0] < args.expected:
        print(f"stopped after {processed[0]} of {args.expected}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
