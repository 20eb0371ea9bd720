"""`retrieve()`: the passages most relevant to a question, from whichever store holds the index.

The opened store and the embedding model are cached across calls. For an index
folder of FAISS files each call checks its ``CURRENT`` pointer (one small file
read), so a rebuild finished by another process is picked up without a restart. An
index kept in Milvus (`rag.store.milvus`) is always current: Milvus serves what was
last written.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from .embedding import Encoder, get_encoder
from .errors import QueryError
from .reading import absent_names, bare_word, content_words, named_publisher, publisher_words
from .store import Location, MilvusLocation, Store, milvus_location, open_store, store_kind
from .store.faiss import current_build_dir
from .timeframe import TimeQuestion, Window, as_day, as_now, day_text, event_window, read_time, span_text
from .types import Filters, Hit

DEFAULT_INDEX = Path("index")
MAX_QUERY_CHARS = 2000  # the model reads ~256 word pieces; more text only adds noise
MODES = ("hybrid", "dense", "lexical")
RERANK_CANDIDATES = 16

_open: dict[object, Store] = {}
_open_lock = threading.Lock()


def load_index(location: Location | None = None) -> Store:
    """The index at `location` (default ``./index``), opened once and reused until it changes.

    `location` is an index folder (FAISS files, or a ``store.json`` naming a Milvus)
    or a `rag.store.MilvusLocation`.
    """
    if location is None:
        location = DEFAULT_INDEX
    if not isinstance(location, MilvusLocation):
        path = Path(location).resolve()
        if store_kind(path) == "milvus":
            location = milvus_location(path)
        else:
            build = current_build_dir(path)
            store = _open.get(path)
            if store is not None and store.build_dir == build:
                return store
            with _open_lock:
                store = _open.get(path)
                if store is None or store.build_dir != build:
                    store = _open[path] = open_store(path)  # the old one is left to readers still holding it
            return store
    with _open_lock:
        store = _open.get(location)
        if store is None:
            store = _open[location] = open_store(location)
    return store


def clear_cache() -> None:
    """Forget every opened index, so the next call reads it from its store again (as a new process would)."""
    with _open_lock:
        _open.clear()


def retrieve(query: str, k: int = 5, **options) -> list[Hit]:
    """The `k` passages most relevant to `query`, best first (`search(...).hits`; the options are its own).

    >>> hits = retrieve("What did Rutte say about Ukraine?", k=3)  # doctest: +SKIP
    >>> hits[0].source                                            # doctest: +SKIP
    'Khaleej Times'
    """
    return search(query, k, **options).hits


@dataclass(frozen=True)
class Found:
    """What `search` found, and how time shaped it."""

    hits: list[Hit]
    time: TimeQuestion  # the question read for time: what was searched, its window, latest / timeline
    now: dt.date  # the day the question was asked on: nothing published later was searched
    window: Window | None = None  # the publication window applied (or asked for, when it held nothing)
    note: str = ""  # about the dates, for the reader: "No article from 13–19 March 2017; the nearest are from …"
    in_window: bool = True  # whether the hits are from the window (False: the nearest, outside it)


def search(
    query: str,
    k: int = 5,
    *,
    index_dir: Location | None = None,
    mode: str = "hybrid",
    rerank: bool = False,
    filters: Filters | dict | None = None,
    encoder: Encoder | None = None,
    now=None,
) -> Found:
    """The `k` passages most relevant to `query` as asked on the day `now`, best first.

    `mode` is "hybrid" (dense vectors and BM25 keywords, fused by reciprocal rank),
    "dense" or "lexical". With `rerank`, a cross-encoder re-scores the best
    candidates (slower, better ordered). `filters` restricts the articles searched
    (a `Filters` or a dict of its fields); a filter that matches nothing returns [].
    `index_dir` is the index (default ``./index``; see `load_index`). `encoder`
    embeds the query (default: the model and backend that embedded the index). A
    `k` larger than the index returns every passage. Scores mean: cosine (dense),
    BM25 (lexical), fused rank (hybrid), cross-encoder logit (reranked).

    `now` (a date, datetime or ISO string; None: today) is when the question is asked:
    no article published after it is searched, and a time expression in the query
    ("last week", "on 6 March", "latest", "before the election": `rag.timeframe`) is
    searched for without its words, preferring the articles of its window — only
    them when they hold relevant ones, else the nearest in time, and `note` says so.
    A question that names one of the index's publishers ("according to RTE", "the HuffPost poll") has
    that publisher's best passages first, when they name most of what the question names.
    """
    if not isinstance(query, str) or not query.strip():
        raise QueryError('the query is empty: ask a question, e.g. "What did Rutte say about Ukraine?"')
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise QueryError(f"k of {k!r} is not a positive whole number: ask for at least 1 passage")
    if mode not in MODES:
        raise QueryError(f"mode {mode!r} is not one of {', '.join(MODES)}")
    day = as_now(now)
    query = query.strip()[:MAX_QUERY_CHARS]
    filters = as_filters(filters)
    store = load_index(index_dir)
    if filters.sources:
        check_sources(filters.sources, store.sources())
    capped = replace(filters, not_after=min(filters.not_after or day.isoformat(), day.isoformat()))
    time = read_time(query, day)
    text = time.text or query

    publisher = "" if filters.sources else named_publisher(query, store.sources())

    def run(f: Filters, n: int = k, words: str = text) -> list[Hit]:
        vector = None if mode == "lexical" else (encoder or query_encoder(store)).encode_query(words)
        hits = _run(store, words, vector, n, mode, rerank, f)
        if publisher:  # "..., according to RTE?": RTE's passages on it first (the same query vector)
            own = _run(store, words, vector, n, mode, rerank, replace(f, sources=(publisher,)))
            named = _names_most(words, publisher)
            own = [h for h in own if named(f"{h.title} {h.text}")][:PUBLISHER_FIRST]
            hits = (own + [h for h in hits if h not in own])[:n]
        return hits

    window, note = time.window, ""
    if time.event:
        window, note, happened = _place(time, run, capped)
        if not happened:
            return Found([], time, day, note=note, in_window=False)
    if window is not None:
        return _in_window(time, day, window, note, run, capped, k, query)
    if time.timeline:  # more passages, to find the days of reporting
        return Found(run(capped, 2 * k), time, day, note=note)
    if time.latest:  # the best passages of the newest relevant articles first, then the most relevant others
        wide = run(capped, 2 * k)
        newest = sorted(_relevant(time.bare, wide), key=lambda h: h.published, reverse=True)[:2]
        return Found((newest + [h for h in wide if h not in newest])[:k], time, day, note=note)
    return Found(run(capped), time, day, note=note)


PUBLISHER_FIRST = 2  # passages of a publisher the question names that go first, when they name its subject


def _run(store: Store, text: str, vector, k: int, mode: str, rerank: bool, filters: Filters) -> list[Hit]:
    """One search of `store` for `text` (embedded as `vector`, None for "lexical"): the dense and/or keyword
    sides' candidates, re-scored by the cross-encoder if asked."""
    depth = max(k, RERANK_CANDIDATES if rerank else k) * (2 if mode == "hybrid" else 1)
    n = max(k, RERANK_CANDIDATES) if rerank else k
    if not rerank:  # a few more, so that the passages naming what few others name can come first
        wide = max(n, NAMING_CANDIDATES)
        hits = store.candidates(text, vector, mode=mode, depth=max(depth, 2 * wide), n=wide, filters=filters)
        return _naming_first(text, hits)[:n]
    hits = store.candidates(text, vector, mode=mode, depth=depth, n=n, filters=filters)
    if hits:
        from .rerank import get_cross_encoder

        scores = get_cross_encoder().score(text, [f"{h.title}. {h.text}" for h in hits])
        order = sorted(range(len(hits)), key=lambda i: -scores[i])[:k]
        return [replace(hits[i], score=float(scores[i])) for i in order]
    return hits


