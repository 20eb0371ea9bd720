"""Where settings come from: keyword arguments first, then ``RAG_*`` environment variables.

The library's defaults come from here; everything below takes plain arguments. The
other environment readers are the edges (`rag.cli`, `rag.ui`: RAG_HOST, RAG_PORT,
RAG_USERNAME, RAG_PASSWORD) and one test hook (RAG_CRASH_AT in `rag.index`).

| variable | meaning | default |
| --- | --- | --- |
| RAG_INDEX_DIR | index folder | ``index`` |
| RAG_CORPUS_DIR | articles folder (or file) | ``corpus`` |
| RAG_MODEL | embedding model: a known name or a local folder | ``all-MiniLM-L6-v2`` |
"""

from __future__ import annotations

import os
from pathlib import Path

from .embedding import DEFAULT_MODEL


def index_dir(value: str | os.PathLike | None = None) -> Path:
    return Path(value if value is not None else os.environ.get("RAG_INDEX_DIR", "index"))


def corpus_dir(value: str | os.PathLike | None = None) -> Path:
    return Path(value if value is not None else os.environ.get("RAG_CORPUS_DIR", "corpus"))


def model(value: str | None = None) -> str:
    return value or os.environ.get("RAG_MODEL", DEFAULT_MODEL)
