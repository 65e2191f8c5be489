-- Conversations: listening queries, every ingested post, the conversations (posts a query
-- matched) with their inbox state, tags, notes and replies, ingest cursors, hourly volumes per
-- query, spike alerts and each market's first-response target.

CREATE TABLE listening_queries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    market_id BIGINT NOT NULL REFERENCES markets (id) ON DELETE CASCADE,
    team_id BIGINT REFERENCES teams (id) ON DELETE SET NULL,
    name TEXT NOT NULL,
    query TEXT NOT NULL,
    -- Comma-separated language codes and network names; empty means any.
    languages TEXT NOT NULL,
    networks TEXT NOT NULL,
    -- us | competitor | topic (share of voice)
    side TEXT NOT NULL,
    spike_factor DOUBLE PRECISION NOT NULL,
    active BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (market_id, name)
);

-- Every post the ingest pipeline stored, matched or not: previews of draft queries run over
-- them. `uri` is the network's id, so the same post arriving twice is stored once.
CREATE TABLE posts (
    id INTEGER PRIMARY KEY,
    uri TEXT NOT NULL UNIQUE,
    network TEXT NOT NULL,
    author TEXT NOT NULL,
    author_handle TEXT,
    body TEXT NOT NULL,
    lang TEXT NOT NULL,
    sentiment DOUBLE PRECISION NOT NULL,
    posted_at BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    reply_parent TEXT,
    reply_root TEXT,
    quote_of TEXT,
    cid TEXT,
    link TEXT
);
CREATE INDEX posts_received ON posts (received_at);
CREATE INDEX posts_reply_root ON posts (reply_root) WHERE reply_root IS NOT NULL;
CREATE INDEX posts_reply_parent ON posts (reply_parent) WHERE reply_parent IS NOT NULL;

-- A post at least one listening query matched, with its inbox state. Filter columns are
-- copied from the post so the inbox list reads one table.
CREATE TABLE conversations (
    id BIGINT PRIMARY KEY REFERENCES posts (id) ON DELETE CASCADE,
    -- new | open | waiting | done
    status TEXT NOT NULL,
    assignee_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    network TEXT NOT NULL,
    lang TEXT NOT NULL,
    sentiment DOUBLE PRECISION NOT NULL,
    posted_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    first_response_at BIGINT,
    updated_at BIGINT NOT NULL
);
CREATE INDEX conversations_time ON conversations (posted_at, id);
CREATE INDEX conversations_status_time ON conversations (status, posted_at, id);
CREATE INDEX conversations_assignee ON conversations (assignee_id, posted_at)
    WHERE assignee_id IS NOT NULL;

CREATE TABLE conversation_matches (
    conversation_id BIGINT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    query_id BIGINT NOT NULL REFERENCES listening_queries (id) ON DELETE CASCADE,
    market_id BIGINT NOT NULL,
    posted_at BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, query_id)
);
CREATE INDEX conversation_matches_query ON conversation_matches (query_id, posted_at);
CREATE INDEX conversation_matches_market ON conversation_matches (market_id, posted_at, conversation_id);

CREATE TABLE conversation_tags (
    conversation_id BIGINT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (conversation_id, tag)
);
CREATE INDEX conversation_tags_tag ON conversation_tags (tag);

CREATE TABLE conversation_notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id BIGINT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    author_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    author_label TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX conversation_notes_conversation ON conversation_notes (conversation_id);

-- Replies sent from the inbox. `publish_at` is fixed when the reply is created and, with the
-- id, derives the network's record key: retrying after a crash cannot post twice.
CREATE TABLE conversation_replies (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id BIGINT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    author_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    author_label TEXT NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    body TEXT NOT NULL,
    -- sending | sent | failed
    state TEXT NOT NULL,
    publish_at BIGINT NOT NULL,
    uri TEXT,
    cid TEXT,
    error TEXT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);
CREATE INDEX conversation_replies_conversation ON conversation_replies (conversation_id);

-- Where each ingest source stopped, written in the same transaction as the rows it produced.
CREATE TABLE ingest_cursors (
    source TEXT PRIMARY KEY,
    position TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Posts per query per hour (by post time), counted once per stored post.
CREATE TABLE query_volume (
    query_id BIGINT NOT NULL REFERENCES listening_queries (id) ON DELETE CASCADE,
    hour BIGINT NOT NULL,
    posts BIGINT NOT NULL,
    PRIMARY KEY (query_id, hour)
);

CREATE TABLE spike_alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    query_id BIGINT NOT NULL REFERENCES listening_queries (id) ON DELETE CASCADE,
    market_id BIGINT NOT NULL,
    hour BIGINT NOT NULL,
    volume BIGINT NOT NULL,
    baseline DOUBLE PRECISION NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (query_id, hour)
);
CREATE INDEX spike_alerts_market ON spike_alerts (market_id, hour);

CREATE TABLE response_targets (
    market_id BIGINT PRIMARY KEY REFERENCES markets (id) ON DELETE CASCADE,
    minutes BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
