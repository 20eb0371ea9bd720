"""`answer()`: an extractive answer in which every sentence cites exact source spans.

The answer is built only from sentences of the retrieved passages, so it can say
nothing the articles do not. Steps:

1. A follow-up ("And what about North Korea?") is rewritten with the previous turns
   into a standalone query ("What did Rutte say about North Korea?").
2. The passages are retrieved and split into sentences. Each sentence gets the
   speaker it depends on from the surrounding text ("he warned" → Rutte; a line of
   an interview transcript → its "Dr. Carter:" label), shown as a prefix such as
   "(Rutte)"; the quoted span itself is never changed.
   Headlines, bylines, captions and "READ MORE:" links are not answer sentences;
   the sentences just before and after the two best passages are read too.
3. The question's expected answer type (a quantity, person, organisation, place,
   date, ...: `rag.reading`) picks out the sentences that hold a candidate of that
   type which the question does not already say. A cross-encoder scores how well
   each sentence answers the question, and such a sentence scores higher. When no
   sentence passes the gate, or the question names someone or something no
   retrieved passage mentions, the passages are retrieved again, re-ranked by the
   cross-encoder from a deeper list, and read once more; if that finds nothing either,
   the answer is a refusal, with the closest passages listed as related.
4. The best sentence leads the answer, and its candidate of the asked type is the
   short answer (`Answer.short`). Further sentences follow (near-duplicates dropped,
   runs of consecutive sentences kept together); a sentence stated by another article
   too is cited to both (``[1][2]``), but only when their figures agree: where articles
   give different figures, each sentence is shown with its article's date.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from dataclasses import dataclass, field, replace
from typing import Iterable, Iterator, Sequence

from .chunking import sentence_spans
from .embedding import Encoder
from .errors import QueryError
from .reading import (
    REPRESENTS,
    SPEECH,
    Candidate,
    absent_names,
    answer_noun,
    answer_span,
    answer_type,
    boilerplate,
    calls_itself,
    changed_by,
    content_words,
    counted_act,
    counts_asked,
    date_text,
    gives_cause,
    initials_for,
    is_calendar_word,
    measure,
    named_noun,
    near_noun,
    noun_kinds,
    opens_by_description,
    publisher_words,
    question_names,
    shares_asked,
    speaks,
    statement_subject,
    stems,
    takes_time,
    typed,
    when_act,
    which_act,
)
from .recent import Recent
from .rerank import get_cross_encoder
from .retrieval import MAX_QUERY_CHARS, Found, as_filters, load_index, search
from .store import Location
from .store.lexical import tokenize
from .timeframe import as_day
from .types import REFUSAL, Answer, Citation, Filters, Hit, Short

DEFAULT_K = 6
# Cross-encoder logit a sentence must reach for the question to count as answered.
ANSWER_GATE = 1.0
# A sentence holding a candidate of the asked type (a number for "how many", a date for "when", a
# name for "who") scores this much more; one holding a number or date asked for also passes the gate
# from TYPED_GATE when it shares TYPED_OVERLAP of the question's content words (names are in almost
# every sentence, so they earn less and never lower the gate). Tuned on the "tune" half of
# benchmarks/news_answers.jsonl.
TYPE_BONUS = {"quantity": 3.0, "date": 3.0, "person": 1.0, "organisation": 1.0, "place": 1.0}
TYPED_GATE = -3.0
TYPED_LEAD = (
    "quantity",
    "date",
    "person",
)  # answer types whose answer must hold a candidate of the type, or be refused
TYPED_OVERLAP = 0.5
# The sentence that leads a "how many / how much" answer must also be one the cross-encoder reads as
# answering, not only a sentence with a number on the subject ("2,300 tonnes of aid" for "how many
# volunteers were on board"): below this score every such lead of the tune half gave a wrong number.
# (Names are not held to it: "... alongside German Chancellor Olaf Scholz" answers "Who was he with?" at 1.7.)
QUANTITY_LEAD_GATE = 3.0
# ... unless the number stands by the noun the question counts ("the 24 settlements and outposts" for "How
# many settlements and outposts ...?"): the sentence then says what is counted, whatever else it leaves to
# the sentences around it (the cross-encoder reads the question's "in the Salfit governorate" in none).
# Set on the tune half: 0.0 and 1.0 leave the settlements unanswered; -2.5 lets "the ingredients will read 51 percent
# cashews" (cross-encoder -2.4) answer "What share of the fruit bars is cashews?"; -3.0 changes nothing more.
NAMED_LEAD_GATE = -2.5
# A candidate named by the question's noun ("2,960 civilians" for "how many civilians", "Senator Antonio
# Trillanes" for "which senator") is what was asked: more bonus. So is a sentence with the question's
# focus words: those its articles' headlines do not already say ("introduced" in "Who introduced Beyonce
# at the Grammys?"), which the topic sentences of every article on the subject lack.
NOUN_BONUS = 2.0
# ... and a sentence whose name says it is the asked-for thing ("America First Policies, a nonprofit group" for
# "Which group ...?") leads a "which group / city / journal" answer from this many points below the best sentence.
# Set on the tune half and batch E: 1.5 leaves "the Journal of Adolescent Health" second; 3.0 and 5.0 change the
# same answers of both halves.
NAMED_MARGIN = 3.0
FOCUS_WEIGHT = 3.0
# "What did X say ...?" is answered by X's words: a sentence that gives them ("X said", "..., said X", "She
# added" read as X's) scores this much more than one about X in another's words ("Y said X had been ...").
SPEAKER_BONUS = 2.0
# "Why ...?" is answered by a sentence that says why ("over proposals for driver-only trains", "because"): this
# much more. A lead that tells only the act ("his conviction was overturned") is followed by the sentence after
# it, where news gives the reason ("The court heard the prosecution could not rely on ...").
CAUSE_BONUS = 2.0
NEIGHBOUR_PASSAGES = 2  # the sentences just outside the best passages are read too
# Sentences kept: above the gate and within this margin of the best one.
KEEP_MARGIN = 4.0
MAX_SENTENCES = 4
# How many candidates the cross-encoder reads (its cost is per pair: ~30 ms each on 2 cores). On the tune half,
# 8 / 10 / 12 / 14 gave key-fact recall 0.890 / 0.945 / 0.918 / 0.932 and a median of 313 / 363 / 420 / 448 ms:
# past ten, more sentences read means more that can outscore the answering one within the answer's four.
SCORED_SENTENCES = 10
# Two sentences state the same thing when they share this many content words, and
# this share of the shorter one's.
SAME_FACT_MIN_WORDS = 4
SAME_FACT = 0.5


@dataclass
class _Sentence:
    hit: Hit
    rank: int  # of its passage
    start: int  # into the document
    end: int
    text: str
    speaker: str = ""
    asked: str = ""  # in an interview transcript, the question this sentence answers
    opens_reply: bool = False  # the first sentence of that reply
    score: float = float("-inf")  # the cross-encoder's
    typed: list[Candidate] = field(default_factory=list)  # candidates of the asked type
    kind: str = "other"  # the question's expected answer type
    named: bool = False  # a typed candidate stands by the question's answer noun
    focus: float = 0.0  # share of the question's focus words the sentence has
    spoken: bool = False  # gives the words of the person a "What did X say?" question asks about
    causal: bool = False  # says why, for a "Why ...?" question
    corroborated_by: list["_Sentence"] = field(default_factory=list)
    dated: bool = False  # show the article's date: articles disagree
    # the question's name an opening "he" / "his" stands for ("Colm Deely"), if a sentence before has it
    about: str = ""
    spelled: dict[str, str] = field(default_factory=dict)  # initials its article defines: {"JEI": "Justice and ..."}

    @property
    def final(self) -> float:
        typed = TYPE_BONUS.get(self.kind, 0.0) if self.typed else 0.0
        spoken = SPEAKER_BONUS if self.spoken else 0.0
        causal = CAUSE_BONUS if self.causal else 0.0
        named = NOUN_BONUS if self.named else 0.0
        return self.score + typed + spoken + causal + named + FOCUS_WEIGHT * self.focus

    @property
    def display(self) -> str:
        prefix = ", ".join(p for p in (date_text(self.hit.published) if self.dated else "", self.speaker) if p)
        return f"({prefix}) {self.text}" if prefix else self.text

    @property
    def read(self) -> str:
        """The sentence as it is scored: `display` with an opening pronoun read as the name it stands for
        ("However, his conviction was overturned" → "However, Colm Deely's conviction ..."). Only read so."""
        text = self.display
        for short, name in self.spelled.items():  # "co-director of JEI" read as "co-director of Justice and ..."
            text = re.sub(rf"\b{re.escape(short)}\b", lambda _, name=name: name, text)
        m = (_OPENING_PRONOUN.match(text) or _OPENING_IT.match(text)) if self.about else None
        if not m:
            return text
        word = m.group(1).lower()  # "his", "her" own; "he", "him" and "For her," stand for the person
        owner = word in ("his", "its") or (word == "her" and not m.group().startswith("For"))
        name = self.about + ("'s" if owner else "")
        return text[: m.start(1)] + name + text[m.end(1) :]


MODES = ("extractive", "llm")


@dataclass(frozen=True)
class Question:
    """A question made ready to answer: as asked, as searched (follow-ups made standalone), and its answer type."""

    text: str
    query: str
    kind: str


def prepare(question: str, history: Sequence | None = None) -> Question:
    """Check `question` and make it standalone with the earlier turns of `history`."""
    if not isinstance(question, str) or not question.strip():
        raise QueryError('the question is empty: ask something, e.g. "What did Rutte say about Ukraine?"')
    text = question.strip()[:MAX_QUERY_CHARS]
    query = contextualize(text, user_turns(history))
    return Question(text, query, answer_type(query))


def answer_events(
    question: str,
    *,
    mode: str = "extractive",
    client=None,
    k: int = DEFAULT_K,
    history: Sequence | None = None,
    index_dir: Location | None = None,
    filters: Filters | dict | None = None,
    encoder: Encoder | None = None,
    now=None,
) -> Iterator[tuple[str, object]]:
    """The one way to an answer: prepare the question, retrieve, compose — by quoting (``mode="extractive"``)
    or with the language model `client` (``"llm"``, see `rag.generation`), both from the same passages.

    Yields ("draft", text) while a model writes, ("sentence", checked) as its sentences are verified, and
    finally ("answer", `Answer`). `now` is the day the question is asked (see `rag.retrieval.search`): its time
    expressions ("last week", "latest") choose the articles, and the answer says when.
    """
    if mode not in MODES:
        raise QueryError(f"answer mode {mode!r} is not one of {', '.join(MODES)}")
    asked = prepare(question, history)
    found = search(asked.query, k, index_dir=index_dir, filters=filters, encoder=encoder, now=now)
    q = Question(asked.text, found.time.text or asked.query, answer_type(found.time.text or asked.query))
    if mode == "llm":
        from .generation import generate_events

        def fallback() -> Answer:
            return extract(q, found, index_dir, filters=filters)

        for kind, value in generate_events(q, found.hits, client=client, index_dir=index_dir, fallback=fallback):
            yield kind, (_timed(value, found) if kind == "answer" else value)
        return

    def deeper() -> Found:  # ... also by the initials the articles found call the question's names by ("JEI")
        store = load_index(index_dir)
        texts = " ".join(store.document(d).text for d in dict.fromkeys(h.doc_id for h in found.hits))
        again = " ".join([asked.query, *initials_for(asked.query, texts)])  # "... Initiatives? JEI"
        among = _mentioning(_missing_names(asked.query, found.hits, texts), store, as_filters(filters))
        return search(again, k, index_dir=index_dir, filters=among, rerank=True, encoder=encoder, now=now)

    key = _answer_key(q, found, index_dir, filters)
    a = ANSWERS.get(key) if key else None
    if a is None:
        a = extract(q, found, index_dir, deeper=deeper, filters=filters)
        if key:
            ANSWERS.put(key, a)
    yield "answer", a


MENTIONING = 64  # passages read for the articles that mention a name the passages found do not


def _mentioning(names: list[str], store, filters: Filters) -> Filters:
    """`filters` narrowed to the articles that mention all of `names` by keyword ("the Karada district", which
    passages on other Baghdad bombings outrank), or left as they are when no article does or the names are
    numbers only."""
    names = [n for n in names if re.search(r"[^\W\d]", n)]  # a year ("2024") is in too many articles to narrow by
    if not names:
        return filters
    docs = None
    for name in names:
        hits = store.candidates(name, None, mode="lexical", depth=MENTIONING, n=MENTIONING, filters=filters)
        found = {h.doc_id for h in hits if re.search(rf"\b{re.escape(name)}", f"{h.title} {h.text}", re.I)}
        docs = found if docs is None else docs & found
    return replace(filters, doc_ids=tuple(sorted(docs))) if docs else filters


# Extractive answers already composed: the same question (as read, with its history) over the same found passages
# of the same build of an index is answered the same, so a question asked again is not read again.
ANSWERS: Recent[Answer] = Recent(512)


def _answer_key(q: Question, found: Found, index_dir: Location | None, filters) -> tuple | None:
    """What an extractive answer depends on, or None when it cannot be told (an index without build ids)."""
    build = getattr(load_index(index_dir), "build_dir", None)
    if build is None:
        return None
    return (str(build), q.text, q.query, q.kind, repr(found), repr(as_filters(filters)))


def answer(question: str, **options) -> Answer:
    """Answer `question` from the indexed articles, citing every sentence.

    Options are those of `answer_events`: `k` passages, `history` (the earlier turns, as
    the user's questions, ``(user, assistant)`` pairs, or ``{"role", "content"}``
    messages; used to read follow-ups), `index_dir`, `filters` (see `retrieve`), `mode`
    and `client`, `encoder`, `now` (the day it is asked: a date, datetime or ISO string; None for today).

    >>> a = answer("What did Rutte say about Ukraine?")   # doctest: +SKIP
    >>> a.text                                             # doctest: +SKIP
    'Rutte noted that bilateral security agreements ... [1] ...'
    """
    result = None
    for kind, value in answer_events(question, **options):
        if kind == "answer":
            result = value
    return result


def extract(q: Question, found: Found, index_dir: Location | None, *, deeper=None, filters=None) -> Answer:
    """The extractive answer the passages `found` give, or a refusal that says why. Before refusing, `deeper()`
    (when given) searches harder — the cross-encoder re-ranks a deeper candidate list (~1.1 s on 2 cores, so
    only for would-be refusals) — and those passages are read once more."""
    if not found.hits:
        why = f"No article matches: {as_filters(filters).describe()}." if as_filters(filters) else None
        if found.note and (found.window is not None or not found.in_window):
            why = f"{REFUSAL} {found.note}"
        elif why is None and found.now < dt.date.today():
            why = f"{REFUSAL} No article close to this question was published by {date_text(found.now.isoformat())}."
        return _timed(_refusal(q, [], why or f"{REFUSAL} Nothing in the articles is close to this question."), found)
    trap = _before_the_outcome(q, found)
    if trap:
        return _timed(_refusal(q, found.hits, trap), found)
    store = load_index(index_dir)
    nowhere = _nowhere(q.query, found.hits, store)
    if nowhere:  # no search can find what no article mentions: refuse now, without the deeper search
        return _timed(_refusal(q, found.hits, _never_mentioned(nowhere, store)), found)
    result = _from_passages(q, found, index_dir)
    if result.refused and deeper is not None:
        again = deeper()
        if [h.chunk_id for h in again.hits] != [h.chunk_id for h in found.hits]:
            found, result = again, _from_passages(q, again, index_dir)
    return _timed(result, found)


_OUTCOME = re.compile(
    r"\b(?:won|win|wins|winner|winning|result|results|outcome|elected|verdict|final|ended|end up|lost|"
    r"happened next|what happened after|will)\b",
    re.I,
)


_PAST_OUTCOME = re.compile(
    r"\b(?:won|winner|winners|result|results|outcome|elected|verdict|defeated|beat|who\s+(?:took|got)\s+the)\b", re.I
)
_HYPOTHETICAL = re.compile(r"\b(?:if|would|could|might|whether|unless)\b", re.I)  # "what if Putin won"
# The newest articles still look ahead to the event: its outcome is not reported yet.
_FORWARD = re.compile(
    r"\b(?:ahead\s+of|(?:take|takes|taking|head|heads|heading|go|goes|going)\s+to\s+the\s+polls|"
    r"will\s+(?:take|vote|elect|decide|choose|be\s+announced|be\s+held|be\s+decided)|"
    r"(?:is|are)\s+expected\s+to\s+win|upcoming|set\s+to\s+(?:vote|win)|polls\s+open|before\s+the\s+vote|"
    r"await(?:s|ing)?\s+the\s+results|front-?runner|favou?rite\s+to\s+win|go\s+on\s+to\s+win)\b",
    re.I,
)


# ... unless the newest of them tells the outcome.
_HAPPENED = re.compile(
    r"\b(?:won(?!['’]t)|wins|victory|victorious|defeat(?:ed|s)?|beat|routs?|re-?elected|was\s+elected|winner|took\s+home|"
    r"by\s+winning|claimed|clinched|scooped|picked\s+up|walked\s+away\s+with|went\s+home\s+with|came\s+(?:first|top))\b",
    re.I,
)
# "Who won …?", "Which film won …?": the answer must tell that outcome, not a forecast or another contest's.
_WHO_WON = re.compile(
    r"^\s*(?:who|which\s+[\w'-]+(?:\s+[\w'-]+)?|what\s+[\w'-]+)\s+(?:won|was\s+elected|were\s+elected|"
    r"came\s+(?:first|top)|beat|defeated)\b|\bwho\s+(?:is|was)\s+the\s+winner\b",
    re.I,
)


def _tells_outcome(text: str, year: int, question: str = "", context: str = "") -> bool:
    """Whether `text` has a sentence telling an outcome of this time (not "won 15 seats in 2012", nor a past outcome
    cited while looking ahead: "after Trump's victory, the Dutch vote is seen as a test ahead of other polls"),
    and, given the `question`, one of its subject: the sentence has half the question's words and, with its
    article's headline `context`, all its names (the BAFTAs' winner is not the Oscars')."""
    about, names = _outcome_words(question)
    for s, e in sentence_spans(text):
        sentence = text[s:e]
        years = [int(y) for y in re.findall(r"\b(?:19|20)\d{2}\b", sentence)]
        if not _HAPPENED.search(sentence) or _FORWARD.search(sentence) or any(y < year for y in years):
            continue
        said, seen = content_words(sentence), content_words(f"{context} {sentence}")
        if 2 * len(about & said) >= len(about) and all(any(w.startswith(n) for w in seen) for n in names):
            return True
    return False


