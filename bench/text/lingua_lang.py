#!/usr/bin/env python3
"""lingua (PyPI lingua-language-detector) on the language evaluation texts of `chorus text eval`.

Reads `set<TAB>gold<TAB>text` lines (written by `chorus text eval --write-lang-set FILE`), writes
one ISO 639-1 code a line (`und` when lingua gives none) to OUT, and prints lingua's speed on
one thread. MODE: `all` (all 75 languages, high accuracy mode, lingua's default) or `markets`
(only the languages Chorus's model knows plus Hindi, Hungarian and Danish).

Usage: python bench/text/lingua_lang.py SET_FILE OUT [all|markets]
"""
import sys
import time

from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

MARKETS = ["ar", "bg", "ca", "cs", "de", "en", "es", "et", "fi", "fr", "hr", "is", "it", "lt", "lv",
           "mk", "nb", "nl", "pl", "pt", "ro", "ru", "so", "sq", "sr", "sv", "tl", "tr", "uk", "vi",
           "hi", "hu", "da", "fa"]


def main():
    set_file, out, mode = sys.argv[1], sys.argv[2], (sys.argv[3] if len(sys.argv) > 3 else "all")
    texts = []
    with open(set_file, encoding="utf-8", newline="") as f:
        for line in f.read().split("\n"):
            if line:
                texts.append(line.split("\t", 2)[2])
    if mode == "all":
        builder = LanguageDetectorBuilder.from_all_languages()
    else:
        langs = [Language.from_iso_code_639_1(getattr(IsoCode639_1, c.upper())) for c in MARKETS]
        builder = LanguageDetectorBuilder.from_languages(*langs)
    t = time.perf_counter()
    detector = builder.with_preloaded_language_models().build()
    load = time.perf_counter() - t
    t = time.perf_counter()
    codes = []
    for text in texts:
        lang = detector.detect_language_of(text)
        if lang is None:
            codes.append("und")
        else:
            code = lang.iso_code_639_1.name.lower()
            codes.append("nb" if code == "nn" else code)
    took = time.perf_counter() - t
    with open(out, "w", encoding="utf-8") as f:
        f.write("".join(c + "\n" for c in codes))
    print(f"lingua {mode}: {len(texts)} texts in {took:.1f} s, {len(texts) / took:.0f} texts/s "
          f"on one thread (models loaded in {load:.1f} s)")


if __name__ == "__main__":
    main()
