-- W2: tumbling-window aggregation by key over Nexmark bids (q5/q7 style): bids and the highest
-- price per auction in 10-second windows. Keyed by AUCTION already, so no repartition.
-- W4 runs this same file with processing_guarantee = "exactly_once_v2".

CREATE STREAM BIDS (
  AUCTION BIGINT KEY,
  BIDDER BIGINT,
  PRICE BIGINT,
  CHANNEL STRING,
  URL STRING,
  DATE_TIME BIGINT,
  EXTRA STRING
) WITH (KAFKA_TOPIC='bids', VALUE_FORMAT='JSON', PARTITIONS=2, TIMESTAMP='DATE_TIME');

CREATE TABLE AUCTION_WINDOW_STATS AS
  SELECT AUCTION, COUNT(*) AS BIDS, MAX(PRICE) AS MAX_PRICE
  FROM BIDS
  WINDOW TUMBLING (SIZE 10 SECONDS)
  GROUP BY AUCTION
  EMIT CHANGES;
