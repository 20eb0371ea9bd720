"""The on-disk index: FAISS vectors, passage metadata in SQLite, and a manifest.

Layout of an index folder::

    index/
      CURRENT                 name of the build being served
      .lock                   held by the one process writing this index
      build-20261123T120501Z-4242/
        manifest.json         format, model, settings, per-document hashes, counts, file sizes
        faiss.index           vector index over the normalized vectors (row i = passage i): exact,
                              IVF-SQ8 or HNSW-SQ8, see `rag.ann`
        vectors.npy           the same vectors, float32, reused by incremental builds
        meta.sqlite           documents (text, title, source, published, url) and passages
        bm25/                 keyword index over the same passages (bm25s)

A build is written into ``build-….tmp``, renamed when complete, and only then named
in ``CURRENT`` (an atomic replace). A crash at any point leaves the previous build
serving; the next build removes what the crashed one left. The previous build is
kept one generation so that readers that opened it just before a swap finish cleanly.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import functools
import json
import logging
import os
import shutil
import signal
import sqlite3
import threading
import time
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from . import __version__
from .chunking import DEFAULT_MAX_TOKENS, DEFAULT_OVERLAP_TOKENS, ENCODING, chunk_document, indexed_text
from . import ann
from .embedding import BACKENDS, DEFAULT_BACKEND, DEFAULT_MODEL, Embedder, get_embedder
from .errors import CorpusError, IndexBusy, IndexCorrupt, IndexNotFound
from .types import BuildReport, Chunk, Document, Filters, Hit, Problem

LOG = logging.getLogger(__name__)

FORMAT_VERSION = 1
CURRENT = "CURRENT"
LOCK = ".lock"
MANIFEST = "manifest.json"
FILES = ("faiss.index", "vectors.npy", "meta.sqlite")
LEXICAL = "bm25"  # folder of the keyword (BM25) index
EXACT_FILTERED_ROWS = 50_000  # a filter this selective is searched exactly, whatever the index type

# progress(stage, done, total): stage is "chunking", "embedding" or "writing".
Progress = Callable[[str, int, int], None]


CRASH_POINTS = (
    "locked", "chunked", "embedding", "embedded", "vectors", "faiss", "sqlite", "lexical", "manifest", "renamed",
    "pointer", "swapped",
)


def _crash_point(name: str) -> None:
    """Fault injection for the crash-safety tests: die here, as SIGKILL would, when RAG_CRASH_AT names this point."""
    if os.environ.get("RAG_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


def _rebuild_hint(index_dir: Path) -> str:
    return f"run `rag index --full --index {index_dir}` to rebuild it"


class Index:
    """One loaded build of an index: search it, read its documents.

    >>> idx = Index.load("index")                 # doctest: +SKIP
    >>> idx.search(query_vector, k=5)[0].title    # doctest: +SKIP
    """

    def __init__(self, index_dir: Path, build_dir: Path, manifest: dict, faiss_index, db: sqlite3.Connection):
        self.index_dir = index_dir
        self.build_dir = build_dir
        self.manifest = manifest
        self._faiss = faiss_index
        self._db = db
        self._db_lock = threading.Lock()

    @property
    def build_id(self) -> str:
        return self.build_dir.name

    @property
    def model(self) -> str:
        return self.manifest["settings"]["model"]

    @property
    def backend(self) -> str:
        """The embedding backend that made the vectors; queries must use the same."""
        return _backend_of(self.manifest["settings"])

    @property
    def vector_index(self) -> dict:
        """Type and parameters of the vector index (see `rag.ann`)."""
        return self.manifest.get("vector_index", {"type": "flat"})

    def __len__(self) -> int:
        return int(self._faiss.ntotal)

    @classmethod
    def load(cls, index_dir: str | os.PathLike) -> "Index":
        """Open the build named in ``CURRENT``; raise `IndexNotFound` or `IndexCorrupt` with the fix."""
        index_dir = Path(index_dir)
        build_dir = current_build_dir(index_dir)
        manifest = read_manifest(build_dir, index_dir)
        for name in FILES:
            path = build_dir / name
            want = manifest.get("files", {}).get(name)
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
            faiss_index = faiss.read_index(str(build_dir / "faiss.index"))
        except RuntimeError as e:
            raise IndexCorrupt(f"index file {build_dir / 'faiss.index'} is unreadable ({str(e).splitlines()[0]}): {_rebuild_hint(index_dir)}") from e
        if _backend_of(manifest["settings"]) not in BACKENDS:
            raise IndexCorrupt(
                f"index {build_dir} was embedded with backend {manifest['settings']['backend']!r}, "
                f"unknown to this version of rag: {_rebuild_hint(index_dir)}"
            )
        ann.configure(faiss_index, manifest.get("vector_index", {"type": "flat"}))
        try:
            db = sqlite3.connect(f"file:{build_dir / 'meta.sqlite'}?mode=ro", uri=True, check_same_thread=False)
            (rows,) = db.execute("SELECT count(*) FROM chunks").fetchone()
        except sqlite3.DatabaseError as e:
            raise IndexCorrupt(f"index metadata {build_dir / 'meta.sqlite'} is unreadable ({e}): {_rebuild_hint(index_dir)}") from e
        expected = manifest["counts"]["chunks"]
        if not (faiss_index.ntotal == rows == expected):
            db.close()
            raise IndexCorrupt(
                f"index {build_dir} is inconsistent: {faiss_index.ntotal} vectors, {rows} passage rows, "
                f"manifest says {expected}: {_rebuild_hint(index_dir)}"
            )
        return cls(index_dir, build_dir, manifest, faiss_index, db)

    def close(self) -> None:
        self._db.close()

    def search(self, vector: np.ndarray, k: int, *, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The `k` rows nearest to `vector` (normalized) as (row, cosine), best first.

        `allowed` (a boolean mask over rows) restricts the search, e.g. to filtered articles.
        """
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
            if self.vector_index["type"] != "flat" and len(rows) <= EXACT_FILTERED_ROWS:
                # An approximate index scans only some cells/neighbours and may find few of
                # a small filtered set: score those rows exactly from the stored vectors.
                scores = self._vectors[rows] @ x[0]
                top = np.argsort(-scores, kind="stable")[:k]
                return [(int(rows[i]), float(scores[i])) for i in top]
            scores, ids = self._faiss.search(x, k, params=ann.search_params(self.vector_index, rows))
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def candidates(self, query: str, vector: np.ndarray | None, *, mode: str, depth: int, n: int, filters: Filters) -> list[Hit]:
        """The `n` best passages for `retrieve()`: dense and/or BM25 rankings of `depth` rows, fused for "hybrid"."""
        allowed = self.allowed(filters) if filters else None
        if allowed is not None and not allowed.any():
            return []
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
            raise IndexCorrupt(f"index {self.build_dir} has no keyword index: run `rag index --index {self.index_dir}` to add it")
        return Lexical(folder)

    def allowed(self, filters: Filters) -> np.ndarray:
        """A boolean mask over rows: the passages of articles that `filters` admits."""
        doc_of_row, docs = self._doc_table
        ok = np.fromiter((filters.admits(*d) for d in docs), dtype=bool, count=len(docs))
        return ok[doc_of_row] if len(docs) else np.zeros(len(self), dtype=bool)

    @functools.cached_property
    def _doc_table(self) -> tuple[np.ndarray, list[tuple[str, str, str]]]:
        with self._db_lock:
            docs = self._db.execute("SELECT doc_id, source, published FROM docs ORDER BY doc_id").fetchall()
            position = {d[0]: i for i, d in enumerate(docs)}
            doc_of_row = np.fromiter(
                (position[d] for (d,) in self._db.execute("SELECT doc_id FROM chunks ORDER BY row")), dtype=np.int64, count=len(self)
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

    def document(self, doc_id: str) -> Document:
        """The full stored document (its text is what citations' offsets point into)."""
        with self._db_lock:
            r = self._db.execute(
                "SELECT doc_id, text, title, source, published, url, origin, hash FROM docs WHERE doc_id = ?", (doc_id,)
            ).fetchone()
        if r is None:
            raise KeyError(doc_id)
        return Document(*r)

    def chunks_of(self) -> dict[str, list[tuple[int, Chunk]]]:
        """Every passage grouped by document, with its vector row: for incremental builds."""
        out: dict[str, list[tuple[int, Chunk]]] = {}
        with self._db_lock:
            for row, chunk_id, doc_id, text, start, end, n in self._db.execute(
                "SELECT row, chunk_id, doc_id, text, start, end, n_tokens FROM chunks ORDER BY row"
            ):
                out.setdefault(doc_id, []).append((row, Chunk(chunk_id, doc_id, text, start, end, n)))
        return out

    def documents(self) -> list[Document]:
        with self._db_lock:
            rows = self._db.execute("SELECT doc_id, text, title, source, published, url, origin, hash FROM docs").fetchall()
        return [Document(*r) for r in rows]


RRF_K = 60  # the usual reciprocal-rank-fusion constant: rank 1 counts 1/61, rank 10 1/70


def fuse(*rankings: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """Reciprocal rank fusion of ranked (row, score) lists into one, best first."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, (row, _) in enumerate(ranking, start=1):
            fused[row] = fused.get(row, 0.0) + 1.0 / (RRF_K + rank)
    return sorted(fused.items(), key=lambda item: -item[1])


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


def read_manifest(build_dir: Path, index_dir: Path) -> dict:
    try:
        manifest = json.loads((build_dir / MANIFEST).read_text(encoding="utf-8"))
        version = manifest["format_version"]
    except FileNotFoundError:
        raise IndexCorrupt(f"index manifest {build_dir / MANIFEST} is missing: {_rebuild_hint(index_dir)}") from None
    except (ValueError, KeyError, TypeError) as e:
        raise IndexCorrupt(f"index manifest {build_dir / MANIFEST} is unreadable ({e}): {_rebuild_hint(index_dir)}") from None
    if version != FORMAT_VERSION:
        raise IndexCorrupt(
            f"index {index_dir} has format version {version}, this rag {__version__} reads version {FORMAT_VERSION}: "
            + _rebuild_hint(index_dir)
        )
    return manifest


# --- building ----------------------------------------------------------------


@contextlib.contextmanager
def _exclusive(index_dir: Path):
    """Hold the index's write lock, or raise `IndexBusy` naming the holder."""
    path = index_dir / LOCK
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "another process"
            raise IndexBusy(
                f"index {index_dir} is being built by process {holder}; wait for it to finish, or stop it and run again"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


def _settings(model: str, max_tokens: int, overlap_tokens: int, embedder: Embedder) -> dict:
    return {
        "model": model,
        "backend": embedder.backend,
        "tokenizer": ENCODING,
        "max_tokens": max_tokens,
        "overlap_tokens": overlap_tokens,
        "model_max_tokens": embedder.max_tokens,
        "passage_context": "title",  # what is embedded and keyword-indexed: `chunking.indexed_text`
    }


def _backend_of(settings: dict) -> str:
    """The backend a build's settings name; builds from before backends existed were torch-fp32."""
    return settings.get("backend", "torch-fp32")


def _existing_manifest(index_dir: Path) -> dict:
    """The current build's manifest, or {} when there is none or it is unreadable."""
    try:
        return read_manifest(current_build_dir(index_dir), index_dir)
    except (IndexNotFound, IndexCorrupt, OSError):
        return {}


def _describe_change(old: dict, new: dict) -> str:
    diffs = [f"{k} {old.get(k)!r} → {new[k]!r}" for k in new if old.get(k) != new[k]]
    return "settings changed (" + ", ".join(diffs) + "): every document is re-embedded"


def update_index(
    docs: list[Document],
    index_dir: str | os.PathLike,
    *,
    model: str = DEFAULT_MODEL,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    overlap_tokens: int = DEFAULT_OVERLAP_TOKENS,
    full: bool = False,
    problems: Iterable[Problem] = (),
    progress: Progress | None = None,
    embedder: Embedder | None = None,
    backend: str | None = None,
    index_type: str | None = None,
    ray_address: str | None = None,
    store: str | None = None,
    store_uri: str | None = None,
) -> BuildReport:
    """Bring the index at `index_dir` in line with `docs`, re-embedding only what changed.

    New and changed documents (by content hash) are chunked and embedded; unchanged
    ones keep their passages and vectors; missing ones are dropped, except those whose
    file is named in `problems` (a file that failed to read keeps its previous
    version rather than vanishing). A different model or chunk setting, a `full`
    request, or an unusable old index rebuild everything, and the report says why.

    `backend` is the embedding backend (see `rag.embedding`): vectors of different
    backends never share an index, so changing it re-embeds everything. `index_type`
    is the vector index (see `rag.ann`); changing it re-uses the vectors. Left as
    None, both stay what the existing index has (defaults for a new index).

    `ray_address` runs chunking and embedding on that Ray cluster (see
    `rag.distributed`); the index written is the same as a local build's.
    `store` "milvus" writes the index into Milvus at `store_uri` instead of FAISS
    files (see `rag.milvus_store`); left as None, the index folder keeps its own.
    """
    t0 = time.perf_counter()
    index_dir = Path(index_dir)
    problems = list(problems)
    if not docs:
        raise CorpusError(
            f"no article could be read ({len(problems)} problem(s) reported); fix them and run again. "
            f"The index at {index_dir} was left as it was."
        )
    index_dir = Path(index_dir)
    from . import settings as configured

    store = configured.store(store, index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)  # also where the default Milvus Lite file lives
    with _exclusive(index_dir), contextlib.ExitStack() as opened:
        _crash_point("locked")
        milvus = None
        if store == "milvus":
            from .milvus_store import MilvusStore

            where = configured.milvus(index_dir, store_uri)
            milvus = opened.enter_context(contextlib.closing(MilvusStore(where["uri"], collection=where["collection"], token=where["token"])))
            existing = milvus.read_manifest() or {}
        else:
            existing = _existing_manifest(index_dir)
        backend = backend or (_backend_of(existing["settings"]) if "settings" in existing else DEFAULT_BACKEND)
        index_type = ann.check_type(index_type or existing.get("vector_index", {}).get("requested") or "auto")
        embedder = embedder or get_embedder(model, backend)
        settings = _settings(model, max_tokens, overlap_tokens, embedder)
        if milvus is not None:
            from .milvus_store import update_store, write_pointer

            def chunk_and_embed(fresh: list[Document]):
                return _reusing_local_build(
                    index_dir, settings, fresh, lambda todo: _chunk_and_embed(todo, embedder, max_tokens, overlap_tokens, progress, ray_address)
                )

            with milvus.errors("updating the index"):
                report = update_store(
                    docs, milvus, settings=settings, embedder=embedder, index_type=index_type, full=full, problems=problems,
                    chunk_and_embed=chunk_and_embed, progress=progress,
                )
            write_pointer(index_dir, where["uri"], where["collection"])
            return report
        _remove_leftovers(index_dir)
        old, reason = None, ""
        if full:
            reason = "full rebuild requested"
        else:
            try:
                old = Index.load(index_dir)
            except IndexNotFound:
                reason = "new index"
            except IndexCorrupt as e:
                reason = f"the existing index is unusable ({e}); rebuilding it"
            if old is not None and old.manifest["settings"] != settings:
                reason = _describe_change(old.manifest["settings"], settings)
                old = None

        old_hashes: dict[str, str] = old.manifest["documents"] if old else {}
        keep_failed = _docs_of_failed_files(old, problems, {d.doc_id for d in docs}) if old else []
        current = {d.doc_id: d for d in docs}
        added, changed, removed = changes(docs, old_hashes, kept={d.doc_id for d in keep_failed})
        report = dict(added=added, changed=changed, removed=removed, problems=problems, full_reason=reason)
        same_type = old is not None and old.vector_index.get("requested", "auto") == index_type
        if old is not None and not (added or changed or removed) and (old.build_dir / LEXICAL).is_dir() and same_type:
            n = len(old)
            old.close()
            (index_dir / "store.json").unlink(missing_ok=True)  # asked for FAISS: served by FAISS
            return BuildReport(**report, unchanged=len(docs), chunks=n, seconds=time.perf_counter() - t0, build_id=old.build_id)

        # Chunk and embed what is new; everything else is reused as it is.
        fresh = [current[i] for i in added + changed]
        new_chunks, new_vectors, nodes = _chunk_and_embed(fresh, embedder, max_tokens, overlap_tokens, progress, ray_address)
        texts = [c.text for cs in new_chunks.values() for c in cs]

        _crash_point("embedded")
        final_docs = docs + keep_failed
        old_chunks = old.chunks_of() if old else {}
        old_vectors = np.load(old.build_dir / "vectors.npy", mmap_mode="r") if old else None
        merged, vectors = _merge(final_docs, new_chunks, new_vectors, old_chunks, old_vectors)
        chunks: list[Chunk] = [c for cs in merged.values() for c in cs]
        dim = vectors.shape[1]
        previous = (old._faiss, old.vector_index) if old is not None else (None, None)
        if old is not None:
            old.close()

        manifest = {
            "format_version": FORMAT_VERSION,
            "package_version": __version__,
            "settings": settings,
            "dimension": int(dim),
            "counts": {"documents": len(final_docs), "chunks": len(chunks)},
            "lexical": "bm25s",
            "built_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "build_seconds": None,
            "documents": {d.doc_id: d.content_hash for d in final_docs},
        }
        if progress:
            progress("writing", 0, 1)
        build_id = _write_build(index_dir, manifest, final_docs, chunks, vectors, t0, index_type, previous)
        if progress:
            progress("writing", 1, 1)
        return BuildReport(
            **report,
            unchanged=len(docs) - len(added) - len(changed),
            chunks=len(chunks),
            embedded=len(texts),
            seconds=time.perf_counter() - t0,
            build_id=build_id,
            nodes=nodes,
        )


def _chunk_and_embed(
    fresh: list[Document], embedder: Embedder, max_tokens: int, overlap_tokens: int, progress: Progress | None,
    ray_address: str | None,
) -> tuple[dict[str, list[Chunk]], np.ndarray | None, dict[str, int]]:
    """Passages of `fresh` per document and their vectors (None when there are none), here or on Ray."""
    if ray_address and fresh:
        from .distributed import chunk_and_embed

        def ray_progress(stage: str, done: int, total: int) -> None:
            if stage == "embedding":
                _crash_point("embedding")
            if progress:
                progress(stage, done, total)

        return chunk_and_embed(
            fresh, address=ray_address, model=embedder.model, backend=embedder.backend, max_tokens=max_tokens,
            overlap_tokens=overlap_tokens, plan=embedder.plan, progress=ray_progress,
        )
    new_chunks: dict[str, list[Chunk]] = {}
    for n, d in enumerate(fresh, start=1):
        new_chunks[d.doc_id] = chunk_document(d, max_tokens=max_tokens, overlap_tokens=overlap_tokens, fits=embedder.fits)
        if progress:
            progress("chunking", n, len(fresh))
    titles = {d.doc_id: d.title for d in fresh}
    texts = [indexed_text(titles[c.doc_id], c.text) for cs in new_chunks.values() for c in cs]
    _crash_point("chunked")
    done = 0

    def step(n: int) -> None:
        nonlocal done
        done += n
        _crash_point("embedding")
        if progress:
            progress("embedding", done, len(texts))

    if not texts:  # nothing to embed: do not even load the model
        if progress:
            progress("embedding", 0, 0)
        return new_chunks, None, {}
    return new_chunks, embedder.encode_documents(texts, progress=step), {}


def _reusing_local_build(index_dir: Path, settings: dict, fresh: list[Document], chunk_and_embed):
    """`chunk_and_embed(fresh)`, but passages of unchanged articles come from the folder's FAISS build, if any.

    So moving an index into Milvus (`rag index --store milvus` on a FAISS folder) embeds nothing again.
    Returns (chunks per document in `fresh` order, their vectors, passages per Ray node, passages embedded).
    """
    try:
        local = Index.load(index_dir)
    except (IndexNotFound, IndexCorrupt):
        local = None
    if local is not None and local.manifest["settings"] != settings:
        local.close()
        local = None
    hashes = local.manifest["documents"] if local else {}
    todo = [d for d in fresh if hashes.get(d.doc_id) != d.content_hash]
    chunks, vectors, nodes = chunk_and_embed(todo)
    embedded = sum(len(cs) for cs in chunks.values())
    if local is None or len(todo) == len(fresh):
        if local is not None:
            local.close()
        return chunks, vectors, nodes, embedded
    merged, merged_vectors = _merge(fresh, chunks, vectors, local.chunks_of(), local._vectors)
    local.close()
    return merged, merged_vectors, nodes, embedded


def _merge(
    docs: list[Document], new_chunks: dict[str, list[Chunk]], new_vectors: np.ndarray | None,
    old_chunks: dict[str, list[tuple[int, Chunk]]], old_vectors: np.ndarray | None,
) -> tuple[dict[str, list[Chunk]], np.ndarray]:
    """Passages per document in `docs` order and their vectors: a document's new passages when it has
    them (`new_vectors` row-aligned with `new_chunks`), else its old ones (`old_chunks`' rows of `old_vectors`)."""
    at, pos = {}, 0
    for doc_id, cs in new_chunks.items():
        at[doc_id] = pos
        pos += len(cs)
    merged: dict[str, list[Chunk]] = {}
    parts: list[np.ndarray] = []
    for d in docs:
        if d.doc_id in new_chunks:
            merged[d.doc_id] = new_chunks[d.doc_id]
            parts.append(new_vectors[at[d.doc_id] : at[d.doc_id] + len(merged[d.doc_id])])
        else:
            rows = old_chunks.get(d.doc_id, [])
            merged[d.doc_id] = [c for _, c in rows]
            parts.append(np.asarray(old_vectors[[r for r, _ in rows]], dtype=np.float32))
    dim = (new_vectors if new_vectors is not None else old_vectors).shape[1]
    return merged, np.concatenate(parts) if parts else np.zeros((0, dim), dtype=np.float32)


def changes(docs: list[Document], indexed: dict[str, str], kept: set[str]) -> tuple[list[str], list[str], list[str]]:
    """(added, changed, removed) article ids: `docs` against the content hashes `indexed`; ids in `kept`
    (articles whose file failed to read this time) are not removed."""
    current = {d.doc_id for d in docs}
    added = [d.doc_id for d in docs if d.doc_id not in indexed]
    changed = [d.doc_id for d in docs if d.doc_id in indexed and indexed[d.doc_id] != d.content_hash]
    removed = [i for i in indexed if i not in current and i not in kept]
    return added, changed, removed


def _file_of(where: str) -> str:
    """The file part of a location: "dump.jsonl:12" → "dump.jsonl", "a.txt" → "a.txt"."""
    file, _, line = where.rpartition(":")
    return file if file and line.isdigit() else where


def _docs_of_failed_files(old: Index, problems: list[Problem], present: set[str]) -> list[Document]:
    failed = {_file_of(p.where) for p in problems}
    if not failed:
        return []
    return [d for d in old.documents() if d.doc_id not in present and _file_of(d.origin) in failed]


def _write_build(
    index_dir: Path, manifest: dict, docs: Iterable[Document], chunks: list[Chunk], vectors: np.ndarray, t0: float,
    index_type: str = "auto", previous: tuple = (None, None),
) -> str:
    import faiss

    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    build_id = f"build-{stamp}-{os.getpid()}"
    tmp = index_dir / f"{build_id}.tmp"
    tmp.mkdir()

    np.save(tmp / "vectors.npy", np.ascontiguousarray(vectors, dtype=np.float32))
    _crash_point("vectors")
    vector_index, entry = ann.build(vectors, index_type, previous=previous[0], previous_params=previous[1])
    manifest["vector_index"] = {**entry, "requested": index_type}
    faiss.write_index(vector_index, str(tmp / "faiss.index"))
    _crash_point("faiss")

    db = sqlite3.connect(tmp / "meta.sqlite")
    with db:
        db.executescript(
            """
            -- long text last: SQLite reads a row's columns in order, so a query for a
            -- title does not wade through the article's overflow pages first
            CREATE TABLE docs (doc_id TEXT PRIMARY KEY, title TEXT, source TEXT, published TEXT,
                               url TEXT, origin TEXT, hash TEXT, text TEXT);
            CREATE TABLE chunks (row INTEGER PRIMARY KEY, chunk_id TEXT UNIQUE, doc_id TEXT,
                                 start INTEGER, end INTEGER, n_tokens INTEGER, text TEXT);
            CREATE INDEX chunks_doc ON chunks(doc_id);
            """
        )
        db.executemany(
            "INSERT INTO docs (doc_id, text, title, source, published, url, origin, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            ((d.doc_id, d.text, d.title, d.source, d.published, d.url, d.origin, d.content_hash) for d in docs),
        )
        db.executemany(
            "INSERT INTO chunks (row, chunk_id, doc_id, text, start, end, n_tokens) VALUES (?, ?, ?, ?, ?, ?, ?)",
            ((row, c.chunk_id, c.doc_id, c.text, c.start, c.end, c.n_tokens) for row, c in enumerate(chunks)),
        )
    db.close()
    _crash_point("sqlite")

    from .lexical import build as build_lexical

    titles = {d.doc_id: d.title for d in docs}
    build_lexical([indexed_text(titles[c.doc_id], c.text) for c in chunks], tmp / LEXICAL)
    _crash_point("lexical")

    manifest["files"] = {name: (tmp / name).stat().st_size for name in FILES}
    manifest["build_seconds"] = round(time.perf_counter() - t0, 3)
    (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
    for name in (*FILES, MANIFEST):
        _fsync(tmp / name)
    _crash_point("manifest")

    final = index_dir / build_id
    os.rename(tmp, final)
    _crash_point("renamed")
    pointer = index_dir / f"{CURRENT}.tmp"
    pointer.write_text(build_id + "\n")
    _fsync(pointer)
    _crash_point("pointer")
    os.replace(pointer, index_dir / CURRENT)
    (index_dir / "store.json").unlink(missing_ok=True)  # a folder once served by Milvus is FAISS's again
    _fsync(index_dir)
    _crash_point("swapped")
    _remove_old_builds(index_dir, keep={build_id})
    LOG.info("index %s now serves %s", index_dir, build_id)
    return build_id


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_leftovers(index_dir: Path) -> None:
    """Remove what a crashed build left (we hold the lock, so no build is running)."""
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
