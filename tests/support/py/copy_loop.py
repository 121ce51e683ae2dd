"""The control of the chaos suite: a plain consume -> produce -> send_offsets_to_transaction
-> commit loop written with the ecosystem's own client, run and killed exactly like weir's
replicas. If its output is exact and weir's is not, the defect is weir's; if both are off, the
broker's.

    copy_loop.py BOOTSTRAP TRANSACTIONAL_ID INPUT OUTPUT GROUP

Copies every record of INPUT to OUTPUT (same key and value) in transactions of 0.5 s that
also carry the consumed offsets. Partitions being revoked are committed first. Runs until
killed; a fatal error exits with status 1 (the harness starts it again), and a transactional
call still blocked well past its own time-out exits with status 3: librdkafka can wait for
ever in send_offsets_to_transaction once the group coordinator's connection was lost
(librdkafka issues 5456 and 5511, open), and a hung control would read as lost records.
Assigned partitions start from committed offsets it asks for itself, as weir's do.
Says on standard error what it was given in each rebalance, and every 20 s how far it has
copied, so that a stalled control can be told from an idle one in the suite's log.
"""

import contextlib
import os
import sys
import threading
import time

from confluent_kafka import Consumer, KafkaException, Producer


CALL_TIMEOUT = 60
# How long past CALL_TIMEOUT a transactional call may block before the loop gives up on it.
HUNG_AFTER = CALL_TIMEOUT + 30


@contextlib.contextmanager
def exit_if_hung(call):
    """Ends the process (status 3) if the block is still running after HUNG_AFTER seconds:
    what a supervisor does to a hung client, and the same as a kill -9 to the transaction."""

    def give_up():
        print(
            f"copy_loop: {call} still blocked after {HUNG_AFTER} s (its time-out is"
            f" {CALL_TIMEOUT} s); exiting so that the harness restarts the loop",
            file=sys.stderr,
            flush=True,
        )
        os._exit(3)

    timer = threading.Timer(HUNG_AFTER, give_up)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


def main() -> int:
    bootstrap, txn_id, source, sink, group = sys.argv[1:6]
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": group,
            "isolation.level": "read_committed",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "session.timeout.ms": 6000,
            "heartbeat.interval.ms": 500,
            "partition.assignment.strategy": "range",
        }
    )
    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "transactional.id": txn_id,
            "transaction.timeout.ms": 10000,
            "linger.ms": 5,
        }
    )
    producer.init_transactions(60)
    producer.begin_transaction()

    def commit(partitions):
        positions = [
            tp for tp in consumer.position(partitions) if tp.offset >= 0
        ]
        if positions:
            with exit_if_hung("send_offsets_to_transaction"):
                producer.send_offsets_to_transaction(
                    positions, consumer.consumer_group_metadata(), CALL_TIMEOUT
                )
        with exit_if_hung("commit_transaction"):
            producer.commit_transaction(CALL_TIMEOUT)
        producer.begin_transaction()

    def say(what):
        print(f"copy_loop {txn_id}: {what}", file=sys.stderr, flush=True)

    def on_assign(consumer, partitions):
        say(f"assigned {sorted(tp.partition for tp in partitions)}")
        # Start from the committed offsets asked for here, as weir does: librdkafka's own
        # fetch starts a partition whose offsets an open transaction holds from
        # auto.offset.reset when the assignment changes while it waits (see weir's
        # runtime/positions.rs).
        while True:
            try:
                starts = consumer.committed(partitions, timeout=5)
            except KafkaException as error:
                say(f"waiting for committed offsets: {error}")
                continue
            unstable = [tp for tp in starts if tp.error is not None]
            if not unstable:
                break
            say(f"waiting for committed offsets: {unstable[0].error}")
        consumer.assign(starts)

    def on_revoke(_consumer, partitions):
        say(f"revoked {sorted(tp.partition for tp in partitions)}")
        commit(partitions)

    consumer.subscribe([source], on_assign=on_assign, on_revoke=on_revoke)
    last = time.monotonic()
    last_status = last
    copied = 0
    while True:
        message = consumer.poll(0.1)
        if message is not None:
            if message.error() is None:
                producer.produce(sink, key=message.key(), value=message.value())
                copied += 1
            else:
                say(f"consumer error {message.error()}")
        now = time.monotonic()
        if now - last >= 0.5:
            commit(consumer.assignment())
            last = time.monotonic()
        if now - last_status >= 20:
            positions = consumer.position(consumer.assignment())
            say(
                f"copied {copied} in 20 s; positions "
                + str(sorted((tp.partition, tp.offset) for tp in positions))
            )
            copied = 0
            last_status = now


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as error:  # noqa: BLE001 - any failure ends the loop; the harness revives it
        print(f"copy_loop: {type(error).__name__}: {error}", file=sys.stderr, flush=True)
        sys.exit(1)
