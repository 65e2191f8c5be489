#!/usr/bin/env bash
# Ingest end to end: the shared 149k-post corpus (gzip CSV, as is) with 10,000 listening queries,
# `chorus ingest file` pinned to one core, into SQLite and into PostgreSQL.
#
#   bash bench/ingest/run.sh                 # both backends (PostgreSQL skipped if unreachable)
#   BACKENDS=sqlite bash bench/ingest/run.sh
#   PG_ADMIN_URL=postgres://chorus:chorus@127.0.0.1:5432/chorus bash bench/ingest/run.sh
#   ROUNDS=5 bash bench/ingest/run.sh       # rounds per backend (default 3); the median is printed
#   MEASURE=instructions BACKENDS=sqlite ROUNDS=1 bash bench/ingest/run.sh
#                                            # the import's instruction count under callgrind
#                                            # (about 2 minutes; steady where timings swing, so it
#                                            # judges changes of a few percent)
#
# The queries are the 10k-query workload of bench/listen (../shared/peers/listen/gen_workload.py,
# seed 1; cached in $CHORUS_LISTEN_CACHE). For each backend: a fresh database, one market, the
# queries imported, then the timed import (wall clock of the whole command, and its CPU time).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
SHARED="${CHORUS_SHARED_DIR:-$ROOT/../shared}"
CORPUS="$SHARED/data/social_corpus/ira_tweets/tweets_sample.csv.gz"
CACHE="${CHORUS_LISTEN_CACHE:-/var/tmp/chorus-listen-cache}"
BACKENDS="${BACKENDS:-sqlite postgres}"
PG_ADMIN_URL="${PG_ADMIN_URL:-postgres://chorus:chorus@127.0.0.1:5432/chorus}"
CORE="${CORE:-0}"
ROUNDS="${ROUNDS:-3}"
MEASURE="${MEASURE:-time}"
case "$MEASURE" in
    time) ;;
    instructions) command -v valgrind >/dev/null || { echo "MEASURE=instructions needs valgrind (apt-get install valgrind)" >&2; exit 2; } ;;
    *) echo "MEASURE must be time or instructions, not '$MEASURE'" >&2; exit 2 ;;
esac
case "$ROUNDS" in ''|*[!0-9]*|0) echo "ROUNDS must be a positive whole number, not '$ROUNDS'" >&2; exit 2 ;; esac
[ -f "$CORPUS" ] || { echo "no corpus at $CORPUS" >&2; exit 2; }

QUERIES="$CACHE/wl10k-s1/queries.tsv"
if [ ! -f "$QUERIES" ]; then
    PY="$(bash "$ROOT/.ci/setup-listen.sh" | tail -1)"
    mkdir -p "$CACHE/wl10k-s1"
    "$PY" "$SHARED/peers/listen/gen_workload.py" "$CACHE/wl10k-s1" --queries 10000 --posts 100000 --seed 1 >/dev/null
fi

echo "building chorus (release)..." >&2
(cd "$ROOT" && cargo build --release -q -p chorus)
CHORUS="${CARGO_TARGET_DIR:-$ROOT/target}/release/chorus"
export CHORUS__LOG__LEVEL=error
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
MARKET_SQL="INSERT INTO markets (code, name, country, locales, timezone, created_at, updated_at)
            VALUES ('US', 'United States', 'US', 'en-US', 'America/New_York', 0, 0);"

run() { # kind, db args...
    local kind="$1"; shift
    "$CHORUS" migrate "$@" >/dev/null
    if [ "$kind" = sqlite ]; then sqlite3 "$WORK/$kind/chorus.db" "$MARKET_SQL"; else psql -q "$PG_URL" -c "$MARKET_SQL"; fi
    "$CHORUS" listening import --market US "$QUERIES" "$@" >/dev/null
    if [ "$MEASURE" = instructions ]; then
        taskset -c "$CORE" valgrind --tool=callgrind --callgrind-out-file="$WORK/$kind.cg" \
            "$CHORUS" ingest file --quiet "$CORPUS" "$@" > "$WORK/$kind.out" 2> "$WORK/$kind.vg"
        echo "$kind: $(grep -o 'Collected : [0-9]*' "$WORK/$kind.vg" | awk '{print $3}') instructions ($(cat "$WORK/$kind.out"))" | tee -a "$WORK/instructions" >&2
        return
    fi
    /usr/bin/time -f "%e %U %S" -o "$WORK/$kind.time" \
        taskset -c "$CORE" "$CHORUS" ingest file --quiet "$CORPUS" "$@" > "$WORK/$kind.out"
    read -r wall user sys < "$WORK/$kind.time"
    local n; n=$(awk '{print $1}' "$WORK/$kind.out")
    printf "| %s | %s | %.1f s | %.1f s | %.0f | %.0f |\n" "$kind" "$n" "$wall" "$(echo "$user + $sys" | bc)" \
        "$(echo "$n / $wall" | bc -l)" "$(echo "$n / ($user + $sys)" | bc -l)" >> "$WORK/table"
    printf "%s %.0f\n" "$kind" "$(echo "$n / $wall" | bc -l)" >> "$WORK/rates"
    echo "$kind: $(cat "$WORK/$kind.out")" >&2
}

for round in $(seq "$ROUNDS"); do
    echo "round $round of $ROUNDS" >&2
    for b in $BACKENDS; do
        case "$b" in
            sqlite) rm -rf "$WORK/sqlite"; mkdir -p "$WORK/sqlite"; run sqlite --data-dir "$WORK/sqlite" ;;
            postgres)
                if ! psql -q "$PG_ADMIN_URL" -c "SELECT 1" >/dev/null 2>&1; then
                    echo "PostgreSQL unreachable at $PG_ADMIN_URL; skipped" >&2; continue
                fi
                psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS chorus_bench_ingest WITH (FORCE)" -c "CREATE DATABASE chorus_bench_ingest"
                PG_URL="${PG_ADMIN_URL%/*}/chorus_bench_ingest"
                rm -rf "$WORK/postgres"; mkdir -p "$WORK/postgres"
                run postgres --data-dir "$WORK/postgres" --database-url "$PG_URL"
                psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS chorus_bench_ingest WITH (FORCE)"
                ;;
            *) echo "unknown backend $b" >&2; exit 2 ;;
        esac
    done
done
if [ "$MEASURE" = instructions ]; then
    echo
    cat "$WORK/instructions"
    exit 0
fi
echo
echo "149,118-row corpus, 10,000 queries, chorus ingest file on core $CORE (taskset)"
echo "| backend | records | wall | CPU (user+sys) | records/s (wall) | records/s per CPU-second |"
echo "| --- | --- | --- | --- | --- | --- |"
cat "$WORK/table"
echo
for b in $BACKENDS; do
    rates=$(awk -v b="$b" '$1 == b {print $2}' "$WORK/rates" 2>/dev/null | sort -n)
    [ -n "$rates" ] || continue
    n=$(echo "$rates" | wc -l)
    median=$(echo "$rates" | awk -v n="$n" '{r[NR] = $1} END {printf "%.0f", n % 2 ? r[(n + 1) / 2] : (r[n / 2] + r[n / 2 + 1]) / 2}')
    echo "$b: median $median records/s over $n rounds (lowest $(echo "$rates" | head -1), highest $(echo "$rates" | tail -1))"
done
