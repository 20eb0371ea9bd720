"""Time in a question: "yesterday", "last week", "on 6 March", "latest", "before the election".

`read_time(question, now)` finds the time expression of a question asked on the date
`now`, says what window of publication dates it means, and returns the question
without it (what is searched: "last week" must not pull in articles that contain the
words "last week"). `dateparser` reads the dates themselves; the rules here decide
the window an expression means:

| expression | window (now = Monday 20 March 2017) |
|---|---|
| yesterday, today | that day |
| on Monday / last Monday / Friday | the most recent such day before today (Friday 17 March) |
| this week / last week | Monday to today / the Monday to Sunday before (13–19 March) |
| over the weekend, last weekend | the last Saturday and Sunday (18–19 March) |
| two weeks ago, 3 days ago, a month ago | that week, day or month |
| in the past 10 days, over the last month | from that long ago to today |
| this month / last month | 1 March to today / February |
| on 6 March, March 6 2017 | that day (without a year: the most recent one) |
| in February 2017, in February | that month |
| in early / mid / late March | 1–10 / 11–20 / 21–31 March |
| latest, most recent, newest, currently, now | no window: newest relevant articles first |
| before / after / since / until (by) a date | to the day before / from the day after / from it / to it |
| before / after / since an event X | placed on the date of the first article about X: to two days after it (its |
| | own reporting tells what came before) / from that day / from that day |

A bare year ("the 2024 election", "GDP in 2015", "last year") is not a window: it
names what is asked about more often than when it was reported.

>>> import datetime as dt
>>> t = read_time("What did the ministry announce last week?", dt.date(2017, 3, 20))
>>> t.text, t.window.start.isoformat(), t.window.end.isoformat()
('What did the ministry announce?', '2017-03-13', '2017-03-19')
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
from dataclasses import dataclass, replace

from .errors import QueryError

_MONTHS = (
    r"January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
)
_DAYS = r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
_NUMBER = r"\d{1,2}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
          "nine": 9, "ten": 10, "eleven": 11, "twelve": 12}  # fmt: skip
_DAY_OF_MONTH = rf"(?:the\s+)?\d{{1,2}}(?:st|nd|rd|th)?(?:\s+of)?\s+(?:{_MONTHS})\.?(?:,?\s+\d{{4}})?"
_MONTH_DAY = rf"(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?"
_PART = rf"(?:early|mid|late)[- ](?:{_MONTHS})(?:\s+\d{{4}})?"
# "May" alone is a verb as often as a month: as a month it needs a year or a preposition ("in May").
_MONTH = rf"(?:(?:{_MONTHS})\s+\d{{4}}|(?<=\bin\s)(?:{_MONTHS}))"
_DATE = rf"(?:{_DAY_OF_MONTH}|{_MONTH_DAY}|{_PART}|{_MONTH})"
_RELATIVE = (
    rf"yesterday|today|tonight|this\s+(?:morning|afternoon|evening|week|month|weekend)|"
    rf"(?:last|this\s+past|past)\s+(?:week|month|weekend|{_DAYS})|"
    rf"(?:on\s+|last\s+)?(?:{_DAYS})|over\s+the\s+weekend|"
    rf"(?:{_NUMBER})\s+(?:days?|weeks?|months?)\s+ago|"
    rf"(?:in|over|during)\s+the\s+(?:past|last)\s+(?:(?:{_NUMBER})\s+)?(?:days?|weeks?|months?)"
)
# "from 1 March" is left alone: it is more often when a rule takes effect than when something was reported.
_EXPRESSION = re.compile(rf"(?<!\bfrom\s)\b(?:(?:on|in|during)\s+)?(?P<when>{_DATE}|{_RELATIVE})\b", re.I)
_BOUNDED = re.compile(r"\b(?P<how>before|after|since|until|by|prior\s+to|following)\s+(?P<what>[^?!.,;]+)", re.I)
_LATEST = re.compile(
    r"\b(?:(?:the\s+)?(?:latest|most\s+recent|newest)(?:\s+(?:news|update|information|report))?(?:\s+(?:on|about))?|"
    r"currently|right\s+now|at\s+the\s+moment|so\s+far|these\s+days)\b",
    re.I,
)
_TIMELINE = re.compile(
    r"^\s*(?:how\s+(?:did|has|have)\s+.+?\s+(?:develop|developed|unfold|unfolded|evolve|evolved|progress|progressed)"
    r"|what\s+(?:happened|has\s+happened)\s+(?:with|to|in)\s+.+?\s+over\s+the\s+(?:past|last)\b"
    r"|(?:give\s+me\s+)?(?:a\s+)?timeline\s+of\b)",
    re.I,
)


@dataclass(frozen=True)
class Window:
    """Publication dates a question is about: from `start` to `end`, inclusive (None: open on that side)."""

    start: dt.date | None
    end: dt.date | None
    phrase: str  # the expression as the question wrote it, e.g. "last week"
    lag: bool = True  # articles of a day or two after it report on it too ("before X" wants none of X's)

    def describe(self) -> str:
        """ "13–19 March 2017", "6 March 2017", "before 23 June 2016", "from 1 March 2017"."""
        if self.start and self.end:
            return span_text(self.start, self.end)
        if self.end:
            return f"until {day_text(self.end)}"
        return f"from {day_text(self.start)}" if self.start else "any time"

    def admits(self, published: str) -> bool:
        day = as_day(published)
        return day is not None and (self.start is None or day >= self.start) and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class TimeQuestion:
    """A question read for time: what to search, the window it asks about, and how to order what is found."""

    text: str  # what to search: the question without its relative time words ("last week")
    window: Window | None = None
    latest: bool = False  # "latest", "most recent", "currently": newest relevant articles first
    timeline: bool = False  # "how did X develop": one dated sentence per day of reporting, in date order
    event: str = ""  # "before the election": the event to place in time (the first article about it)
    relation: str = ""  # "before", "after", "since" or "until", with `event`
    bare: str = ""  # the question without any time expression: what the articles must be about

    @property
    def bound(self) -> bool:
        """Whether the question is about a moment (a window, an event, the latest or a development)."""
        return bool(self.window or self.latest or self.timeline or self.event)


def as_now(value=None) -> dt.date:
    """The date a question is asked on: `value` as a date (a `date`, `datetime` or ISO string), None for today."""
    if value is None or value == "":
        return dt.date.today()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return (
                dt.date.fromisoformat(value.strip()[:10])
                if re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}.*", value)
                else _bad(value)
            )
        except ValueError:
            _bad(value)
    _bad(value)


def _bad(value):
    raise QueryError(
        f"now {value!r} is not a date: use YYYY-MM-DD (e.g. 2017-03-20), a date or a datetime; leave it out for today"
    )


_LATEST_QUESTION = re.compile(
    r"^\s*(?:what(?:'s|\s+is|\s+are)|tell\s+me|give\s+me)\s+(?:the\s+)?(?:latest|most\s+recent|newest)"
    r"(?:\s+(?:news|updates?|developments?|information|reports?))?(?:\s+(?:on|about|from|in|with|of))?\s+(?P<x>.+?)\s*\??$",
    re.I,
)


def read_time(question: str, now: dt.date) -> TimeQuestion:
    """The time a question asks about, read on the day `now` (see the module's table)."""
    m = _LATEST_QUESTION.match(question)
    if m:  # "What is the latest on X?" asks what happened with X, newest first
        question = f"What happened with {m.group('x')}?"
        found = read_time(question, now)
        return replace(found, latest=True)
    text, latest = _strip(question, _LATEST)
    timeline = bool(_TIMELINE.search(question))
    for m in _BOUNDED.finditer(text):
        how = re.sub(r"\s+", " ", m.group("how").lower()).replace("prior to", "before").replace("following", "after")
        how = "until" if how == "by" else how  # "arrested by February 17"
        inner = _EXPRESSION.fullmatch(m.group("what").strip())
        day = _window(inner.group("when"), now) if inner else None
        if day is not None:
            # a relative bound goes from what is searched ("last week" would match articles saying "last week");
            # a date stays ("by 17 February", "since August 2014"): it is often part of the fact asked
            rest = _tidy(text) if re.fullmatch(_DATE, inner.group("when").strip(), re.I) else _cut(text, m)
            return TimeQuestion(rest, _relative_to(how, day, m.group(0).strip()), latest, timeline, bare=_cut(text, m))
        if how != "until":  # "by" or "until" a thing ("killed by a Russian airstrike") is not a time
            # the event's words say what the question is about ("after the Tochigi avalanche"): they stay
            event = _tidy(m.group("what"))
            return TimeQuestion(_tidy(text), None, latest, timeline, event, how, bare=_cut(text, m))
    for m in _EXPRESSION.finditer(text):
        window = _window(m.group("when"), now)
        if window is not None:  # a day or month asked about goes: the window does its work ("29 March 2019")
            return TimeQuestion(_cut(text, m), window, latest, timeline, bare=_cut(text, m))
    return TimeQuestion(_tidy(text), None, latest, timeline, bare=_tidy(text))


def _cut(text: str, m: re.Match) -> str:
    """`text` without the expression `m` found in it."""
    return _tidy(text[: m.start()] + " " + text[m.end() :])


def event_window(relation: str, day: dt.date, phrase: str) -> Window:
    """The window "before/after/since X" means once the event X is placed on `day`, its first article's date.
    The reporting of X itself is in: it tells what came before it ("deliberated 13 hours before convicting")
    and what followed on the day; "after" and "since" X start on that day, "before" X ends two days later."""
    if relation == "before":
        return Window(None, day + dt.timedelta(days=2), phrase, lag=False)
    return Window(day, None, phrase)


def _relative_to(how: str, w: Window, phrase: str) -> Window:
    if how == "before":
        return Window(None, w.start - dt.timedelta(days=1), phrase, lag=False)
    if how == "until":
        return Window(None, w.end, phrase, lag=False)
    if how == "after":
        return Window(w.end + dt.timedelta(days=1), None, phrase)
    return Window(w.start, None, phrase)  # since


def _strip(text: str, pattern: re.Pattern) -> tuple[str, bool]:
    found = bool(pattern.search(text))
    return (_tidy(pattern.sub(" ", text)) if found else text), found


def _tidy(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"\s+([?!.,;:])", r"\1", text)
    text = re.sub(
        r"\b(?:on|in|during|from|of|about)\s*([?!.]?)$", r"\1", text
    ).strip()  # "… announce on?" → "… announce?"
    return re.sub(r"\s+([?!.])$", r"\1", text)


def _window(when: str, now: dt.date) -> Window | None:
    """The window a time expression means, or None when it is not one (or lies after `now`)."""
    phrase = re.sub(r"\s+", " ", when.strip())
    low = phrase.lower()
    window = _relative_window(low, now) or _absolute_window(phrase, now)
    if window is None or (window.start and window.start > now):
        return None
    end = min(window.end, now) if window.end else window.end
    return Window(window.start, end, phrase)


def _relative_window(low: str, now: dt.date) -> Window | None:
    day = dt.timedelta(days=1)
    monday = now - dt.timedelta(days=now.weekday())
    if low in ("today", "tonight") or low.startswith("this ") and low.split()[1] in ("morning", "afternoon", "evening"):
        return Window(now, now, low)
    if low == "yesterday":
        return Window(now - day, now - day, low)
    if low == "this week":
        return Window(monday, now, low)
    if low in ("last week", "past week", "this past week"):
        return Window(monday - 7 * day, monday - day, low)
    if "weekend" in low:  # the most recent Saturday and Sunday (today, when it is one)
        saturday = now - dt.timedelta(days=(now.weekday() - 5) % 7)
        return Window(saturday, saturday + day, low)
    if low == "this month":
        return Window(now.replace(day=1), now, low)
    if low in ("last month", "past month", "this past month"):
        first = now.replace(day=1) - day
        return Window(first.replace(day=1), first, low)
    m = re.fullmatch(rf"(?:on |last |this past |past )?({_DAYS.lower()})", low)
    if m:
        back = (now.weekday() - list(calendar.day_name).index(m.group(1).capitalize())) % 7 or 7
        return Window(now - back * day, now - back * day, low)
    m = re.fullmatch(rf"({_NUMBER.lower()}) (day|week|month)s? ago", low)
    if m:
        return _ago(_count(m.group(1)), m.group(2), now)
    m = re.fullmatch(rf"(?:in|over|during) the (?:past|last) (?:({_NUMBER.lower()}) )?(day|week|month)s?", low)
    if m:
        n = _count(m.group(1) or "1")
        back = {"day": dt.timedelta(days=n), "week": dt.timedelta(weeks=n), "month": dt.timedelta(days=30 * n)}[
            m.group(2)
        ]
        return Window(now - back, now, low)
    return None


def _ago(n: int, unit: str, now: dt.date) -> Window:
    if unit == "day":
        d = now - dt.timedelta(days=n)
        return Window(d, d, "")
    if unit == "week":
        monday = now - dt.timedelta(days=now.weekday()) - dt.timedelta(weeks=n)
        return Window(monday, monday + dt.timedelta(days=6), "")
    month = _parse(f"{n} month ago", now) or now
    return Window(month.replace(day=1), month.replace(day=calendar.monthrange(month.year, month.month)[1]), "")


def _count(word: str) -> int:
    return int(word) if word.isdigit() else _WORDS[word.lower()]


def _absolute_window(phrase: str, now: dt.date) -> Window | None:
    m = re.fullmatch(rf"(early|mid|late)[- ]({_MONTHS})(?:\s+(\d{{4}}))?", phrase, re.I)
    if m:
        month = _month(m.group(2), m.group(3), now)
        if month is None:
            return None
        last = calendar.monthrange(month.year, month.month)[1]
        lo, hi = {"early": (1, 10), "mid": (11, 20), "late": (21, last)}[m.group(1).lower()]
        return Window(month.replace(day=lo), month.replace(day=hi), phrase)
    if re.fullmatch(rf"({_MONTHS})(?:\s+\d{{4}})?", phrase, re.I):
        m = re.fullmatch(rf"({_MONTHS})(?:\s+(\d{{4}}))?", phrase, re.I)
        month = _month(m.group(1), m.group(2), now)
        if month is None:
            return None
        return Window(month, month.replace(day=calendar.monthrange(month.year, month.month)[1]), phrase)
    day = _parse(re.sub(r"^(?:the\s+)", "", phrase, flags=re.I), now)
    if day is None:
        return None
    if not re.search(r"\d{4}", phrase) and day > now:  # "6 March" asked in February: last year's
        day = day.replace(year=day.year - 1)
    return Window(day, day, phrase)


def _month(name: str, year: str | None, now: dt.date) -> dt.date | None:
    found = _parse(f"1 {name} {year}" if year else f"1 {name}", now)
    if found is None:
        return None
    if not year and found > now:
        found = found.replace(year=found.year - 1)
    return found.replace(day=1)


@functools.lru_cache(maxsize=4096)
def _parse(text: str, now: dt.date) -> dt.date | None:
    """A date read by `dateparser` relative to `now`, or None."""
    import dateparser

    settings = {"RELATIVE_BASE": dt.datetime.combine(now, dt.time()), "PREFER_DATES_FROM": "past", "DATE_ORDER": "DMY"}
    found = dateparser.parse(text, languages=["en"], settings=settings)
    return found.date() if found else None


# --- dates as a reader writes them ------------------------------------------------


def as_day(published: str) -> dt.date | None:
    """An article's ISO date as a day (its first, for "2017-03" or "2017"), or None."""
    for size, suffix in ((10, ""), (7, "-01"), (4, "-01-01")):
        if len(published) >= size:
            try:
                return dt.date.fromisoformat(published[:size] + suffix)
            except ValueError:
                return None
    return None


def day_text(d: dt.date) -> str:
    """ "6 March 2017"."""
    return f"{d.day} {d.strftime('%B %Y')}"


def span_text(start: dt.date, end: dt.date) -> str:
    """ "6 March 2017", "13–19 March 2017", "27 February – 5 March 2017"."""
    if start == end:
        return day_text(start)
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{end.day} {end.strftime('%B %Y')}"
    if start.year == end.year:
        return f"{start.day} {start.strftime('%B')} – {day_text(end)}"
    return f"{day_text(start)} – {day_text(end)}"