NAMING_CANDIDATES = 12  # passages read for the question's rarer names
NAMING_SHARE = 0.5  # a name at most this share of them mention tells them apart


def _naming_first(text: str, hits: list[Hit]) -> list[Hit]:
    """`hits` reordered so that those naming more of the question's telling names come first, in their order
    otherwise. A telling name is one that some but at most half of the hits mention (title, text or publisher):
    "How old is Wayne Cluskey?" puts the passages naming Cluskey above passages on other people's ages, while
    a name most of them have ("Russian" in a question about Lavrov) or none has leaves the order alone."""
    last = _last_words(text)  # "Maria Sharapova" is named by a passage that says "Sharapova"
    missing = [
        {n for n, _ in absent_names(text, f"{h.title} {h.text}", publishers=publisher_words(h.source)) if n in last}
        for h in hits
    ]
    names = set().union(*missing)
    telling = {n for n in names if 0 < sum(n not in m for m in missing) <= NAMING_SHARE * len(hits)}
    if not telling:
        return hits
    order = sorted(range(len(hits)), key=lambda i: len(missing[i] & telling))
    return [hits[i] for i in order]


def _last_words(text: str) -> set[str]:
    """The words of `text` that no capitalised word follows: of a name, its last ("Sean Spicer's" → "Spicer")."""
    words = re.findall(r"[\w'’.-]+", text)
    after = words[1:] + [""]
    return {bare_word(w) for w, n in zip(words, after) if not n[:1].isupper()}


REPORTING_LAG = dt.timedelta(days=2)  # articles report an event up to a day or two after it


