-- The mail outbox (issues 18 and 20): every email Chorus sends (report emails, double opt-in
-- confirmations, reminders, test messages) is one row here, written with its send_mail job in
-- one transaction, and sent by that job over SMTP. The key makes enqueueing idempotent: the
-- same message (e.g. "confirm:{submission}") is never queued twice.
CREATE TABLE mail_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- Idempotency key, chosen by the caller (unique: a second enqueue finds the first row).
    key TEXT NOT NULL UNIQUE,
    to_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    -- The plain-text part (always present) and the HTML part (optional).
    text_body TEXT NOT NULL,
    html_body TEXT,
    -- The List-Unsubscribe header's value (e.g. "<https://…/u/abc>, <mailto:…>"), when the
    -- message has one; one_click = 1 adds "List-Unsubscribe-Post: List-Unsubscribe=One-Click"
    -- (RFC 8058). Headers are columns, not free text, so no caller can inject another.
    list_unsubscribe TEXT,
    one_click BIGINT NOT NULL DEFAULT 0,
    -- The BCP 47 locale the message was rendered in.
    locale TEXT NOT NULL,
    -- queued | sent | failed | bounced
    state TEXT NOT NULL DEFAULT 'queued',
    -- SMTP attempts made (a retry after a 4xx or a lost connection counts one more).
    attempts BIGINT NOT NULL DEFAULT 0,
    -- For operators: the server's reply code and text, or the connection failure.
    last_error TEXT,
    -- Milliseconds since the Unix epoch, UTC.
    created_at BIGINT NOT NULL,
    sent_at BIGINT,
    bounced_at BIGINT
);
CREATE INDEX mail_outbox_created ON mail_outbox (created_at);
