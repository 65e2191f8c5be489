-- Reach (issue 20): gated assets and webinars — "offers" — each with a public landing page per
-- locale and a form; double opt-in (nothing about a person is kept as a contact until they
-- confirm); an append-only consent ledger; leads attributed to the story that brought them.
-- Times are milliseconds since the Unix epoch, UTC. Emails are stored trimmed and lowercased.

-- The words a person agrees to, per market, locale and version. A row is never changed once
-- written: new wording is a new version. The ledger copies the text and its hash as well, so
-- proof never depends on this table.
CREATE TABLE reach_consent_texts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    market_id BIGINT NOT NULL REFERENCES markets (id),
    locale TEXT NOT NULL,
    version BIGINT NOT NULL,
    -- The exact text shown beside the checkbox.
    body TEXT NOT NULL,
    -- The GDPR Art. 6(1) basis: consent | contract | legitimate_interest.
    legal_basis TEXT NOT NULL,
    privacy_url TEXT NOT NULL,
    -- SHA-256 (lowercase hex) of the text as shown (chorus_core::reach defines exactly what).
    sha256 TEXT NOT NULL,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (market_id, locale, version)
);

-- What people sign up for. kind = asset | webinar; state = draft | live | closed. Only a live
-- offer's landing page answers the public.
CREATE TABLE reach_offers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    market_id BIGINT NOT NULL REFERENCES markets (id),
    slug TEXT NOT NULL UNIQUE,
    campaign_id BIGINT REFERENCES campaigns (id) ON DELETE SET NULL,
    state TEXT NOT NULL,
    -- Custom form fields beyond email, name and consent, as JSON (chorus_core::reach's form
    -- definition); form_version goes up whenever they change, and the ledger records it.
    fields TEXT NOT NULL DEFAULT '[]',
    form_version BIGINT NOT NULL DEFAULT 1,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX reach_offers_market ON reach_offers (market_id, kind);

-- An offer's landing page in one locale.
CREATE TABLE reach_offer_pages (
    offer_id BIGINT NOT NULL REFERENCES reach_offers (id) ON DELETE CASCADE,
    locale TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    PRIMARY KEY (offer_id, locale)
);

-- A gated asset's file. The bytes live under the data directory (storage_key is a path
-- relative to its reach/ folder, never taken from a request); the type was sniffed on upload.
CREATE TABLE reach_assets (
    offer_id BIGINT PRIMARY KEY REFERENCES reach_offers (id) ON DELETE CASCADE,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    storage_key TEXT NOT NULL,
    -- An optional cover image shown on the landing page.
    cover_key TEXT,
    cover_type TEXT
);

-- A webinar. sequence is the iCalendar SEQUENCE: it goes up with every change attendees must
-- hear of (time, place, cancellation), and every invitation carries the current one.
CREATE TABLE reach_webinars (
    offer_id BIGINT PRIMARY KEY REFERENCES reach_offers (id) ON DELETE CASCADE,
    starts_at BIGINT NOT NULL,
    duration_minutes BIGINT NOT NULL,
    time_zone TEXT NOT NULL,
    -- NULL: no limit.
    capacity BIGINT,
    join_url TEXT NOT NULL,
    sequence BIGINT NOT NULL DEFAULT 0,
    cancelled_at BIGINT
);