def _in_window(
    time: TimeQuestion, day: dt.date, window: Window, note: str, run, capped: Filters, k: int, query: str
) -> Found:
    """Hits for a question about `window`: those of the window when it holds relevant ones, else the nearest;
    when no relevant article is near it, the `query` as asked, time words and all, as if it had no window."""
    end = min(window.end + (REPORTING_LAG if window.lag else dt.timedelta(0)), day) if window.end else None
    inside = capped
    if window.start:
        inside = replace(
            inside, since=max(inside.since, window.start.isoformat()) if inside.since else window.start.isoformat()
        )
    if end:
        inside = replace(inside, until=min(inside.until, end.isoformat()) if inside.until else end.isoformat())
    hits = run(inside)
    # a day or a week holds other stories: its articles must name what the question names; an open window
    # ("since August 2014", "before 20 March") is most of the index, and what it holds is what was asked for
    if hits and (window.start is None or window.end is None or _relevant(time.bare, hits, strict=True)):
        return Found(hits, time, day, window, note)
    wide = _relevant(time.bare, run(capped, max(3 * k, RERANK_CANDIDATES)))
    close = [h for h in wide if _days_from(h.published, window) <= NEAR_DAYS.days]
    if not close:  # the window is far from every relevant article: time does not help, relevance decides
        hits = run(capped, k, query)
        dates = sorted({h.published[:10] for h in hits if h.published})
        said = f"No article {_span_words(window)}; the most relevant are from {_dates_text(dates)}."
        return Found(hits, time, day, window, said, False)
    nearest = sorted(close, key=lambda h: _days_from(h.published, window))[:k]  # stable: relevance within a day
    dates = sorted({h.published[:10] for h in nearest if h.published})
    return Found(
        nearest,
        time,
        day,
        window,
        f"No article {_span_words(window)}; the nearest are from {_dates_text(dates)}.",
        False,
    )


NEAR_DAYS = dt.timedelta(days=7)  # a relevant article this close to an empty window is "the nearest"


def _dates_text(dates: list[str]) -> str:
    """ "12 and 21 March 2017" (the first two dates of a sorted list, as day words)."""
    return " and ".join(span_text(as_day(d), as_day(d)) for d in dates[:2]) if dates else "undated articles"


def _place(time: TimeQuestion, run, capped: Filters) -> tuple[Window | None, str, bool]:
    """The window of "before/after/since X" for an event X: X placed on the date of the first article about it;
    a note on it; and whether X has happened by `now`. An event told by a regular verb ("after triggering
    Article 50") is placed on the first article that tells it done ("triggered"); when articles tell of it
    only as to come ("will trigger", "to be triggered"), it has not happened yet."""
    verb = _event_verb(time.event)
    about = content_words(time.event)  # an article about X has its words (but its verb's form) and names
    about -= {time.event.split()[0].lower()} if verb else set()
    dated = [
        h
        for h in run(capped, 10)
        if h.published and about <= content_words(f"{h.title} {h.text}") and not absent_names(time.bare, h.text)
    ]
    if verb is not None and dated:
        stem, done = verb
        told = [h for h in dated if _tells_done(done, f"{h.title}. {h.text}", time.event)]
        if not told and any(re.search(rf"\b{stem}", h.text, re.I) for h in dated):
            asked = as_day(capped.not_after)
            note = f"No article up to {day_text(asked)} reports {time.event} as done."
            if time.relation == "before":  # all is before what has not happened
                return None, f"{note} The answer is not limited to a period.", True
            newest = as_day(max(h.published for h in dated))
            return None, f"{note} The newest article on this is from {day_text(newest)}.", False
        dated = told or dated
    first = min((as_day(h.published) for h in dated), default=None)
    if first is None:
        return None, f"No article places “{time.event}” in time; the answer is not limited to a period.", True
    window = event_window(time.relation, first, f"{time.relation} {time.event}")
    return window, f"“{time.event}” is placed on {day_text(first)}, the date of the first article about it.", True


def _tells_done(done: re.Pattern, text: str, event: str) -> bool:
    """Whether `text` tells the event done: a past form ("convicted", "has been convicted", not "if convicted",
    "could be convicted") in an article naming the event's names ("Graham Spanier")."""
    if absent_names(event, text):
        return False
    for m in done.finditer(text):
        before = text[max(0, m.start() - 12) : m.start()].lower().split()
        if not before or before[-1] not in ("if", "be", "unless", "not", "never", "once", "when", "until"):
            return True
    return False


_IRREGULAR = set(
    "leav meet mak tak giv hold win los fight sell buy send spend build bring think tell say get go com run begin "
    "break choos driv eat fall find fly forget hear keep know lead pay put read rid ris see seek set shoot sink sit "
    "speak stand steal strik swear teach throw understand wak wear writ beat cut hit let quit spread shut sw th "
    "morn even k r s br spr".split()
)


