-- Webinars (issue 20): every mail about a seat (the invitation, updates, reminders) carries a
-- link that cancels it, so the link must be made again for each message: the token is kept as
-- it was made (random, 128 bits; it can cancel this one seat and nothing else), unlike login
-- tokens, which are kept only as hashes. NULL for rows written before this migration.
ALTER TABLE reach_registrations ADD COLUMN cancel_token TEXT;
CREATE UNIQUE INDEX reach_registrations_cancel_token ON reach_registrations (cancel_token);
