-- Issue 18, weekly Numbers reports: files attached to an outbox message (the market's PDF),
-- written in the transaction that enqueues it, and the kinds of mail each person has turned
-- off (a row = opted out of that kind; e.g. 'numbers_weekly').
CREATE TABLE mail_attachments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    mail_id BIGINT NOT NULL REFERENCES mail_outbox (id) ON DELETE CASCADE,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    bytes BLOB NOT NULL
);
CREATE INDEX mail_attachments_mail ON mail_attachments (mail_id);

CREATE TABLE mail_opt_outs (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    -- Milliseconds since the Unix epoch, UTC.
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, kind)
);
