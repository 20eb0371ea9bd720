"""Query latency, recall@10, memory and disk per vector index type at 10k, 100k and 1M passages.

    python benchmarks/scale.py [--sizes 10000,100000,1000000] [--types flat,ivf-sq8,hnsw-sq8]
                               [--retrieve-at 1000000] [--source benchmarks/out/news-onnx-int8]

Vectors: the real news passages of a benchmark index (`index_build.py` makes it),
replicated with variation to reach each size: row i > n is the normalized sum of
passage i mod n, 0.6 × a random other passage and a little noise, so the copies
are new points in the same semantic space rather than duplicates. Queries: the 54
benchmark questions and 146 article titles, embedded by the index's backend.

For each size and type, one process builds the index (`rag.store.ann.build`, the code
`rag index` runs) and a fresh process loads it from disk and answers the 200
queries one at a time: median and p95 latency, recall@10 against exact search,
peak RSS. `--retrieve-at N` also writes a complete rag index of N passages
(SQLite metadata and passage text, BM25, the automatic vector index) and measures
`retrieve()` itself in a fresh process, dense and hybrid, next to the time to
embed the query alone, with that process's RSS.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
OUT = HERE / "out" / "scale"
MIX = 0.6
NOISE = 0.02


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def peak_mb() -> float:
    """This process's RSS high-water mark (VmHWM; ru_maxrss would include the parent's before exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def source_index(path: Path):
    from rag.store.faiss import FaissStore

    return FaissStore.load(path)


def synth(base: np.ndarray, n: int) -> np.ndarray:
    """`n` normalized vectors: `base` itself, then mixtures of two base vectors plus noise."""
    b = len(base)
    out = np.empty((n, base.shape[1]), dtype=np.float32)
    out[: min(n, b)] = base[: min(n, b)]
    rng = np.random.default_rng(7)
    for lo in range(b, n, 65536):
        hi = min(n, lo + 65536)
        i = np.arange(lo, hi) % b
        j = rng.integers(0, b, hi - lo)
        x = base[i] + MIX * base[j] + NOISE * rng.standard_normal((hi - lo, base.shape[1]), dtype=np.float32)
        out[lo:hi] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


def vectors_file(source: Path, n: int) -> Path:
    path = OUT / f"vectors-{n}.npy"
    if not path.exists():
        base = np.load(source_index(source).build_dir / "vectors.npy")
        np.save(path, synth(base, n))
    return path


def queries(source: Path) -> np.ndarray:
    path = OUT / "queries.npy"
    if path.exists():
        return np.load(path)
    from rag.embedding import get_encoder

    idx = source_index(source)
    qs = [
        json.loads(line)["question"]
        for line in (HERE / "news_questions.jsonl").read_text().splitlines()
        if line.strip()
    ]
    titles = [d.title for d in idx.documents()[::17] if d.title][: 200 - len(qs)]
    texts = qs + titles
    (OUT / "queries.json").write_text(json.dumps(texts))
    emb = get_encoder(idx.manifest.model, idx.manifest.backend)
    q = np.stack([emb.encode_query(t) for t in texts])
    np.save(path, q)
    return q


def truth(n: int, q: np.ndarray, vfile: Path) -> np.ndarray:
    path = OUT / f"truth-{n}.npy"
    if path.exists():
        return np.load(path)
    x = np.load(vfile, mmap_mode="r")
    best_s = np.full((len(q), 10), -np.inf, dtype=np.float32)
    best_i = np.zeros((len(q), 10), dtype=np.int64)
    for lo in range(0, n, 200_000):
        s = q @ np.asarray(x[lo : lo + 200_000]).T
        cand_i = np.concatenate([best_i, np.argpartition(-s, 10, axis=1)[:, :10] + lo], axis=1)
        cand_s = np.concatenate([best_s, np.take_along_axis(s, cand_i[:, 10:] - lo, axis=1)], axis=1)
        order = np.argsort(-cand_s, axis=1)[:, :10]
        best_i, best_s = np.take_along_axis(cand_i, order, axis=1), np.take_along_axis(cand_s, order, axis=1)
    np.save(path, best_i)
    return best_i


