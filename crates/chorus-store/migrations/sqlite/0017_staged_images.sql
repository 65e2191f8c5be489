-- Images uploaded in the composer before their variant exists (a new variant's first save).
-- Each belongs to the person who uploaded it and to one story: only they attach it, to a
-- variant of that story, in the transaction that saves the variant, which moves the row into
-- variant_images. Rows never attached are purged a day after their upload.
CREATE TABLE staged_images (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    story_id BIGINT NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    mime TEXT NOT NULL,
    bytes BLOB NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX staged_images_created ON staged_images (created_at);
