-- Corrections of a conversation's language and sentiment made by people in the inbox (issue 21).
-- Each correction is a row with who made it and when, what it set (NULL: that label left alone)
-- and what the conversation showed before it. The newest value of each label is what the
-- conversation shows: it is copied into conversations.lang / conversations.sentiment in the
-- correction's transaction, so the inbox's filters see it. Older rows stay as the history; the
-- model's own answer stays in posts.lang / posts.sentiment, never overwritten.
CREATE TABLE conversation_labels (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id BIGINT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    -- A language code, or NULL when this correction left the language alone.
    lang TEXT,
    -- negative | neutral | positive, or NULL when this correction left the sentiment alone.
    sentiment TEXT,
    -- What the conversation showed before this correction.
    lang_before TEXT NOT NULL,
    sentiment_before DOUBLE PRECISION NOT NULL,
    author_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    author_label TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX conversation_labels_conversation ON conversation_labels (conversation_id, id);