@functools.lru_cache(maxsize=256)
def _outcome_words(question: str) -> tuple[frozenset[str], frozenset[str]]:
    """What an outcome question is about — its content words but the outcome's ("won", "winner") — and its
    names; read once per question, not once per sentence weighed."""
    about = {w for w in content_words(question) if not _HAPPENED.fullmatch(w) and not _PAST_OUTCOME.fullmatch(w)}
    return frozenset(about), frozenset(content_words(" ".join(question_names(question))))


def _before_the_outcome(q: Question, found: Found) -> str:
    """For "who won", "what was the result": a refusal when the newest articles found still look ahead to it."""
    if not _PAST_OUTCOME.search(q.text) or _HYPOTHETICAL.search(q.text) or not found.hits:
        return ""
    newest = max((h.published for h in found.hits if h.published), default="")
    latest = as_day(newest)
    recent = [h for h in found.hits if latest and as_day(h.published) and (latest - as_day(h.published)).days <= 2]
    asked = found.time.bare or q.text
    told = any(_tells_outcome(h.text, latest.year, asked, h.title) for h in recent)
    if not told and any(_FORWARD.search(h.text) for h in recent):
        return f"{REFUSAL} The newest article on this is from {date_text(newest)}, before the outcome was known."
    return ""


def _telling_first(q: Question, found: Found, passing: list[_Sentence]) -> list[_Sentence]:
    """For "who won …": the sentences that tell that outcome first; none when none does."""
    asked = found.time.bare or q.text

    def tells(s: _Sentence) -> bool:
        return _tells_outcome(s.display, (as_day(s.hit.published) or found.now).year, asked, s.hit.title)

    telling = [s for s in passing if tells(s)]
    return telling + [s for s in passing if s not in telling] if telling else []


