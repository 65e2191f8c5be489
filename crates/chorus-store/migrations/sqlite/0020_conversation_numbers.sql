-- Conversation sentiment and first responses become Numbers metrics (positive_conversations,
-- negative_conversations, first_responses, first_responses_within_target,
-- first_response_minutes). Their rollups need each market's zone, so the event rollups are
-- rebuilt from the stored matches, posts and conversations after this migration
-- (Store::numbers_pending), as migration 0014 did for clicks and volume.
INSERT INTO numbers_pending (task) VALUES ('event_rollups') ON CONFLICT (task) DO NOTHING;
