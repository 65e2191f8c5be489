-- Single sign-on with OpenID Connect (issue 23). Providers live in config; what is stored here is
-- what a sign-in needs between the two legs of the redirect, who a provider's subject is, and the
-- admins' rules that turn the provider's groups into memberships.

-- A sign-in under way: created when the browser is sent to the provider, taken (deleted) when it
-- comes back, so a state is used at most once. The state itself is not stored, only its SHA-256.
CREATE TABLE sso_logins (
    state_hash TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    nonce TEXT NOT NULL,
    -- The PKCE code_verifier (RFC 7636): secret until the code is exchanged, minutes later.
    code_verifier TEXT NOT NULL,
    -- Where to go after signing in (a page of this site).
    next TEXT NOT NULL,
    -- Milliseconds since the Unix epoch, UTC.
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sso_logins_expiry ON sso_logins (expires_at);

-- Who a provider's subject (the ID token's iss + sub) is here.
CREATE TABLE sso_identities (
    provider TEXT NOT NULL,
    subject TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The groups the provider sent at the last sign-in, newline-separated.
    groups TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_sign_in_at BIGINT NOT NULL,
    PRIMARY KEY (provider, subject)
);
CREATE INDEX sso_identities_user ON sso_identities (user_id);

-- The mapping rules (chorus_core::sso): a group name or prefix* → a role, held globally
-- (market_id NULL, from_suffix 0), in one market, or in the market the suffix names.
CREATE TABLE sso_rules (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    group_pattern TEXT NOT NULL,
    role TEXT NOT NULL,
    market_id BIGINT REFERENCES markets (id) ON DELETE CASCADE,
    from_suffix BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

-- Where a membership came from: NULL, granted by hand (Admin → Users, the CLI); otherwise the
-- sso_rules row that gave it at a sign-in. No foreign key: a deleted rule's memberships stay
-- marked as a rule's until the holder's next sign-in takes them away.
ALTER TABLE memberships ADD COLUMN granted_by_rule BIGINT;
