"""Writes one keyed record per Schema Registry format with Confluent's own serializers, the
independent producer of weir's registry-format tests.

    sr_produce.py BOOTSTRAP REGISTRY_URL TOPIC_PREFIX

For AVRO and JSON_SR: AvroSerializer and JSONSerializer register the key and value schemas
(subjects `<topic>-key`, `<topic>-value`) and serialize {"id": 5} keyed by "k1"; the records
go to `<prefix>-avro` and `<prefix>-json`. For PROTOBUF: the ProtobufSerializer is tried first;
it registers schemas as base64 FileDescriptorProtos, which rivven-schema refuses (it parses
only `.proto` text), so the script then registers the `.proto` text itself and frames the
message with the client's own framing code (`SchemaId.id_to_bytes`, the message indexes from
the descriptor), topic `<prefix>-protobuf`. Prints `<format> <value schema id>` per format
and `protobuf-serializer <outcome>`; any other failure exits 1.
"""

import sys

from confluent_kafka import Producer
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.schema_registry.common.protobuf import _create_index_array
from confluent_kafka.schema_registry.common.serde import SchemaId
from confluent_kafka.schema_registry.json_schema import JSONSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext, StringSerializer

from proto_witness import build

AVRO = '{"type":"record","name":"Order","namespace":"weirtest","fields":[{"name":"id","type":"long"}]}'
JSON = '{"type":"object","properties":{"id":{"type":"integer"}},"required":["id"]}'
# The `.proto` text of the Witness message's first two fields, for the registry.
PROTO = 'syntax = "proto3";\npackage weirtest;\n\nmessage Witness {\n  int32 i32 = 1;\n  int64 i64 = 2;\n}\n'


def main() -> int:
    bootstrap, url, prefix = sys.argv[1:4]
    client = SchemaRegistryClient({"url": url})
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 0})
    key = StringSerializer()

    def send(topic, value):
        producer.produce(topic, key=key("k1"), value=value)
        if producer.flush(30) != 0:
            raise RuntimeError(f"record to {topic} not delivered")

    def value_id(topic):
        return client.get_latest_version(f"{topic}-value").schema_id

    topic = f"{prefix}-avro"
    avro = AvroSerializer(client, AVRO)
    send(topic, avro({"id": 5}, SerializationContext(topic, MessageField.VALUE)))
    print("avro", value_id(topic))

    topic = f"{prefix}-json"
    json_sr = JSONSerializer(JSON, client)
    send(topic, json_sr({"id": 5}, SerializationContext(topic, MessageField.VALUE)))
    print("json", value_id(topic))

    topic = f"{prefix}-protobuf"
    witness = build()
    message = witness(i32=5, i64=-6)
    context = SerializationContext(topic, MessageField.VALUE)
    try:
        ProtobufSerializer(witness, client)(message, context)
        print("protobuf-serializer accepted")
    except Exception as e:  # noqa: BLE001 (the outcome is what the probe reports)
        print("protobuf-serializer refused", str(e).replace("\n", " "))
    schema_id = client.register_schema(f"{topic}-value", Schema(PROTO, "PROTOBUF"))
    header = SchemaId("PROTOBUF", schema_id, None, _create_index_array(witness.DESCRIPTOR))
    send(topic, header.id_to_bytes() + message.SerializeToString())
    print("protobuf", schema_id)
    return 0


if __name__ == "__main__":
    sys.exit(main())
