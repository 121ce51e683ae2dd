"""A transactional producer for the broker probes, run as its own process so that a test can
kill it with SIGKILL while its transaction is open.

    txn_producer.py BOOTSTRAP TRANSACTIONAL_ID TOPIC PREFIX COUNT TIMEOUT_MS (hold|commit|abort)

Initialises transactions (fencing any earlier producer of the id), begins one, produces COUNT
records PREFIX-0 .. PREFIX-(COUNT-1) to partition 0 of TOPIC, waits until the broker has them,
then: `hold` prints READY and sleeps until killed; `commit` and `abort` end the transaction,
print DONE and exit. Any failure is printed to stderr with exit code 1.
"""

import sys
import time

from confluent_kafka import Producer


def main() -> int:
    bootstrap, txn_id, topic, prefix, count, timeout_ms, mode = sys.argv[1:8]
    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "transactional.id": txn_id,
            "transaction.timeout.ms": int(timeout_ms),
            "linger.ms": 0,
        }
    )
    producer.init_transactions(30)
    producer.begin_transaction()
    for i in range(int(count)):
        producer.produce(topic, key=f"{prefix}-{i}", value=f"{prefix}-{i}", partition=0)
    remaining = producer.flush(30)
    if remaining:
        print(f"{remaining} records not delivered", file=sys.stderr)
        return 1
    if mode == "hold":
        print("READY", flush=True)
        while True:
            time.sleep(3600)
    if mode == "commit":
        producer.commit_transaction(30)
    else:
        producer.abort_transaction(30)
    print("DONE", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
