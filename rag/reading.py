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

import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable, Sequence

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
    r"journalist|reporter|doctor|scientist|economist|analyst|head|executive|rapper|musician|artist|footballer|athlete|"
    r"td|mep|msp|congress(?:man|woman)|representative|correspondent|host|presenter|anchor|comedian|columnist|"
    r"professor|lecturer|teacher|student|researcher|activist|campaigner|soldier|nurse|poet|writer|novelist|playwright|"
    r"editor|producer|filmmaker|designer|chef|cardinal|rabbi|imam|priest|magistrate|investigator"
)
_ORG_NOUNS = (
    r"company|companies|firm|group|organi[sz]ations?|agenc(?:y|ies)|party|court|bank|universit(?:y|ies)|newspaper|paper|union|"
    r"team|club|ministry|department|body|council|committee|regime|government|broadcaster|network|fund|institutions?|"
    r"charity|school|airline|caucus|commission|authority|militia|brand|manufacturer|carrier|tournament|magazine|"
    r"channel|station|publisher|outlet|alliance|coalition|insurer|investor|retailer|operator|bodies|groups|firms|"
    r"watchdog|regulator|think[- ]?tank|website|blog|platform|app|journal|campaign|movement|initiative|league|"
    r"association|society|federation|foundation|trust"
)


# "Which group translated ...?", "Which senator introduced ...?": the act done by whom or what is asked for.
_WHICH_ACTS = re.compile(
    rf"^\s*which\s+(?:[\w'-]+\s+){{0,3}}?(?:{_PERSON_NOUNS}|{_ORG_NOUNS})s?\s+([a-z]{{3,}}ed)\b", re.I
)


def which_act(question: str) -> str:
    """The verb of the act a "Which <person or organisation> <verb>ed ...?" question asks about, or "".

    >>> which_act("Which group translated the recording?"), which_act("Which retired general spoke?")
    ('translated', '')
    """
    m = _WHICH_ACTS.match(question)
    return m.group(1).lower() if m else ""


# A sentence that opens by describing what it is about rather than naming it ("The organization sent a letter").
_DESCRIBED = re.compile(rf"^(?:The|This|That)\s+(?:{_ORG_NOUNS}|{_PERSON_NOUNS})\b")


def opens_by_description(sentence: str) -> bool:
    """Whether `sentence` opens by describing whom or what it is about instead of naming them: the sentence before
    it names them ("AARP, a group that advocates for older Americans, shares her concern. The organization sent a
    letter ...").

    >>> opens_by_description("The organization sent a letter to Congress."), opens_by_description("AARP sent it.")
    (True, False)
    """
    return bool(_DESCRIBED.match(sentence))


_PLACE_NOUNS = (
    r"city|cities|town|country|countries|village|region|province|state|county|place|river|airport|hospital|capital|island|"
    r"area|district|port|street|venue|location|neighbou?rhood|continent|mountain|border|site|prison|camp|base|"
    r"constituency|constituencies|"
    r"hotel|stadium|arena|square|church|mosque|temple|museum|building|facility|cent(?:er|re)"
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
_LEAD_IN = re.compile(
    r"^\s*(?:and|but|so|also|then)?[\s,]*(?:(?:in|on|at|from|to|by|for|with|under|during|after|before|of|near|between|within|across|against|among|into|through|towards?)\s+)?",
    re.I,
)

# A "What did X say / announce / confirm ...?" question: its opening and its verbs.
_STATEMENT_HEAD = r"(?:what|how)\s+(?:did|does|do|has|have|had|will|would)\s+"
_STATE = (
    r"say|said|tell|told|announce|warn|claim|describe|respond|react|reply|argue|promise|pledge|write|tweet|mean|"
    r"meant|think|call|confirm|reveal|admit|insist|vow|urge|deny|predict"
)

_TYPE_NOUNS = rf"(?:{_PERSON_NOUNS}|{_ORG_NOUNS}|{_PLACE_NOUNS}|{_DATE_NOUNS}|{_QUANTITY_NOUNS})s?"

# A person noun used as an adjective: "Which official Israeli watchdog ...?" asks for the watchdog.
_NOT_ADJECTIVE = rf"(?!(?:\s+(?!(?:of|for|in|at|the|from|to|on)\b)[\w'-]+)?\s+(?:{_ORG_NOUNS}|{_PLACE_NOUNS})\b)"

_TYPE_RULES: list[tuple[str, re.Pattern]] = [
    (  # "How many ...?", and after a few words: "Police in how many countries ...?"
        "quantity",
        re.compile(
            r"^(?!(?:who|whom|whose|what|which|when|where|why)\b)(?:[\w'-]+\s+){0,3}?how\s+(?:many|much|long|far|old|big|large|fast|often|high|tall|deep|heavy|severe)\b"
        ),
    ),
    (
        "quantity",
        re.compile(
            rf"^(?:what|which)\s+(?:is\s+|was\s+|are\s+|were\s+|would\s+|will\s+)?(?:the\s+)?{_MOD}{{0,3}}"
            rf"(?:{_QUANTITY_NOUNS})\b"
        ),
    ),
    (
        "date",
        re.compile(rf"^(?:when\b|(?:by|since|until|till)\s+when\b|(?:what|which)\s+(?:\w+\s+)?(?:{_DATE_NOUNS})s?\b)"),
    ),
    ("statement", re.compile(rf"^{_STATEMENT_HEAD}.{{1,80}}?\b(?:{_STATE})\b")),
    ("place", re.compile(r"^where\b")),
    (
        "person",
        re.compile(
            rf"^(?:(?:what|which)\s+{_MOD}{{0,3}}(?:{_PERSON_NOUNS})(?:s|es)?\b{_NOT_ADJECTIVE}"
            rf"|what\s+(?:is|was)\s+the\s+(?:\w+\s+)?name\b)",
            re.I,
        ),
    ),
    ("place", re.compile(rf"^(?:what|which)\s+{_MOD}{{0,2}}(?:{_PLACE_NOUNS})(?:s|es)?\b")),
    ("organisation", re.compile(rf"^(?:what|which)\s+{_MOD}{{0,3}}(?:{_ORG_NOUNS})(?:s|es)?\b")),
    (
        "reason",
        re.compile(r"^(?:why\b|for\s+what\s+reason|what\s+(?:caused|led\s+to|prompted|is\s+behind|was\s+behind)\b)"),
    ),
    ("yesno", re.compile(r"^(?:is|are|was|were|did|does|do|has|have|had|will|would|can|could|should|may|might)\b")),
    ("person", re.compile(r"^(?:who|whom|whose)\b")),
]


_WHO_IS_NAMED = re.compile(
    r"^\W*Who\s+(?:is|was|are|were)\s+(?:(?:Dr|Mr|Mrs|Ms|Prof|Sir)\.?\s+)?[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*)*\s*\??\s*$"
)


def answer_type(question: str) -> str:
    """The kind of answer `question` expects: one of `ANSWER_TYPES`.

    >>> [answer_type(q) for q in ("Who chairs the caucus?", "Which agencies launched an inquiry?",
    ...                            "In which village did the bomb strike?", "When was he born?",
    ...                            "Why was the conviction overturned?", "What did Pope Francis say about walls?",
    ...                            "Did Aslef accept the deal?", "What did the toddler mistake for a robot?")]
    ['person', 'organisation', 'place', 'date', 'reason', 'statement', 'yesno', 'other']
    """
    if _WHO_IS_NAMED.match(question):
        return "other"  # "Who is Dr. Emily Carter?" names the person and asks what they are
    return _first_match(_TYPE_RULES, question, "other")


_NAME_IN_QUESTION = re.compile(r"(?<=\S)(\s+)([A-Z][a-z][\w'’.-]*)(?=(\s+[A-Z])?)")


def _unnamed(m: re.Match) -> str:
    """A capitalised word after the first as X, unless it is a type noun on its own ("Which Minister of State")."""
    word, in_name = m.group(2), bool(m.group(3))
    if not in_name and re.fullmatch(_TYPE_NOUNS, word.lower()):
        return m.group(0)
    return m.group(1) + "X"


def _first_match(rules: list[tuple[str, re.Pattern]], question: str, default: str) -> str:
    """The name of the first rule that matches the question, read without its lead-in ("And in which ...")."""
    # A name is not a word of the question's form: "Which Fine Gael TD ...?" asks for a person, not a fine.
    unnamed = _NAME_IN_QUESTION.sub(_unnamed, question.strip())
    q = _LEAD_IN.sub("", _fold(unnamed), count=1)
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
    r"Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?|"
    r"JANUARY|FEBRUARY|MARCH|APRIL|MAY|JUNE|JULY|AUGUST|SEPTEMBER|OCTOBER|NOVEMBER|DECEMBER"  # "On MARCH 14, 2017"
)
_BARE_MONTH = r"(?:January|February|March|April|June|July|August|September|October|November|December)"
_WEEKDAYS = r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
_DATE = re.compile(
    rf"\b(?:\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTHS})\.?(?:,?\s+\d{{4}})?"
    rf"|(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:\s*(?:-|–|and|to)\s*\d{{1,2}}(?:st|nd|rd|th)?\b)?(?:,?\s+\d{{4}})?"
    rf"|(?:early|mid|late)[- ](?:{_MONTHS})"
    rf"|(?:{_MONTHS})\s+\d{{4}}"
    # a month alone where a preposition makes it a time ("jumped into the race in January", "between November and
    # April"); not "May", which is as often Theresa May ("confidence in May")
    rf"|(?:(?<=\bin )|(?<=\bsince )|(?<=\bfrom )|(?<=\buntil )|(?<=\bby )|(?<=\bbetween )|(?<=\bthrough ))"
    rf"{_BARE_MONTH}(?:\s+(?:and|to|through)\s+{_BARE_MONTH})?(?:,?\s+\d{{4}})?"
    rf"|(?:(?:early|mid|late)[- ])?(?:1[5-9]|20)\d0s"  # decades: "the 1960s", "mid-1990s"
    rf"|(?:1[5-9]|20)\d{{2}}(?:\s?[-–]\s?(?:1[5-9]|20)?\d{{2}}\b)?"
    # an older year only where a preposition makes it one ("built in 1356"; "1356 people" is a count)
    rf"|(?:(?<=\bin )|(?<=\bsince )|(?<=\bfrom )|(?<=\buntil )|(?<=\bby ))1[0-4]\d{{2}}(?!\s*(?:people|[a-z]+s)\b)"
    rf"|\d{{1,2}}(?:st|nd|rd|th)[- ]century"
    rf"|(?:{_WEEKDAYS})"
    rf"|(?:(?:last|next|this)\s+(?:year|month|week|weekend|spring|summer|autumn|winter))"
    rf"|(?:onset|start|beginning|end|height|outbreak|dawn|aftermath|close)\s+of\s+(?:the\s+)?(?:[A-Z][\w-]*\s+)*"
    rf"(?:War|Revolution|Era|Age|Crisis|Depression|Olympics)"
    rf"|World\s+War\s+(?:I{{1,2}}|One|Two)\b|the\s+Cold\s+War"
    rf")\b"
)
_SMALL = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|"
    r"eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundreds?|thousands?|millions?|billions?|"
    r"dozens?|a dozen|half|a third|one-third|two-thirds|a quarter|three-quarters|"
    r"first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth"
)
_BULK = r"barrels|kilograms|kilos|kg|litres|liters|gallons"  # oil, tobacco, water: measured, not counted
_UNIT = (
    # "a 13-hour voyage" (not the "53" of "53-year-old", which is read as an age)
    r"-(?:hours?|days?|weeks?|months?|minutes?|years?|miles?|km|metres?|meters?|feet|foot|inch(?:es)?|cm|pages?)\b(?!-)|"
    r"%|\s?(?:percent|per cent|(?:percentage|basis) "
    r"points?|(?:bn|bln|mln|trln|m|k|million|billion|trillion|thousand|hundred)(?:\s(?:rubles|roubles|yuan|euros?|dollars|pounds|barrels|kilograms|tonnes|tons|litres|liters|gallons)\b)?|"
    r"yuan|euros?|dollars|pounds|pesos|rupees|yen|francs|"
    r"rubles|roubles|tonnes|tons|km|kilomet(?:er|re)s|miles|mph|kph|metres|meters|feet|inches|cm|centimet(?:er|re)s|"
    r"mm|millimet(?:er|re)s|cents|pence|GB|MB|TB|gigabytes|megabytes|terabytes|"
    r"years?|months?|weeks?|days?|hours?|"
    rf"minutes|seconds|points|times|people|votes|seats|acres|hectares|square\s(?:miles|kilomet(?:er|re)s|km)|{_BULK})"
    r"\b(?!-)"  # "248 month-to-date records" count records
)
_QUANTITY = re.compile(
    rf"(?:(?:US|AUS|A|C|HK|NZ)?[$€£¥?]\s?)?\b\d(?:[\d,]*\d)?(?:\.\d+)?(?:\s[1-9]/[1-9]\b)?(?:{_UNIT})?"  # "6 1/2 years"
    rf"|\b(?:{_SMALL})(?:[- ](?:{_SMALL}))*\b(?:{_UNIT})?",
    re.I,
)
_YEAR_ONLY = re.compile(r"(?:1[5-9]|20)\d{2}")
# A duration said with an article ("for about an hour", "half a day"), not a time before or after ("a week ago").
_ONE_UNIT = re.compile(
    r"\b(?:half\s+)?an?\s+(?:hour|day|week|month|year|decade|fortnight)\b(?!\s+(?:ago|earlier|later|after|before)\b)",
    re.I,
)
_RATE_BEFORE = re.compile(r"(?:\d|\b(?:once|twice|times|per|than))\s*$", re.I)
# A hyphen joins capitals ("Kara-Murza"), not the glue of scraped text ("Deirdre McCarthy-in March").
# An Arabic article joins its name ("Anwar al-Awlaki", "Abu Bakr al-Baghdadi").
_NAME_WORD = (
    r"(?:(?<![\w-])(?:al|el|ad|as|ash|at|ar|bin|ibn|abu)-(?=[A-Z]))?(?:[A-Z](?:[\w'’.&\ufffd]|-(?=[A-Z]))*[\w.]|[A-Z])"
)
_NAME = re.compile(
    rf"{_NAME_WORD}(?:(?:\s+(?:of|de|del|da|di|du|van|von|der|bin|al|la|le|and|for|the|&))*\s+{_NAME_WORD})*"
)
_NOT_NAMES = set(
    """A An The This That These Those It Its He She His Her They Their Them We Our I You Your There Here In On At By For
    From To With As But And Or If When While After Before Since During However Also Meanwhile Now Then Yet Still So
    Mr Mrs Ms Dr Sir Madam Some Many Most Several Such Both Each All No Not One Two Three Four Five Six Seven Eight Nine
    Ten What Who Why How Where Which Read More Last Next This Earlier Later Today Yesterday Tomorrow According
    Furthermore Moreover Additionally Instead Indeed Although Though Because Despite Under Over Between Among Without
    Speaking Asked Following Until Unlike Like Last""".split()
)
# Who represents a place: "MP for Neath", "TD for Wicklow"
REPRESENTS = ("MP", "MPs", "TD", "TDs", "MSP", "MEP", "AM", "MLA")
_ACTS = re.compile(
    r"\s+(?:(?:has|had|have|also|then|later|now)\s+)?(?:said|says|told|tells|added|wrote|asked|replied|explained|"
    r"insisted|admitted|announced|confirmed|denied|claimed|warned|died|won|led|was|is|became|joined)\b"
)
_MONTH_OR_DAY = re.compile(rf"^(?:{_MONTHS}|{_WEEKDAYS})\.?$")
_CONTRACTION = re.compile(r"^(?:[A-Z][a-z]*['’](?:d|ll|m|ve|re|t)|(?:It|That|There|He|She|What|Here|Let|Who)['’]s)$")


