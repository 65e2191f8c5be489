#!/usr/bin/env bash
# Listening-engine benchmark: Chorus vs the Python peers, same workloads, same run.
#
#   bash bench/listen/run.sh            # both workloads (10k queries seed 1, 100k queries seed 2)
#   WORKLOADS=10k bash bench/listen/run.sh
#
# For each workload (../shared/peers/listen/gen_workload.py, 100k posts) it runs
#   chorus query match   (release build; one thread; CPU time of the matching loop)
#   peer_aho.py          (the exact reference matcher; its output must equal ours)
#   peer_tantivy.py      (tantivy per-batch index; --limit TANTIVY_LIMIT posts, batch 5000)
# and prints posts/s per core (CPU time, one thread) side by side, Chorus' p99 per-post
# latency, registration time and matcher memory, and whether Chorus' matches equal peer_aho's.
# Workloads are cached in $CHORUS_LISTEN_CACHE (default /var/tmp/chorus-listen-cache).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
SHARED="${CHORUS_SHARED_DIR:-$ROOT/../shared}"
PEERS="$SHARED/peers/listen"
CACHE="${CHORUS_LISTEN_CACHE:-/var/tmp/chorus-listen-cache}"
TANTIVY_LIMIT="${TANTIVY_LIMIT:-20000}"
WORKLOADS="${WORKLOADS:-10k 100k}"
PY="$(bash "$ROOT/.ci/setup-listen.sh" | tail -1)"

echo "building chorus (release)..." >&2
(cd "$ROOT" && cargo build --release -q -p chorus)
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
CHORUS="$TARGET/release/chorus"

OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT

for wl in $WORKLOADS; do
    case "$wl" in
        10k) NQ=10000; SEED=1; DIR="$CACHE/wl10k-s1" ;;
        100k) NQ=100000; SEED=2; DIR="$CACHE/wl100k-s2" ;;
        *) echo "unknown workload $wl" >&2; exit 2 ;;
    esac
    if [ ! -f "$DIR/aho.done" ]; then
        mkdir -p "$DIR"
        echo "generating workload $wl..." >&2
        "$PY" "$PEERS/gen_workload.py" "$DIR" --queries "$NQ" --posts 100000 --seed "$SEED" >/dev/null
        "$PY" "$PEERS/peer_aho.py" "$DIR" --out "$DIR/aho.tsv" >/dev/null
        touch "$DIR/aho.done"
    fi
    echo "[$wl] chorus..." >&2
    "$CHORUS" query match --quiet --queries "$DIR/queries.tsv" --posts "$DIR/posts.jsonl" \
        --out "$OUT/chorus-$wl.tsv" 2> "$OUT/chorus-$wl.log"
    echo "[$wl] peer_aho.py..." >&2
    "$PY" "$PEERS/peer_aho.py" "$DIR" --out "$OUT/aho-$wl.tsv" > "$OUT/aho-$wl.log"
    echo "[$wl] peer_tantivy.py (--limit $TANTIVY_LIMIT)..." >&2
    "$PY" "$PEERS/peer_tantivy.py" "$DIR" --batch 5000 --limit "$TANTIVY_LIMIT" > "$OUT/tantivy-$wl.log"
    if sort "$OUT/chorus-$wl.tsv" | cmp -s - <(sort "$OUT/aho-$wl.tsv"); then
        echo same > "$OUT/equal-$wl"
    else
        echo DIFFERENT > "$OUT/equal-$wl"
    fi
done

"$PY" - "$OUT" $WORKLOADS <<'PY'
import re, sys
out, wls = sys.argv[1], sys.argv[2:]
def result(path):
    for line in open(path):
        if line.startswith("RESULT"):
            return dict(kv.split("=", 1) for kv in line.split()[1:] if "=" in kv)
    raise SystemExit("no RESULT line in " + path)
rows = {}
for wl in wls:
    c, a, t = (result("%s/%s-%s.log" % (out, k, wl)) for k in ("chorus", "aho", "tantivy"))
    rows[wl] = (c, a, t, open("%s/equal-%s" % (out, wl)).read().strip())
print("\nposts/s per core (CPU time, one thread), 100k posts per workload")
print("| engine | " + " | ".join("%s queries" % w for w in wls) + " |")
print("| --- |" + " --- |" * len(wls))
print("| chorus query match | " + " | ".join("%.0f" % float(rows[w][0]["docs_per_cpu_s"]) for w in wls) + " |")
print("| peer_aho.py (pyahocorasick) | " + " | ".join("%.0f" % float(rows[w][1]["docs_per_cpu_s"]) for w in wls) + " |")
print("| peer_tantivy.py (batch 5000) | " + " | ".join("%.0f" % float(rows[w][2]["docs_per_cpu_s"]) for w in wls) + " |")
print()
for w in wls:
    c = rows[w][0]
    print("%s queries: chorus p50 %s us, p99 %s us, max %s us; registration %s s CPU (%s s wall); matcher %s MB (RSS +%s MB); "
          "matches %s (peer_aho %s) -> %s"
          % (w, c["p50_us"], c["p99_us"], c["max_us"], c["register_cpu_s"], c["register_s"], c["matcher_mb"], c["rss_delta_mb"],
             c["matches"], rows[w][1]["matches"], rows[w][3]))
PY
