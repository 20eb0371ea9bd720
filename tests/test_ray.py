"""Past one machine, for real: a two-node Ray cluster on loopback, and FAISS/Milvus parity on the news corpus.

Marked `scale` (a separate CI step): the cluster takes a while to start, and the
news corpus is embedded once in full (~9 minutes on 2 cores).
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from rag.build import BuildOptions, update_index
from rag.corpus import load_corpus
from rag.store.faiss import FaissStore

from .conftest import ROOT
from .test_milvus import assert_parity

pytestmark = pytest.mark.scale

sys.path.insert(0, str(ROOT / "benchmarks"))


@pytest.fixture(scope="module")
def ray_cluster():
    """A head node and a worker node, one CPU each, on 127.0.0.1 (see benchmarks/loopback.py)."""
    from loopback import ray_cluster

    with ray_cluster(nodes=2, cpus_per_node=1) as (address, env, node_ids):
        yield address, env, node_ids


def test_ray_build_runs_on_both_nodes_and_equals_the_local_build(ray_cluster, tmp_path):
    from news_data import news_sample

    address, env, node_ids = ray_cluster
    corpus = news_sample(tmp_path, 40)
    local, remote = tmp_path / "local", tmp_path / "ray"
    docs, problems = load_corpus(corpus)
    assert len(docs) == 40 and not problems
    update_index(docs, local)

    r = subprocess.run(
        [sys.executable, "-m", "rag", "index", "--corpus", str(corpus), "--index", str(remote), "--ray", address, "-q"],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    assert "embedded on 2 Ray node(s)" in r.stderr, r.stderr[-3000:]
    for node in node_ids:  # each node embedded some of the passages
        assert f" {node[:8]} " in r.stderr, (node_ids, r.stderr[-1000:])

    a, b = FaissStore.load(local), FaissStore.load(remote)
    assert a.chunks_of() == b.chunks_of()  # the same passages, offsets and all
    assert {k: v for k, v in a.manifest.settings.items()} == b.manifest.settings
    assert a.hashes == b.hashes
    va, vb = np.load(a.build_dir / "vectors.npy"), np.load(b.build_dir / "vectors.npy")
    assert va.shape == vb.shape and np.allclose(va, vb, atol=1e-6)  # same groups, same model calls: same vectors

    # Incremental rules hold across the two: a Ray update of a local build embeds only what changed.
    rows = list(csv.reader(open(corpus, newline="", encoding="utf-8")))
    rows[4][rows[0].index("text")] += "\n\nA late correction was added to this story."
    with open(corpus, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    docs, _ = load_corpus(corpus)
    report = update_index(docs, local, BuildOptions(ray_address=address))
    assert len(report.changed) == 1 and report.added == report.removed == []
    assert 0 < report.embedded < report.chunks and sum(report.nodes.values()) == report.embedded

    # Moving a FAISS folder into Milvus on Ray re-uses its vectors: nothing goes to the cluster to be embedded.
    moved = tmp_path / "moved"
    shutil.copytree(local, moved)
    report = update_index(docs, moved, BuildOptions(ray_address=address, store="milvus"))
    assert report.embedded == 0 and report.chunks == FaissStore.load(local).manifest.counts["chunks"]


def test_a_ray_build_hands_the_cluster_a_step_at_a_time(ray_cluster, tmp_path, monkeypatch):
    """The driver holds one step's passages and vectors, not a build's: the spool hands the cluster encoder
    steps of `CALLS_PER_STEP` calls an actor, and the vectors that come back are the local build's."""
    from news_data import news_sample

    import rag.distributed

    address, _, _ = ray_cluster
    docs, _ = load_corpus(news_sample(tmp_path, 12))
    update_index(docs, tmp_path / "local")
    steps = []
    encode = rag.distributed.ClusterEncoder.encode_documents

    def noted(self, texts, **kw):
        steps.append((len(texts), self.step_passages))
        return encode(self, texts, **kw)

    monkeypatch.setattr(rag.distributed, "CALLS_PER_STEP", 1)
    monkeypatch.setattr(rag.distributed, "GROUPS_PER_CALL", 1)  # steps of 16 passages on two actors
    monkeypatch.setattr(rag.distributed.ClusterEncoder, "encode_documents", noted)
    report = update_index(docs, tmp_path / "ray", BuildOptions(ray_address=address))
    assert len(steps) > 1 and all(n <= step for n, step in steps), steps
    assert sum(n for n, _ in steps) == report.embedded == report.chunks
    a, b = (FaissStore.load(tmp_path / d) for d in ("local", "ray"))
    assert np.array_equal(np.load(a.build_dir / "vectors.npy"), np.load(b.build_dir / "vectors.npy"))


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
    report = update_index(docs, milvus_dir, BuildOptions(store="milvus"), problems=problems)
    assert report.embedded == 0 and report.chunks == len(load_index(faiss_dir))
    questions = [
        json.loads(line)
        for line in (ROOT / "benchmarks" / "news_questions.jsonl").read_text().splitlines()
        if line.strip()
    ]
    relaxed = sum(assert_parity(q["question"], faiss_dir, milvus_dir) for q in questions)
    assert relaxed <= len(questions) // 10
    _open.clear()