# ... or it is an acronym, or what follows describes it: "AARP, a group that ...", "Zatulin, the lawmaker ..."
_NAMED_AT_START = re.compile(r"[A-Z]{2,}\b|\w+,\s+(?:a|an|the)\s")


# A capitalised number word beside another capital is part of a name: "America First Policies", "Fifth Avenue".
# ("Three Britons" still counts).
_IN_NAME = re.compile(
    r"(?:(?<=[A-Z][\w'’.-] )[A-Z][a-z-]+|(?:First|Second|Third|Fourth|Fifth|Sixth|Seventh|Eighth|Ninth|Tenth))"
    r"\b(?=\s+[A-Z])"
)


_NO_ONE = re.compile(r"\b(?:no|any|some|every)-?$", re.I)
_PREFIXED = re.compile(r"\b(?:anti|pro|non|neo|pan)-$", re.I)


def candidates(sentence: str) -> list[Candidate]:
    """Quantities, dates and names in `sentence`, in order, as exact spans (`sentence[c.start:c.end] == c.text`)."""
    found: list[Candidate] = []
    taken: list[tuple[int, int]] = []

    def add(kind: str, s: int, e: int) -> None:
        if s < e and not any(s < te and ts < e for ts, te in taken):
            taken.append((s, e))
            found.append(Candidate(kind, sentence[s:e], s, e))

    for m in _CLOCK.finditer(sentence):
        add("date", m.start(), m.end())
    for m in _DATE.finditer(sentence):
        add("date", m.start(), m.end())
    for m in _ONE_UNIT.finditer(sentence):
        before = " ".join(sentence[: m.start()].split()[-3:])
        if not _RATE_BEFORE.search(before) and not _QUANTITY.search(before):  # "$650,000 a year", "twice a day",
            add("quantity", m.start(), m.end())  # "four days work a month": a rate
    for m in _QUANTITY.finditer(sentence):
        text = m.group().strip()
        if _YEAR_ONLY.fullmatch(text) or not text or _IN_NAME.match(sentence, m.start()):
            continue
        if _NO_ONE.search(sentence, 0, m.start()):
            continue  # "no-one", "anyone": no count
        s = m.start() + (len(m.group()) - len(m.group().lstrip()))
        add("quantity", s, s + len(text))
    for m in _NAME.finditer(sentence):
        words = [(w.start(), w.end()) for w in re.finditer(r"\S+", m.group())]
        text = [m.group()[a:b] for a, b in words]
        i, j = 0, len(words)
        while i < j and (
            text[i].rstrip(".") in _NOT_NAMES or _MONTH_OR_DAY.match(text[i]) or _CONTRACTION.match(text[i])
        ):  # "The BBC" → "BBC"; "I'd", "Don't" are no names
            i += 1
        if j - i > 2 and text[i] in REPRESENTS and text[i + 1] == "for":
            i += 2  # "MP for Neath": the constituency is the name
        while j > i and text[j - 1].lower() in _FILLER:
            j -= 1
        if i == j:
            continue
        s, e = m.start() + words[i][0], m.start() + words[j - 1][1]
        if (
            j - i == 1
            and not sentence[:s].strip(" \"'“‘(-")
            and not _ACTS.match(sentence, e)
            and not _NAMED_AT_START.match(sentence, s)
        ):
            continue  # a lone capital at the start: any first word has one, unless someone acts ("Luke told ...")
        if _PREFIXED.search(sentence, 0, s):
            continue  # "anti-Islam leader", "pro-Kremlin media": a word about the name, not the name
        if sentence[e - 1] == "." and e - s > 3 and sentence[e - 3] != ".":  # "Ayr." at a sentence's end; not "U.S."
            e -= 1
        add("name", s, e)
    return sorted(found, key=lambda c: c.start)


_MEASURES = [  # what a quantity question asks for, by its wording
    ("percent", re.compile(r"\b(?:percent(?:age)?|per cent|share|proportion|portion|fraction)\b")),
    ("age", re.compile(r"^how old\b|\bage\b")),
    ("time", re.compile(r"^how long\b|^how many (?:\w+ )?(?:years|months|weeks|days|hours|minutes|seconds|decades)\b")),
    (
        "size",
        re.compile(
            r"^how many (?:square )?(?:acres|hectares|km|kilomet(?:er|re)s|miles|met(?:er|re)s|feet|tonnes|tons)\b"
        ),
    ),
    ("speed", re.compile(r"^how fast\b|\bspeed\b")),
    ("length", re.compile(r"^how (?:tall|deep|wide|far)\b|^how many pages\b")),  # a page count is a length
    ("count", re.compile(r"^how many\b")),  # "How many pens does China make?" counts, though "make" is earning
    (
        "change",
        re.compile(
            r"\b(?:growth|grow|grew|rate|increase[ds]?|rise|rose|fall|fell|drop(?:ped)?|decline[ds]?|shrink|shrank|"
            r"cut|cuts|reduce[ds]?|slash(?:e[ds])?|"
            r"(?<!the )(?<!a )(?<!its )(?<!their )contract(?:ed)?|"  # not "after the contract ended"
            r"gain(?:ed|s)?)\b"
        ),
    ),
    (
        "money",
        re.compile(
            r"\b(?:cost|worth|price|fine[ds]?|salary|pay|paid|spend|spent|invest|budget|fund|bonus|loss|lose|lost|money|"
            r"profit|revenue|income|debt|bailout|raise[ds]?|recover(?:ed)?|earn|make|made)\b"
        ),
    ),
]
_PHYSICAL = re.compile(
    rf"(?<![a-z])(?:tonnes|tons|km|kilomet(?:er|re)s|miles|mph|kph|metres|meters|feet|points|acres|hectares|{_BULK})\b",
    re.I,
)
_MONEY_UNIT = re.compile(
    r"[$€£¥?]|\b(?:bn|yuan|euros?|dollars|pounds|rubles|roubles|pesos|rupees|yen|francs|cents|pence)\b", re.I
)
_MEASURED = re.compile(r"^how many (?:square )?[a-z]+ of (?:the |its |their )?([a-z-]+)")
_FRACTION = re.compile(r"^(?:half|a third|one-third|two-thirds|a quarter|three-quarters)\b", re.I)
_UNIT_KINDS = [
    ("percent", re.compile(r"%|\bper ?cent\b|\b(?:percentage|basis) points?\b", re.I)),
    ("money", _MONEY_UNIT),
    ("time", re.compile(r"\b(?:years?|months?|weeks?|days?|hours?|minutes?|seconds?)\b", re.I)),
    (
        "length",
        re.compile(
            r"(?<![a-z])(?:km|kilomet(?:er|re)s?|miles?|metres?|meters?|feet|foot|inch(?:es)?|cm|centimet(?:er|re)s?|"
            r"mm|millimet(?:er|re)s?|pages?)\b",
            re.I,
        ),
    ),
]


def measure(question: str) -> str:
    """What a quantity question measures: "percent", "money", "time", "age", "size", "speed", "length", "count",
    "change", or "" (it does not say).

    >>> [measure(q) for q in ("How many people attended?", "What share does the state own?", "How much did it cost?",
    ...                       "What net profit growth can the industry maintain?")]
    ['count', 'percent', 'money', 'change']
    """
    return _first_match(_MEASURES, question, "")


_TAKES_TIME = r"(?:took|takes?|taking|taken|last(?:s|ed|ing)?|spen[dt]s?|spending)"
_ASKS_TIME_TAKEN = re.compile(rf"^how long\b.*\b{_TAKES_TIME}\b", re.I)
_TIME_TAKEN = re.compile(rf"\b{_TAKES_TIME}\b(?:\s+[\w'-]+){{0,3}}\s*$", re.I)


