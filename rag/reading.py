"""Reading sentences for the answer a question expects: answer types, typed candidate spans, boilerplate.

Pure functions of text, used by `rag.answering` to choose which sentence states the
asked fact, and which span of it is the short answer:

>>> answer_type("How many residents had been evacuated?")
'quantity'
>>> [(c.kind, c.text) for c in candidates("Premier Annastacia Palaszczuk said 3,500 residents had left Ayr on Monday.")]
[('name', 'Premier Annastacia Palaszczuk'), ('quantity', '3,500'), ('name', 'Ayr'), ('date', 'Monday')]
>>> boilerplate("READ MORE: Trump meets Abe", title="")
'a "read more" link'

Rules, not a model: no packaged named-entity or question-answering model exists
here, and rules can be read and checked. They were written against the tuning half
of `benchmarks/news_answers.jsonl` and are unit-tested in `tests/test_reading.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ANSWER_TYPES = ("quantity", "person", "organisation", "place", "date", "yesno", "reason", "statement", "other")
# The candidate kinds that answer each type ("name" spans are people, organisations and places alike).
EXPECTS = {
    "quantity": ("quantity",),
    "person": ("name",),
    "organisation": ("name",),
    "place": ("name",),
    "date": ("date",),
}

_PERSON_NOUNS = (
    r"senator|judge|minister|president|ambassador|envoy|spokes(?:man|woman|person)|official|leader|chief|director|"
    r"actor|actress|singer|player|character|man|woman|boy|girl|men|women|adviser|advisor|officer|secretary|chair(?:man|woman)?|"
    r"ceo|founder|author|composer|coach|captain|prosecutor|lawyer|candidate|attacker|suspect|victim|mayor|governor|"
    r"king|queen|prince|princess|pope|bishop|general|commander|premier|chancellor|MPs?|lawmakers?|politician|star|"
    r"journalist|reporter|doctor|scientist|economist|analyst|head|executive|rapper|musician|artist|footballer|athlete"
)
_ORG_NOUNS = (
    r"company|companies|firm|group|organi[sz]ations?|agenc(?:y|ies)|party|court|bank|universit(?:y|ies)|newspaper|paper|union|"
    r"team|club|ministry|department|body|council|committee|regime|government|broadcaster|network|fund|institutions?|"
    r"charity|school|airline|caucus|commission|authority|militia|brand|manufacturer|carrier|tournament|magazine|"
    r"channel|station|publisher|outlet|alliance|coalition|insurer|investor|retailer|operator|bodies|groups|firms"
)
_PLACE_NOUNS = (
    r"city|town|country|countries|village|region|province|state|county|place|river|airport|hospital|capital|island|"
    r"area|district|port|street|venue|location|neighbou?rhood|continent|mountain|border|site|prison|camp|base"
)
_DATE_NOUNS = r"year|date|day|month|time|decade|century|week|season|hour"
_QUANTITY_NOUNS = (
    r"percentage|share|portion|proportion|fraction|number|amount|sum|price|cost|rate|figure|total|age|"
    r"size|value|fine|salary|budget|toll|score|margin|sentence|growth|limit|level|increase|rise|fall|drop|loss|profit|"
    r"revenue|income|debt|deficit|speed|distance|height|length|duration|population|turnout|capacity|temperature|target|goal"
)
# Up to three words between "which" and the noun that says what is asked ("which Shanghai-based private equity firm"),
# none of them a verb that starts the rest of the question ("what threats should the alliance ...").
_MOD = r"(?:(?!(?:is|are|was|were|did|does|do|has|have|had|will|would|can|could|should|may|might|must)\b)[\w'-]+\s+)"
_LEAD_IN = re.compile(r"^\s*(?:and|but|so|also|then)?[\s,]*(?:(?:in|on|at|from|to|by|for|with|under|during|after|before|of|near|between|within|across|against|among|into|through|towards?)\s+)?", re.I)

_TYPE_RULES: list[tuple[str, re.Pattern]] = [
    ("quantity", re.compile(r"^how\s+(?:many|much|long|far|old|big|large|fast|often|high|tall|deep|heavy|severe)\b")),
    ("quantity", re.compile(rf"^(?:what|which)\s+(?:is\s+|was\s+|are\s+|were\s+)?(?:the\s+)?{_MOD}{{0,3}}(?:{_QUANTITY_NOUNS})\b")),
    ("date", re.compile(rf"^(?:when\b|by\s+when\b|(?:what|which)\s+(?:\w+\s+)?(?:{_DATE_NOUNS})s?\b)")),
    ("statement", re.compile(
        r"^(?:what|how)\s+(?:did|does|do|has|have|had|will|would)\s+.{1,80}?\b(?:say|said|tell|told|announce|warn|claim|"
        r"describe|respond|react|reply|argue|promise|pledge|write|tweet|mean|meant|think|call)\b"
    )),
    ("place", re.compile(r"^where\b")),
    ("person", re.compile(rf"^(?:(?:what|which)\s+{_MOD}{{0,3}}(?:{_PERSON_NOUNS})\b|what\s+(?:is|was)\s+the\s+(?:\w+\s+)?name\b)", re.I)),
    ("place", re.compile(rf"^(?:what|which)\s+{_MOD}{{0,2}}(?:{_PLACE_NOUNS})\b")),
    ("organisation", re.compile(rf"^(?:what|which)\s+{_MOD}{{0,3}}(?:{_ORG_NOUNS})\b")),
    ("reason", re.compile(r"^(?:why\b|for\s+what\s+reason|what\s+(?:caused|led\s+to|prompted|is\s+behind|was\s+behind)\b)")),
    ("yesno", re.compile(r"^(?:is|are|was|were|did|does|do|has|have|had|will|would|can|could|should|may|might)\b")),
    ("person", re.compile(r"^(?:who|whom|whose)\b")),
]


def answer_type(question: str) -> str:
    """The kind of answer `question` expects: one of `ANSWER_TYPES`.

    >>> [answer_type(q) for q in ("Who chairs the caucus?", "Which agencies launched an inquiry?",
    ...                            "In which village did the bomb strike?", "When was he born?",
    ...                            "Why was the conviction overturned?", "What did Pope Francis say about walls?",
    ...                            "Did Aslef accept the deal?", "What did the toddler mistake for a robot?")]
    ['person', 'organisation', 'place', 'date', 'reason', 'statement', 'yesno', 'other']
    """
    return _first_match(_TYPE_RULES, question, "other")


def _first_match(rules: list[tuple[str, re.Pattern]], question: str, default: str) -> str:
    """The name of the first rule that matches the question, read without its lead-in ("And in which ...")."""
    q = _LEAD_IN.sub("", _fold(question).strip(), count=1)
    return next((name for name, rule in rules if rule.search(q)), default)


# --- candidate spans -----------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A span of a sentence that may be an answer: `kind` is "quantity", "date" or "name"."""

    kind: str
    text: str
    start: int  # into the sentence
    end: int


