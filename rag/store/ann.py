"""The vector index inside a build: exact for small corpora, approximate for large ones.

Types (``rag index --index-type``, ``RAG_INDEX_TYPE``):

- ``flat``: exact inner-product search over float32 vectors (1.5 KB a passage).
- ``ivf-sq8``: an inverted file of `nlist` k-means cells with 8-bit scalar-quantized
  vectors (384 bytes a passage); a query scans the `nprobe` nearest cells.
- ``hnsw-sq8``: an HNSW graph (M=32) over 8-bit vectors; a query explores
  `ef_search` candidates. Fastest queries, slowest to build.
- ``auto`` (default): ``flat`` up to `AUTO_THRESHOLD` passages, ``ivf-sq8`` above.

Every build writes the index anew from the build's vectors, so updates and deletes
work the same for every type; an IVF index reuses the cells trained by the previous
build while their number stays within a factor of two of what the corpus calls
for, so a small update does not pay for k-means again. The type and its parameters go in the
manifest; search parameters are applied on load.
"""

from __future__ import annotations

import math
import os

import numpy as np

from ..errors import IndexCorrupt, SettingsError
from .vectorfile import VectorFile

TYPES = ("auto", "flat", "ivf-sq8", "hnsw-sq8")
AUTO_THRESHOLD = 100_000  # passages; flat search over more takes longer than embedding the query
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 96
TRAIN_PER_CELL = 64  # k-means sample: vectors per cell (faiss advises 30–256)
# (39 a cell cut recall@10 from 0.980 to 0.965 over 200,000 news-like vectors: not worth its memory)
RESIDUAL_ROWS = 16_384  # training vectors whose residuals are held at a time


def check_type(kind: str) -> str:
    if kind not in TYPES:
        raise SettingsError(f"index type {kind!r} is not one of {', '.join(TYPES)}")
    return kind


def resolve(kind: str, n: int) -> str:
    """The concrete type `kind` means for `n` passages."""
    check_type(kind)
    if kind == "auto":
        return "flat" if n <= AUTO_THRESHOLD else "ivf-sq8"
    return kind


