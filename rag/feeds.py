"""Feeds: the list a corpus follows (``feeds.txt``) and what a feed's items are.

``feeds.txt`` in the corpus folder is a plain file, one feed URL a line, ``#`` starting a
comment; `add_feed` and `remove_feed` keep the rest of it (comments, order) as the
person who edits it wrote it. `parse_feed` reads RSS 0.9x/2.0, Atom and RDF
(`feedparser`) and JSON Feed 1.0/1.1 into `Item`s: link, title, date, and the
item's own content when the feed carries the whole article.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from .errors import RagError

FEEDS_FILE = "feeds.txt"


class FeedError(RagError):
    """A feed that could not be read (malformed, not a feed), or a bad feed URL."""


@dataclass(frozen=True)
class Item:
    """One entry of a feed."""

    url: str
    title: str = ""
    published: str = ""  # ISO date ("2017-03-20") or ""
    content: str = ""  # the article's text or HTML when the feed carries it in full, else its summary
    full: bool = False  # whether `content` is the full article (content:encoded, Atom content, JSON content_*)


@dataclass(frozen=True)
class Feed:
    """A feed read: its title (the publisher's name when pages lack one) and items."""

    title: str
    items: list[Item]


def feed_urls(corpus: Path) -> list[str]:
    """The feeds the corpus follows, in the file's order."""
    path = Path(corpus) / FEEDS_FILE
    if not path.exists():
        return []
    urls = []
    for line in path.read_text(encoding="utf-8").splitlines():
        url = line.split("#", 1)[0].strip()
        if url and url not in urls:
            urls.append(url)
    return urls


def add_feed(corpus: Path, url: str) -> bool:
    """Add `url` to the corpus's feeds; False when it is there already."""
    url = check_url(url)
    if url in feed_urls(corpus):
        return False
    path = Path(corpus) / FEEDS_FILE
    text = (
        path.read_text(encoding="utf-8")
        if path.exists()
        else "# Feeds this corpus follows (rag update): one URL a line\n"
    )
    write_atomic(path, text + ("" if text.endswith("\n") or not text else "\n") + url + "\n")
    return True


def remove_feed(corpus: Path, url: str) -> bool:
    """Remove `url` from the corpus's feeds (its saved articles stay); False when it was not there."""
    path = Path(corpus) / FEEDS_FILE
    if url not in feed_urls(corpus):
        return False
    kept = [line for line in path.read_text(encoding="utf-8").splitlines() if line.split("#", 1)[0].strip() != url]
    write_atomic(path, "\n".join(kept) + "\n")
    return True


def check_url(url: str) -> str:
    """`url` when it is an absolute http(s) URL, else a `FeedError` saying what is expected."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise FeedError(f"{url!r} is not an http(s) URL: give the whole address, e.g. https://example.com/feed.xml")
    return url


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` whole or not at all: a hidden temporary file, flushed, then renamed (the feeds
    list here, saved articles and state in `rag.follow`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def parse_feed(content: bytes, url: str, content_type: str = "") -> Feed:
    """The items of a feed document; `FeedError` when it is not a readable feed."""
    if "json" in content_type or content.lstrip()[:1] == b"{":
        return _json_feed(content, url)
    import feedparser  # only when there are XML feeds to read

    parsed = feedparser.parse(content, response_headers={"content-location": url})
    if not parsed.entries and not parsed.get("version") and not parsed.get("bozo"):
        raise FeedError(f"{url}: not an RSS, Atom, RDF or JSON feed")
    items = []
    for e in parsed.entries:
        link = _absolute(e.get("link") or e.get("id") or "", url)
        if not link:
            continue  # an entry without a web address (a "tag:" id) has no page to read
        full = next((c.get("value", "") for c in e.get("content", []) if c.get("value")), "")
        keys = e.keys()  # (feedparser warns when a missing published_parsed is read)
        date = (e["published_parsed"] if "published_parsed" in keys else None) or (
            e["updated_parsed"] if "updated_parsed" in keys else None
        )
        items.append(
            Item(
                url=link.strip(),
                title=_clean(e.get("title", "")),
                published=time.strftime("%Y-%m-%d", date) if date else "",
                content=full or e.get("summary", ""),
                full=bool(full),
            )
        )
    if not items and parsed.get("bozo"):  # broken XML that yielded nothing usable (a little breakage is forgiven)
        reason = parsed.get("bozo_exception")
        raise FeedError(f"{url}: not a readable feed ({type(reason).__name__}: {str(reason)[:120]})")
    return Feed(_clean(parsed.feed.get("title", "")), items)


def _json_feed(content: bytes, url: str) -> Feed:
    try:
        data = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise FeedError(f"{url}: not a readable JSON feed ({e})") from None
    if not isinstance(data, dict) or "jsonfeed.org" not in str(data.get("version", "")):
        raise FeedError(f"{url}: JSON, but not a JSON Feed (no https://jsonfeed.org/version/… version)")
    items = []
    for e in data.get("items") or []:
        link = _absolute(str(e.get("url") or e.get("external_url") or ""), url) if isinstance(e, dict) else ""
        if not link:
            continue
        full = e.get("content_html") or e.get("content_text") or ""
        items.append(
            Item(
                url=link,
                title=_clean(str(e.get("title") or "")),
                published=str(e.get("date_published") or e.get("date_modified") or "")[:10],
                content=full or str(e.get("summary") or ""),
                full=bool(full),
            )
        )
    return Feed(_clean(str(data.get("title") or "")), items)


def _absolute(link: str, base: str) -> str:
    """`link` resolved against the feed's URL, when it is a web address; else ""."""
    link = urljoin(base, link.strip()) if link.strip() else ""
    return link if urlsplit(link).scheme in ("http", "https") and urlsplit(link).netloc else ""


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()