def takes_time(question: str, sentence: str, c: Candidate) -> bool:
    """Whether `c` is the time something took that "How long did it take / last ...?" asks for: a duration just
    after the verb ("It took him five years to finally let it go", "lasted almost eight hours").

    >>> s, c = "It took him five years to finally let it go.", Candidate("quantity", "five years", 12, 22)
    >>> takes_time("How long did it take him to let go?", s, c), takes_time("How long is the ban?", s, c)
    (True, False)
    """
    return _asks_time_taken(question) and _unit(c) == "time" and bool(_TIME_TAKEN.search(sentence[: c.start]))


def shares_asked(question: str, sentence: str, c: Candidate) -> bool:
    """Whether `c` is the share a "What share / percentage ...?" question asks for, said of one of the question's
    own words right after it: "51 percent cashews" for "What share of the fruit bars is cashews?"."""
    if measure(question) != "percent" or _unit(c) != "percent":
        return False
    after = re.match(r"\s+(?:of\s+(?:the\s+)?)?([\w'-]+)", sentence[c.end :])
    return bool(after) and bool(stems(after.group(1)) & stems(question))


@functools.lru_cache(maxsize=256)
def _asks_time_taken(question: str) -> bool:
    """Whether the question asks how long something took or lasted, after a lead-in ("And how long did it last?");
    read once per question, not once per candidate."""
    return bool(_ASKS_TIME_TAKEN.search(_LEAD_IN.sub("", question.strip(), count=1)))


# The act a "how many / how much" question counts or sums: a participle after "were", "been" ("How many people
# were evacuated ...?"), a past tense right after what is counted ("How many people died ...?"), or the verb after a
# named subject ("How many tweets did The Daily Show pick ...?"). Verbs that tell no act are left out.
_COUNT_HEAD = re.compile(r"^\s*how\s+(?:many|much)\b", re.I)
_COUNTED_PASSIVE = re.compile(r"\b(?:was|were|been|be|being|is|are)\s+(?:\w+ly\s+)?([a-z]+)\b")
_COUNTED_PAST = re.compile(
    r"^\s*(?i:how\s+(?:many|much))\s+(?:(?!(?:will|would|did|does|do|the|has|have|had)\b)[\w'’-]+\s+){1,3}?"
    r"([a-z]{2,}ed)\b"
)
# ... not after a possessive ("did Italy's coast guard rescue"), nor before a noun ("did Chinese car sales grow")
_VERB_AFTER_SUBJECT = re.compile(
    r"\b(?:did|do|does|will|would|can|could|should|might|may)\s+(?:(?:[A-Z][\w.-]*\s+)+|(?:it|he|she|they|we|you)\s+)"
    r"(?:\w+ly\s+)?([a-z]{3,})(?=\s*[?.]?$|\s+(?:[A-Z0-9]|(?:the|a|an|in|on|at|for|to|from|with|by|of|this|that|its|his|"
    r"her|their|last|per|each|over|after|before|during|since|between)\b))"
)
_NO_ACT = set(
    """have has had get got make made do need needed expect expected estimate estimated believe believed think thought
    report reported say said take taken give given""".split()
)


@functools.lru_cache(maxsize=256)
def counted_act(question: str) -> frozenset[str]:
    """The stems of the act a "how many / how much" question asks about ("evacu", "die"), or none.

    >>> sorted(counted_act("How many people died?")), sorted(counted_act("How many did The Daily Show pick?"))
    (['die'], ['pick'])
    >>> counted_act("How many stores does John Lewis have?"), counted_act("When did Rutte speak?")
    (frozenset(), frozenset())
    """
    if not _COUNT_HEAD.match(question):
        return frozenset()
    for pattern in (_COUNTED_PASSIVE, _COUNTED_PAST, _VERB_AFTER_SUBJECT):
        m = pattern.search(question)
        verb = m.group(1).lower() if m else ""
        if pattern is _COUNTED_PASSIVE and not (verb.endswith(("ed", "en")) or verb in _IRREGULAR_PAST):
            continue
        if verb:
            return _act_of(verb)
    return frozenset()


_WHEN_HEAD = re.compile(r"^\s*when\b", re.I)


@functools.lru_cache(maxsize=256)
def when_act(question: str) -> frozenset[str]:
    """The stems of the act a "When did / will <someone named> <verb> ...?" question dates ("trigger"), or none.

    >>> sorted(when_act("When did Theresa May trigger Article 50?")), when_act("When did the war end?")
    (['trigger'], frozenset())
    """
    m = _VERB_AFTER_SUBJECT.search(question) if _WHEN_HEAD.match(question) else None
    return _act_of(m.group(1).lower()) if m else frozenset()


def _act_of(verb: str) -> frozenset[str]:
    """The stems of `verb` as the act a question asks about; none for a verb that tells no act ("have")."""
    return frozenset() if verb in _NO_ACT or verb in STOPWORDS else frozenset(stems(verb))


def _unit(c: Candidate) -> str:
    """The kind of a quantity's unit: "percent", "money", "time", "length", or "" (none of those)."""
    return next((name for name, rule in _UNIT_KINDS if rule.search(c.text)), "")


# "surged by 45.7 percent", "went up 12.5 percent", "a rise of 3 percent", "fell 2.5"
_CHANGED_BY = re.compile(
    r"\b(?:(?:surg|ros|gr[eo]w|jump|climb|fell|fall|drop|declin|increas|decreas|gain|los|lost|slump|soar|plung|"
    r"shr[iau]nk|contract|expand|edg|add|advanc|rall|slipp|eas|tumbl|dipp|rebound|widen|narrow|cut|reduc|slash|"
    r"went|go(?:es)?|was|is|were|are)\w*\s+(?:up|down)?"  # a verb of changing, "went up"
    r"|up|down|(?:rise|fall|growth|increase|decline|drop|gain|jump|loss)\s+of)"  # "up 4 percent", "a rise of"
    r"\s*(?:by\s+)?(?:(?:about|around|nearly|almost|some|roughly|over|just|more than|less than)\s+)?$",
    re.I,
)


_SPEED = re.compile(r"[\d,.]+\s?(?:mph|kph|km/h|kmh|knots|(?:miles|kilomet(?:er|re)s)\s+(?:per|an)\s+hour)\b", re.I)
_COMPARED = re.compile(r"\s+(?:faster|slower|more|less|higher|lower|larger|smaller|bigger|as)\b", re.I)


def changed_by(sentence: str, c: Candidate) -> bool:
    """Whether quantity `c` is what something changed by: "surged by 45.7 percent", "went up 12.5 percent"; not a
    comparison ("growing three times faster than ...")."""
    return bool(_CHANGED_BY.search(sentence[: c.start])) and not _COMPARED.match(sentence, c.end)


def _fits_measure(c: Candidate, wanted: str) -> bool:
    """Whether a quantity's unit suits the measure asked: "26 years" does not answer "how many people"."""
    unit = _unit(c)
    if wanted == "money":  # "three billion barrels" are no money
        big = bool(re.search(r"\b(?:million|billion|trillion)\b", c.text, re.I)) and not _PHYSICAL.search(c.text)
        return unit == "money" or (unit == "" and big)
    if wanted == "percent":
        return unit == "percent" or (
            unit == "" and bool(re.search(r"\b(?:half|third|quarter|thirds|quarters)\b", c.text, re.I))
        )
    if wanted != "time" and _ONE_UNIT.fullmatch(c.text):
        return False  # "an hour" answers only "how long"
    if wanted == "time":  # "How long ...?": a time or a length ("the 1,897km pipeline"), not "3,900 ... jobs"
        return unit in ("time", "length")
    if wanted == "change":  # "growth of 25 percent", "rose by $3bn", "fell 2.5"
        return unit in ("percent", "money", "")
    if wanted == "length":  # "How tall is the statue?": "50-inch", not "March 8"
        return unit == "length"
    if wanted == "speed":  # "How fast ...?": "76mph", "at 300 km/h" (read with the words after it, in `typed`)
        return unit in ("", "length")
    if wanted == "size":  # "How many acres ...?": "62 acres"
        return bool(_PHYSICAL.search(c.text))
    if wanted in ("age", "count") and _FRACTION.search(c.text):
        return False  # "half the country's prewar population" is a share, not a count
    if wanted in ("age", "count") and _ORDINAL.fullmatch(c.text.lower().split()[0]):
        return False  # "the first of three defendants", "the first day of spring" rank, they do not count
    if wanted in ("age", "count") and _PHYSICAL.search(c.text):
        return False  # "2,300 tonnes" weighs, it does not count volunteers
    if wanted in ("age", "count"):
        return unit == "" or (
            unit == "time" and wanted == "count" and c.text.split()[-1].lower() not in ("years", "year")
        )
    return True


# What a count of people counts, by the words news uses for it: "How many were killed?" is not answered by a
# sentence that counts only the injured ("Some 40 people have been injured"), nor the displaced by the dead.
_TOLLS = [
    re.compile(
        r"\b(?:kill(?:ed|ing|s|ers?)?\b|dead(?:ly)?\b|deaths?\b|die[ds]?\b|dying|fatal|lives\b|bodies\b|murder|massacre|toll\b)",
        re.I,
    ),  # not "Killarney", "deadline"
    re.compile(r"\b(?:injur|wound|hurt\b|hospitali[sz]ed)", re.I),
    re.compile(r"\bmissing\b", re.I),
    re.compile(r"\b(?:displac|fled\b|flee|refugee|homeless|uprooted)", re.I),
    re.compile(r"\b(?:arrest|detain|detention|custody)", re.I),
    re.compile(r"\b(?:evacuat)", re.I),
    re.compile(r"\b(?:rescu)", re.I),
]


def counts_other_toll(sentence: str, question: str) -> bool:
    """Whether `sentence` counts other people than the question asks for: the question asks for one toll
    (killed, injured, missing, displaced, arrested, evacuated, rescued) and the sentence does not name it, whether
    it names another toll or none ("the homes of nearly 4,700 people were destroyed" counts no one injured).

    >>> counts_other_toll("Some 40 people have been injured.", "How many people were killed by the avalanche?")
    True
    >>> counts_other_toll("It killed seven and injured 40 more.", "How many people were killed by the avalanche?")
    False
    >>> counts_other_toll("The homes of 4,700 people were destroyed.", "How many people were injured there?")
    True
    """
    asked = [t for t in _TOLLS if t.search(question)]
    if len(asked) != 1:
        return False
    return not asked[0].search(sentence)


_COUNTS_PEOPLE = re.compile(
    r"\s+(?:\w+\s+)?(?:people|persons|children|men|women|voters|residents|refugees|civilians|workers|votes|seats)\b",
    re.I,
)


# The plural noun a number counts, right after it or after one word that describes it ("7.5 million page views").
_COUNTED_NOUN = re.compile(
    r"\s+(?:(?!(?:in|of|for|to|on|at|from|by|with|as|and|or|a|an|the)\b)[a-z-]+\s+)?"
    r"(?!(?:this|does|less|plus|across|towards|unless|was|has|is|its|his|thus|yes)\b)([a-z-]{2,}s)\b"
)
_VAGUE = re.compile(r"(?:dozens|scores|hundreds|thousands|millions|tens of thousands|hundreds of thousands)", re.I)
_OF_NOUN = re.compile(r"\s+of\s+(?:[\w-]+\s+){0,2}?([a-z-]{2,}s)\b")
_NATIONALS = re.compile(r"\s+[A-Z][a-z]+(?:an|ish|ese|i)\s+([a-z-]{2,}s)\b")  # "1,000 Palestinian prisoners"
_PEOPLE = (
    rf"(?:{_PERSON_NOUNS})(?:s|es)?|people|persons|civilians|residents|victims|suspects|fighters|militants|"
    r"troops|staff|employees|workers|customers|tourists|visitors|passengers|migrants|refugees|children|members|"
    r"patients|students|pupils|voters|protesters|demonstrators|prisoners|detainees|inmates|immigrants|seekers|"
    r"families|babies|infants|adults|teenagers|youths|individuals|citizens|nationals|fans|spectators|delegates|"
    r"participants|attendees|volunteers|recruits|officials|users|subscribers|viewers|readers|listeners|shoppers|"
    r"consumers|buyers|investors|applicants|runners|athletes|casualties|survivors|hostages|captives|guests|tenants|"
    r"drivers|crew|sailors|marines|police|guards|personnel|experts|doctors|nurses|teachers|farmers|pensioners|"
    r"(?:mother|father|son|daughter|wife|husband|widow|brother|sister|uncle|aunt|friend|partner|girlfriend|boyfriend|"
    r"mum|dad|parent|child|baby|grandmother|grandfather|nephew|niece|cousin|fiancée?|spouse|owner|holder|winner)s?"
)
# ... or a word shaped like one ("mourners", "residents", "detainees"): a count of those is never excluded
_PEOPLE_WORD = re.compile(rf"^(?:{_PEOPLE}|\w+(?:ers|ors|ists|ants|ents|ians|ees|men|women|folk))$", re.I)


