"""`retrieve()`: the passages most relevant to a question, from the index on disk or in Milvus.

The loaded index and the embedding model are cached across calls. Each call checks
the index folder's ``CURRENT`` pointer (one small file read), so a rebuild finished
by another process is picked up without a restart. An index kept in Milvus
(`rag.milvus_store`) is always current: Milvus serves what was last written.
"""

from __future__ import annotations

import os
import threading
from dataclasses import replace
from pathlib import Path

from . import settings
from .embedding import get_embedder
from .errors import QueryError
from .index import RRF_K, Index, current_build_dir, fuse  # noqa: F401  (fuse, RRF_K: part of this module's API)
from .types import Filters, Hit

MAX_QUERY_CHARS = 2000  # the model reads ~256 word pieces; more text only adds noise

_open: dict[Path, Index] = {}
_open_lock = threading.Lock()


def load_index(index_dir: str | os.PathLike | None = None) -> Index:
    """The current build of the index at `index_dir`, loaded once and reused until it changes.

    When the folder is served by Milvus (its ``store.json``, or RAG_STORE=milvus), a
    `rag.milvus_store.MilvusStore`, which answers the same calls.
    """
    path = settings.index_dir(index_dir).resolve()
    if settings.store(None, path) == "milvus":
        return _milvus(path)
    build = current_build_dir(path)
    idx = _open.get(path)
    if idx is not None and idx.build_dir == build:
        return idx
    with _open_lock:
        idx = _open.get(path)
        if idx is None or idx.build_dir != build:
            idx = Index.load(path)
            _open[path] = idx  # the old one is left to readers still holding it
    return idx


def _milvus(path: Path):
    from .milvus_store import MilvusStore

    where = settings.milvus(path)
    key = Path(f"milvus:{where['uri']}#{where['collection']}")
    with _open_lock:
        store = _open.get(key)
        if store is None:
            store = _open[key] = MilvusStore(where["uri"], collection=where["collection"], token=where["token"])
    return store


MODES = ("hybrid", "dense", "lexical")
RERANK_CANDIDATES = 20


def retrieve(
    query: str,
    k: int = 5,
    *,
    index_dir: str | os.PathLike | None = None,
    mode: str = "hybrid",
    rerank: bool = False,
    filters: Filters | dict | None = None,
) -> list[Hit]:
    """The `k` passages most relevant to `query`, best first.

    `mode` is "hybrid" (dense vectors and BM25 keywords, fused by reciprocal rank),
    "dense" or "lexical". With `rerank`, a cross-encoder re-scores the best
    candidates (slower, better ordered). `filters` restricts the articles searched
    (a `Filters` or a dict of its fields); a filter that matches nothing returns [].
    `index_dir` defaults to ``$RAG_INDEX_DIR`` or ``index/``. A `k` larger than the
    index returns every passage. Scores mean: cosine (dense), BM25 (lexical), fused
    rank (hybrid), cross-encoder logit (reranked).

    >>> hits = retrieve("What did Rutte say about Ukraine?", k=3)  # doctest: +SKIP
    >>> hits[0].source                                            # doctest: +SKIP
    'Khaleej Times'
    """
    if not isinstance(query, str) or not query.strip():
        raise QueryError("the query is empty: ask a question, e.g. \"What did Rutte say about Ukraine?\"")
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise QueryError(f"k of {k!r} is not a positive whole number: ask for at least 1 passage")
    if mode not in MODES:
        raise QueryError(f"mode {mode!r} is not one of {', '.join(MODES)}")
    query = query.strip()[:MAX_QUERY_CHARS]
    filters = _filters(filters)
    idx = load_index(index_dir)
    depth = max(k, RERANK_CANDIDATES if rerank else k) * (2 if mode == "hybrid" else 1)
    vector = get_embedder(idx.model, idx.backend).encode_query(query) if mode != "lexical" else None
    hits = idx.candidates(query, vector, mode=mode, depth=depth, n=max(k, RERANK_CANDIDATES) if rerank else k, filters=filters)
    if rerank and hits:
        from .rerank import get_cross_encoder

        scores = get_cross_encoder().score(query, [f"{h.title}. {h.text}" for h in hits])
        order = sorted(range(len(hits)), key=lambda i: -scores[i])[:k]
        return [replace(hits[i], score=float(scores[i])) for i in order]
    return hits


def _filters(value: Filters | dict | None) -> Filters:
    if value is None:
        return Filters()
    if isinstance(value, Filters):
        return value
    if isinstance(value, dict):
        unknown = set(value) - {"sources", "since", "until", "doc_ids", "source"}
        if unknown:
            raise QueryError(f"unknown filter(s) {sorted(unknown)}: use sources, since, until, doc_ids")
        v = dict(value)
        if "source" in v:
            v["sources"] = (v.pop("source"),)
        for key in ("sources", "doc_ids"):
            if isinstance(v.get(key), str):
                v[key] = (v[key],)
            if key in v:
                v[key] = tuple(v[key])
        return Filters(**v)
    raise QueryError(f"filters must be a Filters or a dict, not {type(value).__name__}")
