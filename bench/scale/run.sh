#!/usr/bin/env bash
# Scale-out throughput (docs/scale-out.md): the shared 149k-post corpus with the 10,000-query
# workload of bench/listen, published into a NATS JetStream stream by one source
# (`chorus ingest file` with [nats]) and stored into PostgreSQL by 1, 2 and 3 worker processes
# (`chorus serve --roles worker`), each count on a fresh database and stream. Prints, side by
# side: the source's publishing rate, the workers' throughput (the stream drained), the rate
# per worker, the stream's own rate (crates/chorus-stream/examples/stream_rate.rs: the same
# publish and fetch-and-ack code, no Chorus work) and, from the workers' /metrics, how long
# their scoring and their PostgreSQL writes took for the same batches.
#
#   bash bench/scale/run.sh
#   WORKERS="1 2" bash bench/scale/run.sh
#   NO_BUILD=1 bash bench/scale/run.sh          # the release binaries as they are built
#   PG_ADMIN_URL=postgres://chorus:chorus@127.0.0.1:5432/chorus bash bench/scale/run.sh
#
# Everything (nats-server, PostgreSQL, the source, the workers) shares this machine's cores:
# on 2 cores, a second worker can only use what the others leave.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
SHARED="${CHORUS_SHARED_DIR:-$ROOT/../shared}"
CORPUS="$SHARED/data/social_corpus/ira_tweets/tweets_sample.csv.gz"
CACHE="${CHORUS_LISTEN_CACHE:-/var/tmp/chorus-listen-cache}"
PG_ADMIN_URL="${PG_ADMIN_URL:-postgres://chorus:chorus@127.0.0.1:5432/chorus}"
WORKERS="${WORKERS:-1 2 3}"
PORT="${NATS_PORT:-4360}"
MON="${NATS_MONITOR_PORT:-8360}"
[ -f "$CORPUS" ] || { echo "no corpus at $CORPUS" >&2; exit 2; }
psql -q "$PG_ADMIN_URL" -c "SELECT 1" >/dev/null || { echo "PostgreSQL unreachable at $PG_ADMIN_URL" >&2; exit 2; }
NATS="$(bash "$ROOT/.ci/setup-nats.sh" | tail -1)"

QUERIES="$CACHE/wl10k-s1/queries.tsv"
if [ ! -f "$QUERIES" ]; then
    PY="$(bash "$ROOT/.ci/setup-listen.sh" | tail -1)"
    mkdir -p "$CACHE/wl10k-s1"
    "$PY" "$SHARED/peers/listen/gen_workload.py" "$CACHE/wl10k-s1" --queries 10000 --posts 100000 --seed 1 >/dev/null
fi
if [ -z "${NO_BUILD:-}" ]; then
    echo "building chorus and the stream-rate example (release)..." >&2
    (cd "$ROOT" && cargo build --release -q -p chorus && cargo build --release -q -p chorus-stream --example stream_rate)
fi
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}/release"
CHORUS="$TARGET/chorus"
WORK="$(mktemp -d)"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
export CHORUS__LOG__LEVEL=warn CHORUS__NATS__URL="nats://127.0.0.1:$PORT" CHORUS__SERVER__METRICS_TOKEN=bench-metrics-token-0123
DB_NAME=chorus_scale_bench
export CHORUS__DATABASE_URL="${PG_ADMIN_URL%/*}/$DB_NAME"
MARKET_SQL="INSERT INTO markets (code, name, country, locales, timezone, created_at, updated_at)
            VALUES ('US', 'United States', 'US', 'en-US', 'America/New_York', 0, 0);"

start_nats() {
    rm -rf "$WORK/js"
    "$NATS" -js -a 127.0.0.1 -p "$PORT" -m "$MON" -sd "$WORK/js" > "$WORK/nats.log" 2>&1 &
    NATS_PID=$!; PIDS+=("$NATS_PID")
    for _ in $(seq 100); do curl -fs "http://127.0.0.1:$MON/healthz" >/dev/null 2>&1 && return; sleep 0.1; done
    echo "nats-server did not start" >&2; exit 1
}
# "messages pending ack_pending" of the stream and its consumer.
backlog() {
    curl -fs "http://127.0.0.1:$MON/jsz?streams=true&consumers=true" | python3 -c '
import json, sys
d = json.load(sys.stdin)
for a in d.get("account_details", []):
    for s in a.get("stream_detail", []):
        if s["name"] == "CHORUS_POSTS":
            c = (s.get("consumer_detail") or [{}])[0]
            print(s["state"]["messages"], c.get("num_pending", 0), c.get("num_ack_pending", 0)); sys.exit()
print(0, 0, 0)'
}
metric_sum() { # file name: the sum of a metric over the workers' scrapes
    awk -v m="$2" '$1 == m { s += $2 } END { printf "%.3f", s + 0 }' "$1"
}

