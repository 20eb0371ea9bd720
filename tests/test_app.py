"""The chat app: handler behaviour in-process, then the real server through its API and a real browser."""

from __future__ import annotations

import concurrent.futures
import os
import re
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


def test_an_empty_message_changes_nothing(starter_index):
    ((conversation, note, box),) = run(app.State(starter_index), "   ")
    assert conversation == [] and note == "" and box == ""


def test_long_message_is_read_up_to_the_limit_and_says_so(starter_index):
    steps = run(app.State(starter_index), "What did Rutte say about Ukraine? " + "x" * 20_000)
    final = steps[-1][0][-1]["content"]
    assert "I read the first 2,000" in final and 'data-cite="1-1"' in final
    assert len(steps[-1][0][-2]["content"]) < 2_100  # the user's message is shown shortened


def test_an_answer_carries_its_own_sources_one_card_per_passage(starter_index):
    state = app.State(starter_index)
    steps = run(state, "What did Rutte say about Ukraine?")
    assert "Searching the articles" in steps[0][0][-1]["content"]
    final = steps[-1][0][-1]["content"]
    answer = app.ask_api(state, "What did Rutte say about Ukraine?")
    numbers = [c["n"] for c in answer["citations"]]
    assert numbers == list(range(1, len(numbers) + 1))  # consecutive and distinct
    for n in numbers:  # every marker, and a card listing it
        assert f'data-cite="1-{n}"' in final
        assert re.search(rf'data-source="[^"]*\b1-{n}\b[^"]*"', final)
    cards = re.findall(r'<div class="card" data-source="([^"]+)">(.*?)<a class="back"', final)
    passages = [re.sub(r"<[^>]+>", "", body) for _, body in cards]
    assert len(passages) == len(set(passages)), "two cards of one answer hold the same passage"
    assert final.count("<mark") >= len(numbers) and "Khaleej Times" in final and "4 November 2024" in final
    assert "Source link" not in final  # boilerplate left out of the cards


def test_follow_up_uses_the_conversation_and_numbers_its_own_turn(starter_index):
    state = app.State(starter_index)
    first = run(state, "What did Rutte say about Ukraine?")[-1][0]
    second = run(state, "And what about North Korea?", first)[-1][0]
    final = second[-1]["content"]
    assert "Pyongyang" in final or "North Korean" in final
    assert 'data-cite="2-1"' in final and 'data-cite="1-' not in final  # this answer's markers are turn 2's
    assert 'data-cite="1-1"' in second[1]["content"]  # and the first answer keeps its own


def test_bad_filters_say_what_is_wrong_and_empty_ones_say_so(starter_index):
    from html import unescape

    state = app.State(starter_index)
    _, note, _ = run(state, "What did Rutte say about Ukraine?")[-1]
    assert note == ""
    for since, publisher, says in (
        ("2024-13", None, "not a date"),
        ("last week", None, "YYYY-MM-DD"),
        ("", "Nowhere Post", "no publisher 'Nowhere Post'"),
    ):
        steps = list(app.respond(state, "What did Rutte say?", [], 6, [publisher] if publisher else None, since, ""))
        conversation, note, _ = steps[-1]
        assert says in unescape(conversation[-1]["content"]) and says in unescape(note) and 'role="alert"' in note
        assert says in app.ask_api(state, "What did Rutte say?", 6, [publisher] if publisher else None, since)["error"]
    final = list(app.respond(state, "What did Rutte say?", [], 6, None, "2030", ""))[-1][0][-1]["content"]
    assert "No article matches: since 2030." in final and "data-cite" not in final


def test_a_refusal_says_why_and_lists_only_related_passages(starter_index):
    state = app.State(starter_index)
    off_topic = app.ask_api(state, "What is the capital of Australia?")
    assert off_topic["refused"] and "none of the 2 articles mentions Australia" in off_topic["text"]
    assert off_topic["related"] == []  # nothing in the articles is about Australia
    final = run(state, "What is the capital of Australia?")[-1][0][-1]["content"]
    assert "mentions Australia" in final and "Related, but not an answer" not in final
    election = app.ask_api(state, "Who won the 2024 election?")
    assert election["refused"] and election["related"]
    assert all("election" in (h["text"] + h["title"]).lower() for h in election["related"])


def test_no_index_and_internal_errors_read_as_messages(tmp_path, starter_index):
    reply = run(app.State(tmp_path / "none"), "What did Rutte say?")[-1][0][-1]["content"]
    assert "not ready yet" in reply

    class Broken(app.State):
        def events(self, *a, **k):
            raise RuntimeError("secret internal detail")

    reply = run(Broken(starter_index), "What did Rutte say?")[-1][0][-1]["content"]
    assert "something went wrong" in reply and "secret" not in reply and "Traceback" not in reply
    assert app.ask_api(Broken(starter_index), "x") == {"error": "internal error (logged); please try again"}


