-- Click redirects (issue 18): every link a published variant holds goes out as
-- {public_url}/l/{code}, which counts the click and forwards to the link as the variant holds it
-- (UTM tags included). A code is created once per variant and target, when the variant is first
-- published, and reused by every retry, so a retried publish sends the same text.
CREATE TABLE links (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- Ten random base62 characters (chorus_core::links::LinkCode).
    code TEXT NOT NULL UNIQUE,
    variant_id BIGINT NOT NULL REFERENCES variants (id) ON DELETE CASCADE,
    -- The link exactly as the variant's text holds it: where the redirect forwards.
    target TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (variant_id, target)
);

-- One row per click, written by one INSERT (concurrent clicks never lose a count), with its
-- instant, so Numbers can bucket clicks by day in any market's time zone exactly. `bot` is 1
-- for user agents chorus_core::links::is_bot names, 0 for people.
CREATE TABLE link_clicks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    link_id BIGINT NOT NULL REFERENCES links (id) ON DELETE CASCADE,
    -- Milliseconds since the Unix epoch, UTC.
    at BIGINT NOT NULL,
    bot BIGINT NOT NULL
);
CREATE INDEX link_clicks_link_at ON link_clicks (link_id, at);