_NO_BEFORE = re.compile(r"\b(?:no|any|every|some)\s*$", re.I)
# "one" that stands for a thing named before it: "will build one in the US instead", "the one that brought rain"
_ONE_STANDS_FOR = re.compile(
    r"\s*(?:[.,;:!?]|(?:that|who|which|instead)\b|in\s+(?:the|a|an|this|that|his|her|its|their)\b)"
)


def _counts_things(sentence: str, c: Candidate) -> bool:
    """Whether a number without a currency counts things named after it: "7.5 million page views" is no sum."""
    return not _MONEY_UNIT.search(c.text) and bool(_COUNTED_NOUN.match(sentence, c.end))


def _counts_other_than_people(sentence: str, c: Candidate, question: str) -> bool:
    """Whether a number counts things that are not the people a "How many <people> ...?" question counts: "nine
    life terms" for "How many suspects ...?" ("2,000 soldiers" for "How many troops" still counts people)."""
    noun = answer_noun(question)
    vague = _VAGUE.fullmatch(c.text) and _OF_NOUN.match(sentence, c.end)  # "dozens of elected Kurdish mayors"
    m = vague or _COUNTED_NOUN.match(sentence, c.end) or _NATIONALS.match(sentence, c.end)
    if not noun or not m or not _PEOPLE_WORD.match(noun):
        return False
    return not _counts_as(m.group(1).lower(), noun)


def counts_asked(sentence: str, c: Candidate, question: str) -> bool:
    """Whether a number counts what a "How many <noun> ...?" question counts: that noun right after it, or for a
    noun of people any word for people ("four victims" for "How many people died?"; "Thousands of people" who
    gathered are not counted so)."""
    noun = answer_noun(question)
    if not noun:
        return False
    words = c.text.lower().split()
    m = _COUNTED_NOUN.match(sentence[c.end : c.end + 80].lower())  # "73 Israelis", "20 others"
    counted = ([words[-1]] if len(words) > 1 else []) + ([m.group(1)] if m else [])  # or its own ("80 people")
    return any(_counts_as(w, noun) for w in counted)


def _counts_as(word: str, noun: str) -> bool:
    """Whether a counted `word` counts the question's `noun`: the same word, or for people any word for people
    but one of another kind of people ("1,000 Palestinian prisoners" are no suspects, "70,000 merchants" no
    tourists; "20 civilians" may be the victims asked about and "three men" the suspects)."""
    if _stem(word) == _stem(noun.lower()):
        return True
    if not (_PEOPLE_WORD.match(noun) and _PEOPLE_WORD.match(word)):
        return False
    kinds = [{i for i, group in enumerate(_PEOPLE_KINDS) if group.match(w)} for w in (word.lower(), noun.lower())]
    return not (kinds[0] and kinds[1]) or bool(kinds[0] & kinds[1])


# Kinds of people a count may be of: a count of one kind does not answer "How many <another kind> ...?". A word
# of no kind here ("people", "men", "children", "patients", "mothers") may count any.
_PEOPLE_KINDS = [
    re.compile(rf"^(?:{kind})$")
    for kind in (
        r"troops|soldiers|marines|servicemen|personnel|fighters|militants|forces|sailors|guards|recruits|officers|police(?:men)?|rebels|insurgents|jihadists",
        r"victims|casualties|dead|injured|wounded|survivors|hostages|captives|civilians",
        r"migrants|refugees|immigrants|seekers|evacuees|foreigners|nationals|asylum",
        r"employees|workers|staff|personnel|crew|members|jobs",
        r"tourists|visitors|guests|travell?ers|passengers|holidaymakers|pilgrims|spectators|fans|attendees|participants|delegates",
        r"prisoners|detainees|inmates|convicts|captives|hostages",
        r"suspects|attackers|gunmen|assailants|perpetrators|militants",
        r"protesters|demonstrators|marchers|activists|campaigners",
        r"voters|electors|supporters",
        r"students|pupils|graduates",
        r"customers|consumers|shoppers|buyers|users|subscribers|clients|viewers|readers|listeners",
        r"merchants|retailers|traders|vendors|sellers|suppliers|partners|businesses|firms|companies",
        r"officials|ministers|lawmakers|mps|senators|deputies|legislators|representatives|members|delegates|leaders|"
        r"mayors|governors|councillors|councilors",
        r"doctors|nurses|medics|surgeons|paramedics",
        r"farmers|growers",
        r"athletes|players|runners|competitors|riders",
    )
]


def _labels(sentence: str, c: Candidate, question: str) -> bool:
    """Whether a number is part of the name of something the question speaks of: after a determiner, before one
    of the question's words that is not what it counts ("the 12.12 shopping festival", "the G20 summit")."""
    after = re.match(r"(?:\s+[a-z]+){1,3}", sentence[c.end :])
    if not after or not re.search(r"\b(?:the|its|his|her|their|this|that)\s+$|['’]s\s+$", sentence[: c.start], re.I):
        return False  # checked first: the question's own words are worked out only for a number after a determiner
    counted = answer_noun(question)
    if not counted:
        return False
    words = after.group().split()  # "the 78 terrorist attacks" counts attacks: the counted noun follows
    return words[0] in content_words(question) and _stem(counted) not in {_stem(w) for w in words}


_ASKS_CLOCK = re.compile(r"^\s*(?:at\s+)?what\s+time\b", re.I)
# A time of day: "3:30 a.m.", "3.30 pm", "17:00", "16:00 GMT"
_CLOCK = re.compile(r"\b\d{1,2}(?:[:.]\d{2})?\s?(?:a\.m\.|p\.m\.|am\b|pm\b)|\b\d{1,2}:\d{2}\b(?:\s?GMT\b)?", re.I)
_UK = r"UK|U\.K\.|Britain|British|United Kingdom|England|English|Scotland|Scottish|Wales|Welsh|Northern Ireland"
_US = r"US|U\.S\.|USA|United States|America|American"
# Countries a "How many ... in <country>?" question may ask about, each with the words a sentence names it by.
_COUNTRIES = {
    "UK": _UK,
    "Britain": _UK,
    "United Kingdom": _UK,
    "England": r"England|English",
    "Scotland": r"Scotland|Scottish",
    "Wales": r"Wales|Welsh",
    "Northern Ireland": r"Northern Ireland",
    "Ireland": r"Ireland|Irish",
    "US": _US,
    "U.S.": _US,
    "United States": _US,
    "America": _US,
    **{
        name: rf"{name}|{people}"
        for name, people in (
            ("Germany", "German"),
            ("France", "French"),
            ("China", "Chinese"),
            ("Russia", "Russian"),
            ("Japan", "Japanese"),
            ("India", "Indian"),
            ("Italy", "Italian"),
            ("Spain", "Spanish"),
            ("Canada", "Canadian"),
            ("Australia", "Australian"),
            ("Turkey", "Turkish"),
            ("Syria", "Syrian"),
            ("Iraq", "Iraqi"),
            ("Iran", "Iranian"),
            ("Israel", "Israeli"),
            ("Ukraine", "Ukrainian"),
            ("Mexico", "Mexican"),
            ("Brazil", "Brazilian"),
            ("Netherlands", "Dutch"),
            ("Belgium", "Belgian"),
            ("Poland", "Polish"),
            ("Greece", "Greek"),
            ("Egypt", "Egyptian"),
            ("Pakistan", "Pakistani"),
            ("Afghanistan", "Afghan"),
            ("South Korea", "South Korean"),
            ("North Korea", "North Korean"),
        )
    },
}


def elsewhere(question: str, sentence: str) -> bool:
    """Whether `sentence` tells of another country than the one a question asks about ("How many boxes are sold in
    the UK?": "150,000 boxes have been sold in Germany"), and never names the asked one.

    >>> elsewhere("How many are sold in the UK?", "150,000 are sold in Germany."), elsewhere(
    ...     "How many are sold in the UK?", "150,000 are sold in Scotland.")
    (True, False)
    """
    asked, named, other = _countries_asked(question)
    return bool(asked) and not named.search(sentence) and bool(other.search(sentence))


@functools.lru_cache(maxsize=256)
def _countries_asked(question: str) -> tuple[list[str], re.Pattern, re.Pattern]:
    """The countries a question asks about "in", and patterns for a sentence naming one of them and for one told to
    be "in" another country; read once per question, not once per sentence."""
    asked = [name for name in _COUNTRIES if re.search(rf"\bin\s+(?:the\s+)?{re.escape(name)}(?!\w)", question)]
    named = "|".join(_COUNTRIES[name] for name in asked) or "(?!)"
    other = "|".join(words for name, words in _COUNTRIES.items() if name not in asked)
    return asked, re.compile(rf"\b(?:{named})(?!\w)"), re.compile(rf"\bin\s+(?:the\s+)?(?:{other})(?!\w)")


_ASKS_TOWN = re.compile(r"\b(?:which|what)\s+(?:\w+\s+)?(?:city|town|village)\b")


def _people_apart(sentence: str, found: list[Candidate]) -> list[Candidate]:
    """`found` with each name run joined by "and" that is no pair of people followed by its two sides
    ("Gillibrand and Rep. Rosa DeLauro": also "Gillibrand", "Rep. Rosa DeLauro"), so that one side can answer
    "who" when the run as a whole does not."""
    out = []
    for c in found:
        out.append(c)
        pair = c.kind == "name" and c.text.count(" and ") == 1  # not "House and Senate ... and Judiciary ..."
        if pair and c.text.find(" and ") > 0 and not _person_like(sentence, c):
            out += _sides(c)
    return out


def _sides(c: Candidate) -> tuple[Candidate, Candidate]:
    """The two sides of a candidate at its first " and ": "Gillibrand and Rep. Rosa DeLauro" → "Gillibrand",
    "Rep. Rosa DeLauro"."""
    at = c.text.index(" and ")
    return Candidate(c.kind, c.text[:at], c.start, c.start + at), Candidate(
        c.kind, c.text[at + 5 :], c.start + at + 5, c.end
    )


_UNTIL = re.compile(r"\b(?:until|till|through)\s+(?:at\s+least\s+)?$", re.I)


