-- W1: stateless filter + projection over Nexmark bids (q1 currency conversion, q2-style filter).
-- Keeps nine bids in ten, so its output volume is close to the passthrough ceiling's.

CREATE STREAM BIDS (
  AUCTION BIGINT KEY,
  BIDDER BIGINT,
  PRICE BIGINT,
  CHANNEL STRING,
  URL STRING,
  DATE_TIME BIGINT,
  EXTRA STRING
) WITH (KAFKA_TOPIC='bids', VALUE_FORMAT='JSON', PARTITIONS=2, TIMESTAMP='DATE_TIME');

CREATE STREAM BIDS_EUR AS
  SELECT AUCTION, BIDDER, PRICE * 908 / 1000 AS PRICE_EUR, DATE_TIME
  FROM BIDS
  WHERE AUCTION % 10 <> 0
  EMIT CHANGES;
