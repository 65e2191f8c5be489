-- Scale-out (docs/scale-out.md). A listening query's revision: the listening version its last
-- change made, so several workers can say which revision of a query matched a post.
ALTER TABLE listening_queries ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
UPDATE listening_queries SET revision = COALESCE(
    (SELECT CAST(value AS BIGINT) FROM settings WHERE key = 'listening.version'), 0);

-- The revision of the query that made a match (NULL for matches stored before this).
ALTER TABLE conversation_matches ADD COLUMN query_revision BIGINT;

-- Posts a worker could not store after the stream's last delivery, or could not read at all:
-- kept whole, with why, for an operator to look at (`/metrics`: chorus_stream_dead_letters).
CREATE TABLE ingest_dead_letters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    stream TEXT NOT NULL,
    stream_sequence BIGINT NOT NULL,
    message_id TEXT,
    subject TEXT NOT NULL,
    payload TEXT NOT NULL,
    error TEXT NOT NULL,
    deliveries BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (stream, stream_sequence)
);