_MONTHS = (
    r"Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|"
    r"Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?"
)
_WEEKDAYS = r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
_DATE = re.compile(
    rf"\b(?:\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTHS})\.?(?:,?\s+\d{{4}})?"
    rf"|(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?"
    rf"|(?:early|mid|late)[- ](?:{_MONTHS})"
    rf"|(?:{_MONTHS})\s+\d{{4}}"
    rf"|(?:1[5-9]|20)\d{{2}}(?:\s?[-–]\s?(?:1[5-9]|20)?\d{{2}}\b)?"
    rf"|(?:{_WEEKDAYS})"
    rf"|(?:(?:last|next|this)\s+(?:year|month|week|weekend|spring|summer|autumn|winter))"
    rf")\b"
)
_SMALL = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|"
    r"eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundreds?|thousands?|millions?|billions?|"
    r"dozens?|a dozen|half|a third|one-third|two-thirds|a quarter|three-quarters|"
    r"first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth"
)
_UNIT = (
    r"%|\s?(?:percent|per cent|percentage points?|bn|m|k|million|billion|trillion|thousand|hundred|yuan|euros?|dollars|pounds|"
    r"rubles|roubles|tonnes|tons|km|kilomet(?:er|re)s|miles|mph|kph|metres|meters|feet|years?|months?|weeks?|days?|hours?|"
    r"minutes|seconds|points|times|people|votes|seats)\b"
)
_QUANTITY = re.compile(
    rf"(?:(?:US|AUS|A|C|HK|NZ)?[$€£¥?]\s?)?\b\d(?:[\d,]*\d)?(?:\.\d+)?(?:{_UNIT})?"
    rf"|\b(?:{_SMALL})(?:[- ](?:{_SMALL}))*\b(?:{_UNIT})?",
    re.I,
)
_YEAR_ONLY = re.compile(r"(?:1[5-9]|20)\d{2}")
_NAME_WORD = r"(?:[A-Z][\w'’.&-]*[\w.]|[A-Z])"
_NAME = re.compile(rf"{_NAME_WORD}(?:(?:\s+(?:of|de|del|da|di|du|van|von|der|bin|al|la|le|and|for|the|&))*\s+{_NAME_WORD})*")
_NOT_NAMES = set(
    """A An The This That These Those It Its He She His Her They Their Them We Our I You Your There Here In On At By For
    From To With As But And Or If When While After Before Since During However Also Meanwhile Now Then Yet Still So
    Mr Mrs Ms Dr Sir Madam Some Many Most Several Such Both Each All No Not One Two Three Four Five Six Seven Eight Nine
    Ten What Who Why How Where Which Read More Last Next This Earlier Later Today Yesterday Tomorrow According
    Furthermore Moreover Additionally Instead Indeed Although Though Because Despite Under Over Between Among Without
    Speaking Asked Following Until Unlike Like Last""".split()
)
_MONTH_OR_DAY = re.compile(rf"^(?:{_MONTHS}|{_WEEKDAYS})\.?$")


