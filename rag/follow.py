"""Follow the news: fetch a corpus's feeds and their articles, save each new article once.

`update_corpus` reads every feed of ``feeds.txt`` (`rag.feeds`) with a `PoliteClient`
(`rag.web`: robots.txt, conditional GET, per-host delay), fetches each new item's page
and reads its main text and metadata with `trafilatura` (an item whose page fails
but whose feed carries the whole article is saved from the feed), drops what is
already saved (`rag.dedup`: canonical URL, then near-duplicate text), and saves each
new article as ``feeds/<host>/<slug>.md`` with front matter (title, source,
published, url), which `rag.corpus` reads. Indexing is the caller's next step
(`rag.build.update_index`), as for any corpus.

Nothing is lost: a file is written under a hidden temporary name and renamed, so a
killed update leaves whole articles or none; what is saved is known from the files
themselves (their ``url`` and ``alternates``), so the next update neither fetches
them again nor repeats them; a feed's ETag / Last-Modified (``.feeds/state.json``) are
kept only when all its items were saved, so a failed page is retried next time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

from .dedup import NearDuplicates, canonical_url
from .feeds import Feed, FeedError, Item, feed_urls, parse_feed, write_atomic
from .web import Disallowed, FetchError, PoliteClient

FEEDS_DIR = "feeds"  # saved articles, under the corpus folder
STATE = Path(".feeds") / "state.json"  # validators of each feed and the alternates of saved articles
CRASH_POINTS = ("article-saved",)  # after the first new article is saved (for the SIGKILL test)
MIN_TEXT = 200  # characters: less is a teaser or an error page, not an article
FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, */*;q=0.5"


@dataclass
class SourceReport:
    """What one feed (or one `rag add` URL) gave."""

    url: str
    title: str = ""
    new: int = 0
    unchanged: int = 0  # items already saved (and the whole feed when it answered 304)
    duplicates: int = 0
    not_modified: bool = False
    error: str = ""  # the feed itself could not be read
    failed: list[str] = field(default_factory=list)  # "URL: reason" for each page that could not be saved
    disallowed: list[str] = field(default_factory=list)  # pages robots.txt keeps this client from (not fetched)

    @property
    def ok(self) -> bool:
        return not self.error and not self.failed

    def summary(self) -> str:
        if self.error:
            return f"{self.url}: failed ({self.error})"
        if self.not_modified:
            return f"{self.url}: unchanged (304)"
        robots = f", {len(self.disallowed)} disallowed by robots.txt" if self.disallowed else ""
        return (
            f"{self.url}: {self.new} new, {self.unchanged} unchanged, {self.duplicates} duplicate(s), "
            f"{len(self.failed)} failed{robots}"
        )


@dataclass
class Saved:
    """An article saved by this update."""

    path: Path
    url: str
    title: str


@dataclass
class UpdateReport:
    sources: list[SourceReport]
    saved: list[Saved]

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.sources)

    def failures(self) -> list[str]:
        out = []
        for s in self.sources:
            if s.error:
                out.append(f"{s.url}: {s.error}")
            out.extend(s.failed)
        return out


@dataclass
class _Article:
    url: str  # canonical
    title: str
    source: str
    published: str
    text: str
    asked: str  # the URL as the feed gave it


class _Corpus:
    """The saved articles of a corpus folder: their URLs, their texts for near-duplicates, and the state file."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.known: dict[str, Path] = {}  # canonical URL (and alternates) → file
        self.url_of: dict[Path, str] = {}  # file → its canonical URL
        self.texts = NearDuplicates()
        self.state = _read_state(self.root / STATE)
        for tmp in (self.root / FEEDS_DIR).rglob(".*.tmp"):  # left by a killed update: never a whole article
            tmp.unlink(missing_ok=True)
        for path in sorted((self.root / FEEDS_DIR).rglob("*.md")):
            meta, text = _read_saved(path)
            if meta.get("url"):
                self.url_of[path] = canonical_url(str(meta["url"]))
            for url in [meta.get("url", "")] + list(meta.get("alternates") or []):
                if url:
                    self.known[canonical_url(str(url))] = path
            self.texts.add(str(path), text)
        for original, alternates in self.state.get("alternates", {}).items():
            path = self.known.get(original)
            for a in alternates if path else ():
                self.known.setdefault(canonical_url(a["url"]), path)

    def duplicate_of(self, article: _Article) -> Path | None:
        for url in (article.url, canonical_url(article.asked)):
            if url in self.known:
                return self.known[url]
        match = self.texts.match(article.text)
        return Path(match) if match else None

    def remember_alternate(self, original: Path, article: _Article) -> None:
        key = self.url_of.get(original, canonical_url(""))
        alternates = self.state.setdefault("alternates", {}).setdefault(key, [])
        if all(a["url"] != article.url for a in alternates):
            alternates.append({"url": article.url, "source": article.source})
        self._know(article, original)

    def _know(self, article: _Article, path: Path) -> None:
        """`article`'s URL and the feed's link to it lead to `path` from now on."""
        self.known[article.url] = path
        self.known[canonical_url(article.asked)] = path

    def save(self, article: _Article) -> Path:
        host = urlsplit(article.url).hostname or "unknown"
        slug = re.sub(r"[^a-z0-9]+", "-", urlsplit(article.url).path.lower()).strip("-")[-60:] or "article"
        digest = hashlib.sha1(article.url.encode()).hexdigest()[:8]
        path = self.root / FEEDS_DIR / host / f"{slug}-{digest}.md"
        write_atomic(path, _as_markdown(article))
        self.url_of[path] = article.url
        self._know(article, path)
        self.texts.add(str(path), article.text)
        return path

    def write_state(self) -> None:
        write_atomic(self.root / STATE, json.dumps(self.state, indent=1, sort_keys=True))


