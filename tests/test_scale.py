"""Embedding backends and vector index types: selection, the manifest guard, updates and deletes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import rag.embedding
from rag.build import BuildOptions, update_index
from rag.corpus import load_corpus
from rag.errors import IndexCorrupt, SettingsError
from rag.retrieval import load_index, retrieve
from rag.store import ann
from rag.store.faiss import FaissStore

from .conftest import FakeEmbedder, write_article


class FakeInt8(FakeEmbedder):
    backend = "onnx-int8"


def build(corpus, index, emb=None, **kw):
    docs, problems = load_corpus(corpus)
    return update_index(docs, index, BuildOptions(model="fake-bow", **kw), encoder=emb, problems=problems)


def test_backend_is_recorded_and_a_change_re_embeds_everything(corpus_dir, tmp_path, fake_embedder):
    index = tmp_path / "index"
    first = build(corpus_dir, index, fake_embedder)  # the fake stands in for torch-fp32
    assert FaissStore.load(index).manifest.backend == "torch-fp32"

    int8 = FakeInt8()
    report = build(corpus_dir, index, int8)
    assert "backend 'torch-fp32' → 'onnx-int8'" in report.full_reason
    assert report.embedded == report.chunks == first.chunks, "vectors of two backends must never share an index"
    assert len(int8.embedded) == report.chunks
    assert load_index(index).manifest.settings["backend"] == "onnx-int8"


def test_without_a_backend_asked_for_an_index_keeps_its_own(corpus_dir, tmp_path):
    from rag.build import encoder_backend

    index = tmp_path / "index"
    build(corpus_dir, index, type("F", (FakeEmbedder,), {"backend": "onnx-fp32"})())
    old = FaissStore.load(index).manifest
    assert encoder_backend(BuildOptions(), old) == "onnx-fp32"  # backend=None: the index's own
    assert encoder_backend(BuildOptions(backend="torch-fp32"), old) == "torch-fp32"


def test_a_new_index_gets_the_default_backend():
    from rag.build import encoder_backend

    assert encoder_backend(BuildOptions(), None) == rag.embedding.DEFAULT_BACKEND == "onnx-int8"


def test_queries_use_the_backend_that_embedded_the_passages(corpus_dir, tmp_path):
    from rag.embedding import OnnxEncoder
    from rag.retrieval import query_encoder

    index = tmp_path / "index"
    docs, _ = load_corpus(corpus_dir)
    update_index(docs, index, BuildOptions(model="all-MiniLM-L6-v2"), encoder=FakeInt8())  # recorded as onnx-int8
    encoder = query_encoder(load_index(index))  # made, not loaded: its weights load on the first query
    assert isinstance(encoder, OnnxEncoder) and encoder.backend == "onnx-int8" and encoder.model == "all-MiniLM-L6-v2"


def test_unknown_backend_or_type_is_refused(corpus_dir, tmp_path, fake_embedder):
    index = tmp_path / "index"
    with pytest.raises(SettingsError, match="not one of"):
        build(corpus_dir, index, backend="cuda-fp16")
    with pytest.raises(SettingsError, match="not one of"):
        build(corpus_dir, index, fake_embedder, index_type="lsh")
    build(corpus_dir, index, fake_embedder)
    manifest = FaissStore.load(index).build_dir / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"backend": "torch-fp32"', '"backend": "tpu-int4"'))
    with pytest.raises(IndexCorrupt, match="backend 'tpu-int4'.*rag index --full"):
        FaissStore.load(index)


def test_auto_is_exact_for_small_corpora_and_ivf_above_the_threshold():
    assert ann.resolve("auto", 13) == "flat"
    assert ann.resolve("auto", ann.AUTO_THRESHOLD) == "flat"
    assert ann.resolve("auto", ann.AUTO_THRESHOLD + 1) == "ivf-sq8"
    assert ann.resolve("hnsw-sq8", 13) == "hnsw-sq8"


def _many_articles(folder, n, seed=0):
    rng = np.random.default_rng(seed)
    vocab = [f"w{i:04d}" for i in range(3000)]
    for i in range(n):
        words = " ".join(rng.choice(vocab, 40))
        write_article(
            folder, f"a{i:04d}.txt", f"Article {i} reports {words}.", title=f"Article {i}", source=f"S{i % 3}"
        )


@pytest.mark.parametrize("kind", ["ivf-sq8", "hnsw-sq8"])
def test_approximate_indexes_keep_updates_and_deletes_working(tmp_path, fake_embedder, kind):
    corpus, index = tmp_path / "many", tmp_path / "index"
    corpus.mkdir()
    _many_articles(corpus, 400)
    build(corpus, index, fake_embedder, index_type=kind)
    idx = load_index(index)
    assert idx.manifest.vector_index["type"] == kind and idx.manifest.vector_index["requested"] == kind
    text = idx.document("a0007").text
    assert retrieve(text, k=1, index_dir=index, mode="dense", encoder=fake_embedder)[0].doc_id == "a0007"

    # delete two, change one, add one; an update without --index-type keeps the type
    (corpus / "a0007.txt").unlink()
    (corpus / "a0008.txt").unlink()
    write_article(corpus, "a0009.txt", "Article 9 now reports a Pyongyang summit in detail.", title="Article 9")
    write_article(corpus, "fresh.txt", "A fresh article about Baltic ferry timetables.", title="Fresh")
    fake_embedder.embedded.clear()
    report = build(corpus, index, fake_embedder)
    assert sorted(report.removed) == ["a0007", "a0008"] and report.changed == ["a0009"] and report.added == ["fresh"]
    assert report.embedded == len(fake_embedder.embedded) == 2
    idx = load_index(index)
    assert idx.manifest.vector_index["type"] == kind and len(idx) == report.chunks
    found = {h.doc_id for h in retrieve(text, k=20, index_dir=index, mode="dense", encoder=fake_embedder)}
    assert not found & {"a0007", "a0008"}
    assert (
        retrieve("Baltic ferry timetables", k=1, index_dir=index, mode="dense", encoder=fake_embedder)[0].doc_id
        == "fresh"
    )
    assert (
        retrieve("Pyongyang summit detail", k=1, index_dir=index, mode="dense", encoder=fake_embedder)[0].doc_id
        == "a0009"
    )
    # a filter on an approximate index still finds what it admits
    hits = retrieve(text, k=5, index_dir=index, mode="dense", filters={"sources": ["S2"]}, encoder=fake_embedder)
    assert hits and all(h.source == "S2" for h in hits)


def test_ivf_reuses_its_trained_cells_on_a_small_update_and_switching_type_keeps_vectors(tmp_path, fake_embedder):
    corpus, index = tmp_path / "many", tmp_path / "index"
    corpus.mkdir()
    _many_articles(corpus, 300)
    first = build(corpus, index, fake_embedder, index_type="ivf-sq8")
    trained = load_index(index).manifest.vector_index
    write_article(corpus, "fresh.txt", "A fresh article about Baltic ferry timetables.", title="Fresh")
    build(corpus, index, fake_embedder)
    after = load_index(index).manifest.vector_index
    assert after["nlist"] == trained["nlist"] and after["trained_on"] == first.chunks

    fake_embedder.embedded.clear()
    report = build(corpus, index, fake_embedder, index_type="flat")  # nothing changed but the type
    assert report.embedded == 0 and load_index(index).manifest.vector_index["type"] == "flat"
    assert (
        retrieve("Baltic ferry timetables", k=1, index_dir=index, mode="dense", encoder=fake_embedder)[0].doc_id
        == "fresh"
    )


def test_approximate_search_finds_what_exact_search_finds(tmp_path):
    """recall@10 against exact search on clustered vectors, at the parameters the builder picks."""
    import faiss

    rng = np.random.default_rng(1)
    centers = rng.normal(size=(200, 64)).astype(np.float32)
    x = centers[rng.integers(0, 200, 20_000)] + 0.4 * rng.normal(size=(20_000, 64)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    q = x[rng.choice(20_000, 100, replace=False)] + 0.1 * rng.normal(size=(100, 64)).astype(np.float32)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    exact = np.argsort(-(q @ x.T), axis=1)[:, :10]
    for kind in ("ivf-sq8", "hnsw-sq8"):
        entry = ann.build(x, kind, tmp_path / kind)
        index = faiss.read_index(str(tmp_path / kind))
        ann.configure(index, entry)
        _, ids = index.search(q, 10)
        recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(ids, exact)])
        assert recall >= 0.9, (kind, recall)


def test_onnx_backends_export_once_and_match_torch(starter_index):
    """The real packaged model: ONNX fp32 equals torch fp32; INT8 stays close (per-channel scales)."""
    from rag.embedding import new_encoder
    from rag.onnx_model import onnx_file

    texts = [h.text for h in load_index(starter_index).hits([(i, 0.0) for i in range(len(load_index(starter_index)))])]
    torch_vectors = new_encoder(backend="torch-fp32").encode_documents(texts)
    fp32 = new_encoder(backend="onnx-fp32").encode_documents(texts)
    int8 = new_encoder(backend="onnx-int8").encode_documents(texts)
    assert fp32.shape == int8.shape == torch_vectors.shape
    assert np.allclose(np.linalg.norm(int8, axis=1), 1.0, atol=1e-5)
    assert (fp32 * torch_vectors).sum(axis=1).min() > 0.9999
    assert (int8 * torch_vectors).sum(axis=1).mean() > 0.98
    # the export is cached: asking again neither re-exports nor re-quantizes
    path = new_encoder().path
    files = [onnx_file(path, b) for b in ("onnx-fp32", "onnx-int8")]
    stamps = [f.stat().st_mtime_ns for f in files]
    assert [onnx_file(path, b).stat().st_mtime_ns for b in ("onnx-fp32", "onnx-int8")] == stamps
    assert not list(files[0].parent.glob("*.tmp"))
    # alone or inside a batch, a text gets (nearly) the same vector: dynamic quantization
    # scales activations per batch, so INT8 differs slightly; fp32 does not
    assert float(new_encoder(backend="onnx-fp32").encode_query(texts[3]) @ fp32[3]) > 0.9999
    assert float(new_encoder(backend="onnx-int8").encode_query(texts[3]) @ int8[3]) > 0.99


def test_cli_names_the_choices_for_an_unknown_backend_or_index_type(corpus_dir, tmp_path):
    from typer.testing import CliRunner

    from rag.cli import app

    for flag, value in (("--backend", "cuda-fp16"), ("--index-type", "lsh")):
        r = CliRunner().invoke(
            app, ["index", "--corpus", str(corpus_dir), "--index", str(tmp_path / "i"), flag, value, "-q"]
        )
        assert r.exit_code == 2 and "is not one of" in r.output and "Traceback" not in r.output
    assert not (tmp_path / "i" / "CURRENT").exists()


def test_processes_exporting_at_once_wait_for_one_export(tmp_path):
    """The embedding actors of a Ray node start together on an empty cache: both get the INT8 file, neither fails."""
    code = (
        "from rag.embedding import model_path; from rag.onnx_model import onnx_file; "
        "print(onnx_file(model_path('all-MiniLM-L6-v2'), 'onnx-int8'))"
    )
    env = {**os.environ, "RAG_CACHE_DIR": str(tmp_path / "cache")}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [e[-2000:] for _, e in outs]
    files = {o.strip() for o, _ in outs}
    assert len(files) == 1
    folder = Path(files.pop()).parent
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == [
        "model-fp32.onnx",
        "model-int8.onnx",
    ]
