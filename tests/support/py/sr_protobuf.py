"""The PROTOBUF half of `sr_roundtrip.py`: message classes built as descriptors (Python's
protobuf cannot read `.proto` text without protoc), the `.proto` text registered for them, and
conversions between messages and the plain values `sr_roundtrip.reading` makes.

Producing: Confluent's ProtobufSerializer registers base64 FileDescriptorProtos, which
rivven-schema refuses (see `tests/registry_probes.rs`), so, as `sr_produce.py` does, the
`.proto` text is registered under `<topic>-key|value` with the client and each record is
framed with the client's own code (`SchemaId.id_to_bytes`, the message indexes from the
descriptor). Consuming: Confluent's ProtobufDeserializer, without a registry client (with
one it would fetch schemas in the `serialized` format rivven does not serve); it reads the
framing and decodes with the message class given. ksqlDB numbers a derived schema's fields
1, 2, … in column order, and the input messages are numbered the same way, so the input
classes also read what weir writes.
"""

import datetime

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf import timestamp_pb2, wrappers_pb2  # noqa: F401 (registers the files)
from google.type import date_pb2  # noqa: F401
from confluent_kafka.schema_registry import Schema
from confluent_kafka.schema_registry.common.protobuf import _create_index_array
from confluent_kafka.schema_registry.common.serde import SchemaId
from confluent_kafka.schema_registry.confluent.type import decimal_pb2  # noqa: F401
from confluent_kafka.schema_registry.confluent.type.decimal_utils import (
    from_proto_decimal, to_proto_decimal)
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer

F = descriptor_pb2.FieldDescriptorProto
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)

VALUE_PROTO = """syntax = "proto3";
package interop;

import "google/protobuf/timestamp.proto";
import "google/protobuf/wrappers.proto";
import "google/type/date.proto";
import "confluent/type/decimal.proto";
import "confluent/meta.proto";

message Reading {
  int32 i = 1;
  int64 l = 2;
  google.protobuf.StringValue s = 3;
  double d = 4;
  bool b = 5;
  confluent.type.Decimal dec = 6 [(confluent.field_meta) = { params: [{ key: "precision", value: "10" }, { key: "scale", value: "3" }] }];
  google.type.Date day = 7;
  google.protobuf.Timestamp ts = 8;
  repeated string tags = 9;
  map<string, int64> counts = 10;
  Inner inner = 11;

  message Inner {
    string label = 1;
    double weight = 2;
  }
}
"""
KEY_PROTO = {
    "primitive": 'syntax = "proto3";\npackage interop;\n\nmessage Key {\n  string id = 1;\n}\n',
    "record": 'syntax = "proto3";\npackage interop;\n\nmessage Key {\n  string site = 1;\n'
              '  int32 n = 2;\n}\n',
}
_CLASSES = {}


def _field(message, name, number, kind, label=F.LABEL_OPTIONAL, type_name=None):
    f = message.field.add(name=name, number=number, type=kind, label=label)
    if type_name:
        f.type_name = type_name


def _value_class():
    if "value" in _CLASSES:
        return _CLASSES["value"]
    file = descriptor_pb2.FileDescriptorProto(name="interop_value.proto", package="interop",
                                              syntax="proto3")
    file.dependency.extend(["google/protobuf/timestamp.proto", "google/protobuf/wrappers.proto",
                            "google/type/date.proto", "confluent/type/decimal.proto"])
    m = file.message_type.add(name="Reading")
    inner = m.nested_type.add(name="Inner")
    _field(inner, "label", 1, F.TYPE_STRING)
    _field(inner, "weight", 2, F.TYPE_DOUBLE)
    entry = m.nested_type.add(name="CountsEntry")
    entry.options.map_entry = True
    _field(entry, "key", 1, F.TYPE_STRING)
    _field(entry, "value", 2, F.TYPE_INT64)
    msg = F.TYPE_MESSAGE
    _field(m, "i", 1, F.TYPE_INT32)
    _field(m, "l", 2, F.TYPE_INT64)
    _field(m, "s", 3, msg, type_name=".google.protobuf.StringValue")
    _field(m, "d", 4, F.TYPE_DOUBLE)
    _field(m, "b", 5, F.TYPE_BOOL)
    _field(m, "dec", 6, msg, type_name=".confluent.type.Decimal")
    _field(m, "day", 7, msg, type_name=".google.type.Date")
    _field(m, "ts", 8, msg, type_name=".google.protobuf.Timestamp")
    _field(m, "tags", 9, F.TYPE_STRING, F.LABEL_REPEATED)
    _field(m, "counts", 10, msg, F.LABEL_REPEATED, ".interop.Reading.CountsEntry")
    _field(m, "inner", 11, msg, type_name=".interop.Reading.Inner")
    pool = descriptor_pool.Default()
    pool.Add(file)
    cls = message_factory.GetMessageClass(pool.FindMessageTypeByName("interop.Reading"))
    _CLASSES["value"] = cls
    return cls