def worker_build(n: int, kind: str, vfile: Path) -> None:
    from rag.store import ann

    x = np.load(vfile)
    t = time.perf_counter()
    path = OUT / f"{n}-{kind}.faiss"
    entry = ann.build(x, kind, path)
    seconds = time.perf_counter() - t
    (OUT / f"{n}-{kind}.json").write_text(json.dumps({"entry": entry, "build_s": seconds}))


def worker_serve(n: int, kind: str) -> dict:
    import faiss

    from rag.store import ann

    base_rss = rss_mb()
    meta = json.loads((OUT / f"{n}-{kind}.json").read_text())
    index = faiss.read_index(str(OUT / f"{n}-{kind}.faiss"))
    ann.configure(index, meta["entry"])
    q = np.load(OUT / "queries.npy")
    gt = np.load(OUT / f"truth-{n}.npy")
    index.search(q[:1], 10)
    ms, found = [], []
    for i in range(len(q)):
        t = time.perf_counter()
        _, ids = index.search(q[i : i + 1], 10)
        ms.append((time.perf_counter() - t) * 1000)
        found.append(len(set(ids[0]) & set(gt[i])) / 10)
    ms.sort()
    return {
        "passages": n,
        "type": meta["entry"]["type"],
        "params": {k: v for k, v in meta["entry"].items() if k not in ("type", "trained_on")},
        "build_s": round(meta["build_s"], 1),
        "ms_median": round(statistics.median(ms), 2),
        "ms_p95": round(ms[int(0.95 * (len(ms) - 1))], 2),
        "recall@10": round(float(np.mean(found)), 3),
        "rss_mb": round(rss_mb(), 0),
        "index_rss_mb": round(rss_mb() - base_rss, 0),
        "disk_mb": round((OUT / f"{n}-{kind}.faiss").stat().st_size / 2**20, 1),
    }


def write_rag_index(n: int, source: Path, vfile: Path) -> Path:
    """A complete rag index of `n` passages: the replicated vectors, with the passage texts they came from."""
    from rag.store import Batch, Passages
    from rag.store.faiss import write_build
    from rag.store.manifest import Manifest
    from rag.types import Chunk, Document

    target = OUT / f"rag-index-{n}"
    if target.exists() and (target / "CURRENT").exists():
        return target
    src = source_index(source)
    rows = src._db.execute("SELECT text FROM chunks ORDER BY row").fetchall()
    texts = [r[0] for r in rows]
    b = len(texts)
    per_doc = 5
    docs, chunks = [], []
    for d in range(0, n, per_doc):
        parts, pos, cs = [], 0, []
        for row in range(d, min(n, d + per_doc)):
            t = texts[row % b]
            cs.append(Chunk(f"doc{d // per_doc}#{row - d}", f"doc{d // per_doc}", t, pos, pos + len(t), 0))
            parts.append(t)
            pos += len(t) + 2
        text = "\n\n".join(parts)
        docs.append(
            Document(
                doc_id=f"doc{d // per_doc}",
                text=text,
                title=f"Synthetic {d // per_doc}",
                source=f"S{d % 7}",
                published="2017-01-01",
                url="",
                origin="synthetic",
                content_hash=str(d),
            )
        )
        chunks.extend(cs)
    vectors = np.load(vfile, mmap_mode="r")
    manifest = Manifest(
        store="faiss",
        settings=dict(src.manifest.settings),
        dimension=int(vectors.shape[1]),
        counts={"documents": len(docs), "chunks": len(chunks)},
        documents={d.doc_id: d.content_hash for d in docs},
    )
    target.mkdir(parents=True, exist_ok=True)
    by_doc: dict[str, list] = {}
    for c in chunks:
        by_doc.setdefault(c.doc_id, []).append(c)
    write_build(target, manifest, [Batch(docs, Passages(by_doc, np.asarray(vectors)))])
    return target


