"""The chat app: handler behaviour in-process, then the real server through its API and a real browser."""

from __future__ import annotations

import concurrent.futures
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from rag.corpus import load_corpus
from rag.ui import app, render

from .conftest import ROOT, STARTER, write_article

ARTIFACTS = ROOT / "test-artifacts"
XSS_QUESTION = "What did the mayor of Exampleville say about the budget?"


# --- the chat handler, in-process -----------------------------------------------


def run(state, message, history=None):
    return list(app.respond(state, message, history or []))


def test_empty_message_gets_a_prompt_not_an_error(starter_index):
    ((conversation, panel, box),) = run(app.State(starter_index), "   ")
    assert "Please type a question" in conversation[-1]["content"] and panel is None


def test_long_message_is_read_up_to_the_limit_and_says_so(starter_index):
    steps = run(app.State(starter_index), "What did Rutte say about Ukraine? " + "x" * 20_000)
    final = steps[-1][0][-1]["content"]
    assert "I read the first 2,000" in final and "[1]" in final
    assert len(steps[-1][0][-2]["content"]) < 2_100  # the user's message is shown shortened


def test_answer_streams_sentence_by_sentence_and_fills_the_panel(starter_index):
    steps = run(app.State(starter_index), "What did Rutte say about Ukraine?")
    texts = [s[0][-1]["content"] for s in steps]
    assert texts[0] == "*Searching the articles…*"
    assert len(texts) >= 3 and all(b.startswith(a) for a, b in zip(texts[1:], texts[2:]))
    panel = steps[-1][1]
    assert 'id="a0-src-1"' in panel and "<mark>" in panel and "Khaleej Times" in panel


def test_follow_up_uses_the_conversation(starter_index):
    state = app.State(starter_index)
    first = run(state, "What did Rutte say about Ukraine?")[-1][0]
    final = run(state, "And what about North Korea?", first)[-1][0][-1]["content"]
    assert "Pyongyang" in final or "North Korean" in final


def test_no_index_and_internal_errors_read_as_messages(tmp_path, starter_index):
    reply = run(app.State(tmp_path / "none"), "What did Rutte say?")[-1][0][-1]["content"]
    assert "not ready yet" in reply

    class Broken(app.State):
        def events(self, *a, **k):
            raise RuntimeError("secret internal detail")

    reply = run(Broken(starter_index), "What did Rutte say?")[-1][0][-1]["content"]
    assert "something went wrong" in reply and "secret" not in reply and "Traceback" not in reply
    assert app.ask_api(Broken(starter_index), "x") == {"error": "internal error (logged); please try again"}


def test_article_markup_is_escaped_everywhere():
    from rag.types import Answer, Citation, Hit

    evil = 'The mayor said <img src=x onerror="alert(1)"> and <script>alert(2)</script>.'
    h = Hit("e#0", "e", evil, 0, len(evil), 1.0, title="<b>T</b>", source="<i>S</i>", published="2024")
    a = Answer(
        "q",
        evil + " [1]",
        [Citation(1, "e", "e#0", "<b>T</b>", "<i>S</i>", "2024", "javascript:alert(3)", evil, 0, len(evil))],
        False,
        [h],
    )
    rendered = " ".join(render.answer_markdown(a, 0)) + render.sources_html(a, 0)
    for raw in ("<img", "<script", "<b>T", "<i>S", "javascript:"):
        assert raw not in rendered
    assert "&lt;img src=x onerror=" in render.sources_html(a, 0)