def _key_class(kind):
    if kind in _CLASSES:
        return _CLASSES[kind]
    file = descriptor_pb2.FileDescriptorProto(name=f"interop_key_{kind}.proto",
                                              package=f"interop.{kind}", syntax="proto3")
    m = file.message_type.add(name="Key")
    if kind == "primitive":
        _field(m, "id", 1, F.TYPE_STRING)
    else:
        _field(m, "site", 1, F.TYPE_STRING)
        _field(m, "n", 2, F.TYPE_INT32)
    pool = descriptor_pool.Default()
    pool.Add(file)
    cls = message_factory.GetMessageClass(pool.FindMessageTypeByName(f"interop.{kind}.Key"))
    _CLASSES[kind] = cls
    return cls


def key_value(kind, key):
    """The plain key a PROTOBUF key carries: always a message (ksqlDB cannot unwrap it)."""
    return {"id": key} if kind == "primitive" else key


def key_message(kind, key):
    return _key_class(kind)(**key)


def value_message(v):
    m = _value_class()()
    m.i, m.l, m.d, m.b = v["i"], v["l"], v["d"], v["b"]
    m.s.value = v["s"]
    m.dec.CopyFrom(to_proto_decimal(v["dec"]))
    m.day.year, m.day.month, m.day.day = v["day"].year, v["day"].month, v["day"].day
    m.ts.FromDatetime(v["ts"])
    m.tags.extend(v["tags"])
    for k, n in v["counts"].items():
        m.counts[k] = n
    m.inner.label, m.inner.weight = v["inner"]["label"], v["inner"]["weight"]
    return m


def _framing(client, subject, text, descriptor):
    schema_id = client.register_schema(subject, Schema(text, "PROTOBUF"))
    return SchemaId("PROTOBUF", schema_id, None, _create_index_array(descriptor)).id_to_bytes()


def serializers(client, kind):
    """(key serializer, value serializer) registering the `.proto` texts on first use."""
    headers = {}

    def make(name, text, cls):
        def serialize(message, ctx):
            subject = f"{ctx.topic}-{name}"
            if subject not in headers:
                headers[subject] = _framing(client, subject, text, cls.DESCRIPTOR)
            return headers[subject] + message.SerializeToString()
        return serialize

    return make("key", KEY_PROTO[kind], _key_class(kind)), make("value", VALUE_PROTO,
                                                                 _value_class())


def deserializers(kind):
    conf = {"use.deprecated.format": False}
    return (ProtobufDeserializer(_key_class(kind), conf),
            ProtobufDeserializer(_value_class(), conf))


def to_plain(message):
    """A message as the plain values `reading()` makes (every field, defaults included)."""
    name = message.DESCRIPTOR.full_name
    if name == "google.protobuf.Timestamp":
        return EPOCH + datetime.timedelta(seconds=message.seconds, microseconds=message.nanos // 1000)
    if name == "google.type.Date":
        return datetime.date(message.year, message.month, message.day)
    if name == "confluent.type.Decimal":
        return from_proto_decimal(message)
    if name == "google.protobuf.StringValue":
        return message.value
    out = {}
    for field in message.DESCRIPTOR.fields:
        value = getattr(message, field.name)
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            out[field.name] = {k: (to_plain(v) if hasattr(v, "DESCRIPTOR") else v)
                               for k, v in value.items()}
        elif field.is_repeated:
            out[field.name] = [to_plain(v) if hasattr(v, "DESCRIPTOR") else v for v in value]
        elif field.message_type is not None:
            out[field.name] = to_plain(value)
        else:
            out[field.name] = value
    return out