def _timed(a: Answer, found: Found) -> Answer:
    """The answer with when it speaks of: the window, the day asked, the note on dates; a refusal of an
    outcome or a moment gives the date of the newest article on the subject."""
    window = found.window
    note = found.note
    text = a.text
    if a.refused and (found.time.bound or _OUTCOME.search(a.question)) and (a.related or a.hits):
        newest = max((h.published for h in (a.related or a.hits) if h.published), default="")
        if newest and "newest article" not in text:
            text = f"{text} The newest article on this is from {date_text(newest)}."
    if a.refused and note and note not in text:
        text = f"{text} {note}"
    if not a.refused and not note:
        days = sorted({c.published for c in a.citations if c.published})
        if found.time.bound and days:
            note = f"From the reporting of {_days_text(days)}."
    return replace(
        a,
        text=text,
        note=note,
        as_of=found.now.isoformat(),
        window=(
            window.start.isoformat() if window and window.start else "",
            window.end.isoformat() if window and window.end else "",
        )
        if window
        else None,
    )


def _days_text(days: list[str]) -> str:
    if len(days) == 1:
        return date_text(days[0])
    return ", ".join(date_text(d) for d in days[:-1]) + " and " + date_text(days[-1])


def _from_passages(q: Question, found: Found, index_dir: Location | None) -> Answer:
    """The answer the passages `found` give to the question, or a refusal that says why."""
    query, kind, hits, time = q.query, q.kind, found.hits, found.time
    store = load_index(index_dir)
    texts = {h.doc_id: store.document(h.doc_id).text for h in hits}
    absent = _absent(query, hits, " ".join(texts.values()))
    if absent:  # some article mentions them (`_nowhere` came first), but none of these articles does
        return _refusal(q, hits, f"{REFUSAL} None of the articles found mentions {_and([n for n, _ in absent])}.")
    # A sentence answers only from an article that names what the question names ("the 2023 earthquake").
    ledes = kind in TYPE_BONUS  # a factoid's answer may be in a best article's opening, outside its passage
    naming = [not _missing_names(query, [h], texts[h.doc_id]) for h in hits]  # once per passage, not per sentence
    candidates = [c for c in _sentences(hits, texts, ledes=ledes) if naming[c.rank]]
    if not candidates:
        names = [n for n, _ in _absent(query, [])]
        return _refusal(q, hits, f"{REFUSAL} No article found mentions {_and(names)} together.")
    passing = _passing(query, kind, candidates, texts)
    act = _WHO_VERB.match(query)
    if passing and kind == "person" and act and not any(_tells_act(query, s.display) for s in passing):
        # "Who replaced Jeff Jones?" asked before anyone did: say how recent the reporting is.
        told = query[act.start(1) :].strip().rstrip("?").strip()
        return _refusal(q, hits, f"{REFUSAL} None of the articles found says who {told}.{_newest(hits)}")
    if not passing or (kind in TYPED_LEAD and not any(_can_lead(s, query) for s in passing)):
        return _refusal(
            q,
            hits,
            f"{REFUSAL} The closest passages are on this subject, but none {_wanted(kind, query)}.",
        )
    if _WHO_WON.search(q.text):
        passing = _telling_first(q, found, passing)
        if not passing:
            return _refusal(q, hits, f"{REFUSAL} None of the articles found reports that outcome.{_newest(hits)}")
    if time.timeline:
        chosen = _timeline(passing)
        return _compose(q.text, query, hits, chosen, kind, None)
    if time.latest:  # among the sentences about as good as the best, the newest day's reporting leads
        close = [s for s in passing if s.final >= passing[0].final - LATEST_MARGIN]
        close.sort(key=lambda s: s.hit.published, reverse=True)
        passing = close + [s for s in passing if s not in close]
    if kind in TYPED_LEAD:
        leads = [s for s in passing if _can_lead(s, query)]
        act = (_dated_act(query) or when_act(query)) if kind == "date" else None  # "When was the ban lifted?"
        # the date of the lifting leads: a sentence that dates that act in its clause, else one that tells it
        lead = next((s for s in leads if act and _dates_act(act, s)), None)
        lead = lead or next((s for s in leads if act and _names_act(act, s.read)), leads[0])
    elif kind == "organisation" and (verb := which_act(query)):  # "Which group translated ...?": one that says so
        act = frozenset(stems(verb))
        lead = next((s for s in passing if s.typed and _names_act(act, s.read)), passing[0])
    else:  # "What did X say?" is led by X's own words where any passing sentence gives them
        lead = next((s for s in passing if s.spoken), passing[0])
    if kind in ("organisation", "place", "person"):
        lead = _calling_itself(query, kind, lead, passing)
    chosen = _choose([lead] + [s for s in passing if s is not lead], candidates)
    rest = _readable_order(chosen[1:], texts)
    chosen = [chosen[0]] + rest
    if kind == "reason" and not lead.causal:
        chosen = _with_reason(chosen, texts[lead.hit.doc_id])
    if kind in ("organisation", "person") and not lead.typed and opens_by_description(lead.text):
        chosen = _named_before(query, kind, chosen, texts[lead.hit.doc_id])
    if time.bound:
        for s in chosen:  # a question about a moment: each sentence says the day of its article
            s.dated = bool(s.hit.published)
    return _compose(q.text, query, hits, chosen, kind, _short(query, chosen[0]))


def _calling_itself(query: str, kind: str, lead: _Sentence, passing: list[_Sentence]) -> _Sentence:
    """ "Which group will she join?": a sentence whose name says it is the asked-for thing ("America First Policies,
    a nonprofit group") leads one that only says "a nonprofit group", when the cross-encoder reads the two about
    as well (within `NAMED_MARGIN`)."""
    noun = answer_noun(query)
    kinds = noun_kinds(query, noun)
    if not noun or any(calls_itself(lead.text, c, noun, kinds) for c in lead.typed):
        return lead
    for s in passing:
        if (
            s.final >= lead.final - NAMED_MARGIN
            and any(calls_itself(s.text, c, noun, kinds) for c in s.typed)
            and (kind != "person" or _can_lead(s, query))
        ):
            return s
    return lead


