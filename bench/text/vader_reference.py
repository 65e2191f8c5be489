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
    wall, cpu = [], []
    for _ in range(passes):
        w0, c0 = time.perf_counter(), time.thread_time()
        for t in texts:
            sia.polarity_scores(t)
        wall.append(len(texts) / (time.perf_counter() - w0))
        cpu.append(len(texts) / (time.thread_time() - c0))
    for clock, rates in (("wall", wall), ("cpu", cpu)):
        print(f"python vaderSentiment 3.3.2 sentiment ({clock}): {len(texts)} texts, texts/s over {passes} "
              f"passes: median {statistics.median(rates):.0f}, best {max(rates):.0f}, worst {min(rates):.0f}")


if __name__ == "__main__":
    main()