def typed(sentence: str, kind: str, question: str) -> list[Candidate]:
    """The candidates of `sentence` that could answer a question of type `kind`, leaving out what the question says."""
    wanted = EXPECTS.get(kind)
    if not wanted:
        return []
    asked = _fold(question)
    unit = measure(question) if kind == "quantity" else ""
    role = asked_role(question) if kind == "person" else ""
    if role and not re.search(rf"\b(?:{_ROLE_WORDS.get(role, role)})", _fold(sentence)):
        return []  # "Who was the captain?" is answered by a sentence that calls someone the captain
    if unit == "count" and counts_other_toll(sentence, question):
        return []
    if kind == "quantity" and elsewhere(question, sentence):
        return []  # "sold in Germany" does not say how many are sold in the UK
    measured = _MEASURED.match(_fold(question)) if unit == "size" else None  # "kilometers of railways"
    named, named_as = named_noun(question), named_kind(question)
    if named_as and not {named_as, _stem(named_as)} & stems(sentence):
        return []  # "the firearms officer who shot him" is not the anti-terror officer a sentence names
    thing = named and not _PEOPLE_WORD.match(named)  # "the name of the software tool": a name, not a person's
    out = []
    found = candidates(sentence)
    for c in _people_apart(sentence, found) if kind == "person" else found:
        until = unit == "time" and c.kind == "date" and _UNTIL.search(sentence, 0, c.start)  # "until February 2018"
        if not until and (c.kind not in wanted or (unit and not _fits_measure(c, unit))):
            continue  # "How long will the statue stay?" is answered by when it goes, too
        if unit == "money" and (_COUNTS_PEOPLE.match(sentence, c.end) or _counts_things(sentence, c)):
            continue  # "More than 20 million people face starvation" counts, it does not pay
        if c.text.lower() == "one" and (
            sentence[c.end :].startswith(" of ")
            or _NO_BEFORE.search(sentence[: c.start])
            or _ONE_STANDS_FOR.match(sentence, c.end)
        ):
            continue  # "one of more than 1,000 prisoners", "no one would benefit", "will build one in the US": no count
        if measured and _stem(measured.group(1)) not in stems(sentence[c.end : c.end + 40]):
            continue  # "6,096 kilometers of highways" are no kilometers of railways
        if unit == "speed" and not _SPEED.match(sentence, c.start):
            continue  # "no-one had been injured" gives no speed
        if unit == "change" and _unit(c) == "" and not changed_by(sentence, c):
            continue  # "we sold 9,593 Porsches" says how many, not by how much sales rose ("rose 12.5 percent")
        if unit == "count" and _counts_other_than_people(sentence, c, question):
            continue  # "sentenced to nine life terms" counts no suspects
        if unit == "count" and _labels(sentence, c, question):
            continue  # "the 12.12 shopping festival" names the festival, it counts no tourists
        if named and not near_noun(sentence, c, named) and not _CALLED.search(sentence[: c.start]):
            continue  # "the name of the firearms officer": a name beside "officer", not any name of the sentence
        age = _is_age(sentence, c, loose=unit == "age")  # "at the age 87", "the 53-year-old", "Bill Baroni, 45,"
        if c.kind == "quantity" and age != (unit == "age"):
            continue  # an age answers "how old", and only "how old"
        if age and unit == "age" and _age_of_another(sentence, c, found, question):
            continue  # "Hyong Kwang Song, the 44-year-old ..., and Kim Uk Il": not Kim's age
        if age and unit == "age" and _far_from_subject(sentence, c, question):
            continue  # "How old is Duterte?": "Duterte, 71,", not "the 15-year-old suspect" of the next clause
        if c.kind == "date" and _ASKS_CLOCK.match(question) and not _CLOCK.fullmatch(c.text):
            continue  # "What time did he enter?": "around 3:30 a.m.", not "on Monday"
        if c.kind == "date" and _REPORTED_ON.search(sentence[: c.start]) and not _SAYING.search(question):
            continue  # "..., Valovaya told TASS on Monday": when it was said, not when it happens
        words = [w for w in re.findall(r"\w+", _fold(c.text).replace("'s", "")) if w not in _FILLER]
        if words and all(re.search(rf"\b{re.escape(w)}", asked) for w in words):
            continue  # the question's own words are not its answer
        # "Philippine President Rodrigo Duterte" is who a question about Duterte is about, not its answer; the last
        # word is matched as written, so "Park Hyatt Hotel" still answers "In which hotel ...?"
        last = c.text.split()[-1].removesuffix("'s").removesuffix("’s")
        if c.kind == "name" and len(words) > 1 and re.search(rf"\b{re.escape(last)}\b", question):
            continue
        if kind == "person" and not thing and not _person_like(sentence, c):
            continue  # "UK", "European Council" do not answer "who"
        if kind == "organisation" and _TITLE.fullmatch(c.text.removesuffix("'s").removesuffix("’s")):
            continue  # "the President's agenda": an office, not a group
        if kind == "place" and _ASKS_TOWN.search(asked) and c.text.removeprefix("the ") in _COUNTRIES:
            continue  # "In which city ...?": "in the UK" is a country, not the city
        if kind == "place" and (_HONORIFIC.search(sentence[: c.start]) or _ACTS.match(sentence, c.end)):
            continue  # "Mr Trump", "Rutte said": a person, not where
        if kind == "place" and (
            _NOT_PLACE.search(c.text + sentence[c.end : c.end + 9]) or _DEMONYM.match(c.text.split()[-1])
        ):
            continue  # "Nobel Prize-winning poet": an award, not where; "Germans": a people
        if kind == "person" and _attributes(sentence, c, question) and not _ASKS_SPEAKER.search(question):
            continue  # "..., Sheriff Bob Gualtieri said" is who tells it, not who the question asks for
        out.append(c)
    return out


# "more than 1,000", "up to 76mph", "roughly 970": the article's own hedge is part of the figure it gives
_HEDGE = re.compile(
    r"(?:\b(?:more|fewer|less)\s+than|\bat\s+(?:least|most)|\bup\s+to|\bas\s+(?:many|much|few)\s+as|"
    r"\b(?:just\s+)?(?:over|under|above|below)|\b(?:about|around|roughly|nearly|almost|some|approximately|an\s+estimated))\s+$",
    re.I,
)
_RANGE_OPENS = re.compile(r"\b(?:between|from)\s+$", re.I)
_RANGE_TO = re.compile(rf"\s*(?:and|to|-|–)\s*(?:{_QUANTITY.pattern})", re.I)
_RANGE_FROM = re.compile(r"(?:\b(?:between|from)\s+)?\b(?!(?:19|20)\d{2}\b)\d[\d,.]*\s*(?:and|to|-|–)\s*$", re.I)
_COUNTED = {"people", "votes", "seats"}  # what a count counts: "How many people ...?" is answered by "2,000"


def answer_span(question: str, sentence: str, c: Candidate) -> Candidate:
    """The short answer a candidate of `sentence` gives to `question`, as an exact span of the sentence: a number
    with the hedge before it and without the noun the question counts ("How many people signed?": "more than
    200,000", not "200,000 people"); a name without the title or place the question already gives ("Which
    Minister of State said ...?": "Catherine Byrne"; "Jie Lou of China": "Jie Lou").

    >>> s = "More than 200,000 people signed it, said Minister of State Catherine Byrne of Dublin."
    >>> [answer_span(q, s, c).text for q, c in (("How many people signed it?", candidates(s)[0]),
    ...                                          ("Which Minister of State said so?", candidates(s)[1]))]
    ['More than 200,000', 'Catherine Byrne']
    """
    start, end, asked = c.start, c.end, _fold(question)
    if c.kind == "quantity":
        span = _RANGE_FROM.search(sentence[:start])  # "Between 31 and 67 percent" is the figure, not its "67"
        start = span.start() if span else start
        opens = _RANGE_OPENS.search(sentence[:start])
        to = _RANGE_TO.match(sentence, end) if opens else None
        if to:  # "between 500,000 and 1 million cubic yards", read from its first figure
            start, end = opens.start(), to.end()
        hedge = _HEDGE.search(sentence[:start])
        words = re.findall(r"[a-z]{4,}", _fold(hedge.group())) if hedge else []
        said = bool(words) and all(re.search(rf"\b{w}", asked) for w in words)
        start = hedge.start() if hedge and not said else start  # "How much is it estimated to make?": "$500m"
        unit = re.search(r"\s+([A-Za-z]+)$", sentence[c.start : end])
        if unit and unit.group(1).lower() in _COUNTED and re.search(rf"\b{unit.group(1).lower()}\b", asked):
            end = c.start + unit.start()
    elif c.kind == "date" and (until := _UNTIL.search(sentence, 0, start)) and measure(question) == "time":
        start = until.start()  # "How long will it stay?": "until February 2018"
    elif c.kind == "name" and _person_like(sentence, c) and answer_type(question) != "organisation":
        # "Irish Research Council" keeps its "Irish"; "Which company ...?": "State Street Global Advisors" whole
        words = list(re.finditer(r"\S+", sentence[start:end]))
        # up to the last leading word the question already says: a title, an office, a place ("Republican
        # Senators Rand Paul" for "Which senators ...?"); a name keeps its last two words
        said = [
            i
            for i in range(len(words) - 2)
            if _fold(words[i].group()) not in _FILLER and _says(asked, words[i].group())
        ]
        cut = said[-1] + 1 if said else 0
        while 0 < cut < len(words) and _fold(words[cut].group()) in _FILLER:
            cut -= 1  # never start on "of": "Minister of State" goes whole or not at all
        if cut:
            start += words[cut].start()
        start += _after_institution(sentence[start:end])  # "Scottish Conservative Party Richard Cook": Richard Cook
        place = re.search(r"\s+of\s+[A-Z][\w.'-]*(?:\s+[A-Z][\w.'-]*)*$", sentence[start:end])
        if place and len(sentence[start : start + place.start()].split()) >= 2:
            end = start + place.start()  # "Andrew Dillman of New York" is Andrew Dillman
    if c.kind == "name" and sentence[start:end].endswith(("'s", "’s")):
        end -= 2  # "Pastor Emmanuel Momoh's discovery": the name, not its possessive
    return Candidate(c.kind, sentence[start:end], start, end) if (start, end) != (c.start, c.end) else c


def _says(asked: str, word: str) -> bool:
    """Whether the folded question `asked` has `word`, each part of a hyphened one on its own ("Gael-TD")."""
    return all(re.search(rf"\b{re.escape(p)}\b", asked) for p in _fold(word).split("-") if p)


# --- what a question asks for, and where a sentence says it ----------------------

STOPWORDS = set(
    """a an the and or but if of to in on at by for with about from into over after before as is are was were be been
    being has have had do does did what which who whom whose when where why how that this these those it its he she
    they them his her their we you i me my our your said say says tell told there than then so not no yes will would
    can could should may might also any all some more most other such only own same very just both each few""".split()
)


def content_words(text: str) -> set[str]:
    """The lower-cased words of `text` that carry meaning, plurals folded ("sanctions" ~ "sanction").

    >>> sorted(content_words("What did Rutte say about the sanctions?"))
    ['rutte', 'sanction']
    """
    words = re.findall(r"[a-z0-9]+", _fold(text).replace("'s ", " "))
    return {w[:-1] if len(w) > 4 and w.endswith("s") else w for w in words if w not in STOPWORDS}


_QUESTION_WORDS = {
    "Until",
    "Since",
    "Till",
    "What",
    "Who",
    "Whom",
    "Whose",
    "When",
    "Where",
    "Why",
    "How",
    "Which",
    "Did",
    "Does",
    "Do",
    "Is",
    "Are",
    "Was",
    "Were",
    "Will",
    "Would",
    "Can",
    "Could",
    "Should",
    "And",
    "But",
    "Tell",
    "According",
    "In",
    "On",
}


def bare_word(word: str) -> str:
    """A word without trailing dots, quotes or possessive: "Spicer's" → "Spicer", "U.S." → "U.S"."""
    return word.rstrip(".’'").removesuffix("’s").removesuffix("'s")


def question_names(text: str) -> list[str]:
    """Capitalized words of a question, bar question words: the names it turns on."""
    out = []
    for m in re.finditer(r"\b[A-Z][\w.’'-]*", text):
        w = bare_word(m.group())
        if w and w not in _QUESTION_WORDS and w.lower() not in STOPWORDS and not is_calendar_word(w):
            out.append(w)
    return out


