-- Example queries file for deploy/compose.yaml and deploy/k8s (ksqlDB headless dialect).
-- Run `weir lock --queries queries.sql` after every edit and ship queries.sql.lock beside it.

CREATE STREAM pageviews (user_id VARCHAR KEY, page VARCHAR, viewtime BIGINT)
  WITH (KAFKA_TOPIC='pageviews', VALUE_FORMAT='JSON', PARTITIONS=6);

CREATE TABLE pageviews_per_user
  WITH (KAFKA_TOPIC='pageviews_per_user', VALUE_FORMAT='JSON') AS
  SELECT user_id, COUNT(*) AS views
  FROM pageviews
  GROUP BY user_id
  EMIT CHANGES;
