"""Following feeds: a loopback news site (tests/feed_server.py), the polite client, dedup, rag update / add."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import rag
from rag.dedup import NearDuplicates, canonical_url, jaccard, shingles
from rag.feeds import FeedError, add_feed, feed_urls, parse_feed, remove_feed
from rag.follow import add_article, update_corpus
from rag.web import FetchError, PoliteClient, WebSettings
from tests.feed_server import PARAGRAPHS, news_site

DATA = Path(__file__).parent / "data" / "feeds"
FAST = WebSettings(delay=0.05, read_timeout=1.0, connect_timeout=1.0, max_bytes=200_000, contact="tests@example.org")


@pytest.fixture()
def site():
    s = news_site()
    yield s
    s.stop()


def follow(corpus: Path, site, *feeds: str) -> Path:
    for f in feeds:
        add_feed(corpus, site.base + f)
    return corpus


# --- the feed list ------------------------------------------------------------------------


def test_feeds_file_is_plain_and_keeps_what_a_person_wrote(tmp_path):
    (tmp_path / "feeds.txt").write_text("# my feeds\nhttps://a.example/rss  # the A\n\nhttps://b.example/atom\n")
    assert feed_urls(tmp_path) == ["https://a.example/rss", "https://b.example/atom"]
    assert add_feed(tmp_path, "https://c.example/feed.json") and not add_feed(tmp_path, "https://a.example/rss")
    assert remove_feed(tmp_path, "https://b.example/atom") and not remove_feed(tmp_path, "https://b.example/atom")
    text = (tmp_path / "feeds.txt").read_text()
    assert text.startswith("# my feeds\nhttps://a.example/rss  # the A\n") and text.endswith(
        "https://c.example/feed.json\n"
    )
    with pytest.raises(FeedError, match="not an http"):
        add_feed(tmp_path, "ftp://x.example/feed")


def test_the_feeds_file_is_not_read_as_an_article(tmp_path):
    from rag.corpus import load_corpus

    (tmp_path / "a.txt").write_text("An article about the harbour bridge.")
    add_feed(tmp_path, "https://a.example/rss")
    docs, problems = load_corpus(tmp_path)
    assert [d.doc_id for d in docs] == ["a"] and problems == []


# --- formats ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(p for p in DATA.rglob("*") if p.suffix in (".rss", ".atom", ".xml")))
def test_real_world_feed_files_are_read_or_reported(path):
    """Feeds nobody here wrote (tests/data/feeds/README.md): items with links, or a FeedError — never a crash."""
    try:
        feed = parse_feed(path.read_bytes(), f"https://example.org/{path.name}")
    except FeedError as e:
        assert "not" in str(e)
        return
    for item in feed.items:
        assert item.url.startswith(("http://", "https://")) and isinstance(item.title, str)
        assert item.published == "" or item.published[:4].isdigit()


def test_real_world_feeds_give_their_items():
    heise = parse_feed((DATA / "rss-parser" / "heise.atom").read_bytes(), "https://www.heise.de/atom")
    assert heise.title and len(heise.items) >= 10 and all(i.published.startswith("20") for i in heise.items)
    full = parse_feed((DATA / "rss-parser" / "content-encoded.rss").read_bytes(), "https://example.org/feed")
    assert any(i.full and len(i.content) > 500 for i in full.items)
    rdf = parse_feed((DATA / "feedparser" / "rdf_item_link.xml").read_bytes(), "https://example.org/index.rdf")
    assert [i.url for i in rdf.items] == ["http://example.com/1"]


def test_json_feed_and_malformed_feeds():
    feed = parse_feed(
        b'{"version": "https://jsonfeed.org/version/1.1", "title": "T", "items": [{"id": "1", "url": '
        b'"https://x.example/a", "title": "A", "date_published": "2017-03-20T10:00:00Z", "content_text": "Full."}]}',
        "https://x.example/feed.json",
        "application/feed+json",
    )
    assert feed.title == "T" and feed.items[0].published == "2017-03-20" and feed.items[0].full
    for bad in (b"<rss><channel><title>x</ite", b"{not json", b'{"version": 1}', b"plain text, no feed"):
        with pytest.raises(FeedError):
            parse_feed(bad, "https://x.example/feed")


# --- dedup --------------------------------------------------------------------------------


def test_canonical_urls_drop_tracking_and_fragments():
    assert (
        canonical_url("HTTP://Example.com:80/a/b.html?utm_source=rss&id=3&fbclid=x#top")
        == "http://example.com/a/b.html?id=3"
    )
    assert canonical_url("https://example.com/a?b=2&a=1") == canonical_url("https://example.com/a?a=1&b=2")
    assert canonical_url("https://example.com/a") != canonical_url("https://example.com/b")


def test_near_duplicates_at_the_documented_threshold():
    bridge = " ".join(PARAGRAPHS["bridge"])
    seen = NearDuplicates()
    seen.add("bridge", bridge)
    seen.add("budget", " ".join(PARAGRAPHS["budget"]))
    republished = "Bridge open again. " + " ".join(PARAGRAPHS["bridge"][:4]) + " This story first appeared elsewhere."
    assert jaccard(shingles(bridge), shingles(republished)) >= 0.7 and seen.match(republished) == "bridge"
    # the same event in another outlet's own words is not a duplicate
    own_words = (
        "Traffic is flowing again over the estuary: the Harbour Bridge reopened on Monday. Repairs took fourteen "
        "months and cost 38 million pounds. The bridge used to carry 41,000 vehicles a day."
    )
    assert seen.match(own_words) is None and seen.match(" ".join(PARAGRAPHS["ferry"])) is None


# --- the polite client ----------------------------------------------------------------------


def test_client_names_itself_honours_robots_and_limits(site):
    with PoliteClient(FAST) as client:
        assert client.get(site.base + "/news/bridge.html").status == 200
        with pytest.raises(FetchError, match="robots.txt"):
            client.get(site.base + "/private/secret.html")
        with pytest.raises(FetchError, match="HTTP 500"):
            client.get(site.base + "/news/error.html")
        with pytest.raises(FetchError, match="timed out"):
            client.get(site.base + "/news/slow.html")
        with pytest.raises(FetchError, match="more than 3 redirects"):
            client.get(site.base + "/go/1")
        with pytest.raises(FetchError, match="bytes"):
            client.get(site.base + "/news/huge.html")
        with pytest.raises(FetchError, match="only http"):
            client.get("file:///etc/passwd")
        assert client.get(site.base + "/moved/ferry").url == site.base + "/news/ferry.html"
    assert "/private/secret.html" not in site.paths() and site.paths().count("/robots.txt") == 1
    ua = site.log[0].user_agent
    assert ua.startswith("rag-news/") and "tests@example.org" in ua


def test_requests_to_one_host_are_spaced_by_the_delay(site):
    with PoliteClient(WebSettings(delay=0.3)) as client:
        for _ in range(3):
            client.get(site.base + "/news/bridge.html")
    times = [r.at for r in site.log]  # robots.txt, then the three pages
    assert len(times) == 4 and all(b - a >= 0.29 for a, b in zip(times, times[1:]))


# --- updates ------------------------------------------------------------------------------


def test_update_saves_new_articles_once_with_their_metadata(site, tmp_path):
    corpus = follow(tmp_path / "corpus", site, "/rss.xml", "/atom.xml", "/feed.json", "/bad.xml")
    with PoliteClient(FAST) as client:
        report = update_corpus(corpus, client)
    by_feed = {s.url.removeprefix(site.base): s for s in report.sources}
    rss = by_feed["/rss.xml"]
    assert (rss.new, rss.unchanged, rss.duplicates) == (3, 0, 1)  # bridge, ferry, library (from the feed)
    assert len(rss.failed) == 4 and rss.disallowed == [site.base + "/private/secret.html"]
    failed = "\n".join(rss.failed)
    for reason in ("HTTP 500", "timed out", "redirects", "bytes"):
        assert reason in failed
    assert by_feed["/atom.xml"].new == 1 and by_feed["/feed.json"].duplicates == 1  # the wire copy
    assert by_feed["/bad.xml"].error.startswith("not a readable feed") and not report.ok
    assert "/private/secret.html" not in site.paths()

    from rag.corpus import load_corpus

    docs, problems = load_corpus(corpus)
    assert problems == [] and len(docs) == 4
    bridge = next(d for d in docs if "Bridge" in d.title)
    assert (bridge.title, bridge.source, bridge.published) == (
        "Harbour Bridge reopens after repairs",
        "Gazette of Testville",
        "2017-03-20",
    )
    assert bridge.url == site.base + "/news/bridge.html" and "cookies" not in bridge.text and "41,000" in bridge.text
    library = next(d for d in docs if "Library" in d.title)
    assert library.published == "2017-03-21" and library.source == "Gazette of Testville"
    assert library.url == site.base + "/gone/library.html"


def test_a_second_update_costs_a_304_and_refetches_nothing(site, tmp_path):
    corpus = follow(tmp_path / "corpus", site, "/atom.xml", "/feed.json")
    with PoliteClient(FAST) as client:
        first = update_corpus(corpus, client)
    assert first.ok and [s.new for s in first.sources] == [1, 1]
    add_feed(corpus, site.base + "/rss.xml")
    with PoliteClient(FAST) as client:
        update_corpus(corpus, client)
    mark = len(site.log)
    with PoliteClient(FAST) as client:
        again = update_corpus(corpus, client)
    later = site.log[mark:]
    pages = [r.path for r in later if r.path.endswith(".html") or r.path.startswith(("/news", "/politics", "/wire"))]
    by_feed = {s.url.removeprefix(site.base): s for s in again.sources}
    assert by_feed["/atom.xml"].unchanged == 1 and by_feed["/feed.json"].unchanged == 1
    # rss.xml had failures, so its validators were not kept: it is read again, and only its failed pages are retried
    assert not by_feed["/rss.xml"].not_modified and by_feed["/rss.xml"].new == 0
    assert (
        "/news/bridge.html" not in pages and "/wire/bridge-copy.html" not in pages and "/news/ferry.html" not in pages
    )
    assert "/news/error.html" in pages


def test_an_unchanged_feed_is_answered_by_304(site, tmp_path):
    site.routes["/rss.xml"] = _only_good_items(site)
    corpus = follow(tmp_path / "corpus", site, "/rss.xml")
    with PoliteClient(FAST) as client:
        assert update_corpus(corpus, client).ok
    with PoliteClient(FAST) as client:
        again = update_corpus(corpus, client)
    assert again.sources[0].not_modified and again.sources[0].summary().endswith("unchanged (304)")
    conditional = [r for r in site.log if r.path == "/rss.xml"]
    assert conditional[-1].if_none_match == '"rss-v1"' and len(conditional) == 2


def _only_good_items(site):
    from tests.feed_server import rss

    body = rss(
        site.base, [("Harbour Bridge reopens after repairs", "/news/bridge.html", "Mon, 20 Mar 2017 08:30:00 GMT")]
    )

    def route(handler):
        if handler.headers.get("If-None-Match") == '"rss-v1"':
            return 304, "application/rss+xml", b"", {"ETag": '"rss-v1"'}
        return 200, "application/rss+xml", body, {"ETag": '"rss-v1"'}

    return route


def test_rag_add_saves_one_page_once(site, tmp_path):
    corpus = tmp_path / "corpus"
    with PoliteClient(FAST) as client:
        first = add_article(corpus, site.base + "/news/ferry.html?utm_campaign=x", client)
        again = add_article(corpus, site.base + "/news/ferry.html", client)
    assert first.ok and first.sources[0].new == 1 and again.sources[0].unchanged == 1
    assert len(list((corpus / "feeds").rglob("*.md"))) == 1


def run_rag(*args, env=None, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "rag", *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={
            **os.environ,
            "RAG_FETCH_DELAY": "0.05",
            "RAG_FETCH_TIMEOUT": "1",
            "RAG_MAX_PAGE_BYTES": "200000",
            **(env or {}),
        },  # fmt: skip
        cwd=cwd,
    )


def test_rag_update_reports_fails_with_exit_1_and_answers_cite_the_urls(site, tmp_path):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    assert run_rag("feeds", "add", site.base + "/rss.xml", "--corpus", str(corpus)).returncode == 0
    assert run_rag("feeds", "add", site.base + "/feed.json", "--corpus", str(corpus)).returncode == 0
    listed = run_rag("feeds", "list", "--corpus", str(corpus))
    assert listed.stdout.split() == [site.base + "/rss.xml", site.base + "/feed.json"]
    p = run_rag("update", "--corpus", str(corpus), "--index", str(index))
    assert p.returncode == 1, p.stderr
    assert f"{site.base}/rss.xml: 3 new, 0 unchanged, 1 duplicate(s), 4 failed" in p.stdout
    assert f"failed: {site.base}/news/error.html: HTTP 500" in p.stderr
    a = rag.answer("How many vehicles did the Harbour Bridge carry a day?", index_dir=index, now="2017-03-25")
    assert not a.refused and "41,000" in a.text
    assert a.citations[0].url == site.base + "/news/bridge.html"
    assert run_rag("feeds", "remove", site.base + "/rss.xml", "--corpus", str(corpus)).returncode == 0
    ok = run_rag("update", "--corpus", str(corpus), "--index", str(index))
    assert ok.returncode == 0 and f"{site.base}/feed.json: 0 new, 1 unchanged" in ok.stdout


def test_an_update_killed_midway_loses_nothing_and_the_next_one_finishes(site, tmp_path):
    site.routes["/rss.xml"] = _rss_of_good_pages(site)
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    follow(corpus, site, "/rss.xml", "/atom.xml")
    killed = run_rag("update", "--corpus", str(corpus), "--index", str(index), env={"RAG_CRASH_AT": "article-saved"})
    assert killed.returncode == -9
    saved = list((corpus / "feeds").rglob("*.md"))
    assert len(saved) == 1 and not list(corpus.rglob(".*.tmp"))
    done = run_rag("update", "--corpus", str(corpus), "--index", str(index))
    assert done.returncode == 0, done.stderr
    saved = sorted(p.name for p in (corpus / "feeds").rglob("*.md"))
    assert len(saved) == 3 and len(set(saved)) == 3
    from rag.retrieval import load_index

    assert load_index(index).manifest.counts["documents"] == 3


def _rss_of_good_pages(site):
    from tests.feed_server import rss

    body = rss(
        site.base,
        [
            ("Harbour Bridge reopens after repairs", "/news/bridge.html", "Mon, 20 Mar 2017 08:30:00 GMT"),
            ("Ferry suspended after storm", "/news/ferry.html", "Wed, 22 Mar 2017 10:00:00 GMT"),
        ],
    )
    return (200, "application/rss+xml", body, {})


def test_the_apps_background_update_indexes_new_articles_and_says_so(site, tmp_path):
    from rag.build import BuildOptions
    from rag.ui.app import State
    from rag.ui.refresh import Refresher

    site.routes["/rss.xml"] = _rss_of_good_pages(site)
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    follow(corpus, site, "/rss.xml")
    state = State(index)
    state.refresher = Refresher(corpus, index, 30, FAST, BuildOptions())
    assert "first update starting" in state.status()
    state.refresher.run_once()
    assert "feeds: updated" in state.status() and "2 new article(s)" in state.status()
    assert state.articles() == 2
    a = rag.answer("Why was the island ferry suspended?", index_dir=index, now="2017-03-25")
    assert not a.refused and a.citations[0].url == site.base + "/news/ferry.html"


def test_serve_on_a_corpus_that_only_follows_feeds_fetches_them_first(site, tmp_path):
    from tests.test_app import start_app, stop

    site.routes["/rss.xml"] = _rss_of_good_pages(site)
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    follow(corpus, site, "/rss.xml")  # feeds.txt and nothing else: `rag serve` used to stop at "no articles"
    env = {"RAG_FETCH_DELAY": "0.05", "RAG_FETCH_TIMEOUT": "1"}
    proc, _ = start_app(corpus, index, command=[sys.executable, "-m", "rag", "serve"], env=env)
    try:
        log = next(tmp_path.glob("app-*.log")).read_text()
        assert "follows feeds but holds no article yet: fetching them first" in log
        a = rag.answer("Why was the island ferry suspended?", index_dir=index, now="2017-03-25")
        assert not a.refused and a.citations[0].url == site.base + "/news/ferry.html"
    finally:
        stop(proc)
