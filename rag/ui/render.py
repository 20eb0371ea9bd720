"""Answers as the chat page shows them: pure functions of an `Answer`, no Gradio.

Each answer is one HTML block: the short answer, the sentences with their ``[n]``
markers, and below them the answer's own sources, one card per passage. Stable hooks
(automated checks rely on them): a marker is ``<a class="cite" data-cite="T-N">``
(T: the answer's 1-based turn, N: its citation number); the card it refers to has
``data-source="T-N"`` (a card shared by several numbers lists them, space-separated);
each quoted span is a ``<mark>`` inside its card. Everything from an article is
escaped: markup in an article shows as text.
"""

from __future__ import annotations

import html
import re

from ..answering import answer_sentences
from ..reading import boilerplate, date_text
from ..types import Answer, Citation, Hit

esc = html.escape
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")
_MARKER = re.compile(r"\[(\d+)\]")
_TRAILING_LINK = re.compile(r"\s*(?:Source link|READ MORE|Read more)\s*:.*$", re.S)


def md(text: str) -> str:
    """Text made inert for Markdown (a user's message in the chat): HTML escaped, Markdown punctuation backslashed."""
    return _MD_SPECIAL.sub(r"\\\1", esc(text, quote=False))


def plain(markdown) -> str:
    """A user message as typed (undoing `md`)."""
    if isinstance(markdown, list):  # Gradio may hand content back as typed parts
        markdown = " ".join(p.get("text", "") for p in markdown if isinstance(p, dict))
    if not isinstance(markdown, str):
        return ""
    return html.unescape(re.sub(r"\\(.)", r"\1", markdown))


def _cites(text: str, turn: int) -> str:
    """Escaped answer text with each ``[n]`` made a marker that brings its card into view."""
    return _MARKER.sub(
        lambda m: (
            f'<a class="cite" href="#" data-cite="{turn}-{m.group(1)}" title="Show source {m.group(1)}">'
            f"[{m.group(1)}]</a>"
        ),
        esc(text, quote=False),
    )


def error_html(message: str) -> str:
    """A request that could not be answered, said plainly (bad filters, no index, a failure of ours)."""
    return f'<div class="answer error" role="alert"><p>{esc(message)}</p></div>'


def welcome_html(articles: int, suggestions: bool) -> str:
    """The empty chat's first screen: what this is, and how to start."""
    what = f"{articles:,} news article{'s' if articles != 1 else ''}" if articles else "the indexed news articles"
    start = (
        "Start from a recent headline below, or type your own question." if suggestions else "Type a question below."
    )
    return (
        f'<div id="welcome"><h2>Ask a question about the news</h2><p>Answers come only from {what}: every '
        f"sentence is a quote, and each [n] opens the passage it comes from.</p><p>{start}</p></div>"
    )


def answer_html(a: Answer, turn: int) -> str:
    """The whole answer of turn `turn` (1-based): what it says, then its sources. One block of HTML, no blank line."""
    if a.refused:
        related = "".join(_related_card(h, turn, i) for i, h in enumerate(a.related, start=1))
        aside = (
            f'<details class="sources related"><summary>Related, but not an answer ({len(a.related)})</summary>'
            f"{related}</details>"
            if related
            else ""
        )
        return f'<div class="answer refused" data-turn="{turn}"><p class="refusal">{esc(a.text)}</p>{aside}</div>'
    return f'<div class="answer" data-turn="{turn}">{_body(a, turn)}{removed_note(a)}{sources_html(a, turn)}</div>'


def _body(a: Answer, turn: int) -> str:
    sentences = answer_sentences(a.text)
    parts = []
    short = a.short
    if short and short.text in sentences[0]:
        parts.append(f'<p class="short"><strong>{esc(short.text)}</strong> {_cites(f"[{short.n}]", turn)}</p>')
        before, _, after = sentences[0].partition(short.text)
        sentences[0] = None  # rendered below with the span marked
        lead = f'{_cites(before, turn)}<mark class="short">{esc(short.text)}</mark>{_cites(after, turn)}'
    else:
        lead = None
    text = " ".join(lead if s is None else _cites(s, turn) for s in sentences)
    return "".join(parts) + f'<p class="text">{text}</p>'


def removed_note(a: Answer) -> str:
    """Under a generated answer: what was removed, and why; or that the quotes stand in for it."""
    if a.mode == "extractive":
        return ""
    if a.mode == "extractive-fallback":
        head = "The model's answer could not be verified against the articles, so these are quotes instead."
    elif a.removed:
        head = f"Written by a language model; {len(a.removed)} sentence(s) removed as unsupported."
    else:
        head = "Written by a language model; every sentence checked against its source."
    items = "".join(f"<li><s>{esc(r['sentence'])}</s> ({esc(r['reason'])})</li>" for r in a.removed[:6])
    removed = f"<details><summary>Removed</summary><ul>{items}</ul></details>" if items else ""
    return f'<div class="note"><em>{esc(head)}</em>{removed}</div>'


