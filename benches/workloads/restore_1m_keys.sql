-- Restore: a per-bidder aggregate; the bench feeds it bids from 1,000,000 distinct bidders so its
-- changelog holds 1M keys, then times a fresh start restoring them into RocksDB.

CREATE STREAM BIDS (
  AUCTION BIGINT KEY,
  BIDDER BIGINT,
  PRICE BIGINT,
  CHANNEL STRING,
  URL STRING,
  DATE_TIME BIGINT,
  EXTRA STRING
) WITH (KAFKA_TOPIC='bids', VALUE_FORMAT='JSON', PARTITIONS=2, TIMESTAMP='DATE_TIME');

CREATE TABLE BIDDER_TOTALS AS
  SELECT BIDDER, COUNT(*) AS BIDS, SUM(PRICE) AS SPENT
  FROM BIDS
  GROUP BY BIDDER
  EMIT CHANGES;
