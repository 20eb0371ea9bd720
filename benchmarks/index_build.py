"""Index build and query latency on the 3,824-article real news corpus.

    python benchmarks/index_build.py [--limit N] [--index DIR]

Prints one table: full build (passages/s), no-change rebuild, and warm `retrieve()`
latency (median and p95 of 100 queries). Results also go to benchmarks/out/.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from news_data import news_csv  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=0, help="use only the first N articles (0: all)")
    ap.add_argument("--index", type=Path, default=Path(__file__).resolve().parent / "out" / "news-index")
    args = ap.parse_args()

    import csv

    from rag.corpus import load_corpus
    from rag.index import update_index
    from rag.retrieval import retrieve

    corpus = news_csv()
    if args.limit:
        small = corpus.with_name(f"news-{args.limit}.csv")
        with corpus.open(newline="", encoding="utf-8") as f, small.open("w", newline="", encoding="utf-8") as g:
            r = csv.reader(f)
            w = csv.writer(g)
            w.writerow(next(r))
            for i, row in zip(range(args.limit), r):
                w.writerow(row)
        corpus = small

    from rag.embedding import get_embedder

    t = time.perf_counter()
    get_embedder().dimension  # load the model outside the build timing
    load_s = time.perf_counter() - t
    t = time.perf_counter()
    docs, problems = load_corpus(corpus)
    read_s = time.perf_counter() - t

    def progress(stage, done, total):
        if stage == "embedding" and total and (done == total or done % 2048 < 64):
            print(f"  embedded {done}/{total}", file=sys.stderr, flush=True)

    full = update_index(docs, args.index, full=True, problems=problems, progress=progress)
    t = time.perf_counter()
    docs2, problems2 = load_corpus(corpus)
    again = update_index(docs2, args.index, problems=problems2)
    nochange_s = time.perf_counter() - t

    queries = [d.title for d in docs[:100] if d.title]
    retrieve(queries[0], k=5, index_dir=args.index)  # warm: model and index loaded
    lat = []
    for q in queries:
        t = time.perf_counter()
        retrieve(q, k=5, index_dir=args.index)
        lat.append((time.perf_counter() - t) * 1000)
    lat.sort()
    size = sum(p.stat().st_size for p in (args.index / full.build_id).iterdir())
    row = {
        "articles": len(docs),
        "problems": len(problems),
        "passages": full.chunks,
        "read_s": round(read_s, 2),
        "build_s": round(full.seconds, 1),
        "model_load_s": round(load_s, 1),
        "passages_per_s": round(full.chunks / full.seconds, 1),
        "nochange_rebuild_s": round(nochange_s, 2),
        "nochange_embedded": again.embedded,
        "retrieve_ms_median": round(statistics.median(lat), 1),
        "retrieve_ms_p95": round(lat[int(0.95 * (len(lat) - 1))], 1),
        "index_mb": round(size / 1e6, 1),
        "machine": f"{platform.machine()} {platform.processor() or ''} cores={__import__('os').cpu_count()}".strip(),
    }
    out = Path(__file__).resolve().parent / "out"
    out.mkdir(exist_ok=True)
    (out / "index_build.json").write_text(json.dumps(row, indent=1))
    print("| " + " | ".join(row) + " |")
    print("|" + "---|" * len(row))
    print("| " + " | ".join(str(v) for v in row.values()) + " |")


if __name__ == "__main__":
    main()
