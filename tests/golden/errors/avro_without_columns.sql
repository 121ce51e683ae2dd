-- AVRO source without columns: ksqlDB would read the schema from Schema Registry.
CREATE STREAM CLICKS WITH (KAFKA_TOPIC='clicks', VALUE_FORMAT='AVRO');

CREATE STREAM CLICKS_COPY AS SELECT * FROM CLICKS;
