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


def test_a_pairs_score_is_its_own_whatever_is_scored_with_it(model):
    # INT8 activations are scaled per model run: in one batch, a pair's score moved with its company.
    q, texts = PAIRS[2][0], ["At least 220 civilians were killed.", "The strike hit a market."]
    company = ["A long sentence about the city council's budget, its schools, its roads and bridges, " * 3]
    assert np.array_equal(model.score(q, texts)[:1], model.score(q, texts[:1] + company)[:1])
    assert np.array_equal(model.score(q, texts), np.concatenate([model.score(q, [t]) for t in texts]))


def test_repeated_pairs_are_answered_from_the_cache(model):
    worker = ScoringWorker(model, cache_size=4)
    first = worker.score(*PAIRS[0])
    first[0] = 99.0  # callers get their own arrays: changing one changes nothing cached
    again = worker.score(*PAIRS[0])
    assert (worker.calls, worker.cached) == (6, 3) and np.array_equal(again, model.score(*PAIRS[0]))
    q, texts = PAIRS[0]
    mixed = worker.score(q, [texts[1], "Rutte met Zelensky.", texts[1]])  # a deeper look re-reads two
    assert worker.cached == 5 and np.array_equal(mixed, model.score(q, [texts[1], "Rutte met Zelensky.", texts[1]]))
    worker.score(*PAIRS[1])  # the cache holds 4 pairs: the oldest go
    worker.score(*PAIRS[0])
    assert worker.cached == 5 + 1  # of the three first scored, only the one re-read since is still held


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


def test_one_calls_pairs_run_on_every_worker_at_once(model):
    """Pairs of one call are spread over the workers (one per core), which run side by side."""
    import threading

    both_running = threading.Barrier(2, timeout=30)

    class Meeting:
        def score(self, question, texts):
            both_running.wait()  # passes only when a second worker scores a pair at the same time
            return model.score(question, texts)

    q, texts = PAIRS[0]
    assert np.array_equal(ScoringWorker(Meeting(), workers=2).score(q, texts[:2]), model.score(q, texts[:2]))


def test_the_workers_one_thread_session_scores_as_the_all_cores_one(model):
    worker = ScoringWorker(workers=2)
    assert worker.model._threads == 1
    for q, texts in PAIRS:
        assert np.array_equal(worker.score(q, texts), model.score(q, texts))
