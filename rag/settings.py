"""Where settings come from: keyword arguments first, then ``RAG_*`` environment variables.

The library's defaults come from here; everything below takes plain arguments. The
other environment readers are the edges (`rag.cli`, `rag.ui`: RAG_HOST, RAG_PORT,
RAG_USERNAME, RAG_PASSWORD) and one test hook (RAG_CRASH_AT in `rag.index`).

| variable | meaning | default |
| --- | --- | --- |
| RAG_INDEX_DIR | index folder | ``index`` |
| RAG_CORPUS_DIR | articles folder (or file) | ``corpus`` |
| RAG_MODEL | embedding model: a known name or a local folder | ``all-MiniLM-L6-v2`` |
| RAG_BACKEND | embedding backend for builds: torch-fp32, onnx-fp32, onnx-int8 | the index's own; ``onnx-int8`` for a new one |
| RAG_INDEX_TYPE | vector index: auto, flat, ivf-sq8, hnsw-sq8 | the index's own; ``auto`` for a new one |
| RAG_CACHE_DIR | where ONNX exports of the model are kept (read in `rag.onnx_model`) | ``~/.cache/rag`` |
| RAG_GENERATION | answers: ``extractive`` (quotes) or ``llm`` (generated, then verified) | ``extractive`` |
| RAG_LLM_URL | llm mode: OpenAI-compatible base URL (…/v1), or ``local`` for the bundled model | — |
| RAG_LLM_MODEL, RAG_LLM_API_KEY, RAG_LLM_CONTEXT | llm mode: model name, key, context tokens | ``local``, none, 2048 |
| RAG_STORE | where the index lives: ``faiss`` (files in the index folder) or ``milvus`` | the index folder's own; ``faiss`` |
| RAG_MILVUS_URI | Milvus: a Lite file, or a server/cluster ``http://host:19530`` | the index folder's own; ``<index>/milvus.db`` |
| RAG_MILVUS_TOKEN, RAG_MILVUS_COLLECTION | Milvus: credentials (``user:password``), collection prefix | none, ``rag`` |
| RAG_RAY_ADDRESS | build on a Ray cluster: ``auto`` (this machine's), ``host:6379``, ``ray://host:10001``, ``local`` | none: build here |

Queries always use the backend recorded in the index, whatever RAG_BACKEND says.
"""

from __future__ import annotations

import os
from pathlib import Path

from .ann import check_type
from .embedding import DEFAULT_MODEL, check_backend


def index_dir(value: str | os.PathLike | None = None) -> Path:
    return Path(value if value is not None else os.environ.get("RAG_INDEX_DIR", "index"))


def corpus_dir(value: str | os.PathLike | None = None) -> Path:
    return Path(value if value is not None else os.environ.get("RAG_CORPUS_DIR", "corpus"))


def model(value: str | None = None) -> str:
    return value or os.environ.get("RAG_MODEL", DEFAULT_MODEL)


def backend(value: str | None = None) -> str | None:
    """The backend asked for, or None: keep the index's own (`DEFAULT_BACKEND` for a new one)."""
    value = value or os.environ.get("RAG_BACKEND")
    return check_backend(value) if value else None


def index_type(value: str | None = None) -> str | None:
    """The vector index type asked for, or None: keep the index's own ("auto" for a new one)."""
    value = value or os.environ.get("RAG_INDEX_TYPE")
    return check_type(value) if value else None


GENERATION_MODES = ("extractive", "llm")


def generation(value: str | None = None) -> str:
    from .errors import SettingsError

    value = value or os.environ.get("RAG_GENERATION") or "extractive"
    if value not in GENERATION_MODES:
        raise SettingsError(f"generation mode {value!r} is not one of {', '.join(GENERATION_MODES)}")
    return value


def llm(value: str | None = None) -> str:
    """Where llm mode's model is: a base URL, "local", or "" (not configured)."""
    return value or os.environ.get("RAG_LLM_URL", "")


STORES = ("faiss", "milvus")


def store(value: str | None = None, index_dir: Path | None = None) -> str:
    """"faiss" or "milvus": asked for, else what the index folder's store.json says, else "faiss"."""
    from .errors import SettingsError
    from .milvus_store import read_pointer

    value = value or os.environ.get("RAG_STORE") or (read_pointer(index_dir).get("store") if index_dir else None) or "faiss"
    if value not in STORES:
        raise SettingsError(f"store {value!r} is not one of {', '.join(STORES)}")
    return value


def milvus(index_dir: Path, uri: str | None = None) -> dict:
    """Where the Milvus store is: uri, collection (prefix) and token."""
    from .milvus_store import DEFAULT_COLLECTION, default_uri, read_pointer

    pointer = read_pointer(index_dir)
    return {
        "uri": uri or os.environ.get("RAG_MILVUS_URI") or pointer.get("uri") or default_uri(index_dir),
        "collection": os.environ.get("RAG_MILVUS_COLLECTION") or pointer.get("collection") or DEFAULT_COLLECTION,
        "token": os.environ.get("RAG_MILVUS_TOKEN", ""),
    }


def ray_address(value: str | None = None) -> str | None:
    return value or os.environ.get("RAG_RAY_ADDRESS") or None
