-- Signed outbound webhooks (issue 23). An endpoint subscribes to event types, in one market or
-- in all (market_id NULL). An event is recorded in the transaction of the change that caused it
-- (the outbox), with one delivery and its deliver_webhook job per endpoint subscribed to it; the
-- job POSTs the event's body, signed, and logs each attempt. No secret is stored: an endpoint's
-- signing secret is derived from the installation key and secret_salt
-- (chorus_core::webhooks::SigningSecret), so rotating it is a new salt.
CREATE TABLE webhook_endpoints (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    url TEXT NOT NULL,
    -- NULL: events of every market (and those of no market).
    market_id BIGINT REFERENCES markets (id),
    -- The subscribed event types, comma-separated (e.g. "story.approved,story.published").
    events TEXT NOT NULL,
    secret_salt TEXT NOT NULL,
    enabled BIGINT NOT NULL DEFAULT 1,
    -- Why it was turned off (by an admin, or after repeated failure), and when.
    disabled_reason TEXT,
    disabled_at BIGINT,
    -- Failed attempts since the last success; at chorus_core::webhooks::DISABLE_AFTER_FAILURES
    -- the endpoint is turned off.
    consecutive_failures BIGINT NOT NULL DEFAULT 0,
    -- Milliseconds since the Unix epoch, UTC.
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE webhook_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The stable id receivers see (evt_…): the same in every attempt and duplicate.
    event_id TEXT NOT NULL UNIQUE,
    event_type TEXT NOT NULL,
    market_id BIGINT,
    -- The exact JSON body every delivery of the event sends.
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id BIGINT NOT NULL REFERENCES webhook_events (id),
    endpoint_id BIGINT NOT NULL REFERENCES webhook_endpoints (id),
    -- queued | delivered | failed | dropped (the endpoint was turned off before it went)
    state TEXT NOT NULL DEFAULT 'queued',
    attempts BIGINT NOT NULL DEFAULT 0,
    -- The last attempt's HTTP status, or NULL when no answer came.
    last_status BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    finished_at BIGINT,
    UNIQUE (event_id, endpoint_id)
);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);

-- The delivery log: one row per attempt.
CREATE TABLE webhook_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id BIGINT NOT NULL REFERENCES webhook_deliveries (id),
    endpoint_id BIGINT NOT NULL REFERENCES webhook_endpoints (id),
    attempt BIGINT NOT NULL,
    at BIGINT NOT NULL,
    -- The HTTP status answered, or NULL (refused address, timeout, connection failure).
    status BIGINT,
    error TEXT,
    duration_ms BIGINT NOT NULL
);
CREATE INDEX webhook_attempts_endpoint ON webhook_attempts (endpoint_id, id);