def _newest(hits: list[Hit]) -> str:
    """ " The newest article on this is from 20 March 2017." (or "" when the articles are undated)"""
    newest = max((h.published for h in hits if h.published), default="")
    return f" The newest article on this is from {date_text(newest)}." if newest else ""


TIMELINE_DAYS = 6
LATEST_MARGIN = 2.0  # cross-encoder points a newer sentence may trail the best by and still lead a "latest" answer


def _timeline(passing: list[_Sentence]) -> list[_Sentence]:
    """One sentence per day of reporting (the day's best), in date order, each dated."""
    best: dict[str, _Sentence] = {}
    for s in passing:  # best first
        day = s.hit.published[:10]
        if day and day not in best:
            best[day] = s
    days = sorted(best)[-TIMELINE_DAYS:]
    for d in days:
        best[d].dated = True
    return [best[d] for d in days] or passing[:1]


_WANTED = {
    "quantity": "gives the number asked for",
    "date": "gives the date asked for",
    "person": "names the person asked for",
    "other": "answers it",
}


def _wanted(kind: str, query: str) -> str:
    """What the refused question wanted: "names the person asked for", "names the yacht" ("What was the name of
    the yacht ...?")."""
    noun = named_noun(query)
    return f"names the {noun}" if noun else _WANTED.get(kind, _WANTED["other"])


def _passing(query: str, kind: str, candidates: list[_Sentence], texts: dict[str, str]) -> list[_Sentence]:
    """The candidate sentences that answer the question well enough, best first."""
    names = _name_phrases(query)
    spelled = {d: initials_for(query, text) for d, text in texts.items()}
    for c in candidates:  # first: what the focus weights count is the sentence as read
        c.about, c.spelled = _antecedent(names, c, texts[c.hit.doc_id]), spelled[c.hit.doc_id]
    noun, focus = answer_noun(query), _focus_weights(query, candidates)
    total, subject = sum(focus.values()), statement_subject(query) if kind == "statement" else ""
    for c in candidates:
        c.typed, c.kind = typed(c.text, kind, query), kind
        if kind == "date" and _ASKS_FUTURE.match(query):  # "When will Belarus approve it?": not "in 2015"
            c.typed = [t for t in c.typed if not _before(t, c.hit.published)]
        c.spoken = speaks(c.text, subject, c.speaker)
        c.causal = kind == "reason" and gives_cause(c.text)
        c.named = any(
            near_noun(c.text, t, noun) or takes_time(query, c.text, t) or shares_asked(query, c.text, t)
            for t in c.typed
        )
        c.focus = sum(v for w, v in focus.items() if w in stems(c.read)) / total if total else 0.0
    # Read first: sentences sharing the question's words, for "how many" / "when" those holding a number or
    # date, and for "Who directed ...?" those naming someone beside the act ("Director Bill Condon kept ...").
    boost = 0.5 if kind in ("quantity", "date") or _act_stems(query) else 0.0

    def first(s: _Sentence) -> tuple[float, int]:
        typed = s.typed and _tells_act(query, s.display)  # True for any other question
        return -_overlap(query, s.read) - (boost if typed else 0.0), s.rank

    order = sorted(candidates, key=first)
    pool = order[:SCORED_SENTENCES]
    _score(query, pool)
    pool.sort(key=lambda s: (-s.final, s.rank, s.start))
    passing = [s for s in pool if _passes(query, s)]
    return _on_topic(query, kind, passing, texts)


def _on_topic(query: str, kind: str, passing: list[_Sentence], texts: dict[str, str]) -> list[_Sentence]:
    """The sentences that stay on the topic a question asks "about", if it says: a sentence names it, directly
    continues one that does, or, unless a statement is asked for, stands in an article whose headline names it
    ("Which MP told Al Jazeera she felt optimism about Brexit?": "Theresa Villiers ... told Al Jazeera: "I feel a
    sense of optimism" under "British government takes next steps towards Brexit"). What someone said about a
    topic is said of it in the sentence itself."""
    topic = _topic_words(query)
    if not topic:
        return passing
    on_topic = [
        s for s in passing if _mentions(topic, s.read) or (kind != "statement" and _mentions(topic, s.hit.title))
    ]
    return [s for s in passing if s in on_topic or any(_follows(o, s, texts) for o in on_topic)]


_PASSED = re.compile(r"\b(?:last|ago|yesterday|earlier|previous|former)\b", re.I)
_ASKS_FUTURE = re.compile(r"^\s*(?:when|in\s+what\s+year|what\s+year)\s+will\b", re.I)


def _before(c: Candidate, published: str) -> bool:
    """Whether date `c` is a time that had passed by `published` (an article's ISO date): "last year", "in 2015",
    "the early 1600s"."""
    if _PASSED.search(c.text):
        return True
    ends = [  # the last year each names: "the 2010s" lasts to 2019, "the 1600s" to 1699
        int(y) + (0 if not s else 99 if y.endswith("00") else 9)
        for y, s in re.findall(r"\b((?:1[0-9]|20)\d{2})(s?)\b", c.text)
    ]
    if ends:
        return published[:4].isdigit() and all(end < int(published[:4]) for end in ends)
    day = _month_day(c.text, published)  # "on January 20" in a March article: gone; in a December one, to come
    return day is not None and 0 < (as_day(published) - day).days <= PAST_REACH


PAST_REACH = 180  # days before an article that a month and day without a year ("January 20") reads as past
_MONTH_NUMBERS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), start=1)}


def _month_day(text: str, published: str) -> dt.date | None:
    """ "January 20", "20 Jan." as a day of the year `published` (an ISO date) is in; None for any other date."""
    m = re.fullmatch(r"(?:([A-Za-z]+)\.?\s+(\d{1,2})|(\d{1,2})\s+([A-Za-z]+)\.?)(?:st|nd|rd|th)?", text.strip())
    year = published[:4]
    if not m or not year.isdigit() or as_day(published) is None:
        return None
    month = _MONTH_NUMBERS.get((m.group(1) or m.group(4))[:3].lower())
    try:
        return dt.date(int(year), month, int(m.group(2) or m.group(3))) if month else None
    except ValueError:
        return None


def _nowhere(query: str, hits: list[Hit], store) -> list[str]:
    """The question's names that the passages `hits` do not mention and no article of `store` mentions either:
    no passage (title included) holds a keyword of the name. A name of stop words only, or one of the
    index's publishers ("according to RTE"), is never said to be absent."""
    if not _absent(query, hits):  # the usual case: the passages name it all, and the index is not looked at
        return []
    publishers = {w for source in store.sources() for w in publisher_words(source)}
    return [
        name
        for name, _ in _absent(query, hits, publishers=publishers)
        if tokenize([name])[0] and not store.candidates(name, None, mode="lexical", depth=1, n=1, filters=Filters())
    ]


def _never_mentioned(names: list[str], store) -> str:
    """ "The articles don't say: none of the 2 articles mentions Australia." """
    n = store.manifest.counts.get("documents")
    among = f"none of the {n:,} articles" if isinstance(n, int) else "no article"
    return f"{REFUSAL[:-1]}: {among} mentions {_and(names)}."


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _score(query: str, pool: list[_Sentence]) -> None:
    """Cross-encoder scores. A reply in a transcript is read with the interviewer's question before it: its
    opening sentence as the answer to it, a later sentence half with and half without it, so that a question
    that merely resembles the interviewer's does not lend its score to every sentence of the reply."""
    asked = [s for s in pool if s.asked]
    # Each sentence is read under its article's headline, which says what a sentence deep in the article no
    # longer repeats ("... her mother, Tina Knowles, who introduced her" is about Beyonce at the Grammys).
    texts = [f"{s.hit.title}. {s.read}" if s.hit.title else s.read for s in pool]
    scores = get_cross_encoder().score(query, texts + [f"{s.asked} {s.read}" for s in asked])
    for s, score in zip(pool, scores):
        s.score = float(score)
    for s, score in zip(asked, scores[len(pool) :]):
        s.score = float(score) if s.opens_reply else (s.score + float(score)) / 2


def _passes(query: str, s: _Sentence) -> bool:
    """The gate: the cross-encoder is sure enough, or the sentence holds the asked type and most of the question."""
    relaxed = bool(s.typed) and s.kind in ("quantity", "date")
    shared = len(content_words(query) & content_words(s.read))
    return s.final >= ANSWER_GATE or (
        relaxed and s.score >= TYPED_GATE and shared >= 2 and _overlap(query, s.read) >= TYPED_OVERLAP
    )


def _can_lead(s: _Sentence, query: str) -> bool:
    """Whether a sentence may lead an answer that must hold a candidate of the asked type. "Who <verb>ed ...?" is
    answered only by a sentence that tells that act: a name in a sentence that says nothing of replacing does
    not say who replaced Jeff Jones."""
    gate = NAMED_LEAD_GATE if s.named else QUANTITY_LEAD_GATE
    if not s.typed or (s.kind == "quantity" and s.score < gate):
        return False
    return s.kind != "person" or _tells_act(query, s.display)


