#!/usr/bin/env python3
"""Differential fuzzing of the Rust VADER port against vaderSentiment 3.3.2.

Generates random texts that are dense in VADER's rule triggers (negations, boosters, "but",
"least", idioms, ALL CAPS, ! and ?, emoji, emoticons, Python-only whitespace, Unicode case
corners), scores them with the reference, writes them in the format of reference_scores.jsonl
and runs the crate's parity test on them.

Usage: bash .ci/setup-text.sh && /var/tmp/chorus-text-venv/bin/python bench/text/fuzz_parity.py [N] [SEED]
"""
import json, os, random, subprocess, sys, tempfile

from vaderSentiment.vaderSentiment import (BOOSTER_DICT, NEGATE, SPECIAL_CASES,
                                           SentimentIntensityAnalyzer)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    rng = random.Random(seed)
    sia = SentimentIntensityAnalyzer()
    lex = list(sia.lexicon)
    emoji1 = [e for e in sia.emojis if len(e) == 1]
    emoji_multi = [e for e in sia.emojis if len(e) > 1]
    rule = (list(NEGATE) + list(BOOSTER_DICT) + [w for k in SPECIAL_CASES for w in k.split()] +
            ["no", "but", "least", "at", "very", "never", "so", "this", "without", "doubt", "kind",
             "of", "or", "nor", "the", "n't", "BUT", "NOT", "No"])
    odd = ["İ", "Σ", "ΟΔΟΣ", "ß", "ǅ", "K", "\u0130stanbul", "ÉNORME", "naïve", "٣", "ｇｏｏｄ"]
    seps = [" "] * 20 + ["  ", "\t", "\n", "\x1c", "\x1f", "\xa0", "\u2003", "\u3000", "\x85", "\u200b", ""]
    punct = ["", "", "", "!", "?", "!!", "???", ",", ".", "'", '"', "(", ")", ":", "#", "@", "...", "!?"]

    def word():
        r = rng.random()
        w = (rng.choice(lex) if r < 0.45 else rng.choice(rule) if r < 0.8 else
             rng.choice(emoji1) if r < 0.88 else rng.choice(emoji_multi) if r < 0.91 else
             rng.choice(odd) if r < 0.96 else "".join(rng.choice("abcxyz!?") for _ in range(rng.randint(1, 6))))
        c = rng.random()
        w = w.upper() if c < 0.15 else w.title() if c < 0.2 else w
        return rng.choice(punct) + w + rng.choice(punct)

    fd, path = tempfile.mkstemp(prefix="vader_fuzz_", suffix=".jsonl")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        for i in range(n):
            text = ""
            for k in range(rng.randint(0, 25)):
                text += (rng.choice(seps) if k else "") + word()
            s = sia.polarity_scores(text)
            out.write(json.dumps({"set": "fuzz", "id": f"{seed}-{i}", "text": text, **s},
                                 ensure_ascii=False) + "\n")
    print(f"wrote {n} scored texts to {path} (seed {seed})")
    env = dict(os.environ, CHORUS_VADER_EXTRA_REFERENCE=path)
    r = subprocess.run(["cargo", "test", "--quiet", "-p", "chorus-text", "--test", "text", "--",
                        "extra_reference_scores_are_reproduced", "--nocapture"], cwd=ROOT, env=env)
    if r.returncode == 0:
        os.unlink(path)
    sys.exit(r.returncode)


if __name__ == "__main__":
    main()
