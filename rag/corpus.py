"""Read articles from a folder (or one file) into `Document`s.

Formats, by file extension:

- ``.txt`` / ``.md``: one article per file, with optional YAML front matter::

      ---
      title: Nato will remain united
      source: Khaleej Times
      published: 2024-11-04
      url: https://www.khaleejtimes.com/...
      id: kt-2024-11-04-nato        # optional; default: the path without extension
      ---
      Article text...

- ``.html`` / ``.htm``: a saved web page; the article's main text and its metadata
  (title, site name, date, canonical URL) are extracted with ``trafilatura``, and
  navigation, ads and footers are dropped.
- ``.jsonl``: one JSON object per line; ``.csv``: one row per article with a header.
  Fields: ``id``, ``title``, ``text``, ``source``, ``published``, ``url`` (common
  aliases such as ``body``, ``publisher``, ``date``, ``article_id`` are understood).
  A row without ``id`` gets ``<url>`` or ``<file stem>:<line>``.

A document that cannot be used is reported as a `Problem` naming the file (and
line), and the rest are still read. ``README*`` files, hidden files and the list of
feeds (``feeds.txt``, `rag.feeds`) are skipped.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import logging
import os
import re
import sqlite3
from pathlib import Path
from typing import Iterator

from .errors import CorpusError
from .feeds import FEEDS_FILE
from .types import Document, Problem

LOG = logging.getLogger(__name__)

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
ROW_SUFFIXES = {".jsonl", ".csv"}
SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | ROW_SUFFIXES

# An article beyond this is almost surely a mis-saved dump, and would take hours to embed.
DEFAULT_MAX_CHARS = 2_000_000

FIELD_ALIASES = {
    "id": ("id", "doc_id", "article_id", "guid"),
    "title": ("title", "headline"),
    "text": ("text", "body", "content", "article"),
    "source": ("source", "publisher", "outlet", "site"),
    "published": ("published", "date", "publish_date", "published_at", "pubdate"),
    "url": ("url", "link", "article_source_link", "source_url"),
}


def load_corpus(path: str | os.PathLike, *, max_chars: int = DEFAULT_MAX_CHARS) -> tuple[list[Document], list[Problem]]:
    """Read every article under `path` (a folder or a single file).

    Returns the documents in a stable order (sorted paths, then rows) and the
    problems met. Raises `CorpusError` when `path` is missing or holds no article
    files at all.

    >>> docs, problems = load_corpus("corpus")  # doctest: +SKIP
    """
    reader = read_corpus(path, max_chars=max_chars)
    return list(reader), reader.problems


def read_corpus(path: str | os.PathLike, *, max_chars: int = DEFAULT_MAX_CHARS) -> "CorpusReader":
    """The articles under `path` as a stream, in `load_corpus`'s order, one file in memory at a time; a missing or
    empty folder raises `CorpusError` here, before anything is read."""
    root = Path(path)
    if not root.exists():
        raise CorpusError(f"corpus folder {root} does not exist: create it and add articles, or pass --corpus DIR")
    if not root.is_file() and next(_article_files(root), None) is None:
        raise CorpusError(
            f"corpus folder {root} has no articles ({', '.join(sorted(SUFFIXES))} files): "
            "add some, or pass --corpus DIR"
        )
    return CorpusReader(root, max_chars)


class CorpusReader:
    """Iterate for the documents; `problems` holds those met so far (all of them once the iteration ends)."""

    def __init__(self, root: Path, max_chars: int):
        self.root, self.max_chars = root, max_chars
        self.base = root.parent if root.is_file() else root
        self.problems: list[Problem] = []

    def __iter__(self) -> Iterator[Document]:
        seen = sqlite3.connect("", check_same_thread=False)  # a private temporary database on disk: the ids read
        seen.execute("CREATE TABLE seen (doc_id TEXT PRIMARY KEY) WITHOUT ROWID")
        try:
            for file in [self.root] if self.root.is_file() else _article_files(self.root):  # a walk, not a list
                for item in _read_file(file, self.base, self.max_chars):
                    if isinstance(item, Problem):
                        self.problems.append(item)
                    elif seen.execute("INSERT OR IGNORE INTO seen VALUES (?)", (item.doc_id,)).rowcount == 0:
                        self.problems.append(
                            Problem(
                                item.origin,
                                f"duplicate id {item.doc_id!r} (an article read before it has the same id): give it "
                                "a unique id; skipped",
                            )
                        )
                    else:
                        yield item
        finally:
            seen.close()


def _article_files(root: Path) -> Iterator[Path]:
    """The article files under `root`, in sorted order, as the walk finds them (200,000 paths held in a list
    would be ~80 MB)."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            p = Path(dirpath, name)
            if (
                name.startswith(".")
                or name.upper().startswith("README")
                or (dirpath == str(root) and name == FEEDS_FILE)
            ):
                continue
            if p.suffix.lower() in SUFFIXES:
                yield p
            else:
                LOG.info("skipping %s: not an article file type", p)