def candidates(sentence: str) -> list[Candidate]:
    """Quantities, dates and names in `sentence`, in order, as exact spans (`sentence[c.start:c.end] == c.text`)."""
    found: list[Candidate] = []
    taken: list[tuple[int, int]] = []

    def add(kind: str, s: int, e: int) -> None:
        if s < e and not any(s < te and ts < e for ts, te in taken):
            taken.append((s, e))
            found.append(Candidate(kind, sentence[s:e], s, e))

    for m in _DATE.finditer(sentence):
        add("date", m.start(), m.end())
    for m in _QUANTITY.finditer(sentence):
        text = m.group().strip()
        if _YEAR_ONLY.fullmatch(text) or not text:
            continue
        s = m.start() + (len(m.group()) - len(m.group().lstrip()))
        add("quantity", s, s + len(text))
    for m in _NAME.finditer(sentence):
        words = [(w.start(), w.end()) for w in re.finditer(r"\S+", m.group())]
        text = [m.group()[a:b] for a, b in words]
        i, j = 0, len(words)
        while i < j and (text[i].rstrip(".") in _NOT_NAMES or _MONTH_OR_DAY.match(text[i])):  # "The BBC" → "BBC"
            i += 1
        while j > i and text[j - 1].lower() in _FILLER:
            j -= 1
        if i == j:
            continue
        s, e = m.start() + words[i][0], m.start() + words[j - 1][1]
        if j - i == 1 and not sentence[:s].strip(" \"'“‘(-"):  # a lone capital at the start: any first word has one
            continue
        if sentence[e - 1] == "." and e - s > 3 and sentence[e - 3] != ".":  # "Ayr." at a sentence's end; not "U.S."
            e -= 1
        add("name", s, e)
    return sorted(found, key=lambda c: c.start)


_MEASURES = [  # what a quantity question asks for, by its wording
    ("percent", re.compile(r"\b(?:percent(?:age)?|per cent|share|proportion|portion|fraction|majority)\b")),
    ("age", re.compile(r"^how old\b|\bage\b")),
    ("time", re.compile(r"^how long\b|^how many (?:\w+ )?(?:years|months|weeks|days|hours|minutes|seconds|decades)\b")),
    ("money", re.compile(
        r"\b(?:cost|worth|price|fine[ds]?|salary|pay|paid|spend|spent|invest|budget|fund|bonus|loss|lose|lost|"
        r"profit|revenue|income|debt|bailout|raise[ds]?|recover(?:ed)?|earn|make|made)\b"
    )),
    ("count", re.compile(r"^how many\b")),
]
_UNIT_KINDS = [
    ("percent", re.compile(r"%|\bper ?cent\b|\bpercentage points?\b", re.I)),
    ("money", re.compile(r"[$€£¥?]|\b(?:bn|yuan|euros?|dollars|pounds|rubles|roubles)\b", re.I)),
    ("time", re.compile(r"\b(?:years?|months?|weeks?|days?|hours?|minutes|seconds)\b", re.I)),
]


def measure(question: str) -> str:
    """What a quantity question measures: "percent", "money", "time", "age", "count", or "" when it does not say.

    >>> [measure(q) for q in ("How many people attended?", "What share does the state own?", "How much did it cost?")]
    ['count', 'percent', 'money']
    """
    return _first_match(_MEASURES, question, "")


