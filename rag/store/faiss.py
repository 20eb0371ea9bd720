"""The FAISS store: an index folder of FAISS vectors, passage metadata in SQLite, BM25 and a manifest.

Layout of an index folder::

    index/
      CURRENT                 name of the build being served
      .lock                   held by the one process writing this index
      build-20261123T120501Z-4242/
        manifest.json         `rag.store.manifest.Manifest`: format, model, settings, hashes, counts, file sizes
        faiss.index           vector index over the normalized vectors (row i = passage i): exact,
                              IVF-SQ8 or HNSW-SQ8, see `rag.store.ann`
        vectors.npy           the same vectors, float32, reused by incremental builds
        meta.sqlite           documents (text, title, source, published, url) and passages
        bm25/                 keyword index over the same passages (`rag.store.lexical`)

A build is written into ``build-….tmp``, renamed when complete, and only then named
in ``CURRENT`` (an atomic replace). A crash at any point leaves the previous build
serving; the next build removes what the crashed one left. The previous build is
kept one generation so that readers that opened it just before a swap finish cleanly.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import os
import shutil
import sqlite3
import threading
import time
from pathlib import Path
from typing import Iterator

import numpy as np

from ..chunking import indexed_text
from ..embedding import BACKENDS
from ..errors import IndexCorrupt, IndexNotFound
from ..types import Chunk, Document, Filters, Hit
from . import ann
from .base import Batch, Passages
from .fusion import fuse
from .manifest import Manifest, newest_headlines
from .plan import UpdatePlan
from .vectorfile import VectorFile, VectorWriter

LOG = logging.getLogger(__name__)

CURRENT = "CURRENT"
MANIFEST = "manifest.json"
FILES = ("faiss.index", "vectors.npy", "meta.sqlite")
LEXICAL = "bm25"  # folder of the keyword (BM25) index
EXACT_FILTERED_ROWS = 50_000  # a filter this selective is searched exactly, whatever the index type


def _rebuild_hint(index_dir: Path) -> str:
    return f"run `rag index --full --index {index_dir}` to rebuild it"


class FaissStore:
    """One loaded build of an index folder: search it, read its documents.

    >>> store = FaissStore.load(Path("index"))                      # doctest: +SKIP
    >>> store.candidates("Rutte", vector, mode="hybrid", depth=10, n=5, filters=Filters())[0].title  # doctest: +SKIP
    """

    def __init__(self, index_dir: Path, build_dir: Path, manifest: Manifest, faiss_index, db: sqlite3.Connection):
        self.index_dir = index_dir
        self.build_dir = build_dir
        self.manifest = manifest
        self._faiss = faiss_index
        self._db = db
        self._db_lock = threading.Lock()
        self._masks: dict[Filters, np.ndarray] = {}

    @property
    def build_id(self) -> str:
        return self.build_dir.name

    def __len__(self) -> int:
        return int(self._faiss.ntotal)

    @classmethod
    def load(cls, index_dir: Path, *, mapped: bool = False) -> "FaissStore":
        """Open the build named in ``CURRENT``; raise `IndexNotFound` or `IndexCorrupt` with the fix. `mapped`:
        the vector index is memory-mapped, not read (an update reuses its trained cells, never its vectors)."""
        index_dir = Path(index_dir)
        build_dir = current_build_dir(index_dir)
        manifest = read_manifest(build_dir, index_dir)
        for name in FILES:
            path = build_dir / name
            want = manifest.files.get(name)
            if not path.is_file():
                raise IndexCorrupt(f"index file {path} is missing: {_rebuild_hint(index_dir)}")
            if want is not None and path.stat().st_size != want:
                raise IndexCorrupt(
                    f"index file {path} is {path.stat().st_size} bytes, expected {want} (truncated or altered): "
                    + _rebuild_hint(index_dir)
                )
        import faiss

        # One query at a time is served: faiss's OpenMP threads only spin against the
        # embedding model's (single-query search: 17.6 → 9.2 ms on the news index).
        faiss.omp_set_num_threads(1)
        try:
            # an IVF index maps its inverted lists, the others (flat, HNSW over flat codes) their codes
            ivf = manifest.vector_index.get("type") == "ivf-sq8"
            flags = ((faiss.IO_FLAG_MMAP if ivf else faiss.IO_FLAG_MMAP_IFC) | faiss.IO_FLAG_READ_ONLY) if mapped else 0
            faiss_index = faiss.read_index(str(build_dir / "faiss.index"), flags)
        except RuntimeError as e:
            raise IndexCorrupt(
                f"index file {build_dir / 'faiss.index'} is unreadable ({str(e).splitlines()[0]}): "
                f"{_rebuild_hint(index_dir)}"
            ) from e
        if manifest.backend not in BACKENDS:
            raise IndexCorrupt(
                f"index {build_dir} was embedded with backend {manifest.backend!r}, unknown to this version of rag: "
                + _rebuild_hint(index_dir)
            )
        ann.configure(faiss_index, manifest.vector_index)
        try:
            db = sqlite3.connect(f"file:{build_dir / 'meta.sqlite'}?mode=ro", uri=True, check_same_thread=False)
            (rows,) = db.execute("SELECT count(*) FROM chunks").fetchone()
        except sqlite3.DatabaseError as e:
            raise IndexCorrupt(
                f"index metadata {build_dir / 'meta.sqlite'} is unreadable ({e}): {_rebuild_hint(index_dir)}"
            ) from e
        expected = manifest.counts["chunks"]
        if not (faiss_index.ntotal == rows == expected):
            db.close()
            raise IndexCorrupt(
                f"index {build_dir} is inconsistent: {faiss_index.ntotal} vectors, {rows} passage rows, "
                f"manifest says {expected}: {_rebuild_hint(index_dir)}"
            )
        return cls(index_dir, build_dir, manifest, faiss_index, db)

    def close(self) -> None:
        self._db.close()

    # --- searching -------------------------------------------------------------

    def search(self, vector: np.ndarray, k: int, *, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The `k` rows nearest to `vector` (normalized) as (row, cosine), best first; `allowed` masks rows."""
        if vector.shape[-1] != self._faiss.d:
            raise IndexCorrupt(
                f"query vector has {vector.shape[-1]} dimensions but index {self.build_dir} has {self._faiss.d}: "
                f"it was built with another model; {_rebuild_hint(self.index_dir)}"
            )
        x = np.ascontiguousarray(vector.reshape(1, -1), dtype=np.float32)
        if allowed is None:
            k = min(k, len(self))
            if k <= 0:
                return []
            scores, ids = self._faiss.search(x, k)
        else:
            rows = np.flatnonzero(allowed).astype(np.int64)
            k = min(k, len(rows))
            if k <= 0:
                return []
            if self.manifest.vector_index.get("type", "flat") != "flat" and len(rows) <= EXACT_FILTERED_ROWS:
                # An approximate index scans only some cells/neighbours and may find few of
                # a small filtered set: score those rows exactly from the stored vectors.
                scores = self._vectors[rows] @ x[0]
                top = np.argsort(-scores, kind="stable")[:k]
                return [(int(rows[i]), float(scores[i])) for i in top]
            scores, ids = self._faiss.search(x, k, params=ann.search_params(self.manifest.vector_index, rows))
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def candidates(
        self, query: str, vector: np.ndarray | None, *, mode: str, depth: int, n: int, filters: Filters
    ) -> list[Hit]:
        """The `n` best passages for `retrieve()`: dense and/or BM25 rankings of `depth` rows, fused for "hybrid"."""
        allowed = self.allowed(filters) if filters else None
        if allowed is not None and not allowed.any():
            return []
        if allowed is not None and allowed.all():  # e.g. "nothing after today": search the index whole
            allowed = None
        dense = self.search(vector, depth, allowed=allowed) if mode != "lexical" else []
        lexical = self.search_words(query, depth, allowed=allowed) if mode != "dense" else []
        ranked = fuse(dense, lexical) if mode == "hybrid" else (dense or lexical)
        return self.hits(ranked[:n])

    @functools.cached_property
    def _vectors(self) -> np.ndarray:
        return np.load(self.build_dir / "vectors.npy", mmap_mode="r")

    def search_words(self, query: str, k: int, *, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The `k` best BM25 rows for `query` as (row, score), best first; rows without a query word are left out."""
        return self._lexical.search(query, k, mask=allowed)

    @functools.cached_property
    def _lexical(self):
        from .lexical import Lexical

        folder = self.build_dir / LEXICAL
        if not folder.is_dir():
            raise IndexCorrupt(
                f"index {self.build_dir} has no keyword index: run `rag index --index {self.index_dir}` to add it"
            )
        return Lexical(folder)

    def allowed(self, filters: Filters) -> np.ndarray:
        """A boolean mask over rows: the passages of articles that `filters` admits (kept for repeated filters)."""
        with self._db_lock:
            cached = self._masks.get(filters)
        if cached is not None:
            return cached
        mask = self._mask(filters)
        with self._db_lock:
            if len(self._masks) >= 32:
                self._masks.pop(next(iter(self._masks)))
            self._masks[filters] = mask
        return mask

    def _mask(self, filters: Filters) -> np.ndarray:
        doc_of_row, docs = self._doc_table
        ok = np.fromiter((filters.admits(*d) for d in docs), dtype=bool, count=len(docs))
        return ok[doc_of_row] if len(docs) else np.zeros(len(self), dtype=bool)

    @functools.cached_property
    def _doc_table(self) -> tuple[np.ndarray, list[tuple[str, str, str]]]:
        with self._db_lock:
            docs = self._db.execute("SELECT doc_id, source, published FROM docs ORDER BY doc_id").fetchall()
            position = {d[0]: i for i, d in enumerate(docs)}
            doc_of_row = np.fromiter(
                (position[d] for (d,) in self._db.execute("SELECT doc_id FROM chunks ORDER BY row")),
                dtype=np.int64,
                count=len(self),
            )
        return doc_of_row, docs

    def sources(self) -> list[str]:
        """The publishers of the indexed articles, sorted."""
        return sorted({source for _, source, _ in self._doc_table[1] if source}, key=str.casefold)

    def hits(self, ranked: list[tuple[int, float]]) -> list[Hit]:
        """`Hit`s for (row, score) pairs, in the given order."""
        rows = self._rows([i for i, _ in ranked])
        return [Hit(score=s, **rows[i]) for i, s in ranked]

    def _rows(self, ids: list[int]) -> dict[int, dict]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        with self._db_lock:
            cur = self._db.execute(
                "SELECT c.row, c.chunk_id, c.doc_id, c.text, c.start, c.end, d.title, d.source, d.published, d.url "
                f"FROM chunks c JOIN docs d ON d.doc_id = c.doc_id WHERE c.row IN ({marks})",
                ids,
            )
            names = [col[0] for col in cur.description][1:]
            return {r[0]: dict(zip(names, r[1:])) for r in cur.fetchall()}

    # --- reading -----------------------------------------------------------------

    def document(self, doc_id: str) -> Document:
        """The full stored document (its text is what citations' offsets point into)."""
        with self._db_lock:
            r = self._db.execute(
                "SELECT doc_id, text, title, source, published, url, origin, hash FROM docs WHERE doc_id = ?", (doc_id,)
            ).fetchone()
        if r is None:
            raise KeyError(doc_id)
        return Document(*r)

    def documents(self) -> list[Document]:
        with self._db_lock:
            rows = self._db.execute(
                "SELECT doc_id, text, title, source, published, url, origin, hash FROM docs"
            ).fetchall()
        return [Document(*r) for r in rows]

    def chunks_of(self) -> dict[str, list[tuple[int, Chunk]]]:
        """Every passage grouped by document, with its vector row."""
        out: dict[str, list[tuple[int, Chunk]]] = {}
        with self._db_lock:
            for row, chunk_id, doc_id, text, start, end, n in self._db.execute(
                "SELECT row, chunk_id, doc_id, text, start, end, n_tokens FROM chunks ORDER BY row"
            ):
                out.setdefault(doc_id, []).append((row, Chunk(chunk_id, doc_id, text, start, end, n)))
        return out

    # --- what an update may reuse ---------------------------------------------------

    @property
    def hashes(self) -> dict[str, str]:
        return {doc_id: h for doc_id, h, _ in self.held()}

    def held(self) -> Iterator[tuple[str, str, str]]:
        """(doc_id, content hash, origin) of every article this build holds, read from its tables as a stream."""
        recorded = self.manifest.documents  # builds before hashes were read from the tables listed them here
        with self._db_lock:
            rows = self._db.execute("SELECT doc_id, hash, origin FROM docs")
        while True:
            with self._db_lock:  # held while reading a batch, not while the caller works on it
                batch = rows.fetchmany(4096)
            if not batch:
                return
            for d, h, o in batch:
                if not recorded:
                    yield d, h or "", o or ""
                elif d in recorded:
                    yield d, recorded[d] or h or "", o or ""

    def passages(self, doc_ids: list[str]) -> Passages:
        """The stored passages and vectors of `doc_ids` (a Milvus store made from this folder reuses them)."""
        by_doc = self.chunks_of()
        chunks = {d: [c for _, c in by_doc.get(d, [])] for d in doc_ids}
        rows = [r for d in doc_ids for r, _ in by_doc.get(d, [])]
        return Passages(chunks, np.asarray(self._vectors[rows], dtype=np.float32) if rows else None)

    # --- what an update copies from the build it replaces ------------------------------

    def stubs(self, doc_ids: list[str]) -> list[Document]:
        """The stored `doc_ids`, without their text (an update copies that within SQLite)."""
        wanted = set(doc_ids)
        with self._db_lock:
            rows = {
                r[0]: r
                for r in self._db.execute("SELECT doc_id, title, source, published, url, origin, hash FROM docs")
                if r[0] in wanted
            }
        return [Document(i, "", *rows[i][1:]) for i in doc_ids if i in rows]


def current_build_dir(index_dir: Path) -> Path:
    """The folder of the build being served, from ``CURRENT``."""
    if not index_dir.is_dir():
        raise IndexNotFound(f"no index at {index_dir}: build one with `rag index --index {index_dir}`")
    try:
        name = (index_dir / CURRENT).read_text().strip()
    except FileNotFoundError:
        if (index_dir / MANIFEST).exists() or any(index_dir.glob("*.faiss")) or any(index_dir.glob("*.index")):
            raise IndexCorrupt(f"{index_dir} holds an index of another format: {_rebuild_hint(index_dir)}") from None
        raise IndexNotFound(f"no index at {index_dir}: build one with `rag index --index {index_dir}`") from None
    build_dir = index_dir / name
    if not name or "/" in name or not build_dir.is_dir():
        raise IndexCorrupt(f"{index_dir / CURRENT} names build {name!r}, which is missing: {_rebuild_hint(index_dir)}")
    return build_dir


def read_manifest(build_dir: Path, index_dir: Path) -> Manifest:
    try:
        data = json.loads((build_dir / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexCorrupt(f"index manifest {build_dir / MANIFEST} is missing: {_rebuild_hint(index_dir)}") from None
    except ValueError as e:
        raise IndexCorrupt(
            f"index manifest {build_dir / MANIFEST} is unreadable ({e}): {_rebuild_hint(index_dir)}"
        ) from None
    return Manifest.parse(data, where=str(index_dir), fix=_rebuild_hint(index_dir))


# --- writing ---------------------------------------------------------------------


class FaissWriter:
    """Updates an index folder: each update writes a complete new build beside the old one and swaps it in."""

    def __init__(self, index_dir: Path):
        self.index_dir = index_dir
        _remove_leftovers(index_dir)  # we hold the lock: whatever a crashed build left can go
        self.unusable = ""
        try:
            self.old: FaissStore | None = FaissStore.load(index_dir, mapped=True)
        except IndexNotFound:
            self.old = None
        except IndexCorrupt as e:
            self.old, self.unusable = None, f"the existing index is unusable ({e}); rebuilding it"
        self.manifest = self.old.manifest if self.old else None

    def indexed(self) -> Iterator[tuple[str, str, str]]:
        return self.old.held() if self.old is not None else iter(())

    def rebuild_reason(self, settings: dict, index_type: str) -> str:
        return ""  # a new index type is built from the stored vectors: nothing is re-embedded

    def is_current(self, index_type: str) -> bool:
        old = self.old
        return (
            old is not None
            and (old.build_dir / LEXICAL).is_dir()
            and old.manifest.vector_index.get("requested", "auto") == index_type
            and old.manifest.headlines is not None
        )  # a build from before headlines were recorded is written anew once (nothing is re-embedded)

    def reusable(self, settings: dict):
        return None  # fresh articles are new or changed ones: the old build holds nothing they could reuse

    def apply(self, plan: UpdatePlan, docs, batches, *, settings, index_type, checkpoint, progress) -> tuple[int, str]:
        """Write the new build as the batches come: fresh articles' rows and vectors from them, every other
        article's text, passages and vectors copied from the old build; then the vector and keyword indexes."""
        t0 = time.perf_counter()
        old = self.old
        build = NewBuild(self.index_dir, old if old is not None and not plan.reason else None)
        with build:
            for batch in batches:
                build.add(batch)
            if old is not None and plan.kept:
                build.add(Batch(old.stubs(plan.kept)))
            build.close(dim=(self.manifest.dimension or 0) if self.manifest else 0)
        checkpoint("vectors")
        checkpoint("sqlite")
        manifest = Manifest(store="faiss", settings=settings, dimension=None, counts={})  # the rest: finish_build
        if progress:
            progress("writing", 0, 1)
        previous = (old._faiss, old.manifest.vector_index) if old is not None else (None, None)
        build_id = finish_build(build, manifest, index_type=index_type, previous=previous, checkpoint=checkpoint, t0=t0)
        if progress:
            progress("writing", 1, 1)
        return build.rows, build_id

    def close(self) -> None:
        if self.old is not None:
            self.old.close()


_SCHEMA = """
    -- long text last: SQLite reads a row's columns in order, so a query for a
    -- title does not wade through the article's overflow pages first
    CREATE TABLE docs (doc_id TEXT PRIMARY KEY, title TEXT, source TEXT, published TEXT,
                       url TEXT, origin TEXT, hash TEXT, text TEXT);
    CREATE TABLE chunks (row INTEGER PRIMARY KEY, chunk_id TEXT UNIQUE, doc_id TEXT,
                         start INTEGER, end INTEGER, n_tokens INTEGER, text TEXT);
    CREATE INDEX chunks_doc ON chunks(doc_id);
"""


class NewBuild:
    """A build being written into ``build-….tmp``, batch by batch: articles and passages into SQLite, vectors
    appended to ``vectors.npy`` (row i = passage i, each article's passages consecutive). Articles of a batch
    that are not fresh are copied from `old`, the build it replaces. Memory holds one batch and the newest dated
    headlines (for the manifest), whatever the corpus size."""

    def __init__(self, index_dir: Path, old: "FaissStore | None"):
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        self.index_dir, self.build_id = index_dir, f"build-{stamp}-{os.getpid()}"
        self.tmp = index_dir / f"{self.build_id}.tmp"
        self.tmp.mkdir()
        self.db = sqlite3.connect(self.tmp / "meta.sqlite")
        with self.db:
            self.db.executescript(_SCHEMA)
        self.old_vectors = None
        if old is not None:
            self.db.execute("ATTACH DATABASE ? AS old", (str(old.build_dir / "meta.sqlite"),))
            self.old_vectors = VectorFile(old.build_dir / "vectors.npy")
        self.vectors = VectorWriter(self.tmp / "vectors.npy")
        self.rows, self.dim, self.documents = 0, 0, 0
        self.headlines: dict[str, Document] = {}  # dated articles, newest kept (`newest_headlines` picks from them)
        self.db.execute("BEGIN")

    def add(self, batch: Batch) -> None:
        fresh, at, pos = batch.fresh, {}, 0
        for doc_id, cs in fresh.chunks.items():
            at[doc_id], pos = pos, pos + len(cs)
        vectors, docs, chunks, copied = [], [], [], []
        for d in batch.docs:
            if d.doc_id in fresh.chunks:
                cs = fresh.chunks[d.doc_id]
                docs.append((d.doc_id, d.text, d.title, d.source, d.published, d.url, d.origin, d.content_hash))
                chunks += [
                    (self.rows + i, c.chunk_id, c.doc_id, c.text, c.start, c.end, c.n_tokens) for i, c in enumerate(cs)
                ]
                if cs:
                    vectors.append(fresh.vectors[at[d.doc_id] : at[d.doc_id] + len(cs)])
                n = len(cs)
            else:  # an article read from another place keeps its passages, and says where it is now
                first, n = self._span(d.doc_id)
                copied.append((d.origin, d.content_hash, d.doc_id, first, self.rows))
                if n:
                    vectors.append(self.old_vectors.read(first, first + n))
            self.rows += n
            self._remember(d)
        self.db.executemany(
            "INSERT INTO docs (doc_id, text, title, source, published, url, origin, hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            docs,
        )
        self.db.executemany(
            "INSERT INTO chunks (row, chunk_id, doc_id, text, start, end, n_tokens) VALUES (?, ?, ?, ?, ?, ?, ?)",
            chunks,
        )
        if copied:
            self.db.executemany(
                "INSERT INTO docs SELECT doc_id, title, source, published, url, ?, ?, text FROM old.docs "
                "WHERE doc_id = ?",
                ((origin, content_hash, doc_id) for origin, content_hash, doc_id, _, _ in copied),
            )
            self.db.executemany(
                "INSERT INTO chunks SELECT row - ? + ?, chunk_id, doc_id, start, end, n_tokens, text "
                "FROM old.chunks WHERE doc_id = ?",
                ((first, row, doc_id) for _, _, doc_id, first, row in copied),
            )
        if vectors:
            self.vectors.append(np.concatenate(vectors))

    def _span(self, doc_id: str) -> tuple[int, int]:
        """(first row, passages) of `doc_id` in the old build (an article's passages are consecutive rows)."""
        if self.old_vectors is None:
            return 0, 0
        first, n = self.db.execute("SELECT min(row), count(*) FROM old.chunks WHERE doc_id = ?", (doc_id,)).fetchone()
        return (first or 0), n

    def _remember(self, d: Document) -> None:
        self.documents += 1
        if d.title and d.published:
            self.headlines[d.doc_id] = Document(d.doc_id, "", d.title, d.source, d.published)
            if len(self.headlines) > 4 * HEADLINES_HELD:  # the newest only (a stable sort: ties keep reading order)
                keep = sorted(self.headlines.values(), key=lambda h: (h.published, h.title), reverse=True)
                self.headlines = {h.doc_id: h for h in keep[:HEADLINES_HELD]}

    def close(self, dim: int = 0) -> None:
        """Commit the tables and finish the vector file (`dim`: its width when no passage was written)."""
        self.db.commit()
        self.vectors.close(dim)
        self.dim = int(self.vectors.dim or 0)

    def __enter__(self) -> "NewBuild":
        return self

    def __exit__(self, *exc) -> None:
        self.db.close()
        if self.old_vectors is not None:
            self.old_vectors.close()


HEADLINES_HELD = 1000  # dated articles a build keeps in memory to pick the manifest's newest headlines from


def write_build(
    index_dir: Path, manifest: Manifest, batches, *, index_type: str = "auto", checkpoint=lambda name: None
) -> str:
    """Write a complete build of new articles (`batches`: `Batch`es whose articles are all fresh) and swap it
    in; its id. The manifest's counts, headlines and dimension are the build's own (`finish_build`)."""
    t0 = time.perf_counter()
    with NewBuild(index_dir, None) as build:
        for batch in batches:
            build.add(batch)
        build.close()
    return finish_build(build, manifest, index_type=index_type, checkpoint=checkpoint, t0=t0)


def finish_build(
    build: NewBuild,
    manifest: Manifest,
    *,
    index_type: str = "auto",
    previous: tuple = (None, None),
    checkpoint=lambda name: None,
    t0: float | None = None,
) -> str:
    """Index a written build's vectors and passages, record it in its manifest (what the build holds: its
    dimension, counts and newest headlines, besides the indexes and files) and swap it in; its id. The
    articles' content hashes are in its ``docs`` table, not the manifest (which stays small).

    `previous` is the last build's (faiss index, vector index entry): its trained IVF cells are reused
    while they fit. `checkpoint(name)` is called after each step (the crash tests kill the process there).
    """
    t0 = time.perf_counter() if t0 is None else t0
    tmp, index_dir = build.tmp, build.index_dir
    with VectorFile(tmp / "vectors.npy") as vectors:
        entry = ann.build(vectors, index_type, tmp / "faiss.index", previous=previous[0], previous_params=previous[1])
    _give_back_freed_memory()  # an HNSW graph's many small arrays leave the heap fragmented, not returned
    checkpoint("faiss")

    from .lexical import build as build_lexical

    build_lexical(_indexed_texts(tmp / "meta.sqlite"), tmp / LEXICAL)
    checkpoint("lexical")

    manifest = manifest.replace(
        dimension=build.dim,
        counts={"documents": build.documents, "chunks": build.rows},
        documents={},
        headlines=newest_headlines(build.headlines.values()),
        vector_index={**entry, "requested": index_type},
        files={name: (tmp / name).stat().st_size for name in FILES},
        build_seconds=round(time.perf_counter() - t0, 3),
    )
    (tmp / MANIFEST).write_text(json.dumps(manifest.to_json(), indent=1, ensure_ascii=False), encoding="utf-8")
    for name in (*FILES, MANIFEST):
        _fsync(tmp / name)
    checkpoint("manifest")

    build_id = build.build_id
    os.rename(tmp, index_dir / build_id)
    checkpoint("renamed")
    pointer = index_dir / f"{CURRENT}.tmp"
    pointer.write_text(build_id + "\n")
    _fsync(pointer)
    checkpoint("pointer")
    os.replace(pointer, index_dir / CURRENT)
    _fsync(index_dir)
    checkpoint("swapped")
    _remove_old_builds(index_dir, keep={build_id})
    LOG.debug("index %s now serves %s", index_dir, build_id)
    return build_id


def _give_back_freed_memory() -> None:
    """Return the C heap's free pages to the OS (glibc keeps them otherwise); a no-op where that is not glibc."""
    import ctypes

    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _indexed_texts(path: Path) -> Iterator[str]:
    """What the keyword index reads of each passage, in row order (`chunking.indexed_text`), as a stream."""
    db = sqlite3.connect(path)
    try:
        for title, text in db.execute(
            "SELECT d.title, c.text FROM chunks c JOIN docs d ON d.doc_id = c.doc_id ORDER BY c.row"
        ):
            yield indexed_text(title, text)
    finally:
        db.close()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_leftovers(index_dir: Path) -> None:
    """Remove what a crashed build left (the caller holds the lock, so no build is running)."""
    try:
        serving = (index_dir / CURRENT).read_text().strip()
    except OSError:
        serving = ""
    for p in index_dir.glob("build-*"):
        # Unfinished builds, and finished ones newer than CURRENT that were never swapped in.
        if p.name.endswith(".tmp") or (p.is_dir() and p.name > serving):
            LOG.info("removing %s, left by an interrupted build", p)
            shutil.rmtree(p, ignore_errors=True)
    (index_dir / f"{CURRENT}.tmp").unlink(missing_ok=True)
    if serving:  # a build killed after its swap never removed the generations before it
        _remove_old_builds(index_dir, keep={serving})


def _remove_old_builds(index_dir: Path, keep: set[str], generations: int = 1) -> None:
    """Delete builds older than the newest `generations` besides those in `keep`."""
    builds = sorted(p for p in index_dir.glob("build-*") if p.is_dir() and not p.name.endswith(".tmp"))
    others = [p for p in builds if p.name not in keep]
    for p in others[: max(0, len(others) - generations)]:
        shutil.rmtree(p, ignore_errors=True)