def _read_file(file: Path, base: Path, max_chars: int) -> Iterator[Document | Problem]:
    rel = file.relative_to(base).as_posix() if file.is_relative_to(base) else file.as_posix()
    try:
        raw = file.read_bytes()
    except OSError as e:
        yield Problem(rel, f"cannot be read ({e.strerror}); skipped")
        return
    if b"\x00" in raw[:8192]:
        yield Problem(rel, "looks like a binary file, not text; remove it or convert it to UTF-8 text")
        return
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        yield Problem(
            rel,
            f"is not UTF-8 (byte 0x{raw[e.start]:02x} at offset {e.start}); re-save it as UTF-8",
        )
        return
    suffix = file.suffix.lower()
    stem = file.relative_to(base).with_suffix("").as_posix() if file.is_relative_to(base) else file.stem
    if suffix in TEXT_SUFFIXES:
        yield _text_document(content, rel, stem, max_chars)
    elif suffix in HTML_SUFFIXES:
        yield _html_document(content, rel, stem, max_chars)
    elif suffix == ".jsonl":
        yield from _jsonl_documents(content, rel, stem, max_chars)
    else:
        yield from _csv_documents(content, rel, stem, max_chars)


def _text_document(content: str, rel: str, stem: str, max_chars: int) -> Document | Problem:
    meta: dict = {}
    body = content
    if content.startswith("---"):
        import frontmatter  # small, but only needed here

        try:
            post = frontmatter.loads(content)
        except Exception as e:  # YAML errors come in many types
            return Problem(
                rel, f"front matter is not valid YAML ({str(e).splitlines()[0]}); fix the block between the --- lines"
            )
        meta, body = dict(post.metadata), _body_after_front_matter(content)
    fields = _fields(meta)
    fields["id"] = fields.get("id") or stem
    fields["title"] = (
        fields.get("title") or stem.rsplit("/", 1)[-1].replace("-", " ").replace("_", " ").strip().capitalize()
    )
    fields["text"] = body
    return _document(fields, rel, max_chars)


def _html_document(content: str, rel: str, stem: str, max_chars: int) -> Document | Problem:
    import trafilatura  # only when there are web pages to read

    try:
        page = trafilatura.bare_extraction(content, with_metadata=True, include_comments=False, include_tables=False)
    except Exception as e:  # lxml and trafilatura raise many types on broken markup
        return Problem(rel, f"HTML could not be parsed ({type(e).__name__}); save the page again or convert it to .txt")
    if page is None or not (page.text or "").strip():
        return Problem(rel, "no article text found in this HTML page; save the article itself, or convert it to .txt")
    fields = {
        "id": stem,
        "text": page.text,
        "title": page.title or "",
        "source": page.sitename or page.hostname or "",
        "published": page.date or "",
        "url": page.url or "",
    }
    return _document({k: _as_text(v) for k, v in fields.items()}, rel, max_chars)