# "by February 17", "on 6 March": days of a date, which the articles write in many ways (a time, not a name)
_CALENDAR_DATE = re.compile(
    r"\b\d{1,2}(?:st|nd|rd|th)?\s+(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?|"
    r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?\b"
)


def _undot(text: str) -> str:
    return text.replace(".", "").replace("’", "'").lower()


def absent_names(question: str, text: str, publishers: set[str] = frozenset()) -> list[tuple[str, str]]:
    """(name as `question` writes it, pattern) of its names and numbers that `text` never mentions; a name that
    is one of `publishers` (`publisher_words`) is not looked for in the text.

    A name may be inflected ("Korea" in "North Korean"); a number must match whole, but may carry a unit ("3.7b").

    >>> [n for n, _ in absent_names("What did Macron say about North Korea in 2023?", "North Korean troops")]
    ['Macron', '2023']
    >>> absent_names("How many were hurt, according to RTE?", "Five were hurt.", publishers=publisher_words("rte.ie"))
    []
    >>> absent_names("Who runs Bus Eireann?", "Bus ?ireann's chief executive")  # a letter lost in scraping
    []
    >>> absent_names("Who leads the Reichsbuerger?", "the Reichsb\ufffd\ufffdrger scene")  # "ue" for "ü"
    []
    """
    haystack = _MANGLED.sub("\x01", _undot(text))  # "Lib��ration": one lost letter, however many marks
    wanted = [(n, _loose(_undot(n))) for n in _not_publishers(question_names(question), publishers)]
    wanted += [
        (n, re.escape(_undot(n)) + r"(?!\d)")
        for n in re.findall(r"\b\d[\d,.]*\d\b|\b\d\b", _CALENDAR_DATE.sub(" ", question))
    ]
    return [(n, w) for n, w in wanted if not re.search(r"(?<!\w)" + w, haystack)]


_MANGLED = re.compile(r"(?:[^\x00-\x7f]|\?)+")  # in a haystack: any letter, as `_loose` reads it


@functools.lru_cache(maxsize=1024)
def _loose(name: str) -> str:
    """A pattern for `name` that also matches it with its accents lost or its letters mangled into "?" or
    other characters, as scraped articles have them (the haystack's such characters read as one mark, "\\x01"):
    "Eireann" finds "Bus ?ireann", "Beyonce" "Beyonc??", "Beyoncé" "Beyonce"."""
    plain = "".join(ch for ch in unicodedata.normalize("NFKD", name) if not unicodedata.combining(ch))
    out = "".join(
        f"[{re.escape(ch)}\x01]" if ch.isalpha() else r"[-\s]?" if ch == "-" else re.escape(ch) for ch in plain
    )  # a hyphen may be a space or nothing: "Latin-alphabet" finds "Latin alphabet"
    # German spelt without umlauts: "Reichsbuerger" finds "Reichsb��rger" and "Reichsburger"
    return re.sub(r"\[([aou])\x01\]\[e\x01\]", lambda m: f"(?:[{m.group(1)}\x01]e|[{m.group(1)}\x01])", out)


_HOST_PARTS = {"www", "com", "co", "uk", "ie", "org", "net", "go", "cn", "de", "fr", "edu", "gov", "europe", "news"}


def _not_publishers(names: list[str], publishers: set[str]) -> list[str]:
    """`names` without those that, alone or with the next one or two, spell a publisher ("China", "Daily")."""
    squashed = [re.sub(r"\W", "", n.lower()) for n in names]
    drop: set[int] = set()
    for i in range(len(names)):
        for j in range(i + 1, min(i + 3, len(names)) + 1):
            if "".join(squashed[i:j]) in publishers:
                drop.update(range(i, j))
    return [n for i, n in enumerate(names) if i not in drop]


# What people call a publisher besides its host name's words: "HuffPost" is huffingtonpost.com.
_PUBLISHER_ALSO = {"huffingtonpost": {"huffpost"}, "dw": {"deutschewelle"}}  # not "ABC": its "This Week" is a show


# "Justice and Empowerment Initiatives (JEI)": a name, then the initials an article calls it by from then on
_DEFINED = re.compile(r"\b((?:[A-Z][\w'’-]*\s+(?:(?:of|and|for|the|on|in|&)\s+)*){1,8})\(([A-Z][A-Za-z]{1,7})\)")


def initials_for(question: str, text: str) -> dict[str, str]:
    """The initials `text` defines for names the question spells out, with the name: "Who is the co-director of
    Justice and Empowerment Initiatives?" in an article that writes "Justice and Empowerment Initiatives (JEI)",
    and later only "JEI".

    >>> initials_for("Who leads Justice and Empowerment Initiatives?", "the Justice and Empowerment Initiatives (JEI)")
    {'JEI': 'Justice and Empowerment Initiatives'}
    """
    asked, out = _fold(question), {}
    for m in _DEFINED.finditer(text):
        name, short = m.group(1).strip(), m.group(2)
        words = [w for w in name.split() if w[0].isupper()]
        said = len(words) >= 2 and short.isupper() and re.search(rf"\b{re.escape(_fold(name))}\b", asked)
        if said and short not in question:
            out.setdefault(short, name)
    return out


def publisher_words(source: str) -> set[str]:
    """The words a question may call a publisher by: "rte.ie" -> {"rte"}, "europe.chinadaily.com.cn" ->
    {"chinadaily"}, "huffingtonpost.com" -> {"huffingtonpost", "huffpost"} (matched against a name with spaces
    and dots removed: "China Daily")."""
    words = {p.replace(" ", "") for p in source.lower().split(".") if p and p not in _HOST_PARTS}
    return words.union(*(_PUBLISHER_ALSO.get(w, set()) for w in words))


def named_publisher(question: str, sources: Iterable[str]) -> str:
    """The one publisher of `sources` that `question` names ("How many were hurt, according to RTE?",
    "... in the HuffPost/YouGov poll?"), or "" (none, or more than one).

    >>> named_publisher("What share backs it in the HuffPost/YouGov poll?", ["rte.ie", "huffingtonpost.com"])
    'huffingtonpost.com'
    >>> named_publisher("How many were hurt in Westminster?", ["rte.ie", "huffingtonpost.com"])
    ''
    """
    names = question_names(question)
    named = [s for s in sources if len(_not_publishers(names, publisher_words(s))) < len(names)]
    return named[0] if len(named) == 1 else ""


def date_text(published: str) -> str:
    """An ISO date as a reader writes it: "4 November 2024", "November 2024", "2024", or "".

    >>> date_text("2024-11-04"), date_text("2017-03"), date_text("")
    ('4 November 2024', 'March 2017', '')
    """
    import datetime as dt

    try:
        if len(published) >= 10:
            d = dt.date.fromisoformat(published[:10])
            return f"{d.day} {d.strftime('%B %Y')}"
        if len(published) == 7:
            return dt.date.fromisoformat(published + "-01").strftime("%B %Y")
    except ValueError:
        pass
    return published


def is_calendar_word(word: str) -> bool:
    """A month or weekday name ("March", "Thursday"): a time, not a name the articles must mention."""
    return bool(_MONTH_OR_DAY.match(word))


_NOT_HEADS = set(
    """is are was were did does do has have had will would can could should may might must be been being the a an of
    in on at to for from by with about into over under after before during as that this these those there his her its
    their our your my one two three four five six seven eight nine ten several many much most more other
    name names kind type sort part""".split()
)
_IRREGULAR_PAST = set(
    """bought sold won led took made gave said told broke ran met found left brought paid hit shot struck began became
    wrote spent sent kept held lost built stole drove fell rose chose saw came went got put set caught fought threw grew
    beat bet cost cut hurt let quit read shut split spread knew""".split()
)
_HEAD_START = re.compile(r"^(?:how\s+many|(?:what|which))\s+(.+)")
_MEASURE_HEADS = re.compile(rf"^(?:{_QUANTITY_NOUNS}|{_DATE_NOUNS})s?$")


def noun_kinds(question: str, noun: str) -> tuple[str, ...]:
    """The capitalised words just before the answer noun: "German" and "Islamic" in "Which German newspaper ...?",
    "Which Islamic center ...?"."""
    m = re.search(rf"\b(?:which|what)\s+((?:[A-Z][\w-]*\s+)+){re.escape(noun)}", question, re.I) if noun else None
    return tuple(w for w in m.group(1).split() if w[0].isupper()) if m else ()


def answer_noun(question: str) -> str:
    """The noun naming what a "how many" / "which" / "what" question asks for, or "".

    >>> [answer_noun(q) for q in ("How many doping samples were concealed?", "Which senator called on Duterte?",
    ...                           "Which two Irish universities received awards?", "What did Rutte say?",
    ...                           "What share of RBS does the state own?", "Which Chinese utility bought a stake?")]
    ['samples', 'senator', 'universities', '', '', 'utility']
    """
    m = _HEAD_START.match(_LEAD_IN.sub("", _fold(question).strip(), count=1))
    if not m:
        return ""
    head = ""
    for w in re.findall(r"[a-z][a-z'-]*|\d+", m.group(1))[:5]:
        verb = w in _IRREGULAR_PAST or w in ("died", "fled") or (len(w) > 4 and w.endswith("ed"))
        if w in _NOT_HEADS or verb or w.isdigit():
            if (
                head
                or verb
                or w in ("is", "are", "was", "were", "did", "does", "do", "has", "have", "had", "the", "of")
            ):
                break
            continue  # "which two universities": a count before the noun
        head = w
    return "" if _MEASURE_HEADS.match(head) else head


def stems(text: str) -> set[str]:
    """Snowball stems of the content words of `text`: "deliberations" and "deliberate" both give "deliber"."""
    words = re.findall(r"[a-z0-9]+", _fold(text).replace("'s ", " "))
    return {_stem(w) for w in words if w not in _NOT_HEADS and w not in STOPWORDS and len(w) > 1}


def _stem(word: str) -> str:
    return _stemmer().stemWord(word)


@functools.lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def near_noun(sentence: str, c: Candidate, noun: str, reach: int = 3) -> bool:
    """Whether candidate `c` is named by the asked-for noun: inside it ("University of Limerick" for
    "universities") or within `reach` words of it ("2,960 civilians", "Senator Antonio Trillanes")."""
    if not noun:
        return False
    want = _stem(noun)
    before = re.findall(r"[\w'-]+", sentence[: c.start])[-reach:]
    after = re.findall(r"[\w'-]+", sentence[c.end :])[:reach]
    return any(_stem(_fold(w)) == want for w in (*before, *re.findall(r"[\w'-]+", c.text), *after))


def calls_itself(sentence: str, c: Candidate, noun: str, kinds: Sequence[str] = ()) -> bool:
    """Whether name `c` says it is the asked-for `noun` (and of the asked `kinds`: "German", "Islamic"), in itself
    ("the Journal of Adolescent Health" for "journal") or by the words right after it ("America First Policies, a
    nonprofit group" for "group").

    >>> s = "She joins America First Policies, a nonprofit group, said the Journal of Adolescent Health."
    >>> [calls_itself(s, c, n) for c, n in zip(candidates(s), ("group", "journal"))]
    [True, True]
    """
    want, m = _stem(noun), _APPOSITION.match(sentence, c.end)
    words = {_stem(_fold(w)) for w in re.findall(r"[\w'-]+", f"{c.text} {m.group(1) if m else ''}")}
    return want in words and all(_stem(_fold(w)) in words for w in kinds)