def update_corpus(
    corpus: Path,
    client: PoliteClient,
    *,
    checkpoint: Callable[[str], None] | None = None,
    progress: Callable[[str], None] | None = None,
    workers: int = 4,
) -> UpdateReport:
    """Fetch every feed the corpus follows and save their new articles (see the module)."""
    saved_dir = _Corpus(corpus)
    reports, saved = [], []
    for url in feed_urls(corpus):
        if progress:
            progress(url)
        report = _update_feed(url, saved_dir, client, saved, checkpoint, workers)
        reports.append(report)
        saved_dir.write_state()
    return UpdateReport(reports, saved)


def add_article(corpus: Path, url: str, client: PoliteClient) -> UpdateReport:
    """Fetch one article page and save it, unless it is saved already (`rag add`)."""
    saved_dir = _Corpus(corpus)
    report, saved = SourceReport(url), []
    _take([Item(url)], Feed("", []), saved_dir, client, report, saved, None, 1)
    saved_dir.write_state()
    return UpdateReport([report], saved)


def _update_feed(url, saved_dir: _Corpus, client, saved, checkpoint, workers) -> SourceReport:
    report = SourceReport(url)
    seen = saved_dir.state.setdefault("feeds", {}).get(url, {})
    try:
        fetched = client.get(
            url, etag=seen.get("etag", ""), last_modified=seen.get("last_modified", ""), accept=FEED_ACCEPT
        )
        if fetched.status == 304:
            report.not_modified, report.title = True, seen.get("title", "")
            return report
        feed = parse_feed(fetched.content, url, fetched.content_type)
    except (FetchError, FeedError) as e:
        report.error = str(e).removeprefix(f"{url}: ")
        return report
    report.title = feed.title
    _take(feed.items, feed, saved_dir, client, report, saved, checkpoint, workers)
    if report.ok:  # validators only once every item is saved: a failed page is retried by the next update
        saved_dir.state["feeds"][url] = {
            "etag": fetched.etag,
            "last_modified": fetched.last_modified,
            "title": feed.title,
        }
    else:
        saved_dir.state["feeds"].pop(url, None)
    return report


