"""Confluent's own Python serializers on both ends of a weir query, for the registry-format
round trips of `tests/registry_interop.rs`.

    sr_roundtrip.py produce FORMAT BOOTSTRAP REGISTRY_URL TOPIC KEY_KIND COUNT
    sr_roundtrip.py consume FORMAT BOOTSTRAP REGISTRY_URL TOPIC KEY_KIND COUNT

FORMAT is `avro` (AvroSerializer / AvroDeserializer, schemas registered by the client) or
`protobuf` (see `sr_protobuf.py`). KEY_KIND is `primitive` (a string key) or `record`.
`produce` writes COUNT keyed records and prints each as one JSON line, normalised by
`normal()`: `{"key": …, "value": …}` (a PROTOBUF key is always a message: `{"id": …}`). `consume` reads COUNT records back from TOPIC with the
deserializers and prints them the same way, so the test compares the two outputs.
Normalisation: field names lower-cased (weir's columns are upper case), decimals as text,
dates as ISO text, timestamps as epoch milliseconds, maps with sorted keys.
"""

import datetime
import decimal
import json
import sys

from confluent_kafka import Consumer, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

VALUE = {
    "type": "record", "name": "Reading", "namespace": "interop",
    "fields": [
        {"name": "i", "type": "int"},
        {"name": "l", "type": "long"},
        {"name": "s", "type": "string"},
        {"name": "d", "type": "double"},
        {"name": "b", "type": "boolean"},
        {"name": "dec", "type": {"type": "bytes", "logicalType": "decimal",
                                 "precision": 10, "scale": 3}},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {"name": "ts", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "counts", "type": {"type": "map", "values": "long"}},
        {"name": "inner", "type": {"type": "record", "name": "Inner", "fields": [
            {"name": "label", "type": "string"},
            {"name": "weight", "type": "double"}]}},
    ],
}
KEY_RECORD = {
    "type": "record", "name": "ReadingKey", "namespace": "interop",
    "fields": [{"name": "site", "type": "string"}, {"name": "n", "type": "int"}],
}
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def reading(i):
    """The value of record `i`: every field depends on `i`, none is hard-coded downstream."""
    return {
        "i": -i, "l": 2**40 + i, "s": f"row-{i}-ü", "d": i / 4, "b": i % 2 == 0,
        "dec": (decimal.Decimal(i * 1001) / 1000).quantize(decimal.Decimal("0.001")),
        "day": datetime.date(2024, 2, 29) + datetime.timedelta(days=i),
        "ts": EPOCH + datetime.timedelta(milliseconds=1_700_000_000_123 + i),
        "tags": [f"t{j}" for j in range(i % 3)],
        "counts": {f"k{j}": j * i for j in range(i % 4)},
        "inner": {"label": f"in{i}", "weight": i * 1.5},
    }


def key(kind, i):
    return f"key-{i}" if kind == "primitive" else {"site": f"site-{i % 3}", "n": i}


def normal(value):
    if isinstance(value, dict):
        return {str(k).lower(): normal(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]).lower())}
    if isinstance(value, list):
        return [normal(v) for v in value]
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, datetime.datetime):
        return int((value - EPOCH) / datetime.timedelta(milliseconds=1))
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def produce(fmt, bootstrap, url, topic, kind, count):
    client = SchemaRegistryClient({"url": url})
    key_schema = '"string"' if kind == "primitive" else json.dumps(KEY_RECORD)
    if fmt == "avro":
        key_ser = AvroSerializer(client, key_schema)
        value_ser = AvroSerializer(client, json.dumps(VALUE))
    else:
        import sr_protobuf
        key_ser, value_ser = sr_protobuf.serializers(client, kind)
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 0})
    for i in range(count):
        k, v = key(kind, i), reading(i)
        if fmt != "avro":
            k = sr_protobuf.key_value(kind, k)
        producer.produce(
            topic,
            key=key_ser(k if fmt == "avro" else sr_protobuf.key_message(kind, k),
                        SerializationContext(topic, MessageField.KEY)),
            value=value_ser(v if fmt == "avro" else sr_protobuf.value_message(v),
                            SerializationContext(topic, MessageField.VALUE)),
        )
        print(json.dumps({"key": normal(k), "value": normal(v)}, sort_keys=True))
    if producer.flush(30) != 0:
        raise RuntimeError(f"records to {topic} not delivered")


def consume(fmt, bootstrap, url, topic, kind, count):
    client = SchemaRegistryClient({"url": url})
    if fmt == "avro":
        key_de, value_de = AvroDeserializer(client), AvroDeserializer(client)
        to_plain = lambda m: m  # noqa: E731
    else:
        import sr_protobuf
        key_de, value_de = sr_protobuf.deserializers(kind)
        to_plain = sr_protobuf.to_plain
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"interop-{topic}",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe([topic])
    seen = 0
    deadline = datetime.datetime.now() + datetime.timedelta(seconds=60)
    while seen < count and datetime.datetime.now() < deadline:
        message = consumer.poll(1.0)
        if message is None:
            continue
        if message.error():
            raise RuntimeError(str(message.error()))
        k = key_de(message.key(), SerializationContext(topic, MessageField.KEY))
        v = value_de(message.value(), SerializationContext(topic, MessageField.VALUE))
        print(json.dumps({"key": normal(to_plain(k)), "value": normal(to_plain(v))},
                         sort_keys=True))
        seen += 1
    consumer.close()
    if seen < count:
        raise RuntimeError(f"read {seen} of {count} records from {topic}")


def main() -> int:
    mode, fmt, bootstrap, url, topic = sys.argv[1:6]
    if mode == "produce":
        produce(fmt, bootstrap, url, topic, sys.argv[6], int(sys.argv[7]))
    else:
        consume(fmt, bootstrap, url, topic, sys.argv[6], int(sys.argv[7]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