_APPOSITION = re.compile(r",\s+(?:a|an|the)\s+((?:[\w'-]+\s+){0,3}[\w'-]+)")
_FILLER = {"the", "of", "and", "a", "an", "for", "de", "al"}
_HONORIFIC = re.compile(r"(?:\b(?:Mr|Mrs|Ms|Dr|Sir|Dame|Lord|Lady|Prof|Rev|Senator|Sen|Rep|Judge|Justice)\.?\s+)$")
_TITLE = re.compile(
    r"\b(?:Attorney|Sheriff|Chief|Minister|President|Secretary|Director|Commissioner|Spokes(?:man|woman|person)|"
    r"Governor|Mayor|Judge|Officer|Deputy|Chair(?:man|woman)?|Senator|Speaker|Leader|Inspector|Superintendent)\b"
)
_NOT_PERSON = re.compile(
    r"\b(?:Council|University|College|School|Party|Ministry|Department|Office|Court|Bank|Group|Company|Corp|Inc|Ltd|"
    r"Union|Commission|Committee|Agency|Police|Government|Parliament|Congress|Senate|House|Association|Institute|"
    r"Foundation|Centre|Center|Hospital|Airport|Street|Road|Square|Park|River|Island|Republic|Kingdom|States|Nations|"
    r"Times|News|Post|Journal|Press|Airlines|Club|Team|FC|Church|Cup|Games|Awards?|Guard|Army|Navy|Forces?|Service|"
    r"Authority|Board|Bureau|Administration|Organi[sz]ation|Federation|Alliance|Coalition|Network|Embassy|Tribunal|"
    r"Prison|Station|Stadium|Hotel|Museum|Sea|Ocean|Gulf|Bay|Valley|Province|Region|District|Railways?|Airways|"
    r"Assembly|Trust|Society|Institution|Islamic\s+State|Levant|Caliphate|Polic(?:y|ies)|Initiatives?|Fund|Project|"
    r"Movement|Campaign|Partners|Holdings)\b|^Best\s"  # "the envelope for Best Actress": an award
    r"|(?:ists|crats|licans)$"  # "Democratic Unionists", "Social Democrats": a party's members, not a person
)

# "Co Down", "Mount Etna", "St. Petersburg": places, though two capitalised words like a person's name
_CALLED = re.compile(r"\b(?:called|named|dubbed|known\s+as)\s+[\"“']?$")  # "The software, called Greyball, ..."
# Peoples, not places: "Germans, Dutch, Austrians, Swiss"
_DEMONYM = re.compile(
    r"^(?:[A-Z][a-z]+(?:ans|ese|ish)|Dutch|Swiss|French|Danes|Swedes|Finns|Poles|Turks|Scots|Welsh|Greeks|Thai|Kurds|Arabs|Jews"
    r"|Muslims|Hindus|Sikhs|Buddhists)$"
)
_NOT_PLACE = re.compile(r"\b(?:Prizes?|Awards?|Medals?|Trophy|Cup)\b|^\S+(?:\s\S+)*-(?:winning|winner)", re.I)
_PLACE_NAME = re.compile(
    r"(?:Co|County|Mount|Mt|Lake|Port|Cape|Fort|St|Saint|San|Santa|Los|Las)\.?\s+[A-Z][\w'-]*$"
    r"|^(?:North|South|East|West|Northern|Southern|Eastern|Western|Great|New|Upper|Lower|Central)\s+[A-Z][\w'-]*$"
)


def _attributes(sentence: str, c: Candidate, question: str = "") -> bool:
    """Whether a name is the source a sentence is attributed to: "..., Sheriff Bob Gualtieri said.", "..., the
    university's spokesman Mike Hooker said." or "..., said Sheriff Bob Gualtieri.". A source described by the
    role the question asks about ("Who is the university's spokesman?") is not only a source."""
    before, after = sentence[: c.start], sentence[c.end :]
    told = re.search(r"[,”\"]\s*((?:[\w'’.-]+\s+){0,6})$", before)  # group 1: what describes the source
    if not (told and re.match(rf"\.?\s+{SPEECH}\b", after)):  # ("... Joseph Early Jr. said")
        told = re.search(rf",\s*{SPEECH}\s+((?:[\w'’.-]+\s+){{0,6}})$", before)
        if not (told and re.match(r"\s*(?:[.,;]|$)", after)):
            return False
    # the role is the word before the name ("the university's spokesman Mike Hooker") or a title the name run
    # carries ("Worcester District Attorney Joseph Early Jr." for "Who is the district attorney ...?")
    role = told.group(1).split()[-1:] + c.text.split()[:-2]
    appositive = re.match(r",\s*(?:the\s+|a\s+|an\s+)?((?:[\w'’-]+\s+){0,3}[\w'’-]+)", after)
    role += appositive.group(1).split() if appositive else []  # "said John Manley, chief equity strategist at ..."
    asked = {w for w in re.findall(r"[\w'’-]+", question) if w.islower()}  # "district attorney", not a name
    return not any(_fold(w).strip(".,") in asked for w in role)


def _person_like(sentence: str, c: Candidate) -> bool:
    """Whether a name candidate can be a person: two or more words ("Tim Barrow"), a titled surname
    ("Mr Rutte") or one who acts ("Luke told ..."); no institution word, not an acronym."""
    words = c.text.split()
    if "&" in c.text:  # "Procter & Gamble": a firm
        return False
    if " and " in c.text:  # "Rand Paul and Mike Lee": two people; "Turkey and Iran": two places
        return all(p.text and _person_like(sentence, p) for p in _sides(c))
    # "Worcester District Attorney Joseph Early Jr": an institution word in the office makes no firm of the person
    title = list(_TITLE.finditer(c.text))[-1:]
    name = c.text[title[0].end() :] if title else ""
    if name.split() and not _NOT_PERSON.search(name) and _NOT_PERSON.search(c.text[: title[0].start()]):
        return True
    if _after_institution(c.text):  # "the Scottish Conservative Party Richard Cook": the party's man
        return True
    if _NOT_PERSON.search(c.text) or _PLACE_NAME.match(c.text) or any(w.isupper() and len(w) > 1 for w in words):
        return False
    return len(words) >= 2 or bool(_HONORIFIC.search(sentence[: c.start]) or _ACTS.match(sentence, c.end))


def _after_institution(name: str) -> int:
    """Where the person begins in a name run that an institution's name opens ("Scottish Conservative Party
    Richard Cook": at "Richard"), or 0: two or more plain capitalised words after the institution's last word."""
    inst = list(_NOT_PERSON.finditer(name))[-1:]
    if inst and _TITLE.search(name[: inst[0].start()]):
        return 0  # "Minister of State Catherine Byrne": the institution is part of the office's title
    rest = name[inst[0].end() :] if inst else ""
    title = _TITLE.match(rest.lstrip())  # "Worcester District Attorney Joseph Early Jr": Joseph Early Jr
    if title and len(rest.lstrip()[title.end() :].split()) >= 2:
        rest = rest.lstrip()[title.end() :]
    words = rest.split()
    if len(words) < 2 or _NOT_PERSON.search(rest) or any(w.isupper() and len(w) > 1 for w in words):
        return 0
    if words[0].lower() in _FILLER:
        return 0  # "Journal of Adolescent Health": the institution's own name goes on
    return len(name) - len(rest.lstrip())


_AGE_BEFORE = re.compile(r"\b(?:age|aged)\s*(?::\s*|of\s*)?$", re.I)  # "aged 87", "Age: 43"
_AGE_LIMIT = re.compile(
    r"\b(?:under|over|above|below|beyond|than|minimum|legal|voting|retirement|pension|drinking)\s+(?:the\s+)?age\s+(?:of\s*)?$",
    re.I,
)
_AGE_IS = re.compile(r"\b(?:was|is|turned|turns|reached)\s+(?:only\s+|just\s+)?$", re.I)
_AGE_AFTER = re.compile(r"-?\s?years?[- ]old\b", re.I)
_ORDINAL = re.compile(r"first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth")
_NAME_COMMA = re.compile(r"[A-Z][\w'’.-]+,\s*$")


def _age_of_another(sentence: str, c: Candidate, found: list[Candidate], question: str) -> bool:
    """Whether the age `c` stands by another person than the one the question names: the sentence names that
    person, but the name nearest the age is someone else's."""
    asked = question_names(question)
    people = [n for n in found if n.kind == "name" and (_person_like(sentence, n) or any(w in n.text for w in asked))]
    named = [n for n in people if any(w in n.text for w in asked)]
    if not named:  # the asked person is not named here ("the alleged gunman, a 19-year-old, ... police said")
        return False
    nearest = min(people, key=lambda n: min(abs(n.end - c.start), abs(c.end - n.start)))
    return nearest not in named


AGE_REACH = 12  # words from an age to the name of the person it is the age of
_AGED_SUBJECT = re.compile(
    r"^\s*how\s+old\s+(?:is|was|are|were)\s+(.+?)(?:,|\s+(?:who|when|that|after|before)\b|\?|$)", re.I
)
_PERSONAL = {"he", "she", "him", "his", "her"}


def _far_from_subject(sentence: str, c: Candidate, question: str) -> bool:
    """Whether the age `c` stands farther than `AGE_REACH` words from every name of the person a "How old is
    <name>?" question asks about (or a pronoun for them). False when the question's subject is no name ("How old
    is the musher who won the Iditarod?", "... the man shot dead at Orly airport?")."""
    subject = _AGED_SUBJECT.match(question)
    head = subject.group(1).split()[-1] if subject else ""  # "the man shot dead at Orly airport" is no name
    names = {w.lower() for w in question_names(subject.group(1))} if head[:1].isupper() else set()
    if not names or re.search(r"\bAge:\s*$", sentence[: c.start]):
        return False  # a profile's "Age: 43" is its subject's
    words = [
        (m.start(), m.group().lower().removesuffix("'s").removesuffix("’s")) for m in re.finditer(r"[\w'’-]+", sentence)
    ]
    at = next((i for i, (s, _) in enumerate(words) if s >= c.start), len(words))
    near = [i for i, (_, w) in enumerate(words) if w in names or w in _PERSONAL]
    return not near or min(abs(i - at) for i in near) > AGE_REACH


def _is_age(sentence: str, c: Candidate, *, loose: bool = False) -> bool:
    """Whether a number is someone's age: "aged 87", "the 53-year-old", "Bill Baroni, 45,"; `loose` also takes
    "Ellen was 46 when ...", which answers "how old" but is too common a shape to rule a number out otherwise."""
    before, after = sentence[: c.start], sentence[c.end :]
    if _AGE_LIMIT.search(before):
        return False  # "minors under the age of 18": a limit, nobody's age
    plain = c.text.isdigit() and len(c.text) <= 3
    if loose and plain and int(c.text) <= 120 and _AGE_IS.search(before):
        return True
    return bool(
        _AGE_BEFORE.search(before)
        or _AGE_AFTER.match(after)
        or (plain and _NAME_COMMA.search(before) and after.startswith(","))
    )


def _fold(text: str) -> str:
    return text.lower().replace("’", "'")


# --- who says it ---------------------------------------------------------------

_STATED_BY = re.compile(rf"^\W*{_STATEMENT_HEAD}(.{{1,80}}?)\s+(?:{_STATE})\b", re.I)
# The verbs that report speech: "X said", "..., she warned."
SPEECH = (
    r"(?:said|says|stated|states|noted|notes|stressed|warned|warns|declared|declares|affirmed|emphasi[sz]ed|"
    r"highlighted|expressed|underscored|assured|described|added|adds|told|tells|argued|cautioned|insisted|insists|"
    r"explained|spoke|urged|urges|remarked|acknowledged|announced|announces|confirmed|confirms|promised|promises|"
    r"pledged|vowed|claimed|claims|tweeted|wrote|writes|revealed|admitted|denied|denies|replied|responded|predicted)"
)

# A date that says when something was said or reported ("told TASS on Monday", "said on Thursday")
_REPORTED_ON = re.compile(
    rf"\b(?:{SPEECH}|reported|reports)(?:\s+(?:[A-Z][\w.'’-]*|reporters|journalists|the\s+media|media)){{0,3}}"
    r"(?:\s+(?:at|during)\s+(?:a|the)\s+(?:meeting|press\s+conference|news\s+conference|briefing|interview)"
    r"(?:\s+with\s+(?:reporters|journalists|the\s+media))?)?"  # "said at the meeting with reporters on February 3"
    r"(?:\s+(?:on|late|early|last))?\s+$"
)
_SAYING = re.compile(rf"\b(?:say|tell|announce|report|confirm|deny|warn|claim|{SPEECH})\b", re.I)


