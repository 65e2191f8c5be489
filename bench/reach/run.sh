#!/usr/bin/env bash
# Reach's public side under load: `chorus serve --demo --roles web` pinned to one core
# (taskset -c $CPU, default 0) with a live gated asset, and wrk on another core:
#   1. the landing page (GET /r/bench-guide with a story's UTM tags), 50 connections: p50 and
#      p99 beside the target (p99 < 20 ms);
#   2. the form (POST /r/bench-guide, a fresh address each time, 50 connections): submissions
#      per second beside the target (>= 1,000/s), every one a submission row, a `submitted`
#      ledger row with the consent text, an outbox message and its send_mail job, in one
#      transaction (the counts are checked after the run).
# No jobs role: the confirmation mails wait in the outbox (sending is not what is measured).
#
#   bash bench/reach/run.sh                                                  # SQLite
#   DATABASE_URL=postgres://chorus:chorus@127.0.0.1:5432/chorus_reachbench bash bench/reach/run.sh
#   DURATION=5s bash bench/reach/run.sh                                      # a quick look
#   NO_BUILD=1 bash bench/reach/run.sh                   # the release binary as it is built
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DURATION="${DURATION:-30s}"
CONNECTIONS="${CONNECTIONS:-50}"
CPU="${CPU:-0}"
WRK_CPU="${WRK_CPU:-1}"
CACHE="${CACHE:-/var/tmp/chorus-reach-bench}"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }

if [ -z "${NO_BUILD:-}" ]; then
    echo "building chorus (release)..." >&2
    (cd "$ROOT" && cargo build --release -q -p chorus)
fi
CHORUS="${CARGO_TARGET_DIR:-$ROOT/target}/release/chorus"
export CHORUS__LOG__LEVEL=warn
# wrk stands in for a load balancer: the visitors' addresses come in X-Forwarded-For, from
# 4,096 networks (submit.lua), so the per-network limit stays at its default.
export CHORUS__SERVER__TRUSTED_PROXIES=127.0.0.1
rm -rf "$CACHE"
mkdir -p "$CACHE/reach/assets"
head -c 200000 /dev/urandom > "$CACHE/reach/assets/bench.pdf"
DB_ARGS=(--data-dir "$CACHE")
if [ -n "${DATABASE_URL:-}" ]; then
    KIND=postgres
    DB_ARGS+=(--database-url "$DATABASE_URL")
    psql -q "${DATABASE_URL%/*}/postgres" -c "DROP DATABASE IF EXISTS ${DATABASE_URL##*/} WITH (FORCE)" \
        -c "CREATE DATABASE ${DATABASE_URL##*/}"
    sql() { psql -qtA "$DATABASE_URL" -c "$1"; }
else
    KIND=sqlite
    sql() { sqlite3 -cmd ".timeout 30000" "$CACHE/chorus.db" "$1"; }
fi

BANNER="$CACHE/banner.txt"
taskset -c "$CPU" "$CHORUS" serve --demo --port 0 --roles web "${DB_ARGS[@]}" > "$BANNER" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
URL=""
for _ in $(seq 1 1200); do
    URL="$(sed -n 's/^Chorus is running at //p' "$BANNER" | head -1)"
    [ -n "$URL" ] && break
    sleep 0.1
done
[ -n "$URL" ] || { echo "chorus serve did not start" >&2; exit 1; }
URL="${URL/localhost/127.0.0.1}"

