-- Stories: network accounts, campaigns with objectives, stories and their variants, comments,
-- notifications, the playbook's post rules, and the durable job queue.

CREATE TABLE accounts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    market_id BIGINT NOT NULL REFERENCES markets (id) ON DELETE CASCADE,
    network TEXT NOT NULL,
    handle TEXT NOT NULL,
    external_id TEXT NOT NULL,
    service_url TEXT NOT NULL,
    -- Credentials sealed with the installation's secret key; never in clear.
    credentials TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (network, handle)
);

CREATE TABLE campaigns (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL,
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE campaign_objectives (
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    metric TEXT NOT NULL,
    target DOUBLE PRECISION NOT NULL,
    period TEXT NOT NULL,
    PRIMARY KEY (campaign_id, position)
);

CREATE TABLE campaign_markets (
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    market_id BIGINT NOT NULL REFERENCES markets (id) ON DELETE CASCADE,
    PRIMARY KEY (campaign_id, market_id)
);

CREATE TABLE campaign_principles (
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    principle_id BIGINT NOT NULL REFERENCES principles (id) ON DELETE CASCADE,
    PRIMARY KEY (campaign_id, principle_id)
);

CREATE TABLE stories (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    market_id BIGINT NOT NULL REFERENCES markets (id),
    campaign_id BIGINT REFERENCES campaigns (id) ON DELETE SET NULL,
    title TEXT NOT NULL,
    brief TEXT NOT NULL,
    state TEXT NOT NULL,
    author_id BIGINT NOT NULL REFERENCES users (id),
    submitted_by BIGINT REFERENCES users (id),
    scheduled_by BIGINT REFERENCES users (id),
    reject_reason TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX stories_market_state ON stories (market_id, state);

CREATE TABLE story_principles (
    story_id BIGINT NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    principle_id BIGINT NOT NULL REFERENCES principles (id) ON DELETE CASCADE,
    PRIMARY KEY (story_id, principle_id)
);

CREATE TABLE variants (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    story_id BIGINT NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    locale TEXT NOT NULL,
    body TEXT NOT NULL,
    scheduled_at BIGINT,
    -- pending | publishing | published | failed
    pub_state TEXT NOT NULL,
    -- Fixed at the first publish attempt and never changed: with the variant id it derives the
    -- network's record key, so retries after a crash cannot publish twice.
    publish_key_at BIGINT,
    published_uri TEXT,
    published_at BIGINT,
    attempts BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (story_id, account_id, locale)
);
CREATE INDEX variants_scheduled ON variants (scheduled_at);

CREATE TABLE variant_images (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    variant_id BIGINT NOT NULL REFERENCES variants (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    name TEXT NOT NULL,
    mime TEXT NOT NULL,
    bytes BLOB NOT NULL,
    alt TEXT NOT NULL
);

CREATE TABLE story_comments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    story_id BIGINT NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    author_id BIGINT NOT NULL REFERENCES users (id),
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    link TEXT NOT NULL,
    message TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    read_at BIGINT
);
CREATE INDEX notifications_user ON notifications (user_id, read_at);

CREATE TABLE post_rules (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    term TEXT NOT NULL,
    market_id BIGINT REFERENCES markets (id) ON DELETE CASCADE,
    principle_id BIGINT REFERENCES principles (id) ON DELETE SET NULL,
    enabled BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- The durable job queue. `key` makes enqueueing idempotent; a claimed job holds a lease that
-- expires if its worker dies, so another worker picks it up.
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    key TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    run_at BIGINT NOT NULL,
    -- queued | running | done | failed | cancelled
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL,
    lease_owner TEXT,
    lease_until BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX jobs_due ON jobs (state, run_at);