# --- the real server ------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(corpus: Path, index: Path, *extra: str, env: dict | None = None, command: list[str] | None = None):
    port = free_port()
    log = open(index.parent / f"app-{port}.log", "w")
    proc = subprocess.Popen(
        [
            *(command or [sys.executable, str(ROOT / "app.py")]),
            "--port",
            str(port),
            "--corpus",
            str(corpus),
            "--index",
            str(index),
            *extra,
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", **(env or {})},
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 300
    while time.time() < deadline:
        if proc.poll() is not None:
            raise AssertionError(
                f"app exited {proc.returncode}: {(index.parent / f'app-{port}.log').read_text()[-2000:]}"
            )
        try:
            urllib.request.urlopen(url, timeout=2)
            return proc, url
        except Exception as e:  # not up yet
            if getattr(e, "code", None) in (401, 403):
                return proc, url
            time.sleep(1)
    proc.kill()
    raise AssertionError("app did not start in 300 s")


def stop(proc):
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    base = tmp_path_factory.mktemp("app")
    corpus = base / "corpus"
    shutil.copytree(STARTER, corpus)
    write_article(
        corpus,
        "exampleville.txt",
        'The mayor of Exampleville said <img src=x onerror="window.__xss=1"> the city budget will double next year. '
        "<script>window.__xss=2</script> Critics called the budget plan reckless.",
        title="Exampleville <script>window.__xss=3</script> budget",
        source="Example Gazette",
        published="2024-11-05",
    )
    proc, url = start_app(corpus, base / "index")
    from gradio_client import Client

    client = Client(url, verbose=False)
    client.predict("warm up: what did Rutte say?", api_name="/ask")
    SERVER_PID["app"] = proc.pid
    yield url, corpus, client
    stop(proc)


SERVER_PID: dict[str, int] = {}


def check_citations(result: dict, corpus: Path):
    docs = {d.doc_id: d.text for d in load_corpus(corpus)[0]}
    assert result["citations"]
    for c in result["citations"]:
        assert docs[c["doc_id"]][c["start"] : c["end"]] == c["quote"]
        if c["role"] == "quote":
            assert c["quote"] in result["text"]
    assert {int(n) for n in __import__("re").findall(r"\[(\d+)\]", result["text"])} == {
        c["n"] for c in result["citations"]
    }


def test_api_answers_with_valid_citations_and_refuses(server):
    _, corpus, client = server
    r = client.predict("What did Rutte say about Ukraine?", api_name="/ask")
    assert r["refused"] is False
    check_citations(r, corpus)
    r = client.predict("Who won the 2024 election?", api_name="/ask")
    assert r["refused"] is True and r["citations"] == [] and r["related"]
    r = client.predict("What did Rutte say about Ukraine?", 6, ["Time.news"], "", "", None, api_name="/ask")
    assert {c["source"] for c in r["citations"]} == {"Time.news"}
    assert client.predict("  ", api_name="/ask")["error"].startswith("the question is empty")


def test_twenty_clients_at_once(server):
    url, corpus, _ = server
    from gradio_client import Client

    questions = [
        "What did Rutte say about Ukraine?",
        "What did Rutte say about North Korea?",
        "Where did Rutte speak?",
        "What did Trump threaten in February?",
        "What is NATO's defense spending target?",
    ] * 4
    clients = [Client(url, verbose=False) for _ in questions]

    def ask(i):
        t = time.perf_counter()
        r = clients[i].predict(questions[i], api_name="/ask")
        return r, time.perf_counter() - t

    with concurrent.futures.ThreadPoolExecutor(len(questions)) as pool:
        results = list(pool.map(ask, range(len(questions))))
    latencies = sorted(t for _, t in results)
    for (r, _), q in zip(results, questions):
        assert "error" not in r and not r["refused"], (q, r)
        check_citations(r, corpus)
    print(f"\n20 concurrent clients: median {latencies[10]:.2f}s, worst {latencies[-1]:.2f}s")


# --- a real browser -------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if not chromium or sync_playwright is None:
        if os.environ.get("CI"):
            pytest.fail("CI must install Debian's chromium and the playwright package (see .ci/run)")
        pytest.skip("needs Debian's chromium and playwright")
    with sync_playwright() as p:  # Playwright gives each launch a new, empty profile folder
        b = p.chromium.launch(
            executable_path=chromium,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield b
        b.close()


def ask_in_page(page, url: str, question: str):
    page.goto(url)
    page.wait_for_selector("#question textarea", timeout=60_000)
    page.fill("#question textarea", question)
    page.press("#question textarea", "Enter")
    page.wait_for_function(
        "() => { const m = document.querySelectorAll('#chat .message'); "
        "return m.length && !m[m.length - 1].innerText.includes('Searching'); }",
        timeout=60_000,
    )


def test_browser_question_click_citation_see_highlighted_quote(server, browser):
    url, corpus, client = server
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    ask_in_page(page, url, "What did Rutte say about Ukraine?")
    page.wait_for_selector("#chat a.cite", timeout=60_000)
    page.locator("#chat a.cite", has_text="[1]").first.click()
    page.wait_for_selector("#sources .src.active", timeout=5_000)
    active = page.locator("#sources .src.active")
    assert active.get_attribute("id").endswith("-src-1")
    expected = client.predict("What did Rutte say about Ukraine?", api_name="/ask")["citations"][0]
    assert active.locator("mark").inner_text().strip() == expected["quote"].strip()
    assert expected["source"] in active.inner_text()
    assert active.is_visible() and page.url == url  # clicking scrolled; it did not navigate away
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "answer-with-highlighted-source.png"), full_page=True)
    page.close()


def test_browser_refusal_looks_different(server, browser):
    url, _, _ = server
    page = browser.new_page()
    ask_in_page(page, url, "Who won the 2024 election?")
    page.wait_for_selector("#chat .refused", timeout=30_000)
    assert "Related, but not an answer" in page.inner_text("#sources")
    page.close()


def test_browser_article_markup_is_shown_as_text_and_never_runs(server, browser):
    url, _, _ = server
    page = browser.new_page()
    ask_in_page(page, url, XSS_QUESTION)
    page.wait_for_selector("#sources .src", timeout=60_000)
    # An image of the same broken source fails as an injected one would have: once ours has fired its
    # onerror, an injected one would have run its handler too.
    page.evaluate("() => new Promise(done => { const i = new Image(); i.onerror = i.onload = done; i.src = 'x'; })")
    assert page.evaluate("() => window.__xss") is None
    assert page.locator("#sources img").count() == 0 and page.locator("#chat img[src='x']").count() == 0
    assert '<img src=x onerror="window.__xss=1">' in page.inner_text("#sources")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "markup-shown-as-text.png"), full_page=True)
    page.close()