def _event_verb(event: str) -> tuple[str, re.Pattern] | None:
    """For an event told by a regular verb ("triggering Article 50"): its stem and its past forms
    ("triggered", "has been triggered"; not "to be triggered")."""
    m = re.match(r"(?:the\s+)?([a-z]{2,}?)(e?)ing\b", event, re.I)
    if not m:
        return None
    stem = m.group(1).lower()
    if stem in _IRREGULAR or (len(stem) > 2 and stem[-1] == stem[-2] and stem[:-1] in _IRREGULAR):
        return None
    forms = {stem + "ed", stem + "d"}  # "triggered", "announced" (from "announcing": stem "announc")
    if len(stem) > 2 and stem[-1] == stem[-2]:  # "planning" -> "planned"
        forms.add(stem[:-1] + "ed")
    alternatives = "|".join(sorted(re.escape(f) for f in forms))
    return stem, re.compile(rf"(?<!\bbe\s)\b(?:{alternatives})\b", re.I)


def _relevant(text: str, hits: list[Hit], *, strict: bool = False) -> list[Hit]:
    """The hits that mention every name of the question (all when it names none, or none does and not `strict`)."""
    named = [h for h in hits if not absent_names(text, f"{h.title} {h.text}", publishers=publisher_words(h.source))]
    return named if named or strict else hits


def _names_most(question: str, publisher: str) -> Callable[[str], bool]:
    """Whether a text mentions at least half of the names and numbers of `question` (bar the publisher's)."""
    words = publisher_words(publisher)
    asked = len(absent_names(question, "", words))
    return lambda text: 2 * len(absent_names(question, text, words)) <= asked


def _span_words(window: Window) -> str:
    """ "from 13–19 March 2017", "from 30 March 2017" (an open window's own words), "until 19 March 2017"."""
    words = window.describe()
    return words if words.startswith(("from ", "until ")) else f"from {words}"


def _days_from(published: str, window: Window) -> int:
    d = as_day(published)
    if d is None:
        return 10**6
    if window.start and d < window.start:
        return (window.start - d).days
    if window.end and d > window.end:
        return (d - window.end).days
    return 0


def query_encoder(store: Store) -> Encoder:
    """The encoder for queries of `store`: the model and backend that embedded its passages (vectors never mix)."""
    return get_encoder(store.manifest.model, store.manifest.backend)


def as_filters(value: Filters | dict | None) -> Filters:
    """`value` as `Filters`: a dict of its fields (``source`` for one publisher) is accepted."""
    if value is None:
        return Filters()
    if isinstance(value, dict):
        unknown = set(value) - {"sources", "since", "until", "doc_ids", "source"}
        if unknown:
            raise QueryError(f"unknown filter(s) {sorted(unknown)}: use sources, since, until, doc_ids")
        v = dict(value)
        if "source" in v:
            v["sources"] = (v.pop("source"),)
        for key in ("sources", "doc_ids"):
            if isinstance(v.get(key), str):
                v[key] = (v[key],)
            if key in v:
                v[key] = tuple(v[key])
        for key in ("since", "until"):
            if v.get(key) is None:
                v[key] = ""
        value = Filters(**v)
    if not isinstance(value, Filters):
        raise QueryError(f"filters must be a Filters or a dict, not {type(value).__name__}")
    return check_dates(value)


_ISO = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def check_dates(filters: Filters) -> Filters:
    """`filters` with its dates trimmed; `QueryError` for a date not of the form YYYY, YYYY-MM or YYYY-MM-DD."""
    since, until = (str(filters.since or "").strip(), str(filters.until or "").strip())
    for name, value in (("since", since), ("until", until)):
        m = _ISO.match(value) if value else None
        if value and not (m and _real_date(*m.groups())):
            raise QueryError(
                f"{name} {value!r} is not a date: use YYYY, YYYY-MM or YYYY-MM-DD, e.g. 2024, 2024-11 or 2024-11-04"
            )
    if since and until and since[: len(until)] > until:
        raise QueryError(f"since {since} is after until {until}: no article can be both; swap or change them")
    return replace(filters, since=since, until=until) if (since, until) != (filters.since, filters.until) else filters


def _real_date(year: str, month: str | None, day: str | None) -> bool:
    import datetime as dt

    try:
        dt.date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        return False
    return True


def check_sources(asked: tuple[str, ...], known: list[str]) -> None:
    """`QueryError` for a publisher the index does not hold, listing (some of) those it does."""
    have = {s.casefold() for s in known}
    missing = [s for s in asked if s.casefold() not in have]
    if missing:
        listed = ", ".join(known[:12]) + (f" and {len(known) - 12} more" if len(known) > 12 else "")
        raise QueryError(f"no publisher {missing[0]!r} in this index; its publishers are: {listed or 'none recorded'}")
