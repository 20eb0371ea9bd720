"""Index build per embedding backend on the 3,824-article real news corpus, in one run.

    python benchmarks/index_build.py [--limit N] [--backends torch-fp32,onnx-fp32,onnx-int8]

For each backend: a full build into its own index (benchmarks/out/news-<backend>),
passages/s and the ratio to torch fp32 measured in the same run, a no-change
rebuild, retrieval quality on benchmarks/news_questions.jsonl (hit@1, hit@5, MRR@10
for dense and hybrid search) and the mean cosine of its vectors to torch fp32's.
Model loading (and the one-time ONNX export) is timed apart from the build.
Prints one table; results also go to benchmarks/out/index_build.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from news_data import news_csv  # noqa: E402


def subset(limit: int) -> Path:
    corpus = news_csv()
    if not limit:
        return corpus
    small = corpus.with_name(f"news-{limit}.csv")
    with corpus.open(newline="", encoding="utf-8") as f, small.open("w", newline="", encoding="utf-8") as g:
        r, w = csv.reader(f), csv.writer(g)
        w.writerow(next(r))
        for _, row in zip(range(limit), r):
            w.writerow(row)
    return small


def quality(index: Path, questions: list[dict], mode: str, k: int = 10) -> dict:
    from rag.retrieval import retrieve

    ranks = []
    for q in questions:
        hits = retrieve(q["question"], k=k, index_dir=index, mode=mode)
        ranks.append(next((i for i, h in enumerate(hits, start=1) if h.doc_id in q["docs"]), None))
    n = len(questions)
    return {
        "hit@1": sum(r == 1 for r in ranks) / n,
        "hit@5": sum(r is not None and r <= 5 for r in ranks) / n,
        "mrr@10": sum(1 / r for r in ranks if r) / n,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=0, help="use only the first N articles (0: all)")
    ap.add_argument("--backends", default="torch-fp32,onnx-fp32,onnx-int8")
    ap.add_argument("--questions", type=Path, default=HERE / "news_questions.jsonl")
    args = ap.parse_args()

    from rag.build import BuildOptions, update_index
    from rag.corpus import load_corpus
    from rag.embedding import get_encoder
    from rag.store.faiss import FaissStore

    corpus = subset(args.limit)
    questions = [json.loads(line) for line in args.questions.read_text().splitlines() if line.strip()]
    rows, reference = [], None
    for backend in args.backends.split(","):
        index = HERE / "out" / (f"news-{backend}" + (f"-{args.limit}" if args.limit else ""))
        t = time.perf_counter()
        get_encoder(backend=backend).encode_query("load the model")  # load (and export) outside the build timing
        prep_s = time.perf_counter() - t
        docs, problems = load_corpus(corpus)

        def progress(stage, done, total, backend=backend):
            if stage == "embedding" and total and (done == total or done % 2048 < 64):
                print(f"  {backend}: embedded {done}/{total}", file=sys.stderr, flush=True)

        full = update_index(docs, index, BuildOptions(full=True, backend=backend), problems=problems, progress=progress)
        t = time.perf_counter()
        docs2, problems2 = load_corpus(corpus)
        again = update_index(docs2, index, problems=problems2)
        nochange_s = time.perf_counter() - t
        vectors = np.load(FaissStore.load(index).build_dir / "vectors.npy")
        if reference is None:
            reference = vectors
        row = {
            "backend": backend,
            "passages": full.chunks,
            "prep_s": round(prep_s, 1),
            "build_s": round(full.seconds, 1),
            "passages_per_s": round(full.chunks / full.seconds, 1),
            "nochange_s": round(nochange_s, 2),
            "nochange_embedded": again.embedded,
            "cosine_to_first": round(float((vectors * reference).sum(axis=1).mean()), 4),
            "dense": quality(index, questions, "dense"),
            "hybrid": quality(index, questions, "hybrid"),
        }
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    base = rows[0]["passages_per_s"]
    (HERE / "out").mkdir(exist_ok=True)
    (HERE / "out" / "index_build.json").write_text(json.dumps({"articles": len(docs), "rows": rows}, indent=1))
    print(
        f"{len(docs)} articles, {rows[0]['passages']} passages, {len(questions)} questions; ratios to "
        f"{rows[0]['backend']}\n"
    )
    print(
        "| backend | build (s) | passages/s | × | model prep (s) | no-change (s) | cosine | dense hit@1 / hit@5 "
        "| hybrid hit@1 / hit@5 / MRR@10 |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        d, h = r["dense"], r["hybrid"]
        print(
            f"| {r['backend']} | {r['build_s']:.0f} | {r['passages_per_s']:.1f} | "
            f"{r['passages_per_s'] / base:.2f} | {r['prep_s']:.1f} "
            f"| {r['nochange_s']:.2f} | {r['cosine_to_first']:.4f} | {d['hit@1']:.3f} / {d['hit@5']:.3f} "
            f"| {h['hit@1']:.3f} / {h['hit@5']:.3f} / {h['mrr@10']:.3f} |"
        )


if __name__ == "__main__":
    main()
