#!/usr/bin/env python3
"""Throughput of the reference, vaderSentiment 3.3.2, on a file of texts (one per line, split on
"\\n", one trailing "\\r" dropped) -- the same reading as crates/chorus-text/examples/throughput.rs.

Usage: python vader_reference.py FILE [PASSES]
"""
import statistics
import sys
import time
from importlib.metadata import version

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer


def main():
    path = sys.argv[1]
    passes = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    with open(path, encoding="utf-8", newline="") as f:
        texts = f.read().split("\n")
    if texts and texts[-1] == "":
        texts.pop()
    texts = [t[:-1] if t.endswith("\r") else t for t in texts]
    assert version("vaderSentiment") == "3.3.2", version("vaderSentiment")
    sia = SentimentIntensityAnalyzer()
    for t in texts:  # warm-up
        sia.polarity_scores(t)
    rates = []
    for _ in range(passes):
        t0 = time.perf_counter()
        for t in texts:
            sia.polarity_scores(t)
        rates.append(len(texts) / (time.perf_counter() - t0))
    print(f"python vaderSentiment 3.3.2 sentiment: {len(texts)} texts, texts/s over {passes} passes: "
          f"median {statistics.median(rates):.0f}, best {max(rates):.0f}, worst {min(rates):.0f}")


if __name__ == "__main__":
    main()
