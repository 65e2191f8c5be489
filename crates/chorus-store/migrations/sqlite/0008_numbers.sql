-- Numbers: what Chorus measured of what it published, and the rollups every Numbers page and
-- `GET /api/v1/numbers` read (they never scan the snapshots).
--
-- Times are milliseconds since the Unix epoch, UTC. A count column that is NULL was not
-- reported (the network does not offer it, or this fetch did not include it): it is never 0.

-- Measurements of a published variant's counts, as the network reported them (running
-- totals), kept without a retention cap. The account and network are copied from the variant
-- at the time of the measurement.
CREATE TABLE numbers_post_snapshots (
    variant_id BIGINT NOT NULL REFERENCES variants (id) ON DELETE CASCADE,
    fetched_at BIGINT NOT NULL,
    account_id BIGINT NOT NULL,
    network TEXT NOT NULL,
    likes BIGINT,
    reposts BIGINT,
    replies BIGINT,
    quotes BIGINT,
    bookmarks BIGINT,
    first_hour_likes BIGINT,
    PRIMARY KEY (variant_id, fetched_at)
) WITHOUT ROWID;

-- When each published variant is next measured (see chorus_core::numbers::schedule): written
-- with each snapshot. A published variant without a row here has never been measured and is
-- due an hour after its publication.
CREATE TABLE numbers_post_due (
    variant_id BIGINT PRIMARY KEY REFERENCES variants (id) ON DELETE CASCADE,
    next_at BIGINT NOT NULL,
    last_fetched_at BIGINT
);
CREATE INDEX numbers_post_due_next ON numbers_post_due (next_at);

-- Measurements of an account's followers (daily).
CREATE TABLE numbers_follower_snapshots (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    fetched_at BIGINT NOT NULL,
    followers BIGINT,
    PRIMARY KEY (account_id, fetched_at)
) WITHOUT ROWID;

-- Rollups, maintained in the transaction that inserts each snapshot. One row per dimension
-- (post, story, campaign, account, market, network, principle), bucket size (day, week,
-- month), market, subject (the dimension's id as text, or the network's name), bucket (its
-- first local date in the market's time zone, YYYY-MM-DD) and metric. `value` is the amount
-- within the bucket: for counts the network keeps as running totals, the gain since the
-- previous measurement, attributed to the bucket of the later one (a drop, e.g. an unlike, is
-- negative), so values add up over buckets and subjects and a subject's sum over all buckets
-- is its latest count. A story citing several principles counts toward each of them.
CREATE TABLE numbers_rollups (
    dimension TEXT NOT NULL,
    grain TEXT NOT NULL,
    market_id BIGINT NOT NULL,
    bucket TEXT NOT NULL,
    subject TEXT NOT NULL,
    metric TEXT NOT NULL,
    value BIGINT NOT NULL,
    PRIMARY KEY (dimension, grain, market_id, bucket, subject, metric)
) WITHOUT ROWID;