-- A form submission. Pending until the person opens the emailed link and presses confirm; the
-- token is kept only as its SHA-256, expires, and works once. Unconfirmed ones are purged after
-- a while (their ledger rows stay, which hold no email in the clear). The UTM columns are what
-- the landing page's address carried: every submission is a touch, and utm_content =
-- story-<id> names the story (kept in story_id while the story exists).
CREATE TABLE reach_submissions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    offer_id BIGINT NOT NULL REFERENCES reach_offers (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    -- Answers to the custom fields, as a JSON object.
    answers TEXT NOT NULL DEFAULT '{}',
    locale TEXT NOT NULL,
    consent_text_id BIGINT NOT NULL REFERENCES reach_consent_texts (id),
    form_version BIGINT NOT NULL,
    token_sha256 TEXT NOT NULL UNIQUE,
    expires_at BIGINT NOT NULL,
    -- pending | confirmed
    state TEXT NOT NULL,
    confirmed_at BIGINT,
    -- Truncated (IPv4 /24, IPv6 /48), never the full address.
    ip TEXT NOT NULL,
    user_agent TEXT NOT NULL,
    page_url TEXT NOT NULL,
    utm_source TEXT,
    utm_medium TEXT,
    utm_campaign TEXT,
    utm_content TEXT,
    utm_term TEXT,
    story_id BIGINT REFERENCES stories (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX reach_submissions_pending ON reach_submissions (state, expires_at);
CREATE INDEX reach_submissions_email ON reach_submissions (email, created_at);

-- A person who confirmed at least once. Created only by a confirmation. Erasure blanks email
-- and name and keeps email_sha256, the key the ledger's proof is filed under.
CREATE TABLE reach_contacts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT UNIQUE,
    email_sha256 TEXT NOT NULL UNIQUE,
    name TEXT,
    -- The preference page's link token, as SHA-256 (it does not expire; it can be rotated).
    prefs_token_sha256 TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    erased_at BIGINT
);

-- A lead: one contact's confirmed interest in one offer, attributed to the first touch (the
-- submission that was confirmed first). withdrawn_at: consent withdrawn, no more mail.
CREATE TABLE reach_leads (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    contact_id BIGINT NOT NULL REFERENCES reach_contacts (id),
    offer_id BIGINT NOT NULL REFERENCES reach_offers (id),
    market_id BIGINT NOT NULL REFERENCES markets (id),
    submission_id BIGINT NOT NULL REFERENCES reach_submissions (id),
    story_id BIGINT REFERENCES stories (id) ON DELETE SET NULL,
    campaign_id BIGINT REFERENCES campaigns (id) ON DELETE SET NULL,
    utm_source TEXT,
    utm_medium TEXT,
    utm_campaign TEXT,
    utm_content TEXT,
    utm_term TEXT,
    confirmed_at BIGINT NOT NULL,
    withdrawn_at BIGINT,
    UNIQUE (contact_id, offer_id)
);
CREATE INDEX reach_leads_market ON reach_leads (market_id, confirmed_at);
CREATE INDEX reach_leads_story ON reach_leads (story_id);

-- A webinar seat. state = registered | waitlisted | cancelled; the waitlist is served in id
-- order. uid is the .ics UID, stable for the registration's life. attended: NULL unknown.
CREATE TABLE reach_registrations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    offer_id BIGINT NOT NULL REFERENCES reach_offers (id) ON DELETE CASCADE,
    lead_id BIGINT NOT NULL UNIQUE REFERENCES reach_leads (id),
    state TEXT NOT NULL,
    uid TEXT NOT NULL UNIQUE,
    attended BIGINT,
    attended_minutes BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX reach_registrations_offer ON reach_registrations (offer_id, state, id);

-- The consent ledger: one row per event, never changed or deleted (the triggers below refuse
-- it). event = submitted | confirmed | withdrawn | exported | erased. A row names the person
-- by email_sha256 (and contact_id once there is a contact), never by email in the clear, so
-- erasure leaves exactly the proof: when, what they were told (text and hash), how (form
-- version, page, UTM, truncated address, user agent), and by which form.
CREATE TABLE reach_consent_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event TEXT NOT NULL,
    at BIGINT NOT NULL,
    email_sha256 TEXT NOT NULL,
    contact_id BIGINT,
    submission_id BIGINT,
    offer_id BIGINT,
    market_id BIGINT,
    consent_text_id BIGINT,
    consent_text TEXT,
    consent_sha256 TEXT,
    legal_basis TEXT,
    form_version BIGINT,
    locale TEXT,
    ip TEXT,
    user_agent TEXT,
    page_url TEXT,
    -- The UTM parameters as a JSON object.
    utm TEXT,
    -- For staff actions (exported, erased): who did it; NULL when the person did it themselves.
    actor_id BIGINT
);
CREATE INDEX reach_consent_events_person ON reach_consent_events (email_sha256, id);
CREATE INDEX reach_consent_events_contact ON reach_consent_events (contact_id, id);

CREATE TRIGGER reach_consent_events_no_update BEFORE UPDATE ON reach_consent_events
BEGIN
    SELECT RAISE(ABORT, 'the consent ledger is append-only');
END;
CREATE TRIGGER reach_consent_events_no_delete BEFORE DELETE ON reach_consent_events
BEGIN
    SELECT RAISE(ABORT, 'the consent ledger is append-only');
END;