def _fits_measure(c: Candidate, wanted: str) -> bool:
    """Whether a quantity's unit suits the measure asked: "26 years" does not answer "how many people"."""
    unit = next((name for name, rule in _UNIT_KINDS if rule.search(c.text)), "")
    if wanted == "money":
        return unit == "money" or (unit == "" and bool(re.search(r"\b(?:million|billion|trillion)\b", c.text, re.I)))
    if wanted == "percent":
        return unit == "percent" or (unit == "" and bool(re.search(r"\b(?:half|third|quarter|thirds|quarters)\b", c.text, re.I)))
    if wanted == "time":
        return unit in ("time", "")
    if wanted in ("age", "count") and _ORDINAL.fullmatch(c.text.lower()):
        return False  # "the first of three defendants" ranks, it does not count
    if wanted in ("age", "count"):
        return unit == "" or (unit == "time" and wanted == "count" and c.text.split()[-1].lower() not in ("years", "year"))
    return True


def typed(sentence: str, kind: str, question: str) -> list[Candidate]:
    """The candidates of `sentence` that could answer a question of type `kind`, leaving out what the question says."""
    wanted = EXPECTS.get(kind)
    if not wanted:
        return []
    asked = _fold(question)
    unit = measure(question) if kind == "quantity" else ""
    out = []
    for c in candidates(sentence):
        if c.kind not in wanted or (unit and not _fits_measure(c, unit)):
            continue
        if c.kind == "quantity" and unit != "age" and _is_age(sentence, c):
            continue  # "at the age 87", "the 53-year-old", "Bill Baroni, 45,": an age answers only "how old"
        words = [w for w in re.findall(r"\w+", _fold(c.text)) if w not in _FILLER]
        if words and all(re.search(rf"\b{re.escape(w)}", asked) for w in words):
            continue  # the question's own words are not its answer
        out.append(c)
    return out


_FILLER = {"the", "of", "and", "a", "an", "for", "de", "al"}
_AGE_BEFORE = re.compile(r"\b(?:age|aged)\s*(?:of\s*)?$", re.I)
_AGE_AFTER = re.compile(r"-?\s?years?[- ]old\b", re.I)
_ORDINAL = re.compile(r"first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth")
_NAME_COMMA = re.compile(r"[A-Z][\w'’.-]+,\s*$")


def _is_age(sentence: str, c: Candidate) -> bool:
    before, after = sentence[: c.start], sentence[c.end :]
    plain = c.text.isdigit() and len(c.text) <= 3
    return bool(_AGE_BEFORE.search(before) or _AGE_AFTER.match(after) or (plain and _NAME_COMMA.search(before) and after.startswith(",")))


def _fold(text: str) -> str:
    return text.lower().replace("’", "'")


# --- boilerplate -------------------------------------------------------------

_BOILER_PREFIX = re.compile(
    r"^(?:read more|more|related|watch|watch more|see also|share this(?: slide| article| story)?|source link|source|photo|"
    r"photos|image|picture|video|credit|follow (?:us|him|her)|sign up|subscribe|click here|learn more|editor's note|"
    r"advertisement|top stories|now playing)\s*[:|-]",
    re.I,
)
_CAPTION = re.compile(
    r"pic\.twitter\.com|getty images|\bap photo\b|\(afp\)|\bphotograph:|\bphoto credit\b|a post shared by|"
    r"\bshare this slide\b|\blearn more$|^\W*\(?(?:photo|file photo|pictured)\b|[/—–-]\s*(?:reuters|afp|ap|epa|getty images)\.?\s*$",
    re.I,
)
_BYLINE = re.compile(r"^[Bb]y\s+[A-Z][\w.'-]+(?:\s+[A-Z][\w.'-]+){0,3}(?:\s*(?:,|and)\s*[A-Z][\w.'-]+(?:\s+[A-Z][\w.'-]+){0,3})*$")


def boilerplate(sentence: str, *, title: str = "") -> str:
    """Why `sentence` is not an answer sentence (a headline, byline, caption, link), or "" when it may be one.

    >>> boilerplate("By Jane Smith", title="")
    'a byline'
    >>> boilerplate("Cyclone Debbie prompts evacuations", title="Cyclone Debbie prompts evacuations in Queensland")
    'the headline'
    >>> boilerplate("The storm intensified on Monday.", title="Cyclone Debbie")
    ''
    """
    s = sentence.strip()
    if _BOILER_PREFIX.match(s):
        return f'a "{_BOILER_PREFIX.match(s).group().rstrip(":|- ").lower()}" link'
    if _CAPTION.search(s):
        return "a caption or photo credit"
    if _BYLINE.match(s):
        return "a byline"
    folded, headline = _squash(s), _squash(title)
    if headline and folded and (folded == headline or (len(folded) >= 20 and (folded in headline or headline in folded and len(folded) < len(headline) + 25))):
        return "the headline"
    return ""


def _squash(text: str) -> str:
    return " ".join(re.findall(r"\w+", _fold(text)))
