#!/usr/bin/env bash
# Chorus as several processes on one machine (docs/scale-out.md): nats-server with JetStream,
# one `chorus serve --roles web,publisher,source` and WORKERS `chorus serve --roles worker`,
# all on DATABASE_URL (PostgreSQL). Stops them all on Ctrl+C.
#
#   DATABASE_URL=postgres://chorus:secret@127.0.0.1:5432/chorus WORKERS=3 bash docs/scale-out/start.sh
#   FIREHOSE=wss://bsky.network ...        # also read the Bluesky firehose
#   CHORUS=target/release/chorus NATS_PORT=4222 WEB_PORT=8080 DATA_DIR=./chorus-data ...
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
: "${DATABASE_URL:?set DATABASE_URL to a postgres:// URL (several processes share one database)}"
WORKERS="${WORKERS:-2}"
NATS_PORT="${NATS_PORT:-4222}"
WEB_PORT="${WEB_PORT:-8080}"
DATA_DIR="${DATA_DIR:-$ROOT/chorus-data}"
CHORUS="${CHORUS:-${CARGO_TARGET_DIR:-$ROOT/target}/release/chorus}"
[ -x "$CHORUS" ] || { echo "no chorus binary at $CHORUS: cargo build --release -p chorus" >&2; exit 2; }
NATS="$(bash "$ROOT/.ci/setup-nats.sh" | tail -1)"
mkdir -p "$DATA_DIR/logs"
export CHORUS__DATABASE_URL="$DATABASE_URL" CHORUS__NATS__URL="nats://127.0.0.1:$NATS_PORT"
[ -n "${FIREHOSE:-}" ] && export CHORUS__INGEST__FIREHOSE_URL="$FIREHOSE"
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null; wait' EXIT INT TERM

"$NATS" -js -sd "$DATA_DIR/jetstream" -a 127.0.0.1 -p "$NATS_PORT" > "$DATA_DIR/logs/nats.log" 2>&1 &
PIDS+=($!)
sleep 0.5
CHORUS__LOG__LEVEL=warn "$CHORUS" migrate --data-dir "$DATA_DIR" > /dev/null
"$CHORUS" serve --roles web,publisher,source --port "$WEB_PORT" --data-dir "$DATA_DIR" \
    > "$DATA_DIR/logs/web.out" 2> "$DATA_DIR/logs/web.log" &
PIDS+=($!)
for i in $(seq "$WORKERS"); do
    "$CHORUS" serve --roles worker --port $((WEB_PORT + i)) --data-dir "$DATA_DIR" \
        > "$DATA_DIR/logs/worker$i.out" 2> "$DATA_DIR/logs/worker$i.log" &
    PIDS+=($!)
done
for port in $(seq "$WEB_PORT" $((WEB_PORT + WORKERS))); do
    for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/readyz" > /dev/null 2>&1 && break; sleep 0.2; done
    echo "== http://127.0.0.1:$port/readyz"
    curl -s "http://127.0.0.1:$port/readyz" || echo "(not answering: see $DATA_DIR/logs)"
done
echo "Chorus is running at http://127.0.0.1:$WEB_PORT with $WORKERS workers; logs in $DATA_DIR/logs. Ctrl+C stops all."
wait