_WHEN_PASSIVE = re.compile(r"^\s*when\s+(?:was|were|is|are|will\s+be|has\s+been|have\s+been|had\s+been)\s+(.+)$", re.I)
# ... the act at the question's end, or before a place ("signed in Zurich"); not one of its subject ("When is the
# next court date for the two women charged with ...?")
_PARTICIPLE = re.compile(
    r"\b([a-z]{3,}ed|born|built|held|made|won|found|begun|shown|given|taken|sold|struck)"
    r"(?:\s+(?:in|at|on|by|into)(?:\s+[\w'’-]+){1,3})?\W*$"
)


@functools.lru_cache(maxsize=256)
def _dated_act(query: str) -> frozenset[str] | None:
    """The stems of the act a "When was X <done>?" question dates ("lifted", "born", "founded"), or None."""
    m = _WHEN_PASSIVE.match(query)
    act = _PARTICIPLE.search(m.group(1)) if m else None
    return frozenset(stems(act.group(1))) if act else None


_WHO_VERB = re.compile(
    r"^\s*who\s+(?!(?:is|are|was|were|has|have|had|did|does|do|will|would|could|can)\b)([a-z]+ed)\b", re.I
)


def _tells_act(query: str, text: str) -> bool:
    """Whether `text` tells the act a "Who <verb>ed ...?" question asks about (any other question: True)."""
    act = _act_stems(query)
    return act is None or _names_act(act, text)


def _dates_act(act: frozenset[str], s: _Sentence) -> bool:
    """Whether a date of `s` is in the clause that tells `act`: "will trigger Article 50 on Wednesday", not "informed
    the Council on Monday of the date that Article 50 would be triggered"."""
    acts = _act_positions(act, s.text)
    return any(_in_act_clause(s.text, c, [a for a in acts if _apart(s.text, c, a) <= DATE_REACH]) for c in s.typed)


# words from the act to its date: "will trigger Article 50 on Wednesday", not "Triggering Article 50 begins a two-year
# negotiation process to attempt to reach a deal before Britain officially leaves the EU in March 2019"
DATE_REACH = 8


def _apart(text: str, c: Candidate, at: int) -> int:
    """How many words lie between candidate `c` and the word at `at` (that word counted)."""
    return len(re.findall(r"\w+", text[min(c.end, at) : max(c.start, at)]))


def _act_positions(act: frozenset[str], text: str) -> list[int]:
    """Where `text` tells the act: the start of each word of it ("triggered", "died")."""
    return [m.start() for m in re.finditer(r"[A-Za-z0-9]+", text) if _names_act(act, m.group())] if act else []


def _in_act_clause(text: str, c: Candidate, acts: list[int]) -> bool:
    """Whether candidate `c` and one telling of the act (`acts`) are in one clause: no comma, "which", "that" ...
    between them."""
    return any(not _CLAUSE_BREAK.search(text[min(c.end, a) : max(c.start, a)]) for a in acts)


def _names_act(act: frozenset[str], text: str) -> bool:
    """Whether `text` has a word of the act's stems in any form ("directed", "director" for "direct")."""
    return any(w.startswith(v) for v in act for w in stems(text))


@functools.lru_cache(maxsize=256)
def _act_stems(query: str) -> frozenset[str] | None:
    """The stems of the verb a "Who <verb>ed ...?" question asks about (read once per question); None for any
    other question."""
    verb = _WHO_VERB.match(query)
    if not verb or verb.group(1).lower() in _LIGHT_VERBS:
        return None
    return frozenset(stems(verb.group(1)))


# Verbs that say little of the act, which its object names ("Who performed the surgery?": "her surgeon Pat Kiely")
_LIGHT_VERBS = {"performed", "conducted", "carried", "handled", "staged", "completed", "undertook"}


def _choose(passing: list[_Sentence], candidates: list[_Sentence]) -> list[_Sentence]:
    """The lead (first of `passing`) and the sentences that support it, twins merged into corroborations."""
    best = passing[0].final
    chosen: list[_Sentence] = []
    for s in passing:
        if len(chosen) == MAX_SENTENCES or s.final < best - KEEP_MARGIN:
            break
        twin = next((c for c in chosen if _same_fact(c, s)), None)
        if twin is None:
            chosen.append(s)
        elif twin.hit.doc_id != s.hit.doc_id and all(o.hit.doc_id != s.hit.doc_id for o in twin.corroborated_by):
            twin.corroborated_by.append(s)
    for c in chosen:  # a paraphrase in another article that scored lower still corroborates
        for s in candidates:
            if (
                s.hit.doc_id != c.hit.doc_id
                and s not in chosen
                and _same_fact(c, s)
                and all(o.hit.doc_id != s.hit.doc_id for o in c.corroborated_by)
            ):
                c.corroborated_by.append(s)
    disagree = [s for s in chosen if any(_disagree(s, o) for o in chosen if o is not s)]
    if disagree and len({s.hit.published for s in disagree}) > 1:
        for s in disagree:
            s.dated = True
    return chosen


def _with_reason(chosen: list[_Sentence], doc: str) -> list[_Sentence]:
    """A "Why ...?" answer whose lead tells the act but not why: the sentence after it, where news goes on to say
    why, follows it (one of the `MAX_SENTENCES`)."""
    lead = chosen[0]
    after = sentence_spans(doc, lead.end, min(len(doc), lead.end + 600))
    if not after:
        return chosen
    s, e = after[0]
    nxt = _Sentence(hit=lead.hit, rank=lead.rank, start=s, end=e, text=doc[s:e], speaker=_speaker(doc, s, doc[s:e]))
    if not _follows(lead, nxt, {lead.hit.doc_id: doc}) or not _informative(nxt.text):
        return chosen
    if boilerplate(nxt.text, title=lead.hit.title):
        return chosen
    rest = [c for c in chosen[1:] if not (c.hit.doc_id == lead.hit.doc_id and c.start == s)]
    return [lead, nxt] + rest[: MAX_SENTENCES - 2]


def _named_before(query: str, kind: str, chosen: list[_Sentence], doc: str) -> list[_Sentence]:
    """An answer led by a sentence that describes what was asked without naming it ("The organization sent a letter
    to Congress ..."): the sentence right before it, when it names one of the kind asked ("AARP, a group that
    advocates for ..."), leads it."""
    lead = chosen[0]
    before = sentence_spans(doc, max(0, lead.start - 600), lead.start)
    if not before:
        return chosen
    s, e = before[-1]
    prev = _Sentence(hit=lead.hit, rank=lead.rank, start=s, end=e, text=doc[s:e], speaker=_speaker(doc, s, doc[s:e]))
    prev.typed, prev.kind = typed(prev.text, kind, query), kind
    if (
        not prev.typed
        or not _follows(prev, lead, {lead.hit.doc_id: doc})
        or boilerplate(prev.text, title=lead.hit.title)
    ):
        return chosen
    rest = [c for c in chosen[1:] if not (c.hit.doc_id == lead.hit.doc_id and c.start == s)]
    return [prev, lead] + rest[: MAX_SENTENCES - 2]