def _body_after_front_matter(content: str) -> str:
    """The text after the closing ``---`` line, exactly as in the file (no stripping)."""
    lines = content.splitlines(keepends=True)
    for i, line in enumerate(lines[1:], start=1):
        if line.strip() == "---":
            return "".join(lines[i + 1 :])
    return content


def _jsonl_documents(content: str, rel: str, stem: str, max_chars: int) -> Iterator[Document | Problem]:
    for lineno, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{rel}:{lineno}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            yield Problem(where, f"is not valid JSON ({e.msg}); fix or remove the line")
            continue
        if not isinstance(row, dict):
            yield Problem(where, "is not a JSON object; each line must be one article object")
            continue
        yield _row_document(row, where, f"{stem}:{lineno}", max_chars)


def _csv_documents(content: str, rel: str, stem: str, max_chars: int) -> Iterator[Document | Problem]:
    csv.field_size_limit(max(max_chars * 4, 1 << 20))
    reader = csv.DictReader(io.StringIO(content, newline=""))
    try:
        for row in reader:
            where = f"{rel}:{reader.line_num}"
            yield _row_document(row, where, f"{stem}:{reader.line_num}", max_chars)
    except csv.Error as e:
        yield Problem(f"{rel}:{reader.line_num}", f"is not valid CSV ({e}); the rest of the file was skipped")


def _row_document(row: dict, where: str, fallback_id: str, max_chars: int) -> Document | Problem:
    fields = _fields(row)
    if not fields.get("text"):
        return Problem(where, "has no text (expected a 'text' field); skipped")
    fields["id"] = next((v.strip() for v in (fields.get("id"), fields.get("url")) if v and _visible(v)), fallback_id)
    return _document(fields, where, max_chars)


def _fields(row: dict) -> dict[str, str]:
    lowered = {str(k).strip().lower(): v for k, v in row.items() if k is not None}
    out = {}
    for name, aliases in FIELD_ALIASES.items():
        for alias in aliases:
            value = lowered.get(alias)
            if value not in (None, ""):
                out[name] = _as_text(value)
                break
    return out


def _as_text(value) -> str:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return str(value) if not isinstance(value, str) else value


def _document(fields: dict[str, str], where: str, max_chars: int) -> Document | Problem:
    text = fields["text"].replace("\r\n", "\n").replace("\r", "\n")
    if not _visible(text):
        return Problem(where, "is empty; add the article text or remove the file")
    if len(text) > max_chars:
        return Problem(
            where,
            f"is {len(text):,} characters, over the {max_chars:,} limit for one article; "
            "split it into articles, or raise the limit with --max-chars",
        )
    url = fields.get("url", "").strip()
    doc = Document(
        doc_id=fields["id"].strip(),
        text=text,
        title=fields.get("title", "").strip(),
        source=fields.get("source", "").strip() or _host(url),
        published=_iso_date(fields.get("published", "").strip()),
        url=url,
        origin=where,
    )
    return _with_hash(doc)


def _visible(text: str) -> bool:
    """Whether `text` has a character a reader can see: not only spaces and zero-width or control characters."""
    return any(c.isprintable() and not c.isspace() for c in text)


def _host(url: str) -> str:
    """The publisher's site from an article URL, e.g. ``abcnews.go.com``: a fallback source."""
    from urllib.parse import urlsplit

    host = (urlsplit(url).hostname or "") if "://" in url else ""
    return host.removeprefix("www.")


_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})(?:[-/.](\d{1,2}))?(?=$|[T ])")


def _iso_date(value: str) -> str:
    """``2017/2/7`` → ``2017-02-07``; ISO dates and times keep their date part; others stay as given."""
    m = _DATE.match(value)
    if not m:
        return value
    y, mo, d = m.groups()
    return f"{y}-{int(mo):02d}" + (f"-{int(d):02d}" if d else "")


def _with_hash(doc: Document) -> Document:
    payload = json.dumps([doc.text, doc.title, doc.source, doc.published, doc.url], ensure_ascii=False)
    digest = hashlib.sha256(payload.encode("utf-8")).hexdigest()
    return Document(**{**doc.__dict__, "content_hash": digest})
