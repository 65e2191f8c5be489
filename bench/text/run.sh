#!/usr/bin/env bash
# Text-analysis speed, Chorus next to the Python reference in the same run, one core each:
#   VADER sentiment: chorus-text vs vaderSentiment 3.3.2 (PyPI) on the same texts;
#   language identification: chorus-text (whatlang + unknown rule) on the same texts.
# Usage: bash bench/text/run.sh [PASSES]      (needs ../shared/data or CHORUS_SHARED_DIR)
set -euo pipefail
cd "$(dirname "$0")/../.."
PASSES="${1:-10}"
DATA="${CHORUS_SHARED_DIR:-../shared}/data"
[ -d "$DATA/vader" ] || { echo "shared data not found at $DATA" >&2; exit 1; }
PY="$(bash .ci/setup-text.sh | tail -1)"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

# The same texts for both sides, one per line (texts contain no newline).
"$PY" - "$DATA" "$TMP" <<'PYEOF'
import os, sys
data, out = sys.argv[1], sys.argv[2]
def lines(path):
    with open(path, encoding="utf-8", newline="") as f:
        ls = f.read().split("\n")
    if ls and ls[-1] == "":
        ls.pop()
    return [l[:-1] if l.endswith("\r") else l for l in ls]
sets = {
    "vader_tweets": [l.split("\t", 2)[2] for l in lines(f"{data}/vader/hutto_ICWSM_2014/tweets_GroundTruth.txt")],
    "tweeteval_test": lines(f"{data}/tweeteval/datasets/sentiment/test_text.txt"),
    "xlmt_test_8_languages": [t for lang in ["arabic", "english", "french", "german", "hindi", "italian", "portuguese", "spanish"]
                              for t in lines(f"{data}/xlm-t/sentiment/{lang}/test_text.txt")],
}
for name, texts in sets.items():
    assert all("\n" not in t and "\r" not in t for t in texts), name
    with open(os.path.join(out, name + ".txt"), "w", encoding="utf-8", newline="\n") as f:
        f.write("".join(t + "\n" for t in texts))
PYEOF

cargo build --quiet --release -p chorus-text --example throughput
BIN="${CARGO_TARGET_DIR:-target}/release/examples/throughput"
PIN=()
if command -v taskset >/dev/null; then PIN=(taskset -c 0); fi

echo "load average now: $(cut -d' ' -f1-3 /proc/loadavg) (wall-clock rates suffer on a busy machine; cpu = the thread's own CPU time)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); one core each (${PIN[*]:-unpinned})"
for set in vader_tweets tweeteval_test xlmt_test_8_languages; do
    echo "== $set"
    chorus="$("${PIN[@]}" "$BIN" "$TMP/$set.txt" "$PASSES")"
    python="$("${PIN[@]}" "$PY" bench/text/vader_reference.py "$TMP/$set.txt" "$PASSES")"
    echo "$chorus"
    echo "$python"
    for clock in wall cpu; do
        c=$(echo "$chorus" | sed -n "s/^chorus sentiment ($clock):.*median \([0-9]*\).*/\1/p")
        p=$(echo "$python" | sed -n "s/^python.*($clock):.*median \([0-9]*\).*/\1/p")
        awk -v c="$c" -v p="$p" -v k="$clock" 'BEGIN { printf "sentiment speed-up, %s clock (median/median): %.0fx\n", k, c / p }'
    done
done