# A live asset in Finland, as staff would leave it (offer, page, file, consent text).
NOW=$(( $(date +%s) * 1000 ))
CONSENT_BODY="I agree that Northwind may email me the guide and news about its products. I can withdraw at any time."
CONSENT_SHA=$(printf '%s' "$CONSENT_BODY" | sha256sum | cut -d' ' -f1)
MARKET=$(sql "SELECT id FROM markets WHERE code = 'FI'")
STORY=$(sql "SELECT MIN(id) FROM stories WHERE market_id = $MARKET")
sql "INSERT INTO reach_offers (kind, market_id, slug, state, fields, form_version, created_at, updated_at) VALUES ('asset', $MARKET, 'bench-guide', 'live', '[{\"key\":\"company\",\"label\":\"Company\",\"kind\":\"text\",\"required\":true}]', 1, $NOW, $NOW)"
OFFER=$(sql "SELECT id FROM reach_offers WHERE slug = 'bench-guide'")
sql "INSERT INTO reach_offer_pages (offer_id, locale, title, description) VALUES ($OFFER, 'en', 'The listening playbook', 'Twelve pages on turning what people say into stories.')"
sql "INSERT INTO reach_assets (offer_id, file_name, content_type, size_bytes, sha256, storage_key) VALUES ($OFFER, 'bench.pdf', 'application/pdf', 200000, 'bench', 'assets/bench.pdf')"
# The next version of Finland's English consent text (the demo has written earlier ones).
sql "INSERT INTO reach_consent_texts (market_id, locale, version, body, legal_basis, privacy_url, sha256, created_at) SELECT $MARKET, 'en', COALESCE(MAX(version), 0) + 1, '$CONSENT_BODY', 'consent', 'https://northwind.example/privacy', '$CONSENT_SHA', $NOW FROM reach_consent_texts WHERE market_id = $MARKET AND locale = 'en'"

PAGE="/r/bench-guide?utm_source=bluesky&utm_medium=social&utm_campaign=bench&utm_content=story-$STORY&utm_term=fi"
LANDING="$(curl -s -H 'Accept-Language: en' "$URL$PAGE")"
FORM="$(printf '%s' "$LANDING" | grep -o 'name="form" value="[^"]*"' | sed 's/.*value="//;s/"$//')"
CONSENT="$(printf '%s' "$LANDING" | grep -o 'name="consent_text" value="[^"]*"' | sed 's/.*value="//;s/"$//')"
[ -n "$FORM" ] && [ -n "$CONSENT" ] || { echo "the landing page has no form" >&2; exit 1; }

printf '%-44s ' "$KIND GET /r/bench-guide (-c$CONNECTIONS)"
taskset -c "$WRK_CPU" wrk -t1 -c"$CONNECTIONS" -d"$DURATION" -H 'Accept-Language: en' \
    -s "$ROOT/bench/reach/latency.lua" "$URL$PAGE" | tail -1

# What the demo queued is not counted below.
JOBS_BEFORE=$(sql "SELECT COUNT(*) FROM jobs WHERE kind = 'send_mail'")
printf '%-44s ' "$KIND POST /r/bench-guide (-c$CONNECTIONS)"
FORM="$FORM" CONSENT="$CONSENT" taskset -c "$WRK_CPU" wrk -t1 -c"$CONNECTIONS" -d"$DURATION" \
    -s "$ROOT/bench/reach/submit.lua" "$URL$PAGE" | tail -1

# One statement, so one snapshot: requests still in flight when wrk stops commit around it,
# each with all of its rows or none.
COUNTS=$(sql "SELECT (SELECT COUNT(*) FROM reach_submissions WHERE offer_id = $OFFER), \
    (SELECT COUNT(*) FROM reach_consent_events WHERE event = 'submitted' AND consent_sha256 = '$CONSENT_SHA'), \
    (SELECT COUNT(*) FROM mail_outbox WHERE key LIKE 'reach-confirm:%' AND to_address LIKE 'bench-%'), \
    (SELECT COUNT(*) FROM jobs WHERE kind = 'send_mail')")
IFS='|' read -r SUBS LEDGER OUTBOX JOBS_ALL <<< "$COUNTS"
JOBS=$((JOBS_ALL - JOBS_BEFORE))
echo "stored: $SUBS submissions, $LEDGER submitted ledger rows (with the consent text's hash), $OUTBOX confirmation mails, $JOBS send_mail jobs"
[ "$SUBS" = "$LEDGER" ] && [ "$SUBS" = "$OUTBOX" ] && [ "$SUBS" = "$JOBS" ] || { echo "MISMATCH: a submission without its rows" >&2; exit 1; }