def _short(query: str, lead: _Sentence) -> tuple[Candidate, _Sentence] | None:
    """The candidate of the asked type in the lead sentence nearest the question's own words."""
    if not lead.typed:
        return None
    if lead.kind == "person" and not _tells_act(query, lead.display):
        return None  # "Who replaced X?": a name in a sentence that says nothing of replacing is not the answer
    asked, act = content_words(query), _act_stems(query) or frozenset()

    def anchor(word: str) -> bool:  # a word of the question, or the asked act in another form ("director")
        return bool(content_words(word) & asked) or _names_act(act, word)

    anchors = [m.start() for m in re.finditer(r"[A-Za-z0-9]+", lead.text) if anchor(m.group())] or [0]
    names = {
        w.lower() for n in question_names(query) for w in n.split() if not w.isupper()
    }  # "Christina Rees", not "MP"
    named = [m.start() for m in re.finditer(r"[A-Za-z0-9]+", lead.text) if m.group().lower() in names] or [0]
    acts = _act_positions(counted_act(query), lead.text)  # "died" in "How many people died ...?", if the lead says it

    years = set(re.findall(r"\b(?:19|20)\d{2}\b", query))
    noun = answer_noun(query) if lead.kind == "quantity" else ""  # "How many home care companies ...?"
    kind_noun = answer_noun(query) if lead.kind in ("organisation", "place", "person") else ""  # "Which group ...?"
    kinds = noun_kinds(query, kind_noun)
    change = lead.kind == "quantity" and measure(query) == "change"
    part = lead.kind == "quantity" and bool(_PART_OF.match(query))  # "How many of its engineers have PhDs?"

    def distance(c: Candidate) -> tuple:  # a figure of the next sentence is farther than any here
        where = lead.kind != "place" or _is_where(lead.text, c)
        year = _OF_YEAR.match(lead.text, c.end)  # "from 586 in 2014 to 489" asked of 2015: 586 is 2014's
        other_year = bool(years and year and year.group(1) not in years)
        out_of = _OUT_OF.search(lead.text[: c.start])  # "won 33 of parliament's 150 seats": 150 is all
        total = bool(out_of) and not _MONTH_BEFORE.search(lead.text[: out_of.start()])  # "Feb. 11 of 99 degrees"
        near = min(abs(c.start - a) + SENTENCE_GAP * _ends_between(lead.text, c.start, a) for a in anchors)
        whole = part and not _OF_WHOM.match(lead.text, c.end)  # "20,000 engineers, more than 500 of whom ..."
        if acts:  # the count of what the act befell, in the act's clause: "... in which four victims ... died"
            apart = not _in_act_clause(lead.text, c, acts)
            near_act = min(abs(c.start - a) for a in acts)
            return not where, other_year or total, whole, not counts_asked(lead.text, c, query), apart, near_act
        counted = (
            noun and c.kind == "quantity" and (counts_asked(lead.text, c, query) or _counted_after(lead.text, c, noun))
        )
        by_name = min(abs(c.start - a) for a in named)  # "Ms Hayman, MP for Workington ..., Ms Rees, MP for Neath"
        # "Which group ...?": "America First Policies, a group"; "By how much did it grow?": "surged by 45.7 percent"
        named_not = bool(kind_noun) and not calls_itself(lead.text, c, kind_noun, kinds)
        unchanged = change and not changed_by(lead.text, c)
        aside = _ASIDE.match(lead.text, c.end) or _CONVERTED.search(lead.text[: c.start])
        return (
            not where,
            other_year or total,
            whole,
            bool(noun) and not counted,
            named_not or unchanged,
            bool(aside),
            near,
            by_name,
        )

    return answer_span(query, lead.text, min(lead.typed, key=distance)), lead


# A part of a whole the question counts: "How many of the ... have ...?" is answered by "500 of whom", not the whole.
_PART_OF = re.compile(r"^\s*(?:and\s+)?how\s+many\s+of\s+(?!them\b)", re.I)
_OF_WHOM = re.compile(r"\s+of\s+(?:whom|them|which|those|these)\b", re.I)
# A figure beside the one asked: a difference ("three million more than last year") or the conversion in brackets
# after a figure ("above $800 million (745 million euros)").
_ASIDE = re.compile(r"\s+(?:\w+\s+)?(?:more|fewer|less|higher|lower)\s+than\b", re.I)
_CONVERTED = re.compile(r"\d[^()]{0,30}\(\s*(?:about\s+|around\s+|some\s+)?$")


def _counted_after(text: str, c: Candidate, noun: str) -> bool:
    """Whether the asked noun follows number `c` within a few words: "69 home care companies", "9,000 CETME fully
    automatic rifles" (not "rifles, anti-aircraft guns, 400 shells")."""
    want = stems(noun)
    return any(stems(w) == want for w in re.findall(r"[\w'-]+", text[c.end :])[:COUNTED_REACH])


