-- A post's language as the detector read it and as its source labelled it, kept apart (issue
-- 21: imported files and clients label posts wrongly, and a wrong label used to win).
--
-- `lang` keeps its meaning for every reader: the language filters, `lang:` in queries, share
-- of voice and the inbox use (the detected one unless `[text] filter_language = "source"`).
-- `detected_lang` is the detector's answer (`und` when it could not tell) and `lang_confidence`
-- its confidence; `source_lang` the first language the source declared (NULL: none);
-- `sentiment_confidence` the sentiment model's probability of the label the score falls in
-- (NULL in VADER mode). Rows stored before this migration have NULL in all four: their one
-- label was a mix of both and cannot be told apart now.
ALTER TABLE posts ADD COLUMN detected_lang TEXT;
ALTER TABLE posts ADD COLUMN source_lang TEXT;
ALTER TABLE posts ADD COLUMN lang_confidence DOUBLE PRECISION;
ALTER TABLE posts ADD COLUMN sentiment_confidence DOUBLE PRECISION;
