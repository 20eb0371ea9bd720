"""Builds that stream: the pieces that keep `rag index`'s memory flat write what the one-shot code wrote.

Each test compares a streamed piece with what the library it replaces (``np.save``, bm25s's own
index builder, faiss's ``clone_index``) or a one-batch build makes, byte for byte.
"""

from __future__ import annotations

import filecmp
import hashlib
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import rag.spool
import rag.store.lexical
import rag.store.vectorfile
from rag.build import BuildOptions, update_index
from rag.chunking import indexed_text
from rag.corpus import load_corpus
from rag.embedding import Encoder
from rag.store import ann, indexfile
from rag.store.faiss import FaissStore, _indexed_texts
from rag.store.vectorfile import VectorFile, VectorWriter

from .conftest import write_article


def test_a_vector_file_written_in_pieces_is_what_np_save_writes(tmp_path):
    x = np.random.default_rng(1).random((1000, 24), dtype=np.float32)
    w = VectorWriter(tmp_path / "pieces.npy")
    for lo in (0, 1, 300, 999):
        w.append(x[lo : {0: 1, 1: 300, 300: 999, 999: 1000}[lo]])
    w.close()
    np.save(tmp_path / "whole.npy", x)
    assert (tmp_path / "pieces.npy").read_bytes() == (tmp_path / "whole.npy").read_bytes()
    with VectorFile(tmp_path / "pieces.npy") as f:
        assert f.shape == (1000, 24)
        assert np.array_equal(np.concatenate(list(f.batches(rows=333))), x)
        rows = np.array([0, 332, 333, 999])
        assert np.array_equal(np.concatenate(list(f.take_batches(rows))), x[rows])
    empty = VectorWriter(tmp_path / "empty.npy")
    empty.close(dim=24)
    assert np.load(tmp_path / "empty.npy").shape == (0, 24)
    with pytest.raises(ValueError, match="dimensions"):
        w = VectorWriter(tmp_path / "mixed.npy")
        w.append(x[:2])
        w.append(np.zeros((1, 5), np.float32))


def _bm25s_one_shot(texts: list[str], folder: Path) -> None:
    """The keyword index as bm25s itself builds it: every passage's token ids held, scored and sorted at once."""
    import bm25s

    tokenizer = bm25s.tokenization.Tokenizer(stopwords="en", stemmer=rag.store.lexical._stemmer())
    ids = list(tokenizer.streaming_tokenize(texts, update_vocab=True))
    retriever = bm25s.BM25()
    retriever.index(SimpleNamespace(ids=ids, vocab=tokenizer.get_vocab_dict()), show_progress=False)
    retriever.save(str(folder), show_progress=False)


def test_the_keyword_index_built_word_range_by_range_is_bm25s_own(starter_index, tmp_path, monkeypatch):
    texts = list(_indexed_texts(FaissStore.load(starter_index).build_dir / "meta.sqlite"))
    texts += ["", "NATO NATO NATO NATO", "the of and", texts[0]]  # empty, repeated words, only stop words, a twin
    _bm25s_one_shot(texts, tmp_path / "bm25s")
    monkeypatch.setattr(rag.store.lexical, "PAIRS_PER_PASS", 7)  # many ranges; a frequent word alone exceeds one
    monkeypatch.setattr(rag.store.lexical, "WORDS_REMEMBERED", 5)  # spellings forgotten every few passages
    monkeypatch.setattr(rag.store.lexical._Spill, "BUFFER", 30)  # scores written to their ranges two at a time
    rag.store.lexical.build(iter(texts), tmp_path / "streamed")
    names = sorted(p.name for p in (tmp_path / "bm25s").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "streamed").iterdir())
    _, mismatch, errors = filecmp.cmpfiles(tmp_path / "bm25s", tmp_path / "streamed", names, shallow=False)
    assert mismatch == [] and errors == []
    assert rag.store.lexical.Lexical(tmp_path / "streamed").search("NATO summit", 5)  # and it is searchable


def _vector_file(path, x: np.ndarray, rows: int = 700) -> VectorFile:
    """`x` written as a build writes its vectors (batch by batch), opened as a build reads them."""
    writer = VectorWriter(path)
    for start in range(0, len(x), rows):
        writer.append(x[start : start + rows])
    writer.close()
    return VectorFile(path)


