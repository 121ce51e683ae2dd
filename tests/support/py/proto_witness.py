"""Encodes one fixed `weirtest.Witness` message with Google's `protobuf` package (the
independent encoder of weir's PROTOBUF codec tests) and prints its bytes as hex.

    proto_witness.py

The schema is the one in `src/format/protobuf/python_tests.rs`, built here as a descriptor
(Python's protobuf cannot read `.proto` text without protoc). The well-known types come from
the packages that define them: protobuf (Timestamp, wrappers), googleapis-common-protos
(google.type.Date, TimeOfDay) and confluent-kafka (confluent.type.Decimal and its
conversion from Python's Decimal).
"""

import decimal
import sys

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf import timestamp_pb2, wrappers_pb2  # noqa: F401 (registers the files)
from google.type import date_pb2, timeofday_pb2  # noqa: F401
from confluent_kafka.schema_registry.confluent.type import decimal_pb2  # noqa: F401
from confluent_kafka.schema_registry.confluent.type.decimal_utils import to_proto_decimal

F = descriptor_pb2.FieldDescriptorProto


def field(message, name, number, kind, label=F.LABEL_OPTIONAL, type_name=None, oneof=None,
          packed=None):
    f = message.field.add(name=name, number=number, type=kind, label=label)
    if type_name:
        f.type_name = type_name
    if oneof is not None:
        f.oneof_index = oneof
    if packed is not None:
        f.options.packed = packed
    return f


def build():
    file = descriptor_pb2.FileDescriptorProto(name="witness.proto", package="weirtest",
                                              syntax="proto3")
    file.dependency.extend([
        "google/protobuf/timestamp.proto", "google/protobuf/wrappers.proto",
        "google/type/date.proto", "google/type/timeofday.proto",
        "confluent/type/decimal.proto",
    ])
    m = file.message_type.add(name="Witness")
    suit = m.enum_type.add(name="Suit")
    suit.value.add(name="SPADES", number=0)
    suit.value.add(name="HEARTS", number=1)
    inner = m.nested_type.add(name="Inner")
    field(inner, "label", 1, F.TYPE_STRING)
    field(inner, "xs", 2, F.TYPE_DOUBLE, F.LABEL_REPEATED)
    entry = m.nested_type.add(name="CountsEntry")
    entry.options.map_entry = True
    field(entry, "key", 1, F.TYPE_STRING)
    field(entry, "value", 2, F.TYPE_INT64)
    m.oneof_decl.add(name="choice")
    rep = F.LABEL_REPEATED
    for name, number, kind in [
        ("i32", 1, F.TYPE_INT32), ("i64", 2, F.TYPE_INT64), ("u32", 3, F.TYPE_UINT32),
        ("u64", 4, F.TYPE_UINT64), ("s32", 5, F.TYPE_SINT32), ("s64", 6, F.TYPE_SINT64),
        ("f32", 7, F.TYPE_FIXED32), ("f64", 8, F.TYPE_FIXED64), ("sf32", 9, F.TYPE_SFIXED32),
        ("sf64", 10, F.TYPE_SFIXED64), ("fl", 11, F.TYPE_FLOAT), ("db", 12, F.TYPE_DOUBLE),
        ("b", 13, F.TYPE_BOOL), ("s", 14, F.TYPE_STRING), ("by", 15, F.TYPE_BYTES),
    ]:
        field(m, name, number, kind)
    field(m, "suit", 16, F.TYPE_ENUM, type_name=".weirtest.Witness.Suit")
    field(m, "packed", 17, F.TYPE_INT32, rep)
    field(m, "unpacked", 18, F.TYPE_SINT64, rep, packed=False)
    field(m, "words", 19, F.TYPE_STRING, rep)
    field(m, "counts", 20, F.TYPE_MESSAGE, rep, ".weirtest.Witness.CountsEntry")
    field(m, "inner", 21, F.TYPE_MESSAGE, type_name=".weirtest.Witness.Inner")
    field(m, "inners", 22, F.TYPE_MESSAGE, rep, ".weirtest.Witness.Inner")
    field(m, "name", 23, F.TYPE_STRING, oneof=0)
    field(m, "number", 24, F.TYPE_INT32, oneof=0)
    field(m, "ws", 25, F.TYPE_MESSAGE, type_name=".google.protobuf.StringValue")
    field(m, "wl", 26, F.TYPE_MESSAGE, type_name=".google.protobuf.Int64Value")
    field(m, "ts", 27, F.TYPE_MESSAGE, type_name=".google.protobuf.Timestamp")
    field(m, "day", 28, F.TYPE_MESSAGE, type_name=".google.type.Date")
    field(m, "tod", 29, F.TYPE_MESSAGE, type_name=".google.type.TimeOfDay")
    field(m, "dec", 30, F.TYPE_MESSAGE, type_name=".confluent.type.Decimal")
    pool = descriptor_pool.Default()
    pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("weirtest.Witness"))


def main() -> int:
    witness = build()()
    witness.i32 = -2
    witness.i64 = -(2**63)
    witness.u32 = 2**32 - 1
    witness.u64 = 2**64 - 1
    witness.s32 = -(2**31)
    witness.s64 = 2**63 - 1
    witness.f32 = 4000000000
    witness.f64 = 2**64 - 2
    witness.sf32 = -7
    witness.sf64 = -8
    witness.fl = 1.5
    witness.db = -2.25
    witness.b = True
    witness.s = "grüße"
    witness.by = b"\x00\xff"
    witness.suit = 1
    witness.packed.extend([3, 270, 86942])
    witness.unpacked.extend([-1, 1])
    witness.words.extend(["a", ""])
    witness.counts["k"] = 5
    witness.inner.label = "in"
    witness.inner.xs.extend([0.5])
    witness.inners.add(label="x")
    witness.inners.add()
    witness.number = 0  # a oneof set to its default is still present
    witness.ws.value = ""
    witness.ts.seconds = -1
    witness.ts.nanos = 999_000_000
    witness.day.year, witness.day.month, witness.day.day = 2024, 2, 29
    witness.tod.hours, witness.tod.minutes, witness.tod.seconds = 23, 59, 58
    witness.tod.nanos = 7_000_000
    witness.dec.CopyFrom(to_proto_decimal(decimal.Decimal("-123.45")))
    sys.stdout.write(witness.SerializeToString().hex() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