def worker_retrieve(index: Path) -> dict:
    import rag
    from rag.embedding import get_encoder
    from rag.retrieval import load_index

    texts = json.loads((OUT / "queries.json").read_text())
    t = time.perf_counter()
    rag.retrieve(texts[0], k=10, index_dir=index)
    first_s = time.perf_counter() - t
    idx = load_index(index)
    emb = get_encoder(idx.manifest.model, idx.manifest.backend)
    out = {
        "passages": len(idx),
        "vector_index": idx.manifest.vector_index["type"],
        "first_retrieve_s": round(first_s, 1),
    }
    for name, fn in (
        ("embed_query", lambda s: emb.encode_query(s)),
        ("dense", lambda s: rag.retrieve(s, k=10, index_dir=index, mode="dense")),
        ("hybrid", lambda s: rag.retrieve(s, k=10, index_dir=index)),
    ):
        ms = []
        for s in texts:
            t = time.perf_counter()
            fn(s)
            ms.append((time.perf_counter() - t) * 1000)
        ms.sort()
        out[name] = {"ms_median": round(statistics.median(ms), 1), "ms_p95": round(ms[int(0.95 * (len(ms) - 1))], 1)}
    out["rss_mb"] = round(rss_mb(), 0)
    out["peak_rss_mb"] = round(peak_mb(), 0)
    return out


def run(*args: str) -> str:
    return subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True, text=True).stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--types", default="flat,ivf-sq8,hnsw-sq8")
    ap.add_argument("--retrieve-at", type=int, default=1_000_000, help="passages of the full rag index (0: skip)")
    ap.add_argument("--source", type=Path, default=HERE / "out" / "news-onnx-int8")
    ap.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        what, *rest = args.worker
        if what == "build":
            worker_build(int(rest[0]), rest[1], Path(rest[2]))
        elif what == "serve":
            print(json.dumps(worker_serve(int(rest[0]), rest[1])))
        else:
            print(json.dumps(worker_retrieve(Path(rest[0]))))
        return

    OUT.mkdir(parents=True, exist_ok=True)
    q = queries(args.source)
    rows = []
    for n in map(int, args.sizes.split(",")):
        vfile = vectors_file(args.source, n)
        truth(n, q, vfile)
        for kind in args.types.split(","):
            run("--worker", "build", str(n), kind, str(vfile))
            row = json.loads(run("--worker", "serve", str(n), kind))
            rows.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
    result = {"rows": rows}
    if args.retrieve_at:
        t = time.perf_counter()
        index = write_rag_index(args.retrieve_at, args.source, vectors_file(args.source, args.retrieve_at))
        result["rag_index_write_s"] = round(time.perf_counter() - t, 0)
        result["retrieve"] = json.loads(run("--worker", "retrieve", str(index)))
        result["retrieve"]["disk_mb"] = round(sum(f.stat().st_size for f in index.rglob("*") if f.is_file()) / 2**20, 0)
        print(json.dumps(result["retrieve"]), file=sys.stderr, flush=True)
    (HERE / "out" / "scale.json").write_text(json.dumps(result, indent=1))

    print(
        "| passages | index | params | build (s) | median ms | p95 ms | recall@10 | process RSS (MB) | index in "
        "RAM (MB) | on disk (MB) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        p = ", ".join(f"{k}={v}" for k, v in r["params"].items()) or "exact"
        print(
            f"| {r['passages']:,} | {r['type']} | {p} | {r['build_s']} | {r['ms_median']} | {r['ms_p95']} | "
            f"{r['recall@10']:.3f} "
            f"| {r['rss_mb']:.0f} | {r['index_rss_mb']:.0f} | {r['disk_mb']} |"
        )
    if "retrieve" in result:
        r = result["retrieve"]
        print(
            f"\nretrieve() on a full rag index of {r['passages']:,} passages ({r['vector_index']}, "
            f"{r['disk_mb']:.0f} MB on disk), "
            f"fresh process, 200 queries:\n"
        )
        print("| step | median ms | p95 ms |\n|---|---|---|")
        for name in ("embed_query", "dense", "hybrid"):
            print(f"| {name} | {r[name]['ms_median']} | {r[name]['ms_p95']} |")
        print(
            f"\nfirst retrieve() {r['first_retrieve_s']} s; RSS after 600 queries {r['rss_mb']:.0f} MB (peak "
            f"{r['peak_rss_mb']:.0f} MB)"
        )


if __name__ == "__main__":
    main()
