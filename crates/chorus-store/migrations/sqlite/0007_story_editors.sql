-- The four-eyes rule: nobody approves content they wrote or changed. This is who changed each
-- story's content (its fields, variants and their images) since it was last approved: written
-- in the transaction of each change, emptied by an approval. What each person changed is in the
-- audit log; this table only answers "did this person change it?" when someone approves.
CREATE TABLE story_editors (
    story_id BIGINT NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id),
    -- The last change this person made (milliseconds since the Unix epoch, UTC).
    changed_at BIGINT NOT NULL,
    PRIMARY KEY (story_id, user_id)
);

-- The stories written before this table: everyone the audit log names as having changed a
-- story's content since its last approval (a variant's update counts even when only its time
-- moved: the log does not say, and refusing an approval is the safe side).
INSERT INTO story_editors (story_id, user_id, changed_at)
SELECT s.id, a.actor_id, MAX(a.at)
FROM audit_log a
JOIN stories s ON CAST(s.id AS TEXT) = a.subject_id
JOIN users u ON u.id = a.actor_id
WHERE a.subject_type = 'story'
  AND a.action IN ('story.create', 'story.update', 'variant.create', 'variant.update',
                   'variant.delete', 'variant.image_add', 'variant.image_alt',
                   'variant.image_remove')
  AND a.id > COALESCE((SELECT MAX(b.id) FROM audit_log b
                       WHERE b.subject_type = 'story' AND b.subject_id = a.subject_id
                         AND b.action = 'story.approve'), 0)
GROUP BY s.id, a.actor_id;
