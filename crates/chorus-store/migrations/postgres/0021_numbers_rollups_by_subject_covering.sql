-- Numbers: the by-subject index (migration 0015) now holds every column a rollup read wants
-- (INCLUDE), so a campaign's page is read from the index alone (an index-only scan) instead of
-- visiting the table for each bucket. Its cost: an upsert that changes a value also updates
-- this index.
DROP INDEX numbers_rollups_by_subject;
CREATE INDEX numbers_rollups_by_subject ON numbers_rollups (dimension, grain, subject, market_id, bucket) INCLUDE (metric, value);
