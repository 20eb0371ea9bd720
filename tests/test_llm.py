"""llm mode against a real llama.cpp server process (xllamacpp) with the packaged SmolLM2-135M-Instruct."""

from __future__ import annotations

import re

import pytest

from rag.answering import answer, answer_events
from rag.evaluation import citation_problems, evaluate, has_fact, load_questions
from rag.generation import ChatClient

from .conftest import ROOT, injected_index

QUESTIONS = [
    "What did Rutte say about Ukraine?",
    "Will NATO stay united after the US election?",
    "What did Trump threaten in February?",
]


@pytest.fixture(scope="module")
def llm():
    from rag.llm_server import LocalServer

    with LocalServer() as server:
        assert server.url.startswith("http://127.0.0.1:")
        yield ChatClient(server.url, model="SmolLM2-135M-Instruct")
    assert server.proc.poll() is not None, "the server process must be gone after stop()"


def _check(a, index):
    assert citation_problems(a, index) == [], (a.text, a.citations)
    assert a.mode in ("llm", "extractive-fallback")
    if a.mode == "llm":
        assert all(c.role == "support" for c in a.citations)
        for sentence in re.split(r"(?<=\])\s+", a.text):
            assert re.search(r"\[\d+\]$", sentence), f"a kept sentence without a citation: {sentence!r}"


def test_a_streamed_answer_keeps_only_verified_sentences(llm, starter_index):
    for q in QUESTIONS:
        events = list(answer_events(q, mode="llm", client=llm, index_dir=starter_index))
        drafts = [v for kind, v in events if kind == "draft"]
        checked = [v for kind, v in events if kind == "sentence"]
        kind, a = events[-1]
        assert kind == "answer" and len(drafts) >= 2, "the reply streams"
        assert all(b.startswith(a_[: len(a_) - 8]) for a_, b in zip(drafts, drafts[1:]) if len(a_) > 8)
        assert not any(re.search(r"[\[【][\d ,\-]*$", d) for d in drafts), "a partial marker was shown"
        _check(a, starter_index)
        kept = [c for c in checked if c.supported]
        assert len(a.removed) == len(checked) - len(kept)  # every sentence was checked, and the rejected ones listed
        if a.mode == "llm":
            assert kept and all(
                re.sub(r"\s*\[\d+\]", "", c.text).strip() in a.text for c in kept if "don't say" not in c.text
            )
        else:  # fell back: nothing it wrote stood, bar a "the articles don't say"
            assert all("don't say" in c.text for c in kept)


def test_an_answer_with_nothing_supported_falls_back_to_quotes(starter_index):
    class Liar(ChatClient):
        def stream(self, messages):
            yield from ["The moon is made of ", "cheese [1]. Paris ", "hosted the summit [", "2]."]

    a = answer(
        "What did Rutte say about Ukraine?", mode="llm", client=Liar("http://unused/v1"), index_dir=starter_index
    )
    assert a.mode == "extractive-fallback" and not a.refused
    assert [r["sentence"] for r in a.removed] == ["The moon is made of cheese [1].", "Paris hosted the summit [2]."]
    assert "cheese" not in a.text and citation_problems(a, starter_index) == []


def test_a_grounded_generated_sentence_survives_and_an_unsupported_one_is_removed(starter_index):
    from .stub_llm import UNSUPPORTED, stub_llm

    with stub_llm() as (url, requests):
        a = answer(
            "What did Rutte say about Ukraine?",
            mode="llm",
            client=ChatClient(url, model="stub"),
            index_dir=starter_index,
        )
    assert len(requests) == 1 and requests[0]["stream"] is True and requests[0]["model"] == "stub"
    assert a.mode == "llm" and not a.refused, a
    assert [r["sentence"] for r in a.removed] == [UNSUPPORTED]  # verified away: no passage says it
    assert "Moon" not in a.text and a.text.endswith("[1]") and len(a.citations) == 1
    c = a.citations[0]
    assert c.role == "support" and c.quote in a.text  # the generated sentence is passage [1]'s own first sentence
    assert citation_problems(a, starter_index) == []


def test_an_unreachable_server_says_what_to_do(starter_index):
    from rag.errors import ModelError

    with pytest.raises(ModelError, match="cannot reach the language model.*rag serve --llm local"):
        answer(
            "What did Rutte say?",
            mode="llm",
            client=ChatClient("http://127.0.0.1:9/v1", timeout=2),
            index_dir=starter_index,
        )


def test_instructions_inside_an_article_do_not_reach_the_answer(llm, tmp_path):
    index = injected_index(
        tmp_path, title="Notice to AI systems about Rutte, NATO, Trump and Ukraine"
    )  # so it is retrieved
    for q in QUESTIONS:
        a = answer(q, mode="llm", client=llm, index_dir=index)
        assert "banana" not in a.text.lower()
        _check(a, index)


def test_the_chat_page_streams_generated_answers(llm, starter_index):
    from rag.ui import app

    state = app.State(starter_index, client=llm, mode="llm")
    frames = list(app.respond(state, "What did Rutte say about Ukraine?", []))
    contents = [f[0][-1]["content"] for f in frames]
    assert any("writing; every sentence is checked" in c for c in contents), "drafts are shown while the model writes"
    final = contents[-1]
    payload = app.ask_api(
        state, "What did Rutte say about Ukraine?", mode="llm"
    )  # the same question, the same (greedy) reply
    assert "writing;" not in final and 'class="cite"' in final
    if payload["mode"] == "extractive-fallback":
        assert "quotes instead" in final and payload["removed"]
    else:
        assert payload["mode"] == "llm" and "quotes instead" not in final
        assert all(c["role"] == "support" for c in payload["citations"]) and payload["citations"]


@pytest.mark.slow  # 38 generations: minutes on 2 cores
def test_eval_in_llm_mode_holds_citation_validity(llm, starter_index):
    questions = load_questions(ROOT / "tests" / "data" / "starter_dev.jsonl")
    report = evaluate(
        questions, index_dir=starter_index, answer_fn=lambda q, **kw: answer(q, mode="llm", client=llm, **kw)
    )
    m = report.metrics
    assert m["citation_validity"] == 1.0
    # A 135M model writes much that no passage says: the verifier must have removed some of it.
    assert m["generated_sentences"] > 0 and m["removed_share"] > 0
    assert m["refusal_recall"] >= 0.9, "verification must keep the trap questions refused"
    assert sum(has_fact(r["answer"], "banana") for r in report.rows) == 0


def test_rag_serve_llm_local_starts_the_model_server_and_stops_it_on_exit(starter_index, tmp_path):
    import os
    import urllib.request
    from pathlib import Path

    from gradio_client import Client

    from .conftest import STARTER
    from .test_app import start_app, stop

    proc, url = start_app(STARTER, starter_index, "--no-refresh", "--llm", "local")
    try:
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        servers = [int(c) for c in children if b"rag.llm_server" in Path(f"/proc/{c}/cmdline").read_bytes()]
        assert len(servers) == 1, "one llama.cpp server child"
        cmd = Path(f"/proc/{servers[0]}/cmdline").read_bytes().split(b"\0")
        port = int(cmd[cmd.index(b"--port") + 1])
        assert urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5).status == 200
        result = Client(url, verbose=False).predict("What did Rutte say about Ukraine?", api_name="/ask")
        assert result["mode"] in ("llm", "extractive-fallback") and result["citations"]
    finally:
        stop(proc)
    for _ in range(50):
        if not os.path.exists(f"/proc/{servers[0]}"):
            break
        import time

        time.sleep(0.2)
    assert not os.path.exists(f"/proc/{servers[0]}"), "the model server outlived the app"
