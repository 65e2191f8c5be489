-- The inbox filtered by status and language (a market team working its own language's queue)
-- reads only the rows it lists, newest first, instead of every row of the status.
CREATE INDEX conversations_status_lang_time ON conversations (status, lang, posted_at, id);