def test_login_when_configured(server, tmp_path):
    _, corpus, _ = server
    index = tmp_path / "index"
    shutil.copytree(Path(server[1]).parent / "index", index, symlinks=True)
    proc, url = start_app(corpus, index, "--no-refresh", env={"RAG_USERNAME": "ed", "RAG_PASSWORD": "s3cret"})
    try:
        from gradio_client import Client
        from gradio_client.exceptions import AuthenticationError

        with pytest.raises(AuthenticationError, match="credentials were not provided"):
            Client(url, verbose=False).predict("What did Rutte say?", api_name="/ask")
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(url + "gradio_api/info", timeout=10)
        assert e.value.code in (401, 403)
        r = Client(url, auth=("ed", "s3cret"), verbose=False).predict(
            "What did Rutte say about Ukraine?", api_name="/ask"
        )
        assert r["citations"]
    finally:
        stop(proc)


class GatedEncoder:
    """The real encoder, but a build's embedding waits at `inside` until `release` is set."""

    def __init__(self):
        import threading

        from rag.embedding import get_encoder

        self.real = get_encoder()
        self.inside, self.release = threading.Event(), threading.Event()

    def __getattr__(self, name):
        return getattr(self.real, name)

    def encode_documents(self, texts, *, progress=None):
        self.inside.set()
        assert self.release.wait(120), "the test never released the build"
        return self.real.encode_documents(texts, progress=progress)


def test_questions_during_a_rebuild_are_answered_from_the_previous_index(starter_index, tmp_path):
    import threading

    from rag.build import update_index
    from rag.retrieval import load_index

    index = tmp_path / "index"
    shutil.copytree(starter_index, index)
    corpus = tmp_path / "corpus"
    shutil.copytree(STARTER, corpus)
    for i in range(6):
        write_article(corpus, f"extra-{i}.txt", f"Extra article {i} about the NATO summit. " * 40, title=f"Extra {i}")
    docs, _ = load_corpus(corpus)
    gate = GatedEncoder()
    build = threading.Thread(target=update_index, args=(docs, index), kwargs={"encoder": gate})
    state = app.State(index)
    build.start()
    try:
        assert gate.inside.wait(120), "the build never started embedding"
        during = [run(state, "What did Rutte say about Ukraine?")[-1][0][-1]["content"] for _ in range(2)]
        assert load_index(index).manifest.counts["documents"] == 2  # still the previous build, mid-rebuild
    finally:
        gate.release.set()
        build.join()
    assert all("[1]" in r for r in during), during
    assert load_index(index).manifest.counts["documents"] == 8  # switched to the new build, no restart
    assert "[1]" in run(state, "What did Rutte say about Ukraine?")[-1][0][-1]["content"]


