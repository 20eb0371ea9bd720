"""Past one machine, for real: a two-node Ray cluster on loopback, and FAISS/Milvus parity on the news corpus.

Marked `scale` (a separate CI step): the cluster takes a while to start, and the
news corpus is embedded once in full (~9 minutes on 2 cores).
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from rag.corpus import load_corpus
from rag.index import Index, update_index

from .conftest import ROOT
from .test_milvus import assert_parity, free_port

pytestmark = pytest.mark.scale

sys.path.insert(0, str(ROOT / "benchmarks"))


def news_sample(folder: Path, n: int) -> Path:
    """The first `n` articles of the 3,824-article news CSV, as a CSV of their own."""
    from news_data import news_csv

    out = folder / f"news-{n}.csv"
    csv.field_size_limit(sys.maxsize)
    with open(news_csv(), newline="", encoding="utf-8") as f, open(out, "w", newline="", encoding="utf-8") as g:
        r, w = csv.reader(f), csv.writer(g)
        w.writerow(next(r))
        for _, row in zip(range(n), r):
            w.writerow(row)
    return out


def processes_under(marker: str) -> list[int]:
    """PIDs whose command line or environment mentions `marker` (a cluster's private folder)."""
    pids = []
    for p in Path("/proc").iterdir():
        if not p.name.isdigit() or int(p.name) == os.getpid():
            continue
        try:
            if marker.encode() in (p / "cmdline").read_bytes() or marker.encode() in (p / "environ").read_bytes():
                pids.append(int(p.name))
        except OSError:
            pass
    return pids


@pytest.fixture(scope="module")
def ray_cluster():
    """A head node and a worker node, one CPU each, on 127.0.0.1, with a private HOME and temp folders.

    Stopped by PID afterwards (`ray stop` would stop every Ray on the machine).
    """
    base = Path(tempfile.mkdtemp(prefix="rag-ray-"))  # short: Ray's socket paths must stay under 108 bytes
    (base / "home").mkdir()
    env = {**os.environ, "HOME": str(base / "home"), "RAY_USAGE_STATS_ENABLED": "0"}
    ray = str(Path(sys.executable).with_name("ray"))
    port = free_port()
    common = ["--node-ip-address=127.0.0.1", "--num-cpus=1", "--disable-usage-stats"]
    try:
        subprocess.run([ray, "start", "--head", f"--port={port}", f"--temp-dir={base}/head", "--include-dashboard=false", *common],
                       env=env, check=True, timeout=180, capture_output=True)
        subprocess.run([ray, "start", f"--address=127.0.0.1:{port}", f"--temp-dir={base}/worker", *common],
                       env=env, check=True, timeout=180, capture_output=True)
        deadline = time.time() + 60
        while time.time() < deadline:
            status = subprocess.run([ray, "status", f"--address=127.0.0.1:{port}"], env=env, capture_output=True, text=True, timeout=60)
            if status.stdout.count("node_") >= 2:
                break
            time.sleep(1)
        else:
            raise AssertionError(f"the second node never joined:\n{status.stdout}{status.stderr}")
        yield f"127.0.0.1:{port}", env
    finally:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for pid in processes_under(str(base)):
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            time.sleep(3)
        assert processes_under(str(base)) == []
        shutil.rmtree(base, ignore_errors=True)


def test_ray_build_runs_on_both_nodes_and_equals_the_local_build(ray_cluster, tmp_path):
    address, env = ray_cluster
    corpus = news_sample(tmp_path, 40)
    local, remote = tmp_path / "local", tmp_path / "ray"
    docs, problems = load_corpus(corpus)
    assert len(docs) == 40 and not problems
    update_index(docs, local)

    r = subprocess.run(
        [sys.executable, "-m", "rag", "index", "--corpus", str(corpus), "--index", str(remote), "--ray", address, "-q"],
        capture_output=True, text=True, timeout=900, env=env,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    assert "embedded on 2 Ray node(s)" in r.stderr, r.stderr[-3000:]

    a, b = Index.load(local), Index.load(remote)
    assert a.chunks_of() == b.chunks_of()  # the same passages, offsets and all
    assert {k: v for k, v in a.manifest["settings"].items()} == b.manifest["settings"]
    assert a.manifest["documents"] == b.manifest["documents"]
    va, vb = np.load(a.build_dir / "vectors.npy"), np.load(b.build_dir / "vectors.npy")
    assert va.shape == vb.shape and np.allclose(va, vb, atol=1e-6)  # same groups, same model calls: same vectors

    # Incremental rules hold across the two: a Ray update of a local build embeds only what changed.
    rows = list(csv.reader(open(corpus, newline="", encoding="utf-8")))
    rows[4][rows[0].index("text")] += "\n\nA late correction was added to this story."
    with open(corpus, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    docs, _ = load_corpus(corpus)
    report = update_index(docs, local, ray_address=address)
    assert len(report.changed) == 1 and report.added == report.removed == []
    assert 0 < report.embedded < report.chunks and sum(report.nodes.values()) == report.embedded


@pytest.fixture(scope="module")
def news_faiss(tmp_path_factory):
    """The whole news corpus (3,824 articles) indexed with FAISS and the default backend."""
    from news_data import news_csv

    index = tmp_path_factory.mktemp("news") / "index"
    docs, problems = load_corpus(news_csv())
    update_index(docs, index)
    return index, docs, problems


def test_faiss_and_milvus_agree_on_the_news_benchmark(news_faiss, tmp_path):
    from rag.retrieval import _open, load_index

    faiss_dir, docs, problems = news_faiss
    milvus_dir = tmp_path / "milvus"
    shutil.copytree(faiss_dir, milvus_dir)  # the FAISS build's vectors move to Milvus: nothing is embedded twice
    report = update_index(docs, milvus_dir, store="milvus", problems=problems)
    assert report.embedded == 0 and report.chunks == len(load_index(faiss_dir))
    questions = [json.loads(line) for line in (ROOT / "benchmarks" / "news_questions.jsonl").read_text().splitlines() if line.strip()]
    relaxed = sum(assert_parity(q["question"], faiss_dir, milvus_dir) for q in questions)
    assert relaxed <= len(questions) // 10
    _open.clear()