COUNTED_REACH = 5  # words from a number to the noun it counts
_CLAUSE_BREAK = re.compile(r"[,;:()]|\b(?:which|that|who|whom|whose|where|while|when)\b")
_OUT_OF = re.compile(r"\b\d[\d,.]*\s+(?:out\s+)?of\s+(?:the\s+|[A-Za-z]+['’]s\s+)?$")
_MONTH_BEFORE = re.compile(r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+$")
_OF_YEAR = re.compile(r"\s+(?:in|for|during)\s+((?:19|20)\d{2})\b")
# Where something is: a place after "in", "at", "near" ("at a Kuala Lumpur airport"), not where a flight goes ("a
# flight to Macau"), nor what describes the place named after it ("the Caribbean island of St. Lucia").
_LOCATIVE = re.compile(
    r"\b(?:in|at|near|inside|outside|across|throughout|within)\s+"
    r"(?:(?!(?:with|and|or|but|said|says|that|to|from|by|for|as|which|who|when|while|after|before)\b)[\w'-]+\s+){0,6}$"
    r"|\b(?:town|city|village|region|province|county|island|port|capital)\s+of\s+$"  # "the town of Manbij"
    rf"|(?-i:\b(?:{'|'.join(REPRESENTS)})\s+for\s+)$",  # "Ms Rees, MP for Neath": the place she represents
    re.I,
)
_DESCRIBES_PLACE = re.compile(
    r"\s+(?:[\w-]+\s+)?(?:island|city|town|state|province|region|county|village|capital|republic|port)\s+of\b", re.I
)


def _is_where(sentence: str, c: Candidate) -> bool:
    """Whether the place `c` of `sentence` is said to be where something is or happens."""
    if sentence.startswith("-based", c.end):  # "the Edinburgh-based lender"
        return True
    return bool(_LOCATIVE.search(sentence[: c.start])) and not _DESCRIBES_PLACE.match(sentence, c.end)


SENTENCE_GAP = 1000  # characters a sentence end between a candidate and the question's word counts as
_SENTENCE_END = re.compile(r"[.!?]\s+(?=[A-Z])")


def _ends_between(text: str, i: int, j: int) -> bool:
    """Whether a sentence ends between positions `i` and `j` of `text` (a lead may hold two)."""
    lo, hi = sorted((i, j))
    return bool(_SENTENCE_END.search(text, lo, hi + 1))


def _follows(a: _Sentence, b: _Sentence, texts: dict[str, str]) -> bool:
    """Whether `b` comes right after `a` in the same article."""
    return a.hit.doc_id == b.hit.doc_id and a.end <= b.start and not texts[a.hit.doc_id][a.end : b.start].strip()


def _readable_order(chosen: list[_Sentence], texts: dict[str, str]) -> list[_Sentence]:
    """Best first, but a sentence that directly follows another chosen one stays right after it."""
    by_position = sorted(chosen, key=lambda s: (s.hit.doc_id, s.start))
    runs: list[list[_Sentence]] = []
    for s in by_position:
        prev = runs[-1][-1] if runs else None
        if prev and _follows(prev, s, texts):
            runs[-1].append(s)
        else:
            runs.append([s])
    runs.sort(key=lambda run: -max(x.score for x in run))
    return [s for run in runs for s in run]


def _compose(
    question: str,
    query: str,
    hits: list[Hit],
    chosen: list[_Sentence],
    kind: str,
    short: tuple[Candidate, _Sentence] | None,
) -> Answer:
    citations: list[Citation] = []
    numbers: dict[tuple[str, int, int], int] = {}

    def cite(s: _Sentence, role: str) -> int:
        key = (s.hit.doc_id, s.start, s.end)
        if key not in numbers:
            numbers[key] = len(citations) + 1
            h = s.hit
            citations.append(
                Citation(
                    numbers[key],
                    h.doc_id,
                    h.chunk_id,
                    h.title,
                    h.source,
                    h.published,
                    h.url,
                    s.text,
                    s.start,
                    s.end,
                    role,
                )
            )
        return numbers[key]

    parts = []
    for s in chosen:
        marks = [cite(s, "quote")] + [cite(o, "corroboration") for o in s.corroborated_by]
        parts.append(s.display + " " + "".join(f"[{n}]" for n in marks))
    span = None
    if short is not None:
        c, s = short
        span = Short(c.text, numbers[(s.hit.doc_id, s.start, s.end)], s.hit.doc_id, s.start + c.start, s.start + c.end)
    return Answer(
        question=question,
        text=" ".join(parts),
        citations=citations,
        refused=False,
        hits=hits,
        query=query,
        short=span,
        kind=kind,
    )


def _refusal(q: Question, hits: list[Hit], text: str) -> Answer:
    """A refusal saying why (`text`), with the passages closest to the question's subject as related (or none)."""
    asked = {w for w in content_words(q.query) if len(w) >= 4 or w.isdigit()}
    related = [h for h in hits if asked & content_words(f"{h.title} {h.text}")][:3]
    return Answer(
        question=q.text, text=text, citations=[], refused=True, hits=hits, query=q.query, related=related, kind=q.kind
    )


# --- candidate sentences -----------------------------------------------------

_LABEL = re.compile(r"\s*((?:Dr\.|Mr\.|Mrs\.|Ms\.|Prof\.)?\s?[A-Z][\w’'.-]*(?: [A-Z][\w’'.-]*){0,3}):\s")
_URL = re.compile(r"https?://|www\.")


def _sentences(hits: list[Hit], texts: dict[str, str], *, ledes: bool = True) -> list[_Sentence]:
    """The answer-worthy sentences of the passages, and those just outside the best `NEIGHBOUR_PASSAGES` of them
    (with `ledes`, also their articles' opening sentences)."""
    seen, out = set(), []
    for rank, h in enumerate(hits):
        doc = texts[h.doc_id]
        spans = sentence_spans(doc, h.start, h.end)
        if rank < NEIGHBOUR_PASSAGES:
            spans = (_lede(doc, h.start) if ledes else []) + _neighbours(doc, h.start, h.end) + spans
        for s, e in spans:
            key = (h.doc_id, s, e)
            text = doc[s:e]
            if key in seen or not _informative(text) or boilerplate(text, title=h.title):
                continue
            seen.add(key)
            out.append(
                _Sentence(
                    hit=h,
                    rank=rank,
                    start=s,
                    end=e,
                    text=text,
                    speaker=_speaker(doc, s, text),
                    asked=_asked(doc, s),
                    opens_reply=s == doc.rfind("\n", 0, s) + 1,
                )
            )
    return out


# "He", "His", "However, his": a sentence that opens by standing for someone named before it.
_OPENING_PRONOUN = re.compile(
    r"(?:(?:However|But|And|Yet|Later|Now|Then|Meanwhile|Instead),?\s+|For\s+(?=her\b|him\b))?\b(he|she|his|her|him)\b(?!\s+(?:own|self)\b)",
    re.IGNORECASE,
)
# "It was bought ... in 1940": a sentence that opens by standing for a thing named before it (not "It is unclear").
_OPENING_IT = re.compile(
    r"(It|Its)\b(?!['’]|\s+(?:is|was|has been|had been|seems|seemed|appears|appeared|remains|remained|will be|would be)"
    r"\s+(?:\w+\s+){0,2}?(?:that|to|whether|if|unclear|clear|possible|likely|unlikely|time|not|hard|difficult|"
    r"important|true|thought|believed|said|expected|reported|understood|estimated|feared|hoped)\b)"
)
ANTECEDENT_REACH = 3  # sentences back
_CAPITALISED = re.compile(r"\b[A-Z][a-z]+")
_NATIONALITY = re.compile(r"(?:ish|an|ese|ch)$")  # "British", "American", "Chinese", "French"
_NAME_RUN = re.compile(r"[A-Z][\w’'.-]*(?:\s+[A-Z][\w’'.-]*)*")


def _name_phrases(query: str) -> list[str]:
    """The question's names as it writes them, whole ("Colm Deely"), for `_antecedent`."""
    words = set(question_names(query))
    out = []
    for m in _NAME_RUN.finditer(query):
        kept = [w.removesuffix("’s").removesuffix("'s") for w in m.group().split()]
        kept = [w for w in kept if w in words]
        if kept:
            out.append(" ".join(kept))
    return out


def _names_another(text: str) -> bool:
    """Whether a sentence opening with "It" names another thing after it: "It" is read as the question's thing only
    in one that does not ("It was followed by Paris Charles de Gaulle with 65.9 million passengers" gives others'
    figures); a people or a month is no other thing."""
    return any(not is_calendar_word(w) and not _NATIONALITY.search(w) for w in _CAPITALISED.findall(text[2:]))


def _antecedent(names: list[str], s: _Sentence, doc: str) -> str:
    """The name of the question that an opening "he" / "his" of `s` stands for: the first of `names` that the
    nearest of the `ANTECEDENT_REACH` sentences before it to name one has (whole or by its last word), when `s`
    itself names none of them ("... Paterno's football victories ... The Hall of Fame coach was never charged
    with a crime. He died of cancer in 2012")."""
    if not names or any(n.split()[-1] in s.text for n in names):
        return ""
    pronoun = _OPENING_PRONOUN.match(s.text)
    thing = not pronoun and _OPENING_IT.match(s.text) and not _names_another(s.text)
    if not (pronoun or thing):
        return ""
    for a, b in reversed(sentence_spans(doc, max(0, s.start - 800), s.start)[-ANTECEDENT_REACH:]):
        prev = doc[a:b]
        if thing:  # "it": the thing named last
            found = [(-prev.rfind(n.split()[-1]), n) for n in names if n.split()[-1] in prev]
        else:  # "he": the sentence's subject, named first
            found = [(prev.find(n.split()[-1]), n) for n in names if n.split()[-1] in prev]
        if found:
            return min(found)[1]
        if _NAME_THEN_VERB.search(prev) or _NAME_BEFORE_SPEECH.search(prev):
            return ""  # someone else spoke or acted since: '"... we're looking for," Early said. He did not say'
    return ""


LEDE_SENTENCES = 2  # an article's opening sentences, where news states who, what, where and when


def _lede(doc: str, start: int) -> list[tuple[int, int]]:
    """The article's `LEDE_SENTENCES` opening sentences, when a passage that starts later is among the best: the
    retrieved passage of an article is often not the one that names what was asked ("Kazakhstan's Foreign
    Ministry Spokesman, Anuar Zhainakov, said ...")."""
    if start == 0:
        return []
    opening = [sp for sp in sentence_spans(doc, 0, min(len(doc), 1200)) if _informative(doc[sp[0] : sp[1]])]
    return [sp for sp in opening[:LEDE_SENTENCES] if sp[1] <= start]  # not a dateline ("ASTANA, March 16.")


def _neighbours(doc: str, start: int, end: int, reach: int = 1200) -> list[tuple[int, int]]:
    """The whole sentences right before `start` and right after `end` in `doc`."""
    lo, hi = max(0, start - reach), min(len(doc), end + reach)
    spans = sentence_spans(doc, lo, hi)
    before = [sp for sp in spans if sp[1] <= start and (sp[0] > lo or lo == 0)]
    after = [sp for sp in spans if sp[0] >= end and (sp[1] < hi or hi == len(doc))]
    return before[-1:] + after[:1]


def _informative(sentence: str) -> bool:
    """Questions, links and fragments are not answers; a short sentence with a number is no fragment."""
    label = _LABEL.match(sentence)
    body = sentence[label.end() :] if label else sentence
    words = len(re.findall(r"\w+", body))
    # "He was 44." says an age; "MOSCOW, February 6. /TASS/." (no word in lower case) is a dateline
    enough = words >= 5 or (words >= 3 and bool(re.search(r"\d", body)) and bool(re.search(r"\b[a-z]{2,}\b", body)))
    return enough and not body.rstrip("”\"’' ").endswith("?") and not _URL.search(body)


_SPEECH = rf"(?:{SPEECH}|aims)"  # "Rutte aims to ..." tells whose plan a later "he" sentence gives
_NAME_THEN_VERB = re.compile(r"\b([A-Z][a-z]+(?:[ -][A-Z][a-z]+)*)\s+(?:has\s+|had\s+|also\s+)?" + _SPEECH + r"\b")
_NAME_BEFORE_SPEECH = re.compile(r"[,”\"]\s*([A-Z][a-z]+(?:\s[A-Z][a-z]+)*)\s+" + _SPEECH + r"\b")
_MR = re.compile(r"\bMr\.?\s+([A-Z][a-z]+(?:-[A-Z][a-z]+)?)\b")
_MS = re.compile(r"\b(?:Ms|Mrs|Miss)\.?\s+([A-Z][a-z]+(?:-[A-Z][a-z]+)?)\b")
# A sentence whose speaker is a pronoun: "He is convinced ...", "..., he warned."
# Words a "he" / "she" gives: said so ("..., he warned"), or a quotation opening with one ('He is "convinced
# ..."'). "He died of cancer in 2012" quotes nobody: it is not a speaker's, whoever spoke last.
_PRONOUN_SPEAKER = re.compile(r"^[“\"]?(?:He|She)\b(?=.*[“”\"])|\b(?:he|she)\s+(?:also\s+)?" + _SPEECH + r"\b")
_NOT_NAMES = {
    "The",
    "This",
    "That",
    "These",
    "Those",
    "It",
    "He",
    "She",
    "They",
    "We",
    "Western",
    "European",
    "Allies",
    "Nato",
    "NATO",
}


def _speaker(doc: str, start: int, sentence: str) -> str:
    """Who a sentence's words belong to when the sentence itself does not say."""
    line_start = doc.rfind("\n", 0, start) + 1
    label = _LABEL.match(doc, line_start)
    if label:
        name = label.group(1)
        return "" if start == line_start or name in sentence else name
    if not _PRONOUN_SPEAKER.search(sentence):
        return ""
    window = max(0, start - 800)
    mentions = [
        m
        for pattern in (_NAME_THEN_VERB, _NAME_BEFORE_SPEECH)
        for m in pattern.finditer(doc, window, start)
        if m.group(1).split()[0] not in _NOT_NAMES
    ]
    if not mentions:
        return ""
    # The nearest one before the sentence; "Mark Rutte" is called "Rutte" ...
    nearest = max(mentions, key=lambda m: m.start())
    surname = nearest.group(1).split()[-1]
    # ... unless that is no person ("Blackrock said ...") and a "Mr" or "Ms" of the pronoun's sex is named after
    # it: "Mr Osborne, who served as chancellor, ... After the event, he tweeted that ..." are Osborne's words
    if not _person_named(doc, nearest.group(1)):
        honorific = _MR if re.search(r"\b[Hh]e\b", sentence) else _MS
        later = [m.group(1) for m in honorific.finditer(doc, nearest.end(), start)]
        surname = later[-1] if later else surname
    return "" if surname in sentence else surname


def _person_named(doc: str, name: str) -> bool:
    """Whether `name`, the subject of a "said", is a person: a first and last name ("Mark Rutte" somewhere in the
    article), or a Mr / Ms of it."""
    first = r"(?:Mr|Mrs|Ms|Miss|Dr)\.?|(?!(?:The|A|An|US|UK)\b)[A-Z][a-z]+"
    return " " in name or bool(re.search(rf"\b(?:{first})\s+{re.escape(name)}\b", doc))


def _asked(doc: str, start: int) -> str:
    """In a transcript, the interviewer's question a reply answers: the reply means little without it."""
    line_start = doc.rfind("\n", 0, start) + 1
    label = _LABEL.match(doc, line_start)
    if not label or line_start == 0:
        return ""
    prev_start = doc.rfind("\n", 0, line_start - 1) + 1
    prev = _LABEL.match(doc, prev_start)
    if not prev or prev.group(1) == label.group(1):
        return ""
    questions = re.findall(r"[^.!?]*\?", doc[prev.end() : line_start - 1])
    return questions[-1].strip() if questions else ""


# --- words ------------------------------------------------------------------


def _overlap(query: str, text: str) -> float:
    q = content_words(query)
    return len(q & content_words(text)) / len(q) if q else 0.0


def _same_topic(a: _Sentence, b: _Sentence) -> bool:
    """Whether two sentences are about the same thing: most of the shorter one's content words recur."""
    wa, wb = content_words(a.text), content_words(b.text)
    shared = len(wa & wb)
    return shared >= SAME_FACT_MIN_WORDS and shared / min(len(wa), len(wb)) >= SAME_FACT


def _figures(text: str) -> set[str]:
    """The numbers of a sentence, written alike ("1,000" and "1000")."""
    return {n.replace(",", "") for n in re.findall(r"\d[\d,]*(?:\.\d+)?", text)}


def _same_fact(a: _Sentence, b: _Sentence) -> bool:
    """Whether two sentences state the same thing: the same topic, and their numbers agree."""
    return _same_topic(a, b) and _figures(a.text) == _figures(b.text)


def _disagree(a: _Sentence, b: _Sentence) -> bool:
    """Two articles on the same thing with different figures (a toll that rose, a revised estimate)."""
    fa, fb = _figures(a.text), _figures(b.text)
    return a.hit.doc_id != b.hit.doc_id and bool(fa) and bool(fb) and fa != fb and _same_topic(a, b)


def _missing_names(query: str, hits: list[Hit], article: str = "") -> list[str]:
    """Names and numbers in the question that no retrieved passage (or its title, or `article`) mentions.

    "What did Macron say about Ukraine?" asked of articles that never name Macron
    is not answered by what Rutte said, however similar the passages look.
    """
    return [name for name, _ in _absent(query, hits, article)]


def _absent(
    query: str, hits: list[Hit], article: str = "", publishers: set[str] | None = None
) -> list[tuple[str, str]]:
    """(name as the question writes it, pattern) of the question's names and numbers that `hits` never mention;
    a hit's publisher (or one of `publishers`, when given) counts as mentioned ("according to RTE's report" is
    answered by rte.ie's articles)."""
    text = " ".join(f"{h.title} {h.text}" for h in hits) + " " + article
    if publishers is None:
        publishers = {w for h in hits for w in publisher_words(h.source)}
    return absent_names(query, text, publishers=publishers)


# "What did Rutte say about Ukraine?", "... his position on China": the topic. A plain "on" is not one
# ("the resolution on chemical weapons" names the resolution, not what the question is about).
_TOPIC = re.compile(
    r"\b(?:about|regarding|concerning|(?:say|said|says|comment|comments|position|stance|views?|policy)\s+on)\s+(.+?)[\s?.!]*$",
    re.IGNORECASE,
)


def _focus_weights(query: str, candidates: list[_Sentence]) -> dict[str, float]:
    """How much each of the question's words tells an answer apart: words that few of the candidate sentences
    have ("killed" among sentences about an avalanche) weigh more than the topic that all of them share."""
    asked = stems(query)
    have = [stems(c.read) for c in candidates]
    n = len(have)
    # A word no candidate has weighs most: whatever sentence is chosen, that part of the question stays unanswered.
    return {w: math.log((n + 1) / (sum(w in h for h in have) + 0.5)) for w in asked}


def _topic_words(query: str) -> set[str]:
    """The content words of what a question asks "about" (or "on"), if it says, with the noun the "about" hangs
    on ("What did Peskov call the allegations about ...?": a sentence on "the allegations" is on topic)."""
    m = _TOPIC.search(query)
    if not m:
        return set()
    noun = _ABOUT_NOUN.search(query[: m.start(1)])
    return content_words(m.group(1)) | (content_words(noun.group(1)) if noun else set())


# The noun before "about" in a phrase of its own ("the allegations about"), not the verb of asking ("say about").
_ABOUT_NOUN = re.compile(
    r"\b(?:the|these|those|his|her|its|their|such)\s+(?!(?:say|said|says|think|thinks|thought|comment|comments|talk|talked|talks|speak|spoke|speaks|tweet|"
    r"tweeted|write|wrote|ask|asked|know|knew|feel|felt|learn|learned|warn|warned|complain|complained|joke|joked|"
    r"reveal|revealed|claim|claimed|report|reported|tell|told|do|did|does)\b)([a-z]+)\s+(?:about|regarding|concerning)\s+$",
    re.IGNORECASE,
)


def _mentions(words: set[str], text: str) -> bool:
    """Whether `text` has one of `words`, allowing inflections ("Korea" ~ "Korean", "spend" ~ "spending")."""
    have = content_words(text)
    return any(w[:5] == h[:5] and (len(w) >= 5 or w == h) for w in words for h in have)


# --- follow-ups -------------------------------------------------------------


def user_turns(history: Sequence | None) -> list[str]:
    """The user's earlier messages, oldest first: from plain strings, (user, bot) pairs or role/content messages."""
    turns: list[str] = []
    for item in history or ():
        if isinstance(item, str):
            turns.append(item)
        elif isinstance(item, dict):
            if item.get("role") == "user" and isinstance(item.get("content"), str):
                turns.append(item["content"])
        elif isinstance(item, (list, tuple)) and item and isinstance(item[0], str):
            turns.append(item[0])
    return [t for t in turns if t.strip()]


_WHAT_ABOUT = re.compile(r"^(?:and|but|also|so)?[\s,]*(?:(?:what|how)\s+)?about\s+(.+?)[\s?.!]*$", re.IGNORECASE)
_PERSON_PRONOUN = re.compile(r"\b(?:he|she|him|his|her)\b", re.IGNORECASE)
_REFERS_BACK = re.compile(r"\b(?:they|them|their|it|that|this|those)\b", re.IGNORECASE)


def contextualize(question: str, previous: Iterable[str]) -> str:
    """A standalone version of a follow-up question, given the earlier user turns.

    >>> contextualize("And what about North Korea?", ["What did Rutte say about Ukraine?"])
    'What did Rutte say about North Korea?'
    >>> contextualize("Why did he say that?", ["What did Rutte say about Ukraine?"])
    'Why did Rutte say that?'
    >>> contextualize("Why is that?", ["What did Rutte say about Ukraine?"])
    'Why is that? (Rutte, Ukraine)'
    >>> contextualize("Who is Olaf Scholz?", ["What did Rutte say about Ukraine?"])
    'Who is Olaf Scholz?'
    """
    context = ""
    for turn in previous:
        context = _standalone(turn.strip(), context)
    return _standalone(question, context)


def _standalone(question: str, context: str) -> str:
    if not context:
        return question
    m = _WHAT_ABOUT.match(question)
    if m:
        cut = context.lower().rfind(" about ")
        if cut >= 0:
            return context[:cut] + " about " + m.group(1) + "?"
        return f"{context.rstrip('?. ')}: {m.group(1)}?"
    names = list(dict.fromkeys(question_names(context)))
    if names and _PERSON_PRONOUN.search(question):
        # "Who was he with in Berlin?" after a question about Rutte: the subject comes first.
        return _PERSON_PRONOUN.sub(lambda m: names[0] + ("'s" if m.group().lower() in ("his", "her") else ""), question)
    if names and _REFERS_BACK.search(question) and not question_names(question):
        return f"{question} ({', '.join(names)})"
    if len(question.split()) <= 3:
        return f"{context.rstrip('?. ')}: {question}"
    return question


def answer_sentences(text: str) -> list[str]:
    """The sentences of an answer's text, each with its ``[n]`` markers."""
    return re.split(r"(?<=\])\s+(?=[^\[])", text.strip())


def lead_sentence(text: str) -> str:
    """The first sentence of an answer's text, with its markers: what a reader sees first."""
    return answer_sentences(text)[0]
