"""`retrieve()`: the passages most relevant to a question, from the index on disk.

The loaded index and the embedding model are cached across calls. Each call checks
the index folder's ``CURRENT`` pointer (one small file read), so a rebuild finished
by another process is picked up without a restart.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from . import settings
from .embedding import get_embedder
from .errors import QueryError
from .index import Index, current_build_dir
from .types import Hit

MAX_QUERY_CHARS = 2000  # the model reads ~256 word pieces; more text only adds noise

_open: dict[Path, Index] = {}
_open_lock = threading.Lock()


def load_index(index_dir: str | os.PathLike | None = None) -> Index:
    """The current build of the index at `index_dir`, loaded once and reused until it changes."""
    path = settings.index_dir(index_dir).resolve()
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


def retrieve(query: str, k: int = 5, *, index_dir: str | os.PathLike | None = None) -> list[Hit]:
    """The `k` passages most similar to `query`, best first.

    `index_dir` defaults to ``$RAG_INDEX_DIR`` or ``index/``. A `k` larger than the
    index returns every passage.

    >>> hits = retrieve("What did Rutte say about Ukraine?", k=3)  # doctest: +SKIP
    >>> hits[0].source                                            # doctest: +SKIP
    'Khaleej Times'
    """
    if not isinstance(query, str) or not query.strip():
        raise QueryError("the query is empty: ask a question, e.g. \"What did Rutte say about Ukraine?\"")
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise QueryError(f"k of {k!r} is not a positive whole number: ask for at least 1 passage")
    idx = load_index(index_dir)
    vector = get_embedder(idx.model).encode_query(query.strip()[:MAX_QUERY_CHARS])
    return idx.search(vector, k)
