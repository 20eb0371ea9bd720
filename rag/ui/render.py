"""Answers and their sources as the chat page shows them: pure functions of an `Answer`, no Gradio.

Everything that comes from an article is escaped: markup in an article shows as text.
"""

from __future__ import annotations

import html
import re

from ..answering import answer_sentences
from ..types import Answer

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def md(text: str) -> str:
    """Article text made inert for the chat's Markdown: HTML escaped, Markdown punctuation backslashed."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def plain(markdown) -> str:
    """A user message as typed (undoing the chat's escaping)."""
    if isinstance(markdown, list):  # Gradio may hand content back as typed parts
        markdown = " ".join(p.get("text", "") for p in markdown if isinstance(p, dict))
    if not isinstance(markdown, str):
        return ""
    return html.unescape(re.sub(r"\\(.)", r"\1", markdown))


def _cite_links(text: str, turn: int) -> str:
    return re.sub(
        r"\\\[(\d+)\\\]", lambda m: f'<a class="cite" href="#a{turn}-src-{m.group(1)}">[{m.group(1)}]</a>', text
    )


def answer_markdown(a: Answer, turn: int) -> list[str]:
    """The answer as Markdown, one piece per sentence, so it can stream."""
    if a.refused:
        return [
            f'<span class="refused">**{md(a.text)}**</span> The closest passages are listed beside the chat as '
            f"related, but they do not answer this."
        ]
    pieces = answer_sentences(a.text)
    short = a.short
    if not short or short.text not in pieces[0]:
        return [_cite_links(md(p), turn) for p in pieces]
    # The short answer first, then the sentence it is in, with the span highlighted.
    before, _, after = pieces[0].partition(short.text)
    lead = f'{md(before)}<mark class="short">{md(short.text)}</mark>{md(after)}'
    head = f'<span class="short-answer">**{md(short.text)}**</span> \\[{short.n}\\]\n\n'
    return [_cite_links(head + lead, turn)] + [_cite_links(md(p), turn) for p in pieces[1:]]


def removed_note(a: Answer) -> str:
    """Under a generated answer: what was removed, and why; or that the quotes stand in for it."""
    if a.mode == "extractive":
        return ""
    lines = [f"- ~~{md(r['sentence'])}~~ ({md(r['reason'])})" for r in a.removed[:6]]
    head = (
        "\n\n*The model's answer could not be verified against the articles, so these are quotes instead.*"
        if a.mode == "extractive-fallback"
        else f"\n\n*Written by a language model; {len(a.removed)} sentence(s) removed as unsupported.*"
        if a.removed
        else ""
    )
    return head + ("\n\n<details><summary>Removed</summary>\n\n" + "\n".join(lines) + "\n\n</details>" if lines else "")


def sources_html(a: Answer, turn: int) -> str:
    """The sources panel of one answer: each citation's passage with its quote highlighted."""
    esc = html.escape
    if a.refused:
        items = [
            f'<div class="src related"><div class="src-h"><b>{esc(h.title)}</b> · {esc(h.source)} · '
            f"{esc(h.published)}</div>"
            f"<p>{esc(h.text)}</p></div>"
            for h in a.related
        ]
        return '<h3 class="refused-h">Related, but not an answer</h3>' + "".join(items) if items else ""
    by_chunk = {h.chunk_id: h for h in a.hits}
    items = []
    for c in a.citations:
        h = by_chunk.get(c.chunk_id)
        if h is not None and h.start <= c.start and c.end <= h.end:
            lo, hi = c.start - h.start, c.end - h.start
            passage = f"{esc(h.text[:lo])}<mark>{esc(h.text[lo:hi])}</mark>{esc(h.text[hi:])}"
        else:
            passage = f"<mark>{esc(c.quote)}</mark>"
        note = {"corroboration": " · <i>states the same fact</i>", "support": " · <i>supports the sentence</i>"}.get(
            c.role, ""
        )
        link = (
            f' · <a href="{esc(c.url)}" target="_blank" rel="noopener noreferrer">link</a>'
            if c.url.startswith(("http://", "https://"))
            else ""
        )
        items.append(
            f'<div class="src" id="a{turn}-src-{c.n}"><div class="src-h"><b>[{c.n}] {esc(c.title)}</b> · '
            f"{esc(c.source)} · {esc(c.published)}{note}{link}</div><p>{passage}</p></div>"
        )
    return "<h3>Sources</h3>" + "".join(items)