def test_llm_mode_is_offered_only_with_a_model(starter_index):
    from rag.errors import RagError

    state = app.State(starter_index)
    assert "llm mode is not available" in app.ask_api(state, "What did Rutte say?", mode="llm")["error"]
    with pytest.raises(RagError, match="--llm local or --llm URL"):
        app.State(starter_index, mode="llm")


def test_article_markup_is_escaped_everywhere():
    from rag.types import Answer, Citation, Hit

    evil = 'The mayor said <img src=x onerror="alert(1)"> and <script>alert(2)</script>.'
    h = Hit("e#0", "e", evil, 0, len(evil), 1.0, title="<b>T</b>", source="<i>S</i>", published="2024")
    c = Citation(1, "e", "e#0", "<b>T</b>", "<i>S</i>", "2024", "javascript:alert(3)", evil, 0, len(evil))
    a = Answer("q", evil + " [1]", [c], False, [h])
    rendered = render.answer_html(a, 1) + render.error_html(evil)
    for raw in ("<img", "<script", "<b>T", "<i>S", "javascript:"):
        assert raw not in rendered
    assert "&lt;img src=x onerror=" in rendered
    refused = Answer("q", evil, [], True, [h], related=[h])
    assert "<img" not in render.answer_html(refused, 2) and "<script" not in render.answer_html(refused, 2)


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
    assert (
        "is not a date" in client.predict("What did Rutte say?", 6, [], "2024-13", "", None, api_name="/ask")["error"]
    )
    wrong = client.predict("What did Rutte say?", 6, ["Nowhere"], "", "", None, api_name="/ask")
    assert "no publisher 'Nowhere'" in wrong["error"]
    r = client.predict("What did Rutte say?", 6, ["Khaleej Times"], "2030", "", None, api_name="/ask")
    assert (
        r["refused"] and r["text"] == "No article matches: publisher Khaleej Times, since 2030." and r["related"] == []
    )


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


def ask_in_page(page, url: str | None, question: str):
    """Ask `question` (on a freshly loaded `url`, or on the page as it is) and wait for its answer."""
    if url:
        page.goto(url)
    page.wait_for_selector("#question textarea", timeout=60_000)
    before = page.locator("#chat .answer").count()
    page.fill("#question textarea", question)
    page.press("#question textarea", "Enter")
    page.wait_for_function("n => document.querySelectorAll('#chat .answer').length > n", arg=before, timeout=60_000)


def new_page(browser, url: str, width: int = 1280, height: int = 900):
    """A page of the app at this size, recording every URL it requests."""
    page = browser.new_page(viewport={"width": width, "height": height})
    page.requested = []
    page.on("request", lambda r: page.requested.append(r.url))
    page.goto(url)
    return page


def in_viewport(page, locator) -> bool:
    box = locator.bounding_box()
    size = page.viewport_size
    return bool(box) and box["y"] >= 0 and box["y"] + min(box["height"], 40) <= size["height"] and box["x"] >= 0


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)


def check_card(page, key: str, quote: str):
    """Click marker `key` ("T-N"): its card comes into view, and one of its marks holds `quote`."""
    page.locator(f'[data-cite="{key}"]').first.click()
    card = page.locator(f'[data-source~="{key}"]').first
    card.wait_for(state="visible", timeout=5_000)
    mark = card.locator(f'mark[data-n="{key.split("-")[1]}"]')
    assert mark.inner_text().strip() == quote.strip()
    assert in_viewport(page, mark), "the quote is not in view after the click"
    return card


def test_browser_sources_per_answer_stay_reachable(server, browser):
    url, _, client = server
    page = new_page(browser, url)
    page.wait_for_selector("#question textarea", timeout=60_000)
    assert page.locator("#welcome").is_visible() and page.locator("#send").is_visible()
    shot(page, "01-first-screen-desktop")
    first = client.predict("What did Rutte say about Ukraine?", api_name="/ask")
    ask_in_page(page, None, "What did Rutte say about Ukraine?")
    check_card(page, "1-1", first["citations"][0]["quote"])
    shot(page, "02-answer-with-its-source-desktop")
    cards = page.locator('#chat .answer[data-turn="1"] .card')
    passages = [cards.nth(i).locator(".passage").inner_text() for i in range(cards.count())]
    assert passages and len(passages) == len(set(passages)), "two cards of one answer hold the same passage"

    ask_in_page(page, None, "And what about North Korea?")
    second = client.predict(
        "And what about North Korea?", 6, [], "", "", ["What did Rutte say about Ukraine?"], api_name="/ask"
    )
    assert page.locator('[data-cite="2-1"]').count() >= 1
    assert second["citations"][0]["quote"] != first["citations"][0]["quote"]
    check_card(page, "1-1", first["citations"][0]["quote"])  # the first answer's own source, not the second's
    shot(page, "03-earlier-answer-source-desktop")
    page.locator(".card.active a.back").click()
    assert in_viewport(page, page.locator('[data-cite="1-1"]').first), "back to the answer"
    own = sorted({u.split("/")[2] for u in page.requested if u.startswith(("http://", "https://"))})
    assert own == [url.split("/")[2]], f"the page requested other origins: {own}"
    page.close()


