"""A consumer group member for the broker probes, run as its own process so that a test can
kill it with SIGKILL and watch the group move its partitions.

    group_member.py BOOTSTRAP GROUP TOPIC SESSION_TIMEOUT_MS

Subscribes, prints ASSIGNED <partitions> after every assignment, and polls until killed.
"""

import sys

from confluent_kafka import Consumer


def main() -> int:
    bootstrap, group, topic, session_timeout_ms = sys.argv[1:5]
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": group,
            "session.timeout.ms": int(session_timeout_ms),
            "heartbeat.interval.ms": 500,
            "partition.assignment.strategy": "range",
            "enable.auto.commit": False,
        }
    )

    def on_assign(_consumer, partitions):
        numbers = ",".join(str(p.partition) for p in partitions)
        print(f"ASSIGNED {numbers}", flush=True)

    consumer.subscribe([topic], on_assign=on_assign)
    while True:
        consumer.poll(0.2)


if __name__ == "__main__":
    sys.exit(main())
