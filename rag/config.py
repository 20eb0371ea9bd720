"""Settings, read once at the edges: `Config.from_env(os.environ, **flags)`.

The command line (`rag.cli`) and the app's entry call it; everything else takes
plain keyword arguments. A flag given wins over its variable; every value is
checked here, and a bad one is a `SettingsError` naming the variable or flag.

Variables (flag; default):

- ``RAG_INDEX_DIR`` (--index; ``index``), ``RAG_CORPUS_DIR`` (--corpus; ``corpus``): the folders.
- ``RAG_MODEL`` (--model; ``all-MiniLM-L6-v2``): a known model name or a local folder.
- ``RAG_BACKEND`` (--backend): torch-fp32, onnx-fp32 or onnx-int8; the index's own, ``onnx-int8`` for a new one.
- ``RAG_INDEX_TYPE`` (--index-type): auto, flat, ivf-sq8 or hnsw-sq8; the index's own, ``auto`` for a new one.
- ``RAG_STORE`` (--store): ``faiss`` (files in the index folder) or ``milvus``; the folder's own, else faiss.
- ``RAG_MILVUS_URI`` (--milvus-uri): a Lite file or ``http://host:19530``; the folder's own, else
  ``<index>/milvus.db``. ``RAG_MILVUS_TOKEN`` (``user:password``), ``RAG_MILVUS_COLLECTION`` (``rag``).
- ``RAG_RAY_ADDRESS`` (--ray): ``auto``, ``host:6379``, ``ray://host:10001`` or ``local``; none: build here.
- ``RAG_GENERATION`` (--mode): ``extractive`` (quotes) or ``llm`` (generated, then verified);
  llm when a model is configured, else extractive.
- ``RAG_LLM_URL`` (--llm): an OpenAI-compatible base URL (…/v1), or ``local`` for the bundled model;
  ``RAG_LLM_MODEL`` (``local``), ``RAG_LLM_API_KEY``, ``RAG_LLM_CONTEXT`` (2048 tokens).
- ``RAG_HOST``, ``RAG_PORT`` (--host, --port; ``127.0.0.1``, ``7860``): where the app listens;
  ``RAG_USERNAME`` + ``RAG_PASSWORD``: a login for the page and its API.
- Following feeds (``rag update``, ``rag add``, the app's ``--refresh-every``): ``RAG_CONTACT`` (--contact;
  none): an e-mail or URL put in the User-Agent for site operators; ``RAG_FETCH_DELAY`` (1 s between
  requests to one host), ``RAG_FETCH_TIMEOUT`` (20 s to read a response), ``RAG_MAX_PAGE_BYTES``
  (5,000,000); ``RAG_REFRESH_EVERY`` (--refresh-every; 0: never): minutes between the app's updates.
- ``RAG_CRASH_AT``: for the crash-safety tests, kill ``rag index`` or ``rag update`` at this point
  (`rag.build.CRASH_POINTS`, `rag.follow.CRASH_POINTS`).

``RAG_CACHE_DIR`` (where ONNX exports of the model are kept, default ``~/.cache/rag``) is
read where the cache is, as tiktoken reads ``TIKTOKEN_CACHE_DIR``: see `rag.onnx_model`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from .embedding import BACKENDS, DEFAULT_MODEL
from .errors import SettingsError
from .store import STORES, Location, MilvusLocation, milvus_location
from .store.ann import TYPES as INDEX_TYPES

GENERATION_MODES = ("extractive", "llm")

# field → environment variable
ENV = {
    "index_dir": "RAG_INDEX_DIR",
    "corpus_dir": "RAG_CORPUS_DIR",
    "model": "RAG_MODEL",
    "backend": "RAG_BACKEND",
    "index_type": "RAG_INDEX_TYPE",
    "store": "RAG_STORE",
    "milvus_uri": "RAG_MILVUS_URI",
    "milvus_token": "RAG_MILVUS_TOKEN",
    "milvus_collection": "RAG_MILVUS_COLLECTION",
    "ray_address": "RAG_RAY_ADDRESS",
    "generation": "RAG_GENERATION",
    "llm_url": "RAG_LLM_URL",
    "llm_model": "RAG_LLM_MODEL",
    "llm_api_key": "RAG_LLM_API_KEY",
    "llm_context": "RAG_LLM_CONTEXT",
    "host": "RAG_HOST",
    "port": "RAG_PORT",
    "username": "RAG_USERNAME",
    "password": "RAG_PASSWORD",
    "contact": "RAG_CONTACT",
    "fetch_delay": "RAG_FETCH_DELAY",
    "fetch_timeout": "RAG_FETCH_TIMEOUT",
    "max_page_bytes": "RAG_MAX_PAGE_BYTES",
    "refresh_every": "RAG_REFRESH_EVERY",
    "crash_at": "RAG_CRASH_AT",
}


@dataclass(frozen=True)
class Config:
    """Every setting of rag, validated. Build one with `from_env`."""

    index_dir: Path = Path("index")
    corpus_dir: Path = Path("corpus")
    model: str = DEFAULT_MODEL
    backend: str | None = None
    index_type: str | None = None
    store: str | None = None
    milvus_uri: str | None = None
    milvus_token: str = ""
    milvus_collection: str | None = None
    ray_address: str | None = None
    generation: str | None = None
    llm_url: str = ""
    llm_model: str = "local"
    llm_api_key: str = ""
    llm_context: int = 2048
    host: str = "127.0.0.1"
    port: int = 7860
    username: str | None = None
    password: str | None = None
    contact: str = ""
    fetch_delay: float = 1.0
    fetch_timeout: float = 20.0
    max_page_bytes: int = 5_000_000
    refresh_every: int = 0
    crash_at: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ, **flags) -> "Config":
        """Settings from `environ` (``RAG_*``), overridden by the `flags` that are not None.

        >>> Config.from_env({"RAG_PORT": "8080"}, port=None).port
        8080
        >>> Config.from_env({"RAG_BACKEND": "gpu"})
        Traceback (most recent call last):
        ...
        rag.errors.SettingsError: RAG_BACKEND='gpu' is not one of torch-fp32, onnx-fp32, onnx-int8
        """
        unknown = set(flags) - set(ENV)
        if unknown:
            raise TypeError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        values: dict[str, object] = {}
        source: dict[str, str] = {}
        for name, var in ENV.items():
            if flags.get(name) is not None:
                values[name], source[name] = flags[name], "--" + name.replace("_", "-")
            elif environ.get(var, "") != "":
                values[name], source[name] = environ[var], var
        return cls(**_checked(values, source))

    # --- what the edges pass inward ---------------------------------------------------

    @property
    def answer_mode(self) -> str:
        """ "llm" when asked for, or when a model is configured and no mode is; else "extractive"."""
        return self.generation or ("llm" if self.llm_url else "extractive")

    def location(self) -> Location:
        """Where queries find the index: the index folder, or a Milvus named by RAG_STORE=milvus / RAG_MILVUS_URI."""
        if self.store == "milvus" or self.milvus_uri:
            return self.milvus()
        return self.index_dir

    def milvus(self) -> MilvusLocation:
        return milvus_location(
            self.index_dir, uri=self.milvus_uri, collection=self.milvus_collection, token=self.milvus_token
        )

    def web_settings(self):
        """The `rag.web.WebSettings` of the polite client these settings ask for."""
        from .web import WebSettings

        return WebSettings(
            contact=self.contact,
            delay=self.fetch_delay,
            read_timeout=self.fetch_timeout,
            connect_timeout=min(10.0, self.fetch_timeout),
            max_bytes=self.max_page_bytes,
        )

    def build_options(self, **overrides):
        """The `rag.build.BuildOptions` these settings ask for (`overrides`: chunk sizes, full)."""
        from .build import BuildOptions

        milvus = self.milvus() if (self.store == "milvus" or self.milvus_uri) else None
        return BuildOptions(
            model=self.model,
            backend=self.backend,
            index_type=self.index_type,
            ray_address=self.ray_address,
            store="milvus" if milvus else self.store,
            milvus=milvus,
            **overrides,
        )


def _checked(values: dict, source: dict) -> dict:
    def choice(name: str, allowed) -> None:
        if name in values and values[name] not in allowed:
            raise SettingsError(f"{source[name]}={values[name]!r} is not one of {', '.join(allowed)}")

    def whole(name: str, lo: int, hi: int) -> None:
        if name not in values:
            return
        try:
            n = int(values[name])
        except (TypeError, ValueError):
            raise SettingsError(f"{source[name]}={values[name]!r} is not a whole number") from None
        if not lo <= n <= hi:
            raise SettingsError(f"{source[name]}={n} is not between {lo} and {hi}")
        values[name] = n

    choice("backend", BACKENDS)
    choice("index_type", INDEX_TYPES)
    choice("store", STORES)
    choice("generation", GENERATION_MODES)
    whole("port", 1, 65535)
    whole("llm_context", 256, 1_000_000)
    whole("max_page_bytes", 10_000, 1_000_000_000)
    whole("refresh_every", 0, 7 * 24 * 60)
    for name, lo, hi in (("fetch_delay", 0.0, 3600.0), ("fetch_timeout", 0.1, 3600.0)):
        if name in values:
            try:
                values[name] = float(values[name])
            except (TypeError, ValueError):
                raise SettingsError(f"{source[name]}={values[name]!r} is not a number of seconds") from None
            if not lo <= values[name] <= hi:
                raise SettingsError(f"{source[name]}={values[name]} is not between {lo:g} and {hi:g} seconds")
    for name in ("index_dir", "corpus_dir"):
        if name in values:
            values[name] = Path(values[name])
    if "crash_at" in values:
        from .build import CRASH_POINTS
        from .follow import CRASH_POINTS as UPDATE_CRASH_POINTS

        choice("crash_at", CRASH_POINTS + UPDATE_CRASH_POINTS)
    return values
