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
for, so a small update does not pay for k-means again. A flat or IVF-SQ8 file is written a
batch at a time (`indexfile`) and IVF cells are trained reading their sample batch by batch
(`train_ivf`), so a build's memory does not grow with its vectors. The type and its
parameters go in the manifest; search parameters are applied on load.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from ..errors import IndexCorrupt, SettingsError
from . import indexfile
from .vectorfile import READ_ROWS, VectorFile, pick

TYPES = ("auto", "flat", "ivf-sq8", "hnsw-sq8")
AUTO_THRESHOLD = 100_000  # passages; flat search over more takes longer than embedding the query
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 96
TRAIN_PER_CELL = 64  # k-means sample: vectors per cell (faiss advises 30–256; read from disk, not held)


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


def build(vectors, kind: str, path: Path, *, previous=None, previous_params: dict | None = None) -> dict:
    """Write a faiss index over `vectors` (normalized float32: an array, or a `VectorFile` read batch by batch)
    to `path`; its manifest entry.

    `kind` is one of `TYPES`; `previous` is the last build's faiss index (its trained
    IVF cells are reused when they still fit; it may be memory-mapped: its vectors are not read).
    A flat or IVF-SQ8 index is trained and written a batch at a time (`indexfile`); an HNSW graph
    is built in memory (it links every vector to its neighbours) and then written.
    """
    import faiss

    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(os.cpu_count() or 1)  # building is batch work: every core (serving uses one)
    try:
        source = vectors if isinstance(vectors, VectorFile) else _InMemory(vectors)
        return _build(source, kind, Path(path), previous, previous_params)
    finally:
        faiss.omp_set_num_threads(threads)


class _InMemory:
    """An array read as a `VectorFile` is."""

    def __init__(self, vectors: np.ndarray):
        self.x = np.ascontiguousarray(vectors, dtype=np.float32)
        self.shape = self.x.shape

    def batches(self):
        for start in range(0, len(self.x), READ_ROWS):
            yield self.x[start : start + READ_ROWS]

    def take_batches(self, rows: np.ndarray):
        return pick(self.batches(), rows)

    def read(self, start: int, stop: int) -> np.ndarray:
        return self.x[start:stop]


def _build(vectors, kind: str, path: Path, previous, previous_params: dict | None) -> dict:
    import faiss

    n, d = vectors.shape
    concrete = resolve(kind, n)
    if concrete == "flat" or n < 2:
        indexfile.write_flat(faiss.IndexFlatIP(d), vectors, path)
        return {"type": "flat"}
    if concrete == "hnsw-sq8":  # trained on every vector, so they are all read at once
        index = faiss.index_factory(d, f"HNSW{HNSW_M},SQ8", faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.train(vectors.read(0, n))
        for batch in vectors.batches():
            index.add(batch)
        faiss.write_index(index, str(path))
        return {"type": concrete, "m": HNSW_M, "ef_construction": HNSW_EF_CONSTRUCTION, "ef_search": HNSW_EF_SEARCH}
    nlist, params = ivf_cells(n), {}
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
            rows = np.sort(np.random.default_rng(0).choice(n, nlist * TRAIN_PER_CELL, replace=False))
        train_ivf(index, lambda: vectors.take_batches(rows), len(rows))
        params["trained_on"] = n
    indexfile.write_ivf_sq8(index, vectors, path)
    return {"type": "ivf-sq8", **params, "nlist": nlist, "nprobe": ivf_probes(nlist)}


def train_ivf(index, sample, n: int, *, seed: int = 1234) -> None:
    """Train an empty IVF-SQ8 `index` on the `n` vectors `sample()` yields (batch by batch, every time it is
    called): the cells by spherical k-means, then the 8-bit quantizer's per-dimension range of the residuals.

    It is faiss's training (``index.train``: Lloyd's iterations as `index.cp` sets them, empty cells split
    off the large ones, centroids renormalized) streamed: faiss holds the sample, every residual and
    their transpose at once; here memory holds the cells and one batch, the sample being read again
    each iteration (from a build's vector file: the page cache, not this process, keeps it).
    """
    import faiss

    ivf = faiss.extract_index_ivf(index)
    quantizer, k, d = ivf.quantizer, ivf.nlist, ivf.d
    if n < k:
        raise ValueError(f"{n} training vectors for {k} cells")
    picked = np.sort(np.random.default_rng(seed).choice(n, k, replace=False))  # the first centroids
    centroids = np.concatenate(list(pick(sample(), picked)))
    rng = np.random.default_rng(seed + 1)
    for _ in range(max(1, ivf.cp.niter)):
        quantizer.reset()
        quantizer.add(centroids)
        sums, counts = np.zeros((k, d), dtype=np.float64), np.zeros(k, dtype=np.int64)
        for batch in _pieces(sample()):
            cell = indexfile.assign(quantizer, batch)
            order = np.argsort(cell, kind="stable")
            present, starts = np.unique(cell[order], return_index=True)
            sums[present] += np.add.reduceat(batch[order], starts, axis=0)
            counts[present] += np.diff(np.append(starts, len(cell)))
        centroids = _split_empty(sums, counts, rng)
        if ivf.cp.spherical:
            centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-20)
        centroids = centroids.astype(np.float32)
    quantizer.reset()
    quantizer.add(centroids)
    quantizer.is_trained = True
    lo = np.full(d, np.inf, dtype=np.float32)
    hi = np.full(d, -np.inf, dtype=np.float32)
    for batch in sample():
        residuals = batch - centroids[indexfile.assign(quantizer, batch)]
        lo, hi = np.minimum(lo, residuals.min(axis=0)), np.maximum(hi, residuals.max(axis=0))
    sq = faiss.downcast_index(index).sq
    faiss.copy_array_to_vector(np.concatenate([lo, hi - lo]).astype(np.float32), sq.trained)
    index.is_trained = True


def _pieces(batches):
    """`batches` cut into pieces of at most `indexfile.ASSIGN_ROWS` rows (what a k-means step holds at once)."""
    for batch in batches:
        for start in range(0, len(batch), indexfile.ASSIGN_ROWS):
            yield batch[start : start + indexfile.ASSIGN_ROWS]


SPLIT_EPS = 1 / 1024  # faiss's relative perturbation of a centroid split in two


def _split_empty(sums: np.ndarray, counts: np.ndarray, rng) -> np.ndarray:
    """The cells' means; an empty cell takes half of a large one (picked with probability by size, as faiss does):
    the large cell's centroid, nudged apart from it by `SPLIT_EPS` on alternate dimensions."""
    counts = counts.astype(np.float64)
    centroids = sums / np.maximum(counts, 1)[:, None]
    k = len(counts)
    nudge = np.where(np.arange(sums.shape[1]) % 2 == 0, SPLIT_EPS, -SPLIT_EPS)
    for empty in np.flatnonzero(counts == 0):
        weights = np.maximum(counts - 1, 0)
        big = int(rng.choice(k, p=weights / weights.sum())) if weights.sum() > 0 else int(np.argmax(counts))
        centroids[empty] = centroids[big] * (1 + nudge)
        centroids[big] *= 1 - nudge
        counts[empty] = counts[big] // 2
        counts[big] -= counts[empty]
    return centroids


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
