#!/usr/bin/env bash
# Text analysis, Chorus next to the peers in the same run, one core each:
#   VADER sentiment: chorus-text vs vaderSentiment 3.3.2 (PyPI) on the same texts;
#   the trained sentiment model, language identification, and language + model sentiment
#   together: chorus-text on the same texts and on the shared 149k-tweet IRA corpus;
#   quality: `chorus text eval` (every table) with lingua 2.1.1 (PyPI lingua-language-detector,
#   all languages and the markets' languages only) as columns of the language tables.
# Usage: bash bench/text/run.sh [PASSES]      (needs ../shared/data or CHORUS_SHARED_DIR)
#   PASSES (10): language passes; Chorus runs 10 × PASSES sentiment passes per round.
#   ROUNDS=5 CHORUS_PASSES=100 bash bench/text/run.sh   to set them directly.
#   SKIP_QUALITY=1: speed only. CHORUS_BIN=path/to/chorus: use that binary for the quality
#   tables (default: build target/release/chorus).
set -euo pipefail
export LC_ALL=C  # printf %.0f and awk read and write numbers with a dot whatever the locale
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
import csv, gzip
with gzip.open(f"{data}/social_corpus/ira_tweets/tweets_sample.csv.gz", "rt", encoding="utf-8", newline="") as f:
    sets["ira_corpus"] = [r["content"].replace("\n", " ").replace("\r", " ") for r in csv.DictReader(f)]
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
# Chorus and Python take turns, ROUNDS times per set: a Chorus round (CHORUS_PASSES passes,
# about as long as one Python pass) then a Python pass, so both sides see the same moments of a
# shared machine. The speed-up is the median of the rounds' ratios.
ROUNDS="${ROUNDS:-5}"
CHORUS_PASSES="${CHORUS_PASSES:-$((PASSES * 10))}"
case "$ROUNDS" in ''|*[!0-9]*|0) echo "ROUNDS must be a whole number of at least 1 (got '$ROUNDS')" >&2; exit 2 ;; esac
rate() { # clock, output -> median texts/s
    echo "$2" | sed -n "s/.*sentiment ($1):.*median \([0-9][0-9]*\).*/\1/p"
}
positive() { # name, value: a rate the ratio can be taken of, or stop saying which run printed what
    case "$2" in ''|*[!0-9]*|0) echo "no $1 rate could be read (got '$2'); its output was:" >&2; echo "$3" >&2; exit 1 ;; esac
}
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
for set in vader_tweets tweeteval_test xlmt_test_8_languages; do
    echo "== $set ($(wc -l < "$TMP/$set.txt") texts, $ROUNDS rounds)"
    for clock in wall cpu; do : > "$TMP/$clock.c"; : > "$TMP/$clock.p"; : > "$TMP/$clock.r"; done
    for _ in $(seq "$ROUNDS"); do
        chorus="$("${PIN[@]}" "$BIN" "$TMP/$set.txt" "$CHORUS_PASSES" sentiment)"
        python="$("${PIN[@]}" "$PY" bench/text/vader_reference.py "$TMP/$set.txt" 1)"
        for clock in wall cpu; do
            c=$(rate "$clock" "$chorus"); p=$(rate "$clock" "$python")
            positive "chorus $clock" "$c" "$chorus"; positive "python $clock" "$p" "$python"
            echo "$c" >> "$TMP/$clock.c"; echo "$p" >> "$TMP/$clock.p"
            awk -v c="$c" -v p="$p" 'BEGIN { print c / p }' >> "$TMP/$clock.r"
        done
    done
    for clock in wall cpu; do
        printf "sentiment (%s clock), texts/s, median of the rounds: chorus %.0f, python vaderSentiment 3.3.2 %.0f; speed-up %.0fx (rounds %.0fx-%.0fx)\n" \
            "$clock" "$(median < "$TMP/$clock.c")" "$(median < "$TMP/$clock.p")" "$(median < "$TMP/$clock.r")" \
            "$(sort -g "$TMP/$clock.r" | head -1)" "$(sort -g "$TMP/$clock.r" | tail -1)"
    done
    for task in language model both; do "${PIN[@]}" "$BIN" "$TMP/$set.txt" "$PASSES" "$task"; done
done
echo "== ira_corpus ($(wc -l < "$TMP/ira_corpus.txt") texts: the shared corpus of bench/ingest)"
for task in sentiment model language profiles both; do "${PIN[@]}" "$BIN" "$TMP/ira_corpus.txt" "$PASSES" "$task"; done

[ "${SKIP_QUALITY:-0}" = 1 ] && exit 0
# Quality, side by side with lingua on the same texts.
LINGUA_VENV="${CHORUS_LINGUA_VENV:-/var/tmp/chorus-lingua-venv}"
[ -x "$LINGUA_VENV/bin/python" ] || python3 -m venv "$LINGUA_VENV"
"$LINGUA_VENV/bin/python" -c 'import lingua' 2>/dev/null \
    || "$LINGUA_VENV/bin/pip" install --quiet --disable-pip-version-check 'lingua-language-detector==2.1.1'
CHORUS="${CHORUS_BIN:-}"
if [ -z "$CHORUS" ]; then
    cargo build --quiet --release -p chorus
    CHORUS="${CARGO_TARGET_DIR:-target}/release/chorus"
fi
"$CHORUS" text eval --shared "$DATA/.." --write-lang-set "$TMP/langset.tsv"
"${PIN[@]}" "$LINGUA_VENV/bin/python" bench/text/lingua_lang.py "$TMP/langset.tsv" "$TMP/lingua-all.txt" all
"${PIN[@]}" "$LINGUA_VENV/bin/python" bench/text/lingua_lang.py "$TMP/langset.tsv" "$TMP/lingua-markets.txt" markets
"${PIN[@]}" "$CHORUS" text eval --shared "$DATA/.." --no-speed \
    --other "lingua 2.1.1, all 75 languages=$TMP/lingua-all.txt" \
    --other "lingua 2.1.1, the markets' 34 languages=$TMP/lingua-markets.txt"