# "Who was the captain of the boat?", "Who is the ministry's spokesman?": an office or post, which the answering
# sentence names beside its holder ("captain John Smith", "Smith, the boat's captain"). Other nouns ("Who were
# the two men ...?", "Who was the victim?") are often answered without their word, and are not checked.
_ROLES = (
    r"attorney(?:\s+general)?|solicitor(?:\s+general)?|captain|skipper|pilot|spokes(?:man|woman|person)|envoy|ambassador|president|chair(?:man|woman)?|chief|"
    r"executive|director|minister|secretary|governor|mayor|coach|manager|ceo|commander|sheriff|judge|"
    r"prosecutor|editor|founder|owner|chancellor|premier|speaker|general|admiral|headmaster|principal"
)
_ROLE_WORDS = {  # other words the articles use for the office ("UN Special Representative for Libya")
    "envoy": "envoy|representative|emissary|mediator",
    "spokesman": "spokes|representative",
    "spokeswoman": "spokes|representative",
    "spokesperson": "spokes|representative",
    "executive": "executive|ceo|chief|head",
    "ceo": "ceo|chief executive|head",
    "chief": "chief|head|ceo",
    "captain": "captain|skipper",
    "skipper": "captain|skipper",
    "chairman": "chair",
    "chairwoman": "chair",
    "headmaster": "headmaster|head teacher|principal",
    "principal": "headmaster|head teacher|principal",
}
_ASKED_ROLE = re.compile(
    rf"^\s*who\s+(?:is|was|are|were)\s+(?:the|a|an|[\w.-]+['’]s)\s+(?:[\w'’.-]+\s+){{0,4}}?({_ROLES})s?"
    r"(?=\s+(?:of|who|that|in|at|from|for|on|whose|which|behind|with|to)\b|\s*[?,]|\s*$)",
    re.I,
)


_NAME_OF = re.compile(r"^\W*what\s+(?:is|was|are|were)\s+the\s+names?\s+of\s+(?:the\s+|an?\s+)?(.+)")
_NAME_OF_ENDS = {"who", "whom", "that", "which", "whose", "in", "at", "of", "from", "for", "on", "by", "with", "to"}


def named_noun(question: str) -> str:
    """What a "What is the name of the <noun> ...?" question asks the name of, or "": the answering sentence
    names it beside that noun ("Masood's mother, Janet Ajao"), not merely somewhere.

    >>> [named_noun(q) for q in ("What is the name of the firearms officer who shot him?", "What was the name of "
    ...   "the 71-foot yacht chartered by the students?", "What is the name of attacker Khalid Masood's mother?",
    ...   "Who named the ship?")]
    ['officer', 'yacht', 'mother', '']
    """
    words = _named_phrase(question)
    return words[-1].removesuffix("'s") if words else ""


def named_kind(question: str) -> str:
    """The common word a "What is the name of the <kind> <noun> ...?" question puts before its noun ("firearms" for
    "the firearms officer"), which the answering sentence says too: "anti-terror officer Mark Rowley" is not the
    firearms officer. "" when that word is part of a name ("the Colorado State student": a later sentence calls
    them "the student"), an owner ("Masood's mother"), a number or an everyday adjective ("the new ship").

    >>> [named_kind(q) for q in ("What is the name of the firearms officer who shot him?", "What is the name of "
    ...   "the missing Colorado State student?", "What is the name of Khalid Masood's mother?", "What is the name "
    ...   "of the new ship?", "What is the name of the 19-year-old man charged?")]
    ['firearms', '', '', '', '']
    """
    words = _named_phrase(question)
    kind = words[-2] if len(words) > 1 else ""
    if not kind.isalpha() or kind in _EVERYDAY_ADJECTIVES:
        return ""  # a number, "masood's", or "new"
    said = re.search(rf"\b{re.escape(kind)}\b", question, re.I)
    return kind if said and said.group().islower() else ""


_EVERYDAY_ADJECTIVES = set(
    """new old former late young elderly current first second third last next previous other same main big small
    little large great top senior junior local national international foreign""".split()
)


def _named_phrase(question: str) -> list[str]:
    """The words of a "What is the name of ...?" question up to its noun, folded, or []."""
    m = _NAME_OF.match(_LEAD_IN.sub("", _fold(question).strip(), count=1))
    words: list[str] = []
    for w in re.findall(r"[a-z0-9][\w'-]*", m.group(1) if m else "")[:6]:
        if w in _NAME_OF_ENDS or w in _IRREGULAR_PAST or (len(w) > 4 and w.endswith("ed")):
            break
        words.append(w)
    return words


def asked_role(question: str) -> str:
    """The office a "Who is the <role> ...?" question asks the holder of, folded, or "".

    >>> [asked_role(q) for q in ("Who was the captain of the charter boat?", "Who is the Russian Defense Ministry "
    ...   "spokesman who rejected the reports?", "Who is Hawaii's attorney general?",
    ...   "Who were the two men who went missing?", "Who won the vote?")]
    ['captain', 'spokesman', 'attorney general', '', '']
    """
    m = _ASKED_ROLE.match(_fold(question))
    return m.group(1).lower() if m else ""


_ASKS_SPEAKER = re.compile(rf"\b(?:{_STATE}|{SPEECH})\b", re.I)  # "Who said ...?", "Who announced ...?"


def statement_subject(question: str) -> str:
    """Who a "What did X say ...?" question asks about, as an article would name them: "May" for Theresa May,
    "spokesman" for "the ministry's spokesman" ("" for any other question)."""
    m = _STATED_BY.match(_LEAD_IN.sub("", question.strip(), count=1))
    kin = _KIN_OF.search(m.group(1)) if m else None
    if kin:  # "the father of the Navy SEAL killed in Yemen" is the father
        return kin.group(1)
    words = re.findall(r"[\w'’.-]+", m.group(1)) if m else []
    return words[-1].rstrip(".").removesuffix("'s").removesuffix("’s") if words else ""


# Someone known by whose relative they are: news names them so too ("Bill Owens, the father of the fallen SEAL").
_KIN_OF = re.compile(
    r"^(?:the\s+)?(father|mother|son|daughter|wife|husband|widow|brother|sister|parents|family|uncle|aunt)\s+of\b", re.I
)


def speaks(sentence: str, subject: str, speaker: str = "") -> bool:
    """Whether `sentence` gives the words of `subject`: "Theresa May said: ...", "..., said Ms Sturgeon.", "She
    added: ..." read as May's (`speaker`), not "Ruth Davidson said Ms Sturgeon had been ..." nor "Sturgeon's
    announcement confirms ...".

    >>> [speaks(s, "Sturgeon") for s in ("Ms Sturgeon has announced a vote.", "The vote is on, said Ms Sturgeon.",
    ...     "Davidson said Ms Sturgeon had been wrong.", "Sturgeon's announcement confirms a split.")]
    [True, True, False, False]
    """
    if not subject:
        return False
    if speaker and subject in speaker.split():
        return True
    return any(p.search(sentence) for p in _speech_of(subject))


# Words that give someone's own word for a thing, quoted: "Peskov has called the allegations "ridiculous"".
_NAMED_AS = r"(?:called|calls|dubbed|dubs|branded|brands|labell?ed|labels|termed|terms)"


@functools.lru_cache(maxsize=256)
def _speech_of(subject: str) -> tuple[re.Pattern, ...]:
    """The shapes of `subject`'s words in a sentence (compiled once per question, not once per sentence): a name
    is matched with its capital, a role ("spokesman") in any case."""
    name = rf"\b{re.escape(subject)}\b"
    flags = 0 if subject[:1].isupper() else re.I
    return (
        re.compile(rf"{name}\s+(?:[\w-]+\s+){{0,2}}?{SPEECH}\b", flags),  # May has said / May told
        re.compile(rf"{SPEECH}\s+(?:[\w.'-]+\s+){{0,4}}?{name}\s*(?:[,.;:]|$)", flags),  # said Ms Sturgeon.
        re.compile(rf"{name}\b[^.;]*?\b(?:she|he|it|they)\s+(?:[\w-]+\s+)?{SPEECH}\b", flags),
        re.compile(rf"{name}\s+(?:[\w-]+\s+){{0,2}}?{_NAMED_AS}\b[^.;]*?[\"“]", flags),  # Peskov called it "absurd"
        # an aside between the speaker and the verb: "Owens, the father of the fallen SEAL, has called it ..."
        # (the subject named in it or before it; not "Rutte met May in Berlin, said officials")
        re.compile(
            rf"(?:,\s+(?:the|a|an|his|her|their)\s+(?:[\w-]+\s+){{0,3}}?{name}|{name},\s+(?:the|a|an|who)\s)"
            rf"[^,;.]{{0,60}},\s+(?:has\s+|had\s+|also\s+)?(?:{SPEECH}|{_NAMED_AS})\b",
            flags,
        ),
    )


# --- causes ------------------------------------------------------------------

# What says why in a news sentence: "because", "due to", "over plans to", "the dispute centres on", "amid fears".
_CAUSE = re.compile(
    r"\b(?:because|due\s+to|owing\s+to|as\s+a\s+result\s+of|caused\s+by|blamed\s+(?:on|for)|in\s+protest|"
    r"(?:centres|centers|centred|centered|focuses|focused)\s+on|the\s+reasons?\b|"
    r"over\s+(?:plans?|proposals?|changes|concerns|fears|claims|allegations|the\s+(?:decision|plan|proposal|use))|"
    r"amid\s+(?:concerns|fears|claims|allegations|reports)|on\s+suspicion\s+of|for\s+(?:his|her|their|its)\s+role|"
    r"in\s+order\s+to|so\s+that|after\s+it\s+(?:emerged|was\s+revealed)|on\s+the\s+grounds)\b",
    re.I,
)


def gives_cause(sentence: str) -> bool:
    """Whether a sentence says why something happened, by the words news uses for it ("because", "over plans
    to", "amid fears"): what a "Why ...?" question asks for.

    >>> gives_cause("Staff walked out over proposals for driver-only trains."), gives_cause("Staff walked out.")
    (True, False)
    """
    return bool(_CAUSE.search(sentence))


# --- boilerplate -------------------------------------------------------------

_BOILER_PREFIX = re.compile(
    r"^(?:read more|also read|more|related|opinion|watch|watch more|see also|share this(?: slide| article| story)?|"
    r"source link|source|photo|"
    r"photos|image|picture|video|credit|follow (?:us|him|her)|sign up|subscribe|click here|learn more|editor's note|"
    r"advertisement|top stories|now playing)\s*[:|-]",
    re.I,
)
_CAPTION = re.compile(
    r"pic\.twitter\.com|getty images|\bap photo\b|\(afp\)|\bphotograph:|\bphoto credit\b|a post shared by|"
    r"\bshare this slide\b|\blearn more$|^\W*\(?(?:photo|file "
    r"photo|pictured)\b|[/—–-]\s*(?:reuters|afp|ap|epa|getty images)\.?\s*$",
    re.I,
)
_BYLINE = re.compile(
    r"^[Bb]y\s+[A-Z][\w.'-]+(?:\s+[A-Z][\w.'-]+){0,3}(?:\s*(?:,|and)\s*[A-Z][\w.'-]+(?:\s+[A-Z][\w.'-]+){0,3})*$"
)


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
    if (
        headline
        and folded
        and (
            folded == headline
            or (len(folded) >= 20 and (folded in headline or headline in folded and len(folded) < len(headline) + 25))
        )
    ):
        return "the headline"
    return ""


def _squash(text: str) -> str:
    return " ".join(re.findall(r"\w+", _fold(text)))
