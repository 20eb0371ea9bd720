"""Retrieval quality and latency per mode on the 3,824-article real news corpus.

    python benchmarks/retrieval_news.py [--index DIR] [--questions FILE]

Brings the benchmark index up to date (a full build takes ~20 minutes on 2 cores;
`benchmarks/index_build.py` builds the same index), then asks every question of
`benchmarks/news_questions.jsonl` in each mode: dense, lexical, hybrid and
hybrid + cross-encoder rerank. A hit is a top-k passage from the article that
answers the question. Prints one table; results also go to benchmarks/out/.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from news_data import news_csv  # noqa: E402

MODES = [("dense", False), ("lexical", False), ("hybrid", False), ("hybrid", True)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, default=HERE / "out" / "news-index")
    ap.add_argument("--questions", type=Path, default=HERE / "news_questions.jsonl")
    ap.add_argument("-k", type=int, default=10)
    args = ap.parse_args()

    from rag.build import update_index
    from rag.corpus import load_corpus
    from rag.retrieval import retrieve

    docs, problems = load_corpus(news_csv())
    report = update_index(docs, args.index, problems=problems)
    print(f"index: {report.chunks} passages, {report.embedded} embedded now, {report.seconds:.1f}s", file=sys.stderr)

    questions = [json.loads(line) for line in args.questions.read_text().splitlines() if line.strip()]
    retrieve("warm up", k=1, index_dir=args.index, rerank=True)
    rows = []
    for mode, rerank in MODES:
        ranks, ms = [], []
        for q in questions:
            t = time.perf_counter()
            hits = retrieve(q["question"], k=args.k, index_dir=args.index, mode=mode, rerank=rerank)
            ms.append((time.perf_counter() - t) * 1000)
            ranks.append(next((i for i, h in enumerate(hits, start=1) if h.doc_id in q["docs"]), None))
        ms.sort()
        n = len(questions)
        rows.append(
            {
                "mode": mode + (" + rerank" if rerank else ""),
                "hit@1": sum(r == 1 for r in ranks) / n,
                "hit@5": sum(r is not None and r <= 5 for r in ranks) / n,
                f"hit@{args.k}": sum(r is not None for r in ranks) / n,
                f"mrr@{args.k}": sum(1 / r for r in ranks if r) / n,
                "ms_median": statistics.median(ms),
                "ms_p95": ms[int(0.95 * (n - 1))],
            }
        )
    (HERE / "out").mkdir(exist_ok=True)
    (HERE / "out" / "retrieval_news.json").write_text(json.dumps({"questions": len(questions), "rows": rows}, indent=1))
    print(f"{len(questions)} questions, {report.chunks} passages from {len(docs)} articles\n")
    print("| " + " | ".join(rows[0]) + " |")
    print("|" + "---|" * len(rows[0]))
    for r in rows:
        print(
            "| "
            + " | ".join(
                f"{v:.3f}"
                if isinstance(v, float) and k.startswith(("hit", "mrr"))
                else f"{v:.0f}"
                if isinstance(v, float)
                else str(v)
                for k, v in r.items()
            )
            + " |"
        )


if __name__ == "__main__":
    main()
