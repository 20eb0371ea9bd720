"""Past one machine: embedding through Ray, writing to and searching in Milvus, against the local build.

    python benchmarks/scale_out.py [--articles 300] [--skip-ray] [--skip-milvus]

Ray: the first N news articles are indexed three ways with the default backend
(onnx-int8): locally (one process, both cores), and through Ray Data on a two-node
cluster on loopback (one CPU per node; `benchmarks/loopback.py`). Reported:
passages/s in all and per core.

Milvus: the full news index (benchmarks/out/news-onnx-int8, built by
index_build.py, or built here) is moved into Milvus Lite — a file in-process, then a
`milvus-lite server` on loopback — re-using its vectors (`rag index --store milvus`
on a FAISS folder embeds nothing). Reported: passages written/s, and retrieve()
latency for the 54 news questions in each mode against FAISS, plus how many top-5
lists agree (ties allowed).

Writes benchmarks/out/scale_out.json and prints the tables.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from loopback import milvus_server, ray_cluster  # noqa: E402
from news_data import news_csv, news_sample  # noqa: E402

from rag.build import BuildOptions, update_index  # noqa: E402
from rag.corpus import load_corpus  # noqa: E402

OUT = HERE / "out"


def timed_build(docs, index: Path, **kw) -> dict:
    shutil.rmtree(index, ignore_errors=True)
    marks = {}

    def progress(stage, done, total):
        marks.setdefault(stage, time.perf_counter())
        marks[f"{stage}-end"] = time.perf_counter()

    t = time.perf_counter()
    report = update_index(docs, index, BuildOptions(**kw), progress=progress)
    seconds = time.perf_counter() - t
    embed = marks.get("embedding-end", t) - marks.get("embedding", t)
    return {
        "passages": report.chunks,
        "seconds": round(seconds, 1),
        "passages_per_s": round(report.chunks / seconds, 1),
        "embedding_stage_s": round(embed, 1),
        "nodes": report.nodes,
    }


def ray_figures(n: int) -> dict:
    folder = OUT / "scale-out"
    folder.mkdir(parents=True, exist_ok=True)
    docs, _ = load_corpus(news_sample(folder, n))
    rows = {"articles": len(docs)}
    rows["local, 1 process, 2 cores"] = timed_build(docs, folder / "local")
    print("local", rows["local, 1 process, 2 cores"], flush=True)
    with ray_cluster(nodes=2, cpus_per_node=1) as (address, _env, _ids):
        # The first build on a new cluster also exports the model to ONNX on each node (cached after).
        rows["ray, 2 nodes x 1 CPU, first build"] = timed_build(docs, folder / "ray", ray_address=address)
        print("ray first", rows["ray, 2 nodes x 1 CPU, first build"], flush=True)
        rows["ray, 2 nodes x 1 CPU"] = timed_build(docs, folder / "ray", ray_address=address)
        print("ray", rows["ray, 2 nodes x 1 CPU"], flush=True)
    for key in ("local, 1 process, 2 cores", "ray, 2 nodes x 1 CPU, first build", "ray, 2 nodes x 1 CPU"):
        rows[key]["passages_per_s_per_core"] = round(rows[key]["passages_per_s"] / 2, 1)
    return rows


def latency(index: Path, questions: list[str], mode: str) -> dict:
    from rag.retrieval import retrieve

    retrieve(questions[0], 5, index_dir=index, mode=mode)  # warm: model and index loaded
    times = []
    for q in questions:
        t = time.perf_counter()
        retrieve(q, 5, index_dir=index, mode=mode)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return {"median_ms": round(statistics.median(times), 1), "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1)}


def agreement(faiss_dir: Path, milvus_dir: Path, questions: list[str]) -> dict:
    from rag.retrieval import retrieve
    from tests.test_milvus import same_ranking

    out = {}
    for mode in ("dense", "lexical", "hybrid"):
        same = overlap = 0
        for q in questions:
            a, b = (retrieve(q, 5, index_dir=d, mode=mode) for d in (faiss_dir, milvus_dir))
            same += same_ranking(a, b)
            overlap += len({h.chunk_id for h in a} & {h.chunk_id for h in b})
        out[mode] = {
            "same_top5_ties_allowed": same,
            "questions": len(questions),
            "mean_overlap_of_5": round(overlap / len(questions), 2),
        }
    return out


def milvus_figures() -> dict:
    from rag.retrieval import clear_cache
    from rag.store import MilvusLocation

    source = OUT / "news-onnx-int8"
    docs, problems = load_corpus(news_csv())
    if not (source / "CURRENT").exists():
        print("building the FAISS news index first (~9 min)", flush=True)
        update_index(docs, source, BuildOptions(backend="onnx-int8"), problems=problems)
    questions = [
        json.loads(line)["question"]
        for line in (HERE / "news_questions.jsonl").read_text().splitlines()
        if line.strip()
    ]
    rows = {}
    for where in ("lite-file", "lite-server"):
        target = OUT / f"milvus-news-{where}"
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(source, target)
        with milvus_server(target) if where == "lite-server" else contextlib.nullcontext() as uri:
            t = time.perf_counter()
            report = update_index(
                docs,
                target,
                BuildOptions(store="milvus", milvus=MilvusLocation(uri) if uri else None),
                problems=problems,
            )
            seconds = time.perf_counter() - t
            assert report.embedded == 0
            row = {
                "passages": report.chunks,
                "write_seconds": round(seconds, 1),
                "passages_written_per_s": round(report.chunks / seconds, 1),
            }
            for mode in ("dense", "lexical", "hybrid"):
                row[f"{mode} retrieve()"] = latency(target, questions, mode)
            row["agreement with FAISS"] = agreement(source, target, questions)
            rows[where] = row
            print(where, json.dumps(row), flush=True)
            clear_cache()
    rows["faiss"] = {f"{mode} retrieve()": latency(source, questions, mode) for mode in ("dense", "lexical", "hybrid")}
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=300)
    ap.add_argument("--skip-ray", action="store_true")
    ap.add_argument("--skip-milvus", action="store_true")
    args = ap.parse_args()
    path = OUT / "scale_out.json"
    result = json.loads(path.read_text()) if path.exists() else {}  # a part skipped keeps its last figures
    result.update(date=time.strftime("%Y-%m-%d"), machine=f"{platform.machine()}, {os.cpu_count()} cores")
    if not args.skip_ray:
        result["ray"] = ray_figures(args.articles)
    if not args.skip_milvus:
        result["milvus"] = milvus_figures()
    OUT.mkdir(exist_ok=True)
    path.write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
