"""Confluent's JSON Schema serializers as the independent producer and consumer of weir's
JSON_SR round trip (tests/registry_interop_json.rs).

    sr_json_roundtrip.py produce BOOTSTRAP REGISTRY_URL TOPIC KEY_SCHEMA VALUE_SCHEMA < records
    sr_json_roundtrip.py consume BOOTSTRAP REGISTRY_URL TOPIC COUNT TIMEOUT_SECS

produce: reads one JSON object {"key": ..., "value": ...} per stdin line and writes it with
JSONSerializer for key and value (which registers the schemas under `<topic>-key` and
`<topic>-value`); prints `produced N`.
consume: reads TOPIC from the start with JSONDeserializer for key and value (the writer's
schema fetched by the id in each frame, and the payload validated against it), and prints one
JSON object {"key": ..., "value": ...} per record until COUNT records or the timeout; exits 1
on a timeout.
"""

import json
import sys
import time
import uuid

from confluent_kafka import Consumer, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext


def produce(bootstrap, url, topic, key_schema, value_schema):
    client = SchemaRegistryClient({"url": url})
    keys = JSONSerializer(key_schema, client)
    values = JSONSerializer(value_schema, client)
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 0})
    count = 0
    for line in sys.stdin:
        if not line.strip():
            continue
        record = json.loads(line)
        producer.produce(
            topic,
            key=keys(record["key"], SerializationContext(topic, MessageField.KEY)),
            value=values(record["value"], SerializationContext(topic, MessageField.VALUE)),
        )
        count += 1
    if producer.flush(30) != 0:
        raise RuntimeError(f"records to {topic} not delivered")
    print("produced", count)
    return 0


def consume(bootstrap, url, topic, count, timeout):
    client = SchemaRegistryClient({"url": url})
    keys = JSONDeserializer(None, schema_registry_client=client)
    values = JSONDeserializer(None, schema_registry_client=client)
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": f"sr-json-{uuid.uuid4()}",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
    })
    consumer.subscribe([topic])
    seen = 0
    deadline = time.monotonic() + timeout
    try:
        while seen < count and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None:
                continue
            if message.error():
                raise RuntimeError(str(message.error()))
            key = keys(message.key(), SerializationContext(topic, MessageField.KEY))
            value = values(message.value(), SerializationContext(topic, MessageField.VALUE))
            print(json.dumps({"key": key, "value": value}, sort_keys=True))
            seen += 1
    finally:
        consumer.close()
    if seen < count:
        print(f"only {seen} of {count} records in {timeout}s", file=sys.stderr)
        return 1
    return 0


def main() -> int:
    mode, bootstrap, url, topic = sys.argv[1:5]
    if mode == "produce":
        return produce(bootstrap, url, topic, sys.argv[5], sys.argv[6])
    if mode == "consume":
        return consume(bootstrap, url, topic, int(sys.argv[5]), float(sys.argv[6]))
    print(f"unknown mode {mode}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
