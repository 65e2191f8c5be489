-- When a sender had written all of a message (body and final `.`) to the SMTP server, before
-- the server's reply. A message still queued with this set was written in full when its sender
-- died: the server has it, so it is recorded as sent instead of sent again
-- (chorus-jobs/src/smtp.rs). A failure the sender lives to see clears it.
ALTER TABLE mail_outbox ADD COLUMN handed_over_at BIGINT;
