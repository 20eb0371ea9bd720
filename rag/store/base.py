"""The interface of the two stores, and the data an update passes between its steps.

`Store` (queries) and `Writer` (one update under the folder lock) are what the FAISS
and Milvus stores implement; `Passages` are passages with their vectors, row for row; a `Batch` is
some articles of an update, in index order, with the passages and vectors of the fresh ones.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Callable, Iterable, Protocol, Union

import numpy as np

from ..types import Chunk, Document, Filters, Hit
from .manifest import Manifest
from .plan import UpdatePlan

DEFAULT_COLLECTION = "rag"

# progress(stage, done, total): stage is "reading", "chunking", "embedding" or "writing"; total is None while
# not yet known (a corpus read as a stream).
Progress = Callable[[str, int, "int | None"], None]
# checkpoint(name): called at each named point of an update (crash-safety tests kill the process there).
Checkpoint = Callable[[str], None]


@dataclass(frozen=True)
class MilvusLocation:
    """A Milvus holding an index: a Lite file path or ``http://host:19530``, a collection prefix, credentials."""

    uri: str
    collection: str = DEFAULT_COLLECTION
    token: str = field(default="", repr=False)


# Where `retrieve()`, `answer()` and `open_store` find an index: its folder (FAISS files, or a
# ``store.json`` naming a Milvus), or a Milvus named directly (a query server with no local files).
Location = Union[str, os.PathLike, MilvusLocation]


class Store(Protocol):
    """The query side of an index."""

    manifest: Manifest

    def __len__(self) -> int:
        """Passages in the index."""

    def candidates(
        self, query: str, vector: np.ndarray | None, *, mode: str, depth: int, n: int, filters: Filters
    ) -> list[Hit]:
        """The `n` best passages: dense ("dense"), BM25 ("lexical") or both fused ("hybrid"), each side reading "
        "`depth`."""

    def document(self, doc_id: str) -> Document:
        """The stored article (citations' offsets point into its text); `KeyError` when absent."""

    def sources(self) -> list[str]:
        """The publishers of the indexed articles, sorted."""

    def close(self) -> None: ...


@dataclass
class Passages:
    """Passages of some articles (in article order) and their vectors, row for row."""

    chunks: dict[str, list[Chunk]] = field(default_factory=dict)
    vectors: np.ndarray | None = None

    def __len__(self) -> int:
        return sum(len(cs) for cs in self.chunks.values())


@dataclass
class Batch:
    """Some articles of an update, in the order the index will hold them, with the passages and vectors of the
    fresh ones among them (`fresh.chunks` holds every fresh article's id, in the same order). The others are
    already indexed, unchanged: a writer copies them from the index (they may come without their text)."""

    docs: list[Document]
    fresh: Passages = field(default_factory=Passages)


def merge_passages(docs: list[Document], *sources: "Passages | None") -> Passages:
    """The passages of `docs`, in their order, with their vectors: each document's from the first of
    `sources` that holds it (e.g. freshly embedded ones, then those reused from the previous build)."""
    held = [p for p in sources if p is not None and p.vectors is not None]
    offsets = []
    for p in held:
        pos, at = 0, {}
        for doc_id, cs in p.chunks.items():
            at[doc_id] = pos
            pos += len(cs)
        offsets.append(at)
    chunks: dict[str, list[Chunk]] = {}
    parts: list[np.ndarray] = []
    for d in docs:
        for p, at in zip(held, offsets):
            if d.doc_id in p.chunks:
                chunks[d.doc_id] = p.chunks[d.doc_id]
                parts.append(p.vectors[at[d.doc_id] : at[d.doc_id] + len(chunks[d.doc_id])])
                break
    dim = held[0].vectors.shape[1] if held else 0
    return Passages(chunks, np.concatenate(parts) if parts else np.zeros((0, dim), dtype=np.float32))


class Writer(Protocol):
    """One update of one index, under the index folder's lock."""

    manifest: Manifest | None  # what the index holds now; None when there is none (or it is unusable)
    unusable: str  # why an existing index could not be read ("" when it could, or there is none)

    def indexed(self) -> Iterable[tuple[str, str, str]]:
        """(doc_id, content hash, origin) of every article the index holds completely, as a stream."""

    def rebuild_reason(self, settings: dict, index_type: str) -> str:
        """A reason of this store's own to rebuild everything (e.g. Milvus re-indexes for a new index type), or ""."""

    def is_current(self, index_type: str) -> bool:
        """Whether the stored index needs no write at all when no article changed."""

    def reusable(self, settings: dict) -> "Reusable | None":
        """Stored passages and vectors, made with `settings`, that fresh articles of the same content may reuse."""

    def apply(
        self,
        plan: UpdatePlan,
        docs: Iterable[Document],
        batches: Iterable[Batch],
        *,
        settings: dict,
        index_type: str,
        checkpoint: Checkpoint,
        progress: Progress | None,
    ) -> tuple[int, str]:
        """Write the update: `batches` (read once, as they are embedded) hold every article read, in reading
        order, with the passages and vectors of the plan's added and changed articles; `docs` the same articles,
        without their text (it may be iterated more than once). Returns (passages now, build id)."""

    def close(self) -> None: ...


class Reusable(Protocol):
    """Passages and vectors already made for some articles, by content hash."""

    hashes: dict[str, str]

    def passages(self, doc_ids: list[str]) -> Passages: ...
