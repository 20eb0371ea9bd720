"""The cross-encoder behind its one scoring worker: the same scores as the model alone, concurrent or cached."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from rag.rerank import CrossEncoder, ScoringWorker

PAIRS = [
    ("What did Rutte say about Ukraine?", ["Rutte said Ukraine must win.", "The weather was mild.", "NATO met."]),
    ("Who won the election?", ["Trump won the election.", "Polls opened at 7am."]),
    ("How many civilians were killed?", ["At least 220 civilians were killed.", "The strike hit a market."] * 3),
]


@pytest.fixture(scope="module")
def model():
    return CrossEncoder()


def test_the_worker_gives_the_models_own_scores_even_under_concurrency(model):
    alone = [model.score(q, texts) for q, texts in PAIRS]
    worker = ScoringWorker(model, cache_size=0)
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(lambda i: worker.score(*PAIRS[i % len(PAIRS)]), range(24)))
    for i, scores in enumerate(together):
        assert np.array_equal(scores, alone[i % len(PAIRS)])
    assert alone[0][0] > alone[0][1]  # a real model: the answer outscores the weather


def test_a_repeated_call_is_answered_from_the_cache(model):
    worker = ScoringWorker(model, cache_size=2)
    first = worker.score(*PAIRS[0])
    first[0] = 99.0  # callers get copies: changing one changes nothing cached
    again = worker.score(*PAIRS[0])
    assert worker.cached == 1 and again[0] != 99.0 and np.array_equal(again, model.score(*PAIRS[0]))
    worker.score(*PAIRS[1])
    worker.score(*PAIRS[2])  # the cache holds 2 calls: the oldest goes
    worker.score(*PAIRS[0])
    assert worker.cached == 1 and worker.calls == 5


def test_a_failing_call_fails_alone(model):
    class Flaky:
        def score(self, question, texts):
            if question == "boom":
                raise RuntimeError("model failed")
            return model.score(question, texts)

    worker = ScoringWorker(Flaky())
    with pytest.raises(RuntimeError, match="model failed"):
        worker.score("boom", ["x"])
    assert np.array_equal(worker.score(*PAIRS[1]), model.score(*PAIRS[1]))
    assert worker.score("anything", []).shape == (0,)
