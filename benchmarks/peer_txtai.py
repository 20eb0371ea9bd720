"""rag against txtai, an established embeddings database on FAISS: same model folder, same corpus, one run.

    .venv/bin/pip install txtai        # once; the benchmark only
    python benchmarks/peer_txtai.py [--limit N] [--backend onnx-int8]

rag builds its index from the news CSV (reading, chunking, embedding, BM25,
SQLite, FAISS). txtai, in its default configuration (dense vectors in FAISS, with
content storage so results carry their text), indexes the very passages rag made,
so it gets the chunking for free, and embeds them with the same packaged
all-MiniLM-L6-v2 folder (through sentence-transformers, torch fp32). Both save to
disk. Model loading is timed apart for both. Then 200 queries one at a time (the
54 benchmark questions and 146 article titles): median and p95 latency, and hit@5
on the 54 questions (a hit is a top-5 passage from the answering article).
Prints one table with ratios; results also go to benchmarks/out/peer_txtai.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from index_build import subset  # noqa: E402


def timed(fn, items):
    ms = []
    out = []
    for x in items:
        t = time.perf_counter()
        out.append(fn(x))
        ms.append((time.perf_counter() - t) * 1000)
    ms.sort()
    return out, statistics.median(ms), ms[int(0.95 * (len(ms) - 1))]


def hit5(results, questions) -> float:
    return sum(any(d in q["docs"] for d in docs[:5]) for docs, q in zip(results, questions)) / len(questions)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=0, help="use only the first N articles (0: all)")
    ap.add_argument("--backend", default="onnx-int8", help="rag's embedding backend")
    ap.add_argument(
        "--reuse", action="store_true", help="query the indexes of the last run again (build figures from its JSON)"
    )
    args = ap.parse_args()

    import rag
    from rag.build import BuildOptions, update_index
    from rag.corpus import load_corpus
    from rag.embedding import get_encoder, model_path
    from rag.retrieval import load_index

    out = HERE / "out"
    questions = [json.loads(line) for line in (HERE / "news_questions.jsonl").read_text().splitlines() if line.strip()]
    corpus = subset(args.limit)

    # --- rag
    index = out / "peer-rag"
    last = json.loads((out / "peer_txtai.json").read_text()) if args.reuse else None
    if not last:
        shutil.rmtree(index, ignore_errors=True)
    t = time.perf_counter()
    get_encoder(backend=args.backend).encode_query("load")
    rag_load = time.perf_counter() - t
    t = time.perf_counter()
    docs, problems = load_corpus(corpus)
    update_index(docs, index, BuildOptions(backend=args.backend), problems=problems)
    rag_build = last["rag"]["build_s"] if last else time.perf_counter() - t
    idx = load_index(index)
    passages = idx.hits([(i, 0.0) for i in range(len(idx))])
    titles = [d.title for d in docs[::17] if d.title][: 200 - len(questions)]
    texts = [q["question"] for q in questions] + titles
    rag.retrieve("warm up", index_dir=index)
    res_dense, rag_dense_med, rag_dense_p95 = timed(
        lambda s: [h.doc_id for h in rag.retrieve(s, k=10, index_dir=index, mode="dense")], texts
    )
    res_hybrid, rag_hyb_med, rag_hyb_p95 = timed(
        lambda s: [h.doc_id for h in rag.retrieve(s, k=10, index_dir=index)], texts
    )
    rag_size = sum(f.stat().st_size for f in index.rglob("*") if f.is_file())

    # --- txtai
    import os

    import faiss
    from txtai import Embeddings

    faiss.omp_set_num_threads(os.cpu_count() or 1)  # txtai's own setting, not the one rag's index chose

    folder = out / "peer-txtai"
    t = time.perf_counter()
    emb = Embeddings(path=str(model_path("all-MiniLM-L6-v2")), content=True)
    txtai_load = time.perf_counter() - t
    if last:
        emb.load(str(folder))
        txtai_build = last["txtai"]["build_s"]
    else:
        shutil.rmtree(folder, ignore_errors=True)
        t = time.perf_counter()
        emb.index([(p.chunk_id, p.text, None) for p in passages])
        emb.save(str(folder))
        txtai_build = time.perf_counter() - t
    emb.search("warm up", 10)
    res_txtai, tx_med, tx_p95 = timed(lambda s: [r["id"].split("#")[0] for r in emb.search(s, 10)], texts)
    tx_size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())

    nq = len(questions)
    row = {
        "articles": len(docs),
        "passages": len(passages),
        "rag_backend": args.backend,
        "rag": {
            "model_load_s": rag_load,
            "build_s": rag_build,
            "passages_per_s": len(passages) / rag_build,
            "dense_ms": [rag_dense_med, rag_dense_p95],
            "hybrid_ms": [rag_hyb_med, rag_hyb_p95],
            "dense_hit@5": hit5(res_dense[:nq], questions),
            "hybrid_hit@5": hit5(res_hybrid[:nq], questions),
            "disk_mb": rag_size / 2**20,
        },
        "txtai": {
            "model_load_s": txtai_load,
            "build_s": txtai_build,
            "passages_per_s": len(passages) / txtai_build,
            "dense_ms": [tx_med, tx_p95],
            "dense_hit@5": hit5(res_txtai[:nq], questions),
            "disk_mb": tx_size / 2**20,
        },
    }
    (out / "peer_txtai.json").write_text(json.dumps(row, indent=1))
    r, x = row["rag"], row["txtai"]
    print(
        f"{row['articles']} articles, {row['passages']} passages; rag backend {args.backend}, txtai default "
        f"(sentence-transformers torch fp32)\n"
    )
    print("| | rag | txtai | txtai / rag |\n|---|---|---|---|")
    print(f"| build (s) | {r['build_s']:.0f} | {x['build_s']:.0f} | {x['build_s'] / r['build_s']:.2f} |")
    print(f"| passages/s | {r['passages_per_s']:.1f} | {x['passages_per_s']:.1f} | |")
    print(f"| model load (s) | {r['model_load_s']:.1f} | {x['model_load_s']:.1f} | |")
    print(
        f"| dense query median / p95 (ms) | {r['dense_ms'][0]:.1f} / {r['dense_ms'][1]:.1f} | "
        f"{x['dense_ms'][0]:.1f} / {x['dense_ms'][1]:.1f} "
        f"| {x['dense_ms'][0] / r['dense_ms'][0]:.2f} |"
    )
    print(f"| rag hybrid query median / p95 (ms) | {r['hybrid_ms'][0]:.1f} / {r['hybrid_ms'][1]:.1f} | | |")
    print(f"| dense hit@5 | {r['dense_hit@5']:.3f} | {x['dense_hit@5']:.3f} | |")
    print(f"| rag hybrid hit@5 | {r['hybrid_hit@5']:.3f} | | |")
    print(f"| on disk (MB) | {r['disk_mb']:.0f} | {x['disk_mb']:.0f} | |")


if __name__ == "__main__":
    main()
