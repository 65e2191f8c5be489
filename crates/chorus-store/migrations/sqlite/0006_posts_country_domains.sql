-- What listening queries match besides text, language, network and author: the post's country
-- (`country:XX`) and its links' domains (`site:`/`url:`). Ingest matched on them but did not
-- keep them, so the 7-day preview of a draft query could not: a `site:` or `country:` query
-- previewed 0 posts and then matched live. Domains are lowercased host names separated by
-- single spaces; both columns are NULL when the source gave none (and for posts stored before).
ALTER TABLE posts ADD COLUMN country TEXT;
ALTER TABLE posts ADD COLUMN domains TEXT;