def cards(a: Answer) -> list[tuple[Hit | None, list[Citation]]]:
    """The answer's citations grouped by the passage that holds their quote (the cited one, else another the
    answer read; a quote from just outside every passage stays with the cited one), in number order."""
    by_chunk = {h.chunk_id: h for h in a.hits}

    def holder(c: Citation) -> str:
        cited = by_chunk.get(c.chunk_id)
        for h in ([cited] if cited else []) + a.hits:
            if h.doc_id == c.doc_id and h.start <= c.start and c.end <= h.end:
                return h.chunk_id
        return c.chunk_id

    groups: dict[str, list[Citation]] = {}
    for c in sorted(a.citations, key=lambda c: c.n):
        groups.setdefault(holder(c), []).append(c)
    return [(by_chunk.get(chunk), cs) for chunk, cs in groups.items()]


def sources_html(a: Answer, turn: int) -> str:
    """The answer's sources: one card per passage, every quoted span of it marked."""
    items = [_card(hit, cs, turn) for hit, cs in cards(a)]
    n = len(items)
    return (
        f'<details class="sources" data-turn="{turn}"><summary>Sources: {n} passage{"s" if n != 1 else ""}'
        f"</summary>{''.join(items)}</details>"
    )


def _card(hit: Hit | None, cs: list[Citation], turn: int) -> str:
    first = cs[0]
    keys = " ".join(f"{turn}-{c.n}" for c in cs)
    nums = " ".join(f"[{c.n}]" for c in cs)
    roles = {c.role for c in cs}
    note = ""
    if roles == {"corroboration"}:
        note = " · states the same fact"
    elif "support" in roles:
        note = " · supports the sentence"
    head = _card_head(first.title, first.source, first.published, first.url)
    body = _passage(hit, cs) if hit is not None else "".join(f"<p><mark>{esc(c.quote)}</mark></p>" for c in cs)
    back = f'<a class="back" href="#" data-back="{turn}-{first.n}">↑ back to the answer</a>'
    return (
        f'<div class="card" data-source="{keys}"><div class="card-h"><span class="nums">{nums}</span> {head}'
        f'<span class="role">{note}</span></div><div class="passage">{body}</div>{back}</div>'
    )


def _card_head(title: str, source: str, published: str, url: str) -> str:
    name = esc(title or "Untitled article")
    if url.startswith(("http://", "https://")):
        name = f'<a class="title" href="{esc(url)}" target="_blank" rel="noopener noreferrer">{name}</a>'
    else:
        name = f'<span class="title">{name}</span>'
    meta = " · ".join(esc(x) for x in (source, date_text(published)) if x)
    return name + (f' <span class="meta">{meta}</span>' if meta else "")


def _passage(hit: Hit, cs: list[Citation]) -> str:
    """The passage, paragraph by paragraph, with every quote marked; a quote just outside it (a neighbouring
    sentence the answer read) is shown before or after it. Captions, bylines and link lines are left out."""
    inside = sorted((c for c in cs if hit.start <= c.start and c.end <= hit.end), key=lambda c: c.start)
    before = [c for c in cs if c.end <= hit.start]
    after = [c for c in cs if c.start >= hit.end]
    out = [f'<p class="outside">… <mark data-n="{c.n}">{esc(c.quote)}</mark> …</p>' for c in before]
    pos, marked = 0, []
    for c in inside:
        lo, hi = c.start - hit.start, c.end - hit.start
        if lo < pos:  # overlaps one already marked
            continue
        marked.append(esc(hit.text[pos:lo]) + f'<mark data-n="{c.n}">{esc(hit.text[lo:hi])}</mark>')
        pos = hi
    marked.append(esc(hit.text[pos:]))
    for paragraph in "".join(marked).split("\n"):
        text = paragraph.strip()
        if not text:
            continue
        if "<mark" not in text:
            text = _TRAILING_LINK.sub("", text).strip()
            if not text or boilerplate(html.unescape(text)):
                continue
        out.append(f"<p>{text}</p>")
    out += [f'<p class="outside">… <mark data-n="{c.n}">{esc(c.quote)}</mark> …</p>' for c in after]
    return "".join(out)


def _related_card(h: Hit, turn: int, i: int) -> str:
    paragraphs = [p.strip() for p in h.text.split("\n") if p.strip() and not boilerplate(p.strip())]
    body = "".join(f"<p>{esc(_TRAILING_LINK.sub('', p))}</p>" for p in paragraphs)
    return (
        f'<div class="card related" data-related="{turn}-{i}"><div class="card-h">'
        f'{_card_head(h.title, h.source, h.published, h.url)}</div><div class="passage">{body}</div></div>'
    )
