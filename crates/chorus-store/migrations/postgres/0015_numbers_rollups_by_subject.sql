-- Numbers: rollups searched by subject. A report about one campaign, principle, account,
-- story or post (the campaign page, `/numbers?campaign=…`) names its subject; the primary key
-- (dimension, grain, market_id, bucket, subject, metric) then reads every subject of the
-- dimension in the date range and keeps one (on 50,000 posts, 40 campaigns' rows to use one
-- campaign's, 8 times the work of the campaign page). This index finds a subject's buckets
-- directly, market by market.
CREATE INDEX numbers_rollups_by_subject ON numbers_rollups (dimension, grain, subject, market_id, bucket);
