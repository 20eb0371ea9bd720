"""Where settings come from: keyword arguments first, then ``RAG_*`` environment variables.

This is the one module that reads the environment; everything below it takes plain
arguments.

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
