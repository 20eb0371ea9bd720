"""Crash safety for real: `rag index` killed (SIGKILL) at every point of a build.

Each kill must leave the previous index loading and answering exactly as before,
and the next `rag index` must complete and remove what the killed run left.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys

import pytest

import rag
import rag.retrieval
from rag.build import CRASH_POINTS
from rag.store.faiss import FaissStore

from .conftest import STARTER, write_article

pytestmark = pytest.mark.slow
QUESTIONS = ["What did Rutte say about Ukraine?", "North Korean troops", "defense spending target"]


def index_cmd(corpus, index, crash_at=None):
    env = {**os.environ}
    env.pop("RAG_CRASH_AT", None)
    if crash_at:
        env["RAG_CRASH_AT"] = crash_at
    return subprocess.run(
        [sys.executable, "-m", "rag", "index", "--corpus", str(corpus), "--index", str(index), "-q"],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )


def answers(index):
    rag.retrieval.clear_cache()  # read the index from disk, as a fresh process would
    return [[(h.chunk_id, round(h.score, 6)) for h in rag.retrieve(q, k=5, index_dir=index)] for q in QUESTIONS]


def test_killed_at_every_point_of_a_build(tmp_path):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(STARTER, corpus)
    assert index_cmd(corpus, index).returncode == 0
    assert len(CRASH_POINTS) >= 10
    for n, point in enumerate(CRASH_POINTS):
        before_build = FaissStore.load(index).build_id
        before = answers(index)
        write_article(
            corpus, f"new-{n}.txt", f"Article {n}: the defence ministers met in Brussels to discuss Ukraine. " * 20
        )
        killed = index_cmd(corpus, index, crash_at=point)
        assert killed.returncode == -signal.SIGKILL, (point, killed.returncode, killed.stderr[-500:])
        if point == "swapped":  # the new build was already in place; only the clean-up was cut short
            assert FaissStore.load(index).build_id != before_build
        else:
            assert FaissStore.load(index).build_id == before_build, point
            assert answers(index) == before, f"answers changed after a kill at {point!r}"
        finished = index_cmd(corpus, index)
        assert finished.returncode == 0, (point, finished.stderr[-800:])
        leftovers = [p.name for p in index.iterdir() if p.name.endswith(".tmp") or p.name.startswith(".spool-")]
        assert leftovers == [], (point, leftovers)
        builds = [p for p in index.iterdir() if p.name.startswith("build-")]
        assert len(builds) <= 2, (point, [p.name for p in builds])
        assert FaissStore.load(index).document(f"new-{n}").text.startswith(f"Article {n}:"), point
