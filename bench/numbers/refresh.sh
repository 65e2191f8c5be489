#!/usr/bin/env bash
# Refreshing POSTS (default 50,000) published posts' counts against the local AppView (the
# full-mode Bluesky peer: .ci/setup-bluesky.sh full, accounts in $BSKY_ACCOUNTS_FILE):
# the calls the collector makes (getPosts takes 25 URIs, so 2,000 for 50,000 posts, plus one
# getProfile), the wall time, and the AppView's rate-limit headers.
#
#   bash bench/numbers/refresh.sh
#   REAL=50000 bash bench/numbers/refresh.sh     # one real post per variant (slower to set up)
#
# REAL (default 2,000) real posts are created on the local PDS as the first account of the
# accounts file (timed), and POSTS published variants point at them in turn (each URI is
# measured POSTS/REAL times per refresh: the AppView answers each getPosts for real). The
# variants were published three days ago, so no first-hour getLikes call is due.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
POSTS="${POSTS:-50000}"
REAL="${REAL:-2000}"
ENV_FILE="${BSKY_PEER_ENV:-/var/tmp/chorus-bsky-full/peer.env}"
[ -f "$ENV_FILE" ] || { echo "no full-mode Bluesky peer ($ENV_FILE): bash .ci/setup-bluesky.sh full" >&2; exit 2; }
set -a; . "$ENV_FILE"; set +a
ACCOUNTS="${BSKY_ACCOUNTS_FILE:?}"
HANDLE="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["handle"])' "$ACCOUNTS")"
PASSWORD="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["password"])' "$ACCOUNTS")"

if [ -z "${REFRESH_BIN:-}" ]; then
    echo "building the refresh example (release)..." >&2
    (cd "$ROOT" && cargo build --release -q -p chorus-jobs --example numbers_refresh)
fi
BIN="${REFRESH_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/numbers_refresh}"
DATA="$(mktemp -d)"
trap 'rm -rf "$DATA"' EXIT

"$BIN" setup "$DATA" --pds "$BSKY_PDS_URL" --handle "$HANDLE" --password "$PASSWORD" --real "$REAL"
DB="$DATA/chorus.db"
# The AppView indexes the PDS's posts from its firehose: wait for the last one.
LAST="$(tail -1 "$DATA/uris.txt")"
for _ in $(seq 1 300); do
    curl -sf "$BSKY_APPVIEW_URL/xrpc/app.bsky.feed.getPosts?uris=$LAST" | grep -q '"uri"' && break
    sleep 0.5
done
PUBLISHED=$(( $(date +%s) * 1000 - 3 * 86400000 ))
sqlite3 "$DB" <<SQL
CREATE TEMP TABLE uris (uri TEXT);
.mode csv
.import $DATA/uris.txt uris
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $POSTS)
INSERT INTO stories (id, market_id, title, brief, state, author_id, created_at, updated_at)
  SELECT i, (SELECT id FROM markets), 'Refresh ' || i, '', 'published', (SELECT MIN(id) FROM users),
         $PUBLISHED, $PUBLISHED FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $POSTS)
INSERT INTO variants (id, story_id, account_id, locale, body, pub_state, publish_key_at,
                      published_uri, published_at, created_at, updated_at)
  SELECT i, i, (SELECT id FROM accounts), 'fi-FI', 'refresh', 'published', $PUBLISHED,
         (SELECT uri FROM uris WHERE rowid = 1 + (i - 1) % $REAL), $PUBLISHED, $PUBLISHED, $PUBLISHED
  FROM n;
COMMIT;
SQL
echo "$POSTS published variants over $REAL real posts" >&2
echo "the AppView's rate-limit headers on getPosts (none: it enforces no limit):" >&2
curl -s -D - -o /dev/null "$BSKY_APPVIEW_URL/xrpc/app.bsky.feed.getPosts?uris=$LAST" | grep -i 'ratelimit\|retry-after' >&2 || echo "  (none)" >&2
"$BIN" collect "$DATA" --appview "$BSKY_APPVIEW_URL"
echo "snapshots stored: $(sqlite3 "$DB" 'SELECT COUNT(*) FROM numbers_post_snapshots')" >&2
