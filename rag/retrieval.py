"""`retrieve()`: the passages most relevant to a question, from whichever store holds the index.

The opened store and the embedding model are cached across calls. For an index
folder of FAISS files each call checks its ``CURRENT`` pointer (one small file
read), so a rebuild finished by another process is picked up without a restart. An
index kept in Milvus (`rag.store.milvus`) is always current: Milvus serves what was
last written.
"""

from __future__ import annotations

import re
import threading
from dataclasses import replace
from pathlib import Path

from .embedding import Encoder, get_encoder
from .errors import QueryError
from .store import Location, MilvusLocation, Store, milvus_location, open_store, store_kind
from .store.faiss import current_build_dir
from .types import Filters, Hit

DEFAULT_INDEX = Path("index")
MAX_QUERY_CHARS = 2000  # the model reads ~256 word pieces; more text only adds noise
MODES = ("hybrid", "dense", "lexical")
RERANK_CANDIDATES = 20

_open: dict[object, Store] = {}
_open_lock = threading.Lock()


def load_index(location: Location | None = None) -> Store:
    """The index at `location` (default ``./index``), opened once and reused until it changes.

    `location` is an index folder (FAISS files, or a ``store.json`` naming a Milvus)
    or a `rag.store.MilvusLocation`.
    """
    if location is None:
        location = DEFAULT_INDEX
    if not isinstance(location, MilvusLocation):
        path = Path(location).resolve()
        if store_kind(path) == "milvus":
            location = milvus_location(path)
        else:
            build = current_build_dir(path)
            store = _open.get(path)
            if store is not None and store.build_dir == build:
                return store
            with _open_lock:
                store = _open.get(path)
                if store is None or store.build_dir != build:
                    store = _open[path] = open_store(path)  # the old one is left to readers still holding it
            return store
    with _open_lock:
        store = _open.get(location)
        if store is None:
            store = _open[location] = open_store(location)
    return store


def clear_cache() -> None:
    """Forget every opened index, so the next call reads it from its store again (as a new process would)."""
    with _open_lock:
        _open.clear()


def retrieve(
    query: str,
    k: int = 5,
    *,
    index_dir: Location | None = None,
    mode: str = "hybrid",
    rerank: bool = False,
    filters: Filters | dict | None = None,
    encoder: Encoder | None = None,
) -> list[Hit]:
    """The `k` passages most relevant to `query`, best first.

    `mode` is "hybrid" (dense vectors and BM25 keywords, fused by reciprocal rank),
    "dense" or "lexical". With `rerank`, a cross-encoder re-scores the best
    candidates (slower, better ordered). `filters` restricts the articles searched
    (a `Filters` or a dict of its fields); a filter that matches nothing returns [].
    `index_dir` is the index (default ``./index``; see `load_index`). `encoder`
    embeds the query (default: the model and backend that embedded the index). A
    `k` larger than the index returns every passage. Scores mean: cosine (dense),
    BM25 (lexical), fused rank (hybrid), cross-encoder logit (reranked).

    >>> hits = retrieve("What did Rutte say about Ukraine?", k=3)  # doctest: +SKIP
    >>> hits[0].source                                            # doctest: +SKIP
    'Khaleej Times'
    """
    if not isinstance(query, str) or not query.strip():
        raise QueryError('the query is empty: ask a question, e.g. "What did Rutte say about Ukraine?"')
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise QueryError(f"k of {k!r} is not a positive whole number: ask for at least 1 passage")
    if mode not in MODES:
        raise QueryError(f"mode {mode!r} is not one of {', '.join(MODES)}")
    query = query.strip()[:MAX_QUERY_CHARS]
    filters = as_filters(filters)
    store = load_index(index_dir)
    if filters.sources:
        check_sources(filters.sources, store.sources())
    depth = max(k, RERANK_CANDIDATES if rerank else k) * (2 if mode == "hybrid" else 1)
    if mode == "lexical":
        vector = None
    else:
        vector = (encoder or query_encoder(store)).encode_query(query)
    hits = store.candidates(
        query, vector, mode=mode, depth=depth, n=max(k, RERANK_CANDIDATES) if rerank else k, filters=filters
    )
    if rerank and hits:
        from .rerank import get_cross_encoder

        scores = get_cross_encoder().score(query, [f"{h.title}. {h.text}" for h in hits])
        order = sorted(range(len(hits)), key=lambda i: -scores[i])[:k]
        return [replace(hits[i], score=float(scores[i])) for i in order]
    return hits


def query_encoder(store: Store) -> Encoder:
    """The encoder for queries of `store`: the model and backend that embedded its passages (vectors never mix)."""
    return get_encoder(store.manifest.model, store.manifest.backend)


def as_filters(value: Filters | dict | None) -> Filters:
    """`value` as `Filters`: a dict of its fields (``source`` for one publisher) is accepted."""
    if value is None:
        return Filters()
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
        for key in ("since", "until"):
            if v.get(key) is None:
                v[key] = ""
        value = Filters(**v)
    if not isinstance(value, Filters):
        raise QueryError(f"filters must be a Filters or a dict, not {type(value).__name__}")
    return check_dates(value)


_ISO = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def check_dates(filters: Filters) -> Filters:
    """`filters` with its dates trimmed; `QueryError` for a date not of the form YYYY, YYYY-MM or YYYY-MM-DD."""
    since, until = (str(filters.since or "").strip(), str(filters.until or "").strip())
    for name, value in (("since", since), ("until", until)):
        m = _ISO.match(value) if value else None
        if value and not (m and _real_date(*m.groups())):
            raise QueryError(
                f"{name} {value!r} is not a date: use YYYY, YYYY-MM or YYYY-MM-DD, e.g. 2024, 2024-11 or 2024-11-04"
            )
    if since and until and since[: len(until)] > until:
        raise QueryError(f"since {since} is after until {until}: no article can be both; swap or change them")
    return replace(filters, since=since, until=until) if (since, until) != (filters.since, filters.until) else filters


def _real_date(year: str, month: str | None, day: str | None) -> bool:
    import datetime as dt

    try:
        dt.date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        return False
    return True


def check_sources(asked: tuple[str, ...], known: list[str]) -> None:
    """`QueryError` for a publisher the index does not hold, listing (some of) those it does."""
    have = {s.casefold() for s in known}
    missing = [s for s in asked if s.casefold() not in have]
    if missing:
        listed = ", ".join(known[:12]) + (f" and {len(known) - 12} more" if len(known) > 12 else "")
        raise QueryError(f"no publisher {missing[0]!r} in this index; its publishers are: {listed or 'none recorded'}")