def test_browser_phone_layout_opens_the_card_in_view(server, browser):
    url, _, client = server
    page = new_page(browser, url, 390, 844)
    page.wait_for_selector("#question textarea", timeout=60_000)
    chat, brand = page.locator("#chat").bounding_box(), page.locator("#brand").bounding_box()
    assert brand["height"] < 844 / 8 and chat["y"] < 844 / 5, "the chat comes first on a phone"
    shot(page, "04-first-screen-phone")
    expected = client.predict("What did Rutte say about Ukraine?", api_name="/ask")["citations"][0]["quote"]
    ask_in_page(page, None, "What did Rutte say about Ukraine?")
    check_card(page, "1-1", expected)
    shot(page, "05-source-opened-phone")
    page.close()


def test_browser_bad_date_shows_an_inline_error(server, browser):
    url, _, _ = server
    page = new_page(browser, url)
    page.wait_for_selector("#question textarea", timeout=60_000)
    page.locator("#filters").get_by_text("Filters").click()
    box = page.locator("#since input").first
    box.fill("2024-13")
    box.press("Enter")
    ask_in_page(page, None, "What did Rutte say about Ukraine?")
    note = page.locator("#filter-note")
    note.get_by_text("not a date").wait_for(timeout=10_000)
    assert "YYYY-MM-DD" in note.inner_text() and "not a date" in page.locator("#chat .answer.error").last.inner_text()
    shot(page, "06-bad-date-inline-error")
    page.close()


def test_browser_refusal_looks_different(server, browser):
    url, _, _ = server
    page = new_page(browser, url)
    ask_in_page(page, url, "Who won the 2024 election?")
    refusal = page.locator("#chat .answer.refused").last
    assert "don't say" in refusal.inner_text() and "Related, but not an answer" in refusal.inner_text()
    shot(page, "07-refusal")
    page.close()


def test_browser_article_markup_is_shown_as_text_and_never_runs(server, browser):
    url, _, _ = server
    page = new_page(browser, url)
    ask_in_page(page, url, XSS_QUESTION)
    page.locator("#chat .answer .sources summary").last.click()
    # An image of the same broken source fails as an injected one would have: once ours has fired its
    # onerror, an injected one would have run its handler too.
    page.evaluate("() => new Promise(done => { const i = new Image(); i.onerror = i.onload = done; i.src = 'x'; })")
    assert page.evaluate("() => window.__xss") is None
    assert page.locator("#chat img[src='x']").count() == 0 and page.locator("#chat script").count() == 0
    assert '<img src=x onerror="window.__xss=1">' in page.inner_text("#chat")
    shot(page, "08-markup-shown-as-text")
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


def test_a_first_start_is_quiet_and_says_where_to_go(tmp_path):
    """A fresh model cache: the export, quantization and first build say what they do, no library logs; then the URL."""
    corpus = tmp_path / "corpus"
    shutil.copytree(STARTER, corpus)
    index = tmp_path / "index"
    proc, url = start_app(corpus, index, env={"RAG_CACHE_DIR": str(tmp_path / "fresh-cache")})
    try:
        log = index.parent / f"app-{url.rsplit(':', 1)[1].strip('/')}.log"
        deadline = time.monotonic() + 60
        while "Open http" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        lines = [line for line in log.read_text().splitlines() if line.strip()]
    finally:
        stop(proc)
    assert f"Open {url.rstrip('/')}" in lines, lines
    assert any("exporting it to ONNX" in line for line in lines) and any("built a new index" in line for line in lines)
    noisy = [
        line
        for line in lines
        if re.search(r"onnxruntime|faiss|ModuleNotFoundError|pre-processing|WARNING|INFO|Traceback|gradio", line, re.I)
    ]
    assert noisy == [], noisy


def test_a_busy_port_is_one_line_and_exit_status_1(starter_index):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        p = subprocess.run(
            [sys.executable, "-m", "rag", "serve", "--port", str(port), "--index", str(starter_index), "--no-refresh"],
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"},
        )
    errors = [line for line in p.stderr.splitlines() if "error" in line.lower()]
    assert p.returncode == 1 and "Traceback" not in p.stderr, p.stderr
    assert len(errors) == 1 and f"port {port}" in errors[0] and "--port" in errors[0] and "RAG_PORT" in errors[0], (
        p.stderr
    )


def test_served_queue_does_not_summarise_every_event(monkeypatch):
    """`rag serve` sets Gradio's analytics knobs: its queue keeps no 10,000-event table to summarise in pandas
    after every answer (measured at ~17% of the app's time under 50 clients)."""
    import gradio as gr

    from rag.cli import GRADIO_SETTINGS

    for name, value in GRADIO_SETTINGS.items():
        monkeypatch.setenv(name, value)
    queue = gr.Blocks().queue()._queue
    queue.events_recorded = 10_000
    record = {"function": "ask", "status": "success", "process_time": 0.1}
    assert queue.compute_analytics_summary([record]) == {"functions": {}}
    assert queue.ANALYTICS_MAX_EVENTS == 1