@pytest.mark.parametrize("n", [300, 3000])  # few vectors: most cells empty ("sprs" lists); many: "full"
def test_indexes_written_as_a_stream_are_faiss_own_files(tmp_path, monkeypatch, n):
    import faiss

    rng = np.random.default_rng(3)
    x = rng.standard_normal((n, 16)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    monkeypatch.setattr(rag.store.vectorfile, "READ_ROWS", 256)  # codes of one cell come from several batches
    ivf = faiss.index_factory(16, "IVF40,SQ8", faiss.METRIC_INNER_PRODUCT)
    ivf.train(x)
    empty = faiss.clone_index(ivf)
    ivf.add(x)
    flat = faiss.IndexFlatIP(16)
    flat.add(x)
    with _vector_file(tmp_path / "v.npy", x) as vectors:
        indexfile.write_ivf_sq8(empty, vectors, tmp_path / "ivf.index")
        indexfile.write_flat(faiss.IndexFlatIP(16), vectors, tmp_path / "flat.index")
    assert (tmp_path / "ivf.index").read_bytes() == faiss.serialize_index(ivf).tobytes()
    assert (tmp_path / "flat.index").read_bytes() == faiss.serialize_index(flat).tobytes()


def test_ivf_cells_trained_as_a_stream_fit_as_well_as_faiss_own(tmp_path, monkeypatch):
    """Lloyd's k-means read batch by batch from the vector file: its cells hold their vectors as closely as
    faiss's (the mean inner product of a vector and its cell's centroid within 0.5%), no cell left empty."""
    import faiss

    rng = np.random.default_rng(4)
    centers = rng.normal(size=(60, 32)).astype(np.float32)
    x = centers[rng.integers(0, 60, 8000)] + 0.5 * rng.normal(size=(8000, 32)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    monkeypatch.setattr(rag.store.vectorfile, "READ_ROWS", 1000)
    theirs, ours = (faiss.index_factory(32, "IVF100,SQ8", faiss.METRIC_INNER_PRODUCT) for _ in range(2))
    theirs.train(x)
    with _vector_file(tmp_path / "v.npy", x) as vectors:
        rows = np.arange(len(x))
        ann.train_ivf(ours, lambda: vectors.take_batches(rows), len(x))
    fit = {}
    for name, index in (("theirs", theirs), ("ours", ours)):
        similarity, cell = faiss.extract_index_ivf(index).quantizer.search(x, 1)
        fit[name] = similarity.mean()
        assert len(np.unique(cell)) == 100, name
        assert index.is_trained
    assert fit["ours"] >= 0.995 * fit["theirs"], fit
    ours.add(x)  # and the quantizer's ranges take every residual of the sample: none is clipped
    codes = faiss.downcast_index(ours).sq.compute_codes(
        x - faiss.extract_index_ivf(ours).quantizer.reconstruct_n(0, 100)[ours.quantizer.assign(x, 1)[:, 0]]
    )
    assert codes.min() == 0 and codes.max() == 255


def test_an_empty_cell_takes_half_of_a_large_one():
    sums = np.array([[4.0, 4.0], [0.0, 0.0], [1.0, 3.0]])
    counts = np.array([4, 0, 1])
    centroids = ann._split_empty(sums, counts, np.random.default_rng(0))
    assert np.allclose(centroids[0] + centroids[1], 2 * np.array([1.0, 1.0]))  # two halves around the old mean
    assert not np.allclose(centroids[0], centroids[1])
    assert np.allclose(centroids[2], [1.0, 3.0])


def test_a_build_that_listed_its_hashes_in_the_manifest_updates_without_re_embedding(corpus_dir, tmp_path):
    """Builds before this version listed every article's hash in manifest.json (now: the docs table only)."""
    from .conftest import FakeEmbedder

    index = tmp_path / "index"
    update_index(load_corpus(corpus_dir)[0], index, encoder=FakeEmbedder())
    store = FaissStore.load(index)
    path = store.build_dir / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["documents"] = {d: h for d, h in store.hashes.items() if d.startswith("nato-united")}
    path.write_text(json.dumps(manifest))
    report = update_index(load_corpus(corpus_dir)[0], index, encoder=FakeEmbedder())
    # the article the manifest listed is held; the other, never listed, was not complete in that build
    assert (report.unchanged, report.added, report.embedded > 0) == (
        1,
        ["nato-future-amid-us-election-uncertainty"],
        True,
    )
    assert json.loads((FaissStore.load(index).build_dir / "manifest.json").read_text())["documents"] == {}


def test_an_ivf_index_reuses_its_cells_without_reading_the_old_vectors(tmp_path):
    import faiss

    x = np.random.default_rng(2).random((4000, 16), dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    entry = ann.build(x[:3000], "ivf-sq8", tmp_path / "first.index")
    first = faiss.read_index(str(tmp_path / "first.index"))
    mapped = faiss.read_index(str(tmp_path / "first.index"), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)
    ann.build(x, "ivf-sq8", tmp_path / "reused.index", previous=mapped, previous_params=entry)
    cloned = faiss.clone_index(first)  # what an update did before: copy the old index, drop its vectors
    cloned.reset()
    cloned.add(x)
    assert (tmp_path / "reused.index").read_bytes() == faiss.serialize_index(cloned).tobytes()


class CompanyEncoder(Encoder):
    """A stand-in for the INT8 model whose vector of a passage depends on the other passages of its model call
    (as quantized activations do): a build that cut its calls differently would store other vectors."""

    model, backend, max_tokens, dimension = "fake-bow", "torch-fp32", 256, 16
    group_size = 2

    def __init__(self):
        self.batch_size, self.calls = 2, []  # a model call: one group of two passages

    def count_tokens(self, text: str) -> int:
        return len(text.split()) + 2

    def encode_groups(self, texts):
        self.calls.append(list(texts))
        company = sum(len(t) for t in texts) / len(texts)
        out = np.stack([self._vec(t, company) for t in texts])
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    def _vec(self, text: str, company: float) -> np.ndarray:
        seed = int(hashlib.md5(text.encode()).hexdigest()[:8], 16)
        return np.random.default_rng(seed).random(self.dimension, dtype=np.float32) + np.float32(company / 1000)

    def encode_queries(self, texts):
        return np.stack([self._vec(t, 0.0) for t in texts])


def _build(corpus, index, encoder):
    docs, problems = load_corpus(corpus)
    return update_index(docs, index, BuildOptions(model="fake-bow"), encoder=encoder, problems=problems)


def _files(index) -> dict[str, bytes]:
    build_dir = FaissStore.load(index).build_dir
    return {p.name: p.read_bytes() for p in build_dir.rglob("*") if p.is_file() and p.suffix in (".npy", ".index")}


def test_a_build_in_small_batches_stores_what_one_batch_stores(corpus_dir, tmp_path, monkeypatch):
    for i in range(7):
        write_article(corpus_dir, f"extra-{i}.txt", f"Storm {i}. " + "The river rose overnight. " * (3 + 9 * i))
    one, small = tmp_path / "one", tmp_path / "small"
    whole = CompanyEncoder()
    _build(corpus_dir, one, whole)
    monkeypatch.setattr(rag.spool, "FRESH_PER_BATCH", 2)  # four batches of articles
    monkeypatch.setattr(rag.spool, "STEP_CALLS", 1)  # one model call read from the spool at a time
    batched = CompanyEncoder()
    _build(corpus_dir, small, batched)
    assert batched.calls == whole.calls and len(whole.calls) > 2  # the same model calls, in the same order
    assert _files(small) == _files(one)

    # An update: new articles and a changed one, of passages as long as each other, so that only the order in
    # which they are embedded (new before changed, as before) decides which of them shares a call with the
    # longest; each build in its own batches.
    write_article(corpus_dir, "extra-0.txt", "Storm 0 again. The river fell.", title="Storm")
    for name in ("n1", "n2"):
        write_article(corpus_dir, f"extra-{name}.txt", f"Storm {name[1]} again. The river fell.", title="Storm")
    write_article(corpus_dir, "extra-n3.txt", "Storm 3 again. The river fell and fell and fell.", title="Storm")
    monkeypatch.setattr(rag.spool, "FRESH_PER_BATCH", 10**6)
    monkeypatch.setattr(rag.spool, "STEP_CALLS", 10**6)
    _build(corpus_dir, one, whole)
    monkeypatch.setattr(rag.spool, "FRESH_PER_BATCH", 1)
    monkeypatch.setattr(rag.spool, "ARTICLES_PER_BATCH", 3)  # unchanged articles copied a few at a time
    monkeypatch.setattr(rag.spool, "STEP_CALLS", 1)
    _build(corpus_dir, small, batched)
    assert _files(small) == _files(one)
    # ... and what was embedded is what one call of the encoder over the fresh passages embeds, new first
    docs = {d.doc_id: d for d in load_corpus(corpus_dir)[0]}
    store = FaissStore.load(small)
    rows = {c.chunk_id: row for row, c in (rc for cs in store.chunks_of().values() for rc in cs)}
    fresh = [c for i in ("extra-n1", "extra-n2", "extra-n3", "extra-0") for _, c in store.chunks_of()[i]]
    reference = CompanyEncoder().encode_documents([indexed_text(docs[c.doc_id].title, c.text) for c in fresh])
    vectors = np.load(store.build_dir / "vectors.npy")
    assert np.array_equal(vectors[[rows[c.chunk_id] for c in fresh]], reference)


@pytest.mark.parametrize("kind", ["flat", "ivf-sq8", "hnsw-sq8"])
def test_an_update_of_any_index_type_embeds_only_what_is_new(corpus_dir, tmp_path, fake_embedder, kind):
    for i in range(80):
        write_article(corpus_dir, f"short-{i:02d}.txt", f"Short news {i}. The council met on day {i}.")
    index = tmp_path / "index"
    options = BuildOptions(model="fake-bow", index_type=kind)
    first = update_index(load_corpus(corpus_dir)[0], index, options, encoder=fake_embedder)
    assert FaissStore.load(index).manifest.vector_index["type"] == kind
    write_article(corpus_dir, "short-new.txt", "Short news, new. The council met again.")
    report = update_index(load_corpus(corpus_dir)[0], index, options, encoder=fake_embedder)
    assert (report.full_reason, report.added, report.embedded) == ("", ["short-new"], 1)  # the old build was read
    assert report.chunks == first.chunks + 1