def ivf_cells(n: int) -> int:
    """Number of IVF cells for `n` vectors: about 4·√n, at most n/39 so each cell trains on enough points."""
    return max(1, min(int(4 * math.sqrt(n)), n // 39))


def ivf_probes(nlist: int) -> int:
    """Cells scanned per query: 1/20 of them, at least 96. On the news vectors (benchmarks/scale.py)
    that reaches recall@10 0.966 at 100k passages (nprobe 64: 0.952, 32: 0.934) and ~0.98 at 1M."""
    return max(1, min(nlist, max(96, nlist // 20)))


def build(vectors, kind: str, *, previous=None, previous_params: dict | None = None):
    """A faiss index over `vectors` (normalized float32: an array, or a `VectorFile` read batch by batch) and its
    manifest entry.

    `kind` is one of `TYPES`; `previous` is the last build's faiss index (its trained
    IVF cells are reused when they still fit; it may be memory-mapped: its vectors are not read).
    """
    import faiss

    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(os.cpu_count() or 1)  # building is batch work: every core (serving uses one)
    try:
        return _build(
            vectors if isinstance(vectors, VectorFile) else _InMemory(vectors), kind, previous, previous_params
        )
    finally:
        faiss.omp_set_num_threads(threads)


class _InMemory:
    """An array read as a `VectorFile` is."""

    def __init__(self, vectors: np.ndarray):
        self.x = np.ascontiguousarray(vectors, dtype=np.float32)
        self.shape = self.x.shape

    def batches(self):
        yield self.x

    def take(self, rows: np.ndarray) -> np.ndarray:
        return self.x[rows]

    def read(self, start: int, stop: int) -> np.ndarray:
        return self.x[start:stop]


def _build(vectors, kind: str, previous, previous_params: dict | None):
    import faiss

    n, d = vectors.shape
    concrete = resolve(kind, n)
    params: dict = {}
    if concrete == "flat" or n < 2:
        concrete = "flat"
        index = faiss.IndexFlatIP(d)
        index.codes.resize(n * d * 4)  # room for every vector at once: added batch by batch, the store would
        index.codes.resize(0)  # otherwise grow by doubling and, while it copies, hold up to twice their size
    elif concrete == "ivf-sq8":
        nlist = ivf_cells(n)
        before = previous_params or {}
        if (
            previous is not None
            and before.get("type") == "ivf-sq8"
            and previous.d == d
            and nlist / 2 <= before.get("nlist", 0) <= nlist * 2
        ):
            nlist = before["nlist"]
            index = _trained_like(previous)
            params["trained_on"] = before.get("trained_on", n)
        else:
            index = faiss.index_factory(d, f"IVF{nlist},SQ8", faiss.METRIC_INNER_PRODUCT)
            rows = np.arange(n)
            if n > nlist * TRAIN_PER_CELL:
                rng = np.random.default_rng(0)
                rows = np.sort(rng.choice(n, nlist * TRAIN_PER_CELL, replace=False))
            train_ivf(index, vectors.take(rows))
            params["trained_on"] = n
        params.update(nlist=nlist, nprobe=ivf_probes(nlist))
    else:  # hnsw-sq8: trained on every vector, so they are all read at once
        index = faiss.index_factory(d, f"HNSW{HNSW_M},SQ8", faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.train(vectors.read(0, n))
        params.update(m=HNSW_M, ef_construction=HNSW_EF_CONSTRUCTION, ef_search=HNSW_EF_SEARCH)
    if n:
        for batch in vectors.batches():
            index.add(batch)
    return index, {"type": concrete, **params}


def train_ivf(index, x: np.ndarray) -> None:
    """Train an empty IVF-SQ8 `index` on `x` as ``index.train(x)`` does (the same k-means, then the 8-bit
    quantizer's per-dimension range of the residuals), holding only `x`: faiss's own training also holds all
    the residuals and their transpose, three times the sample."""
    import faiss

    ivf = faiss.extract_index_ivf(index)
    quantizer = ivf.quantizer
    quantizer.reset()
    faiss.Clustering(ivf.d, ivf.nlist, ivf.cp).train(x, quantizer)
    quantizer.is_trained = True
    centroids = quantizer.reconstruct_n(0, ivf.nlist)
    lo = np.full(ivf.d, np.inf, dtype=np.float32)
    hi = np.full(ivf.d, -np.inf, dtype=np.float32)
    for start in range(0, len(x), RESIDUAL_ROWS):
        batch = x[start : start + RESIDUAL_ROWS]
        _, cell = quantizer.search(batch, 1)
        residuals = batch - centroids[cell[:, 0]]
        lo, hi = np.minimum(lo, residuals.min(axis=0)), np.maximum(hi, residuals.max(axis=0))
    sq = faiss.downcast_index(index).sq
    faiss.copy_array_to_vector(np.concatenate([lo, hi - lo]).astype(np.float32), sq.trained)
    index.is_trained = True


def _trained_like(previous):
    """An empty IVF-SQ8 index with `previous`'s trained cells and quantizer ranges (what ``clone_index`` and
    ``reset`` give, without copying, or even reading, `previous`'s vectors)."""
    import faiss

    old = faiss.extract_index_ivf(previous)
    index = faiss.index_factory(old.d, f"IVF{old.nlist},SQ8", faiss.METRIC_INNER_PRODUCT)
    faiss.extract_index_ivf(index).quantizer.add(old.quantizer.reconstruct_n(0, old.nlist))
    faiss.downcast_index(index).sq.trained = faiss.downcast_index(previous).sq.trained
    index.is_trained = True
    return index


def configure(index, entry: dict) -> None:
    """Apply the manifest's search parameters to a loaded index."""
    import faiss

    kind = entry.get("type", "flat")
    if kind == "ivf-sq8":
        faiss.extract_index_ivf(index).nprobe = int(entry["nprobe"])
    elif kind == "hnsw-sq8":
        index.hnsw.efSearch = int(entry["ef_search"])
    elif kind != "flat":
        raise IndexCorrupt(f"vector index type {kind!r} is unknown to this version of rag")


def search_params(entry: dict, rows: np.ndarray):
    """faiss search parameters restricting a search to `rows`, with the type's own settings."""
    import faiss

    sel = faiss.IDSelectorBatch(rows)
    kind = entry.get("type", "flat")
    if kind == "ivf-sq8":
        return faiss.SearchParametersIVF(sel=sel, nprobe=int(entry["nprobe"]))
    if kind == "hnsw-sq8":
        return faiss.SearchParametersHNSW(sel=sel, efSearch=int(entry["ef_search"]))
    return faiss.SearchParameters(sel=sel)