def _take(items, feed: Feed, saved_dir: _Corpus, client, report: SourceReport, saved, checkpoint, workers) -> None:
    """Fetch the pages of the items not saved yet (in parallel, politely), then save them in feed order."""
    fresh, linked = [], set()
    for item in items:
        url = canonical_url(item.url)
        if url in saved_dir.known:
            report.unchanged += 1
        elif url in linked:
            report.duplicates += 1  # the feed links one page twice ("?utm_source=rss" and without)
        else:
            fresh.append(item)
            linked.add(url)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        results = list(pool.map(lambda item: _read_item(item, feed, client), fresh))
    for item, result in zip(fresh, results):
        if isinstance(result, Disallowed):
            report.disallowed.append(item.url)
            continue
        if isinstance(result, str):
            report.failed.append(f"{item.url}: {result}")
            continue
        original = saved_dir.duplicate_of(result)
        if original is not None:
            report.duplicates += 1
            saved_dir.remember_alternate(original, result)
            continue
        path = saved_dir.save(result)
        saved.append(Saved(path, result.url, result.title))
        report.new += 1
        if checkpoint:
            checkpoint("article-saved")


def _read_item(item: Item, feed: Feed, client: PoliteClient) -> _Article | Disallowed | str:
    """The article of a feed item, from its page (else from the feed's full content), or why it failed."""
    try:
        page = client.get(item.url, accept="text/html,application/xhtml+xml")
        article = read_page(page.text, page.url, item, feed.title)
        if article is not None:
            return article
        reason = "no article text found on the page"
    except Disallowed as e:
        return e
    except FetchError as e:
        reason = str(e).removeprefix(f"{item.url}: ")
    if item.full:
        article = read_page(f"<html><body><article>{item.content}</article></body></html>", item.url, item, feed.title)
        if article is not None:
            return article
    return reason


def read_page(html: str, url: str, item: Item, publisher: str = "") -> _Article | None:
    """Main text and metadata of an article page (`trafilatura`); None when it holds no article."""
    import trafilatura

    try:
        page = trafilatura.bare_extraction(
            html, url=url, with_metadata=True, include_comments=False, include_tables=False
        )
    except Exception:  # lxml and trafilatura raise many types on broken markup
        return None
    text = (page.text or "").strip() if page is not None else ""
    if len(text) < MIN_TEXT:
        return None
    canonical = canonical_url(page.url if page.url and page.url.startswith("http") else url)
    host = urlsplit(url).netloc
    named = page.sitename if page.sitename and page.sitename not in (host, urlsplit(url).hostname) else ""
    return _Article(
        url=canonical,
        title=(page.title or item.title or "").strip(),
        source=(named or publisher or urlsplit(url).hostname or "").strip(),
        published=str(page.date or item.published or "")[:10],
        text=text,
        asked=item.url,
    )


def _as_markdown(a: _Article) -> str:
    import yaml  # with python-frontmatter

    meta: dict = {"title": a.title, "source": a.source, "published": a.published, "url": a.url}
    if canonical_url(a.asked) != a.url:  # the feed's link (a redirect, a tracking link): known next time too
        meta["alternates"] = [a.asked]
    meta["fetched"] = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    head = yaml.safe_dump({k: v for k, v in meta.items() if v}, allow_unicode=True, sort_keys=False, width=10_000)
    return f"---\n{head}---\n{a.text}\n"


def _read_saved(path: Path) -> tuple[dict, str]:
    import frontmatter

    try:
        post = frontmatter.loads(path.read_text(encoding="utf-8"))
    except Exception:  # a hand-edited file with broken YAML: its text still counts for duplicates
        return {}, path.read_text(encoding="utf-8", errors="replace")
    return dict(post.metadata), post.content


def _read_state(path: Path) -> dict:
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # none yet, or unreadable: feeds are fetched in full once more, nothing else is lost
    return state if isinstance(state, dict) else {}
