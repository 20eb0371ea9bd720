"""The data that flows through the pipeline: corpus → chunks → index → hits → answer.

All are small frozen dataclasses. `start`/`end` are character offsets into the
document's text, so any passage or quote can be checked against its source:
``document.text[chunk.start:chunk.end] == chunk.text``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence


@dataclass(frozen=True)
class Document:
    """One article: its text and what is known about it."""

    doc_id: str
    text: str
    title: str = ""
    source: str = ""  # publisher, e.g. "Khaleej Times"
    published: str = ""  # ISO date as given: "2024-11-04", "2024-11" or ""
    url: str = ""
    origin: str = ""  # where it was read from, e.g. "corpus/a.txt" or "dump.jsonl:12"
    content_hash: str = ""


@dataclass(frozen=True)
class Chunk:
    """A token-bounded passage of one document."""

    chunk_id: str
    doc_id: str
    text: str
    start: int
    end: int
    n_tokens: int


@dataclass(frozen=True)
class Hit:
    """A passage returned by search, with its article's metadata and its score."""

    chunk_id: str
    doc_id: str
    text: str
    start: int
    end: int
    score: float
    title: str = ""
    source: str = ""
    published: str = ""
    url: str = ""


@dataclass(frozen=True)
class Problem:
    """An input that could not be used, named so the user can fix it."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass(frozen=True)
class BuildReport:
    """What `rag index` did."""

    added: Sequence[str] = field(default_factory=list)  # the plan's ids (`rag.store.plan.Ids`: compact)
    changed: Sequence[str] = field(default_factory=list)
    removed: Sequence[str] = field(default_factory=list)
    unchanged: int = 0
    chunks: int = 0
    embedded: int = 0
    seconds: float = 0.0
    full_reason: str = ""  # why everything was rebuilt, when it was
    problems: list[Problem] = field(default_factory=list)
    build_id: str = ""
    nodes: dict[str, int] = field(default_factory=dict)  # passages embedded per Ray node, for --ray builds


@dataclass(frozen=True)
class Filters:
    """Which articles a search may return. Empty fields do not filter.

    Dates are ISO prefixes compared by what they say: ``since="2024-11"`` keeps
    articles published in or after November 2024, and an article dated only
    ``2024-11`` counts as within ``until="2024-11-04"``.
    """

    sources: tuple[str, ...] = ()  # publisher names, matched without regard to case
    since: str = ""
    until: str = ""
    doc_ids: tuple[str, ...] = ()
    not_after: str = ""  # the day a question is asked: nothing published later, undated articles kept

    def __bool__(self) -> bool:
        return bool(self.sources or self.since or self.until or self.doc_ids or self.not_after)

    def describe(self) -> str:
        """The filters as a reader says them: "publisher Khaleej Times, since 2024-12"."""
        parts = []
        if self.sources:
            parts.append(("publisher " if len(self.sources) == 1 else "publishers ") + ", ".join(self.sources))
        if self.since:
            parts.append(f"since {self.since}")
        if self.until:
            parts.append(f"until {self.until}")
        if self.doc_ids:
            parts.append(("article " if len(self.doc_ids) == 1 else "articles ") + ", ".join(self.doc_ids))
        return ", ".join(parts)

    def admits(self, doc_id: str, source: str, published: str) -> bool:
        if self.doc_ids and doc_id not in self.doc_ids:
            return False
        if self.sources and source.casefold() not in {s.casefold() for s in self.sources}:
            return False
        if self.since and (not published or published < self.since[: len(published)]):
            return False
        if self.until and (not published or published[: len(self.until)] > self.until):
            return False
        if self.not_after and published and published[: len(self.not_after)] > self.not_after:
            return False
        return True


# --- answers ------------------------------------------------------------------

REFUSAL = "The articles don't say."


@dataclass(frozen=True)
class Citation:
    """Where a sentence of the answer comes from: an exact span of an article.

    ``role`` is "quote" when `quote` appears in the answer sentence, "corroboration"
    when another article states the same fact in its own words, and "support" when a
    generated sentence (llm mode) is backed by this source sentence.
    """

    n: int
    doc_id: str
    chunk_id: str
    title: str
    source: str
    published: str
    url: str
    quote: str
    start: int
    end: int
    role: str = "quote"


@dataclass(frozen=True)
class Short:
    """The short answer: an exact span of the lead sentence's quote (citation `n`), e.g. "Berlin".

    ``article.text[start:end] == text`` for the article `doc_id`.
    """

    text: str
    n: int
    doc_id: str
    start: int
    end: int


@dataclass(frozen=True)
class Answer:
    """An answer whose every sentence ends with ``[n]`` markers of `citations`; or a refusal (`refused`)."""

    question: str
    text: str
    citations: list[Citation]
    refused: bool
    hits: list[Hit]
    query: str = ""  # what was searched, after follow-up rewriting
    related: list[Hit] = field(default_factory=list)  # closest passages when refused
    mode: str = "extractive"  # or "llm", or "extractive-fallback" when no generated sentence survived checking
    removed: list[dict] = field(default_factory=list)  # llm mode: generated sentences dropped, with the reason
    short: Short | None = None  # for factoid questions: the asked fact itself, inside the first sentence
    kind: str = "other"  # the expected answer type of the question (see rag.reading.ANSWER_TYPES)
    window: tuple[str, str] | None = None  # the publication window the question asked about (ISO start, end; "" open)
    as_of: str = ""  # the day the question was asked on (ISO): nothing published later was read
    note: str = ""  # about dates: "From the reporting of 6 March 2017.", "No article from 13–19 March 2017; …"

    def to_dict(self) -> dict:
        """The answer as plain data: what `rag ask --json` prints and the app's ``/ask`` returns."""
        from dataclasses import asdict

        return {
            "question": self.question,
            "text": self.text,
            "refused": self.refused,
            "short": asdict(self.short) if self.short else None,
            "kind": self.kind,
            "citations": [asdict(c) for c in self.citations],
            "related": [asdict(h) for h in self.related],
            "mode": self.mode,
            "removed": self.removed,
            "window": {"start": self.window[0], "end": self.window[1]} if self.window else None,
            "as_of": self.as_of,
            "note": self.note,
        }
