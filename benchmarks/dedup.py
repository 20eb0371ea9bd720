"""Near-duplicate detection (rag.dedup) on the real news corpus: false merges and false splits.

    python benchmarks/dedup.py [--n 3824] [--threshold 0.7]

False merges: every article of the corpus (3,788 with text, from many outlets, many on
the same events on the same days) is added in turn; each one matched to an earlier
article is a merge, printed for inspection. The corpus holds a few true duplicates
(wire copies), so merges are an upper bound on false ones.

False splits: for 500 articles, republished variants of the kind `rag update` meets —
another headline line and boilerplate around the text, the last paragraph dropped, a
"first published in" line added, 3% of the words edited — must each match their
original.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.news_data import news_csv  # noqa: E402
from rag.dedup import THRESHOLD, NearDuplicates, jaccard, shingles  # noqa: E402


def articles(n: int) -> list[tuple[str, str, str]]:
    csv.field_size_limit(sys.maxsize)
    with open(news_csv(), newline="", encoding="utf-8") as f:
        rows = [(r["article_id"], r["title"], r["text"]) for r in csv.DictReader(f) if len(r["text"]) > 400]
    return rows[:n]


def variants(text: str, rng: random.Random) -> dict[str, str]:
    paragraphs = [p for p in text.split("\n") if p.strip()] or [text]
    words = text.split()
    edited = list(words)
    for i in rng.sample(range(len(words)), max(1, len(words) * 3 // 100)):
        edited[i] = rng.choice(["said", "reported", "on", "the", "officials", "new"])
    return {
        "boilerplate": "Breaking news. Sign up to our newsletter. " + text + " Share this article. Most read.",
        "last paragraph dropped": "\n".join(paragraphs[:-1]) if len(paragraphs) > 3 else text[: len(text) * 85 // 100],
        "first published line": text + "\nThis story first appeared on another website and is republished here.",
        "3% of words edited": " ".join(edited),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=3824)
    ap.add_argument("--threshold", type=float, default=THRESHOLD)
    args = ap.parse_args()
    rows = articles(args.n)
    seen = NearDuplicates(args.threshold)
    t0 = time.perf_counter()
    merges = []
    texts = {}
    for doc_id, _title, text in rows:
        match = seen.match(text)
        if match is not None:
            merges.append((doc_id, match, jaccard(shingles(text), shingles(texts[match]))))
        seen.add(doc_id, text)
        texts[doc_id] = text
    took = time.perf_counter() - t0
    print(f"{len(rows)} articles, threshold {args.threshold}: {len(merges)} merged in {took:.1f}s")
    titles = {d: t for d, t, _ in rows}
    for a, b, j in merges:
        print(f"  {a} ~ {b} (jaccard {j:.2f}): {titles[a][:60]!r} / {titles[b][:60]!r}")
    rng = random.Random(7)
    sample = rng.sample(rows, min(500, len(rows)))
    splits: dict[str, int] = {}
    for doc_id, _, text in sample:
        for kind, variant in variants(text, rng).items():
            if seen.match(variant) != doc_id:
                splits[kind] = splits.get(kind, 0) + 1
    total = len(sample)
    for kind in variants("a b c d e f", rng):
        print(f"false splits, {kind}: {splits.get(kind, 0)} of {total}")


if __name__ == "__main__":
    main()