echo "stream rate (no Chorus work)..." >&2
start_nats
"$TARGET/examples/stream_rate" "nats://127.0.0.1:$PORT" 200000 450 > "$WORK/rate.txt"
kill "$NATS_PID"; wait "$NATS_PID" 2>/dev/null || true
PUB_RATE=$(sed -n 's/.*: \([0-9]*\) messages\/s/\1/p' "$WORK/rate.txt" | head -1)
ACK_RATE=$(sed -n 's/.*: \([0-9]*\) messages\/s/\1/p' "$WORK/rate.txt" | tail -1)

printf "| workers | source publishing | stored by the workers | per worker | scoring + matching, per loop | PostgreSQL writes, per loop | stream alone (publish / fetch+ack) |\n" > "$WORK/table"
printf "|---:|---:|---:|---:|---:|---:|---:|\n" >> "$WORK/table"
for W in $WORKERS; do
    echo "$W worker(s): fresh database and stream..." >&2
    psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" -c "CREATE DATABASE $DB_NAME"
    "$CHORUS" migrate --data-dir "$WORK/data" >/dev/null
    psql -q "$CHORUS__DATABASE_URL" -c "$MARKET_SQL"
    "$CHORUS" listening import --market US "$QUERIES" --data-dir "$WORK/data" >/dev/null
    start_nats
    "$CHORUS" ingest file --quiet "$CORPUS" --data-dir "$WORK/data" > "$WORK/source.txt"
    SRC_RATE=$(sed -n 's/.* \([0-9]*\) records\/s.*/\1/p' "$WORK/source.txt")
    read -r TOTAL _ _ < <(backlog)
    echo "  source: $(cat "$WORK/source.txt")" >&2
    WPIDS=()
    for i in $(seq "$W"); do
        "$CHORUS" serve --roles worker --port 0 --data-dir "$WORK/data" > "$WORK/worker$i.txt" 2>"$WORK/worker$i.log" &
        WPIDS+=($!); PIDS+=($!)
    done
    FIRST=""; END=""
    while true; do
        read -r msgs pending acks < <(backlog)
        now=$(date +%s.%N)
        if [ -z "$FIRST" ] && [ "$msgs" -lt "$TOTAL" ]; then FIRST=$now; fi
        if [ "$msgs" -eq 0 ] && [ "$pending" -eq 0 ] && [ "$acks" -eq 0 ]; then END=$now; break; fi
        sleep 0.1
    done
    : > "$WORK/metrics.txt"
    for i in $(seq "$W"); do
        addr=$(sed -n 's/.*metrics at http:\/\/\(.*\)/\1/p' "$WORK/worker$i.txt")
        curl -fs -H "Authorization: Bearer bench-metrics-token-0123" "http://$addr/metrics" >> "$WORK/metrics.txt"
    done
    for p in "${WPIDS[@]}"; do kill "$p"; wait "$p" 2>/dev/null || true; done
    kill "$NATS_PID"; wait "$NATS_PID" 2>/dev/null || true
    STORED=$(psql -qtA "$CHORUS__DATABASE_URL" -c "SELECT COUNT(*) FROM posts")
    SECS=$(echo "$END - $FIRST" | bc -l)
    RATE=$(echo "$TOTAL / $SECS" | bc -l)
    POSTS=$(metric_sum "$WORK/metrics.txt" chorus_worker_posts_total)
    ANALYZE=$(metric_sum "$WORK/metrics.txt" chorus_worker_analyze_seconds_sum)
    WRITE=$(metric_sum "$WORK/metrics.txt" chorus_worker_store_seconds_sum)
    echo "  $W worker(s): $TOTAL messages in $(printf %.1f "$SECS") s, $STORED posts stored" >&2
    printf "| %d | %s posts/s | **%.0f posts/s** | %.0f posts/s | %.0f posts/s | %.0f posts/s | %s / %s messages/s |\n" \
        "$W" "$SRC_RATE" "$RATE" "$(echo "$RATE / $W" | bc -l)" "$(echo "$POSTS / $ANALYZE" | bc -l)" \
        "$(echo "$POSTS / $WRITE" | bc -l)" "$PUB_RATE" "$ACK_RATE" >> "$WORK/table"
done
echo
echo "corpus: $(basename "$CORPUS"), 10,000 queries, $(nproc) cores, nats-server $("$NATS" --version | awk '{print $2}'), PostgreSQL $(psql -qtA "$PG_ADMIN_URL" -c 'SHOW server_version')"
cat "$WORK/table"