def test_rag_serve_is_the_app(server, tmp_path):
    _, corpus, _ = server
    index = tmp_path / "index"
    shutil.copytree(Path(server[1]).parent / "index", index, symlinks=True)
    proc, url = start_app(corpus, index, "--no-refresh", command=[sys.executable, "-m", "rag", "serve"])
    try:
        from gradio_client import Client

        r = Client(url, verbose=False).predict("What did Rutte say about Ukraine?", api_name="/ask")
        assert r["refused"] is False
        check_citations(r, corpus)
    finally:
        stop(proc)


@pytest.mark.parametrize(
    "path",
    [
        "gradio_api/file=/etc/passwd",
        "gradio_api/file=../../../../etc/passwd",
        "file=/etc/passwd",
        "gradio_api/file=%2Fetc%2Fpasswd",
        "static/../../../../etc/passwd",
        "gradio_api/file=corpus/../../index/CURRENT",
    ],
)
def test_no_file_outside_the_app_is_served(server, path):
    url, _, _ = server
    try:
        body = urllib.request.urlopen(url + path, timeout=10).read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        assert e.code in (400, 403, 404, 405)
        return
    assert "root:" not in body and "build-" not in body


def test_corrupt_index_is_one_clear_message_in_the_app_and_api(starter_index, tmp_path):
    index = tmp_path / "index"
    shutil.copytree(starter_index, index)
    from rag.retrieval import load_index

    (load_index(index).build_dir / "faiss.index").write_bytes(b"junk")
    import rag.retrieval

    rag.retrieval.clear_cache()
    state = app.State(index)
    assert "rag index --full" in state.status()
    assert "rag index --full" in app.ask_api(state, "What did Rutte say?")["error"]
    reply = run(state, "What did Rutte say?")[-1][0][-1]["content"]
    assert "rag index \\-\\-full" in reply or "rag index --full" in reply


def rss_mb(pid: int) -> float:
    line = next(row for row in Path(f"/proc/{pid}/status").read_text().splitlines() if row.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def test_short_load_and_memory(server):
    """The CI-sized version of `python benchmarks/soak.py` (50 clients for 60 s, 1,000 questions)."""
    url, _, _ = server
    from gradio_client import Client

    questions = [
        "What did Rutte say about Ukraine?",
        "Who won the 2024 election?",
        "Where did Rutte speak?",
        "What did Trump threaten in February?",
        "What did Rutte say about North Korea?",
    ]
    clients = [Client(url, verbose=False) for _ in range(50)]
    stop_at = time.monotonic() + 10
    failures, done = [], []

    def worker(i):
        while time.monotonic() < stop_at:
            r = clients[i].predict(questions[i % 5], api_name="/ask")
            (done if "error" not in r and (r["refused"] or r["citations"]) else failures).append(r)

    with concurrent.futures.ThreadPoolExecutor(50) as pool:
        list(pool.map(worker, range(50)))
    assert failures == [] and len(done) >= 50

    one = clients[0]
    for n in range(1, 201):
        one.predict(questions[n % 5], api_name="/ask")
        if n == 50:
            early = rss_mb(SERVER_PID["app"])
    late = rss_mb(SERVER_PID["app"])
    assert late <= early * 1.10, f"memory grew from {early:.0f} MB to {late:.0f} MB"


def test_app_listens_on_loopback_only(server):
    url, _, _ = server
    port = int(url.rsplit(":", 1)[1].strip("/"))
    listening = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, p = local.split(":")
            if int(p, 16) == port and state == "0A":  # LISTEN
                listening.append(address)
    assert listening and set(listening) <= {"0100007F", "00000000000000000000000001000000"}, listening
