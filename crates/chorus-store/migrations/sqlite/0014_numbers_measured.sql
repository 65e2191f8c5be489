-- Numbers: when each figure was last measured (issue 18: "every metric carries its last fetch
-- time"), kept like the rollups in the transaction that records the measurement, so a report
-- reads its scope's time from a few rows instead of scanning what was measured.
--
-- One row per dimension (post, story, campaign, account, market, network, principle), market,
-- subject (as in numbers_rollups), network and source: `posts` (a published post's counts, read
-- by the collector), `followers` (an account's followers), `clicks` (the latest person's click
-- counted by the redirect) and `conversations` (the latest matched post stored by listening).
-- `at` is the latest such instant, milliseconds since the Unix epoch, UTC.
CREATE TABLE numbers_measured (
    dimension TEXT NOT NULL,
    market_id BIGINT NOT NULL,
    subject TEXT NOT NULL,
    network TEXT NOT NULL,
    source TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (dimension, market_id, subject, network, source)
) WITHOUT ROWID;

-- What was measured before this table existed.
INSERT INTO numbers_measured (dimension, market_id, subject, network, source, at)
WITH m AS (
    SELECT v.id AS variant, v.story_id AS story, v.account_id AS account, a.network AS network,
           s.market_id AS market, s.campaign_id AS campaign, d.last_fetched_at AS at
    FROM numbers_post_due d JOIN variants v ON v.id = d.variant_id
    JOIN stories s ON s.id = v.story_id JOIN accounts a ON a.id = v.account_id
    WHERE d.last_fetched_at IS NOT NULL
)
SELECT 'post', market, CAST(variant AS TEXT), network, 'posts', MAX(at) FROM m
    GROUP BY market, variant, network
UNION ALL SELECT 'story', market, CAST(story AS TEXT), network, 'posts', MAX(at) FROM m
    GROUP BY market, story, network
UNION ALL SELECT 'campaign', market, CAST(campaign AS TEXT), network, 'posts', MAX(at) FROM m
    WHERE campaign IS NOT NULL GROUP BY market, campaign, network
UNION ALL SELECT 'account', market, CAST(account AS TEXT), network, 'posts', MAX(at) FROM m
    GROUP BY market, account, network
UNION ALL SELECT 'market', market, CAST(market AS TEXT), network, 'posts', MAX(at) FROM m
    GROUP BY market, network
UNION ALL SELECT 'network', market, network, network, 'posts', MAX(at) FROM m
    GROUP BY market, network
UNION ALL SELECT 'principle', m.market, CAST(p.principle_id AS TEXT), m.network, 'posts', MAX(m.at)
    FROM m JOIN story_principles p ON p.story_id = m.story GROUP BY m.market, p.principle_id, m.network;

INSERT INTO numbers_measured (dimension, market_id, subject, network, source, at)
WITH f AS (
    SELECT a.id AS account, a.market_id AS market, a.network AS network, MAX(s.fetched_at) AS at
    FROM numbers_follower_snapshots s JOIN accounts a ON a.id = s.account_id
    GROUP BY a.id, a.market_id, a.network
)
SELECT 'account', market, CAST(account AS TEXT), network, 'followers', at FROM f
UNION ALL SELECT 'market', market, CAST(market AS TEXT), network, 'followers', MAX(at) FROM f
    GROUP BY market, network
UNION ALL SELECT 'network', market, network, network, 'followers', MAX(at) FROM f
    GROUP BY market, network;

-- Work the store does once after this migration, in Rust (it needs each market's IANA zone):
-- `event_rollups` rolls up the clicks and matched posts stored before clicks and conversation
-- volume were rolled up where they are recorded (see chorus-store's numbers/backfill.rs). A
-- task's row is deleted in the transaction that does it.
CREATE TABLE numbers_pending (
    task TEXT PRIMARY KEY
);
INSERT INTO numbers_pending (task) VALUES ('event_rollups');
