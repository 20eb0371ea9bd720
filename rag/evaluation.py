"""`rag eval`: retrieval and answer quality on a question file.

Question file: JSON Lines, one object per question::

    {"question": "What did Rutte say about North Korea?", "answerable": true,
     "docs": ["nato-united-whoever-wins-us-election"],
     "facts": ["north korean troops|pyongyang", "escalation"],
     "history": ["What did Rutte say about Ukraine?"]}       # optional earlier turns

``facts`` are key facts the answer must contain (case-insensitive; ``|`` separates
alternatives; ``must`` is accepted as another name for it). A retrieval hit is a top-k
passage that contains a key fact (or, for questions without facts, comes from one of
``docs``). ``hit@k`` and ``mrr`` are over the passages `answer()` read (after its second,
re-ranked look when the first found no answer); ``first_pass_hit@k`` is over a single
plain `retrieve()`, and ``doc_hit@1`` / ``doc_hit@5`` say whether an article of ``docs``
came first / in the first five there.

Optional fields: ``type`` (the expected answer type, see `rag.reading.ANSWER_TYPES`;
detected from the question when absent), ``short`` (the short answer, ``|`` between
accepted forms), ``near_miss`` (an unanswerable question on a topic the articles do
cover), ``split`` (which half of a dev set the question is in; `load_questions` can keep
one). ``lead_recall`` is the share of key facts found in the answer's first sentence,
``short_match`` the share of questions with a ``short`` whose `Answer.short` is one of
its forms (compared without case, punctuation or a leading article).

For time: ``now`` (the day the question is asked, YYYY-MM-DD), ``dates`` (the publication
days of the right articles: ``right_date_hit@1`` is the share whose first passage is from one)
and ``future_trap`` (asked before its outcome was reported: ``future_traps_refused``, and
``future_traps_dated``, the share whose refusal gives the newest article's date).
"""

from __future__ import annotations

import json
import os
import re
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

from .answering import answer, contextualize, lead_sentence
from .errors import QueryError
from .generation import split_generated
from .reading import answer_type
from .retrieval import load_index, retrieve
from .store import Location
from .types import Answer


@dataclass
class Report:
    rows: list[dict] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)


def load_questions(path: str | os.PathLike, *, split: str | None = None) -> list[dict]:
    """Read and check a question file, keeping only the questions of `split` when given; errors name the line."""
    path = Path(path)
    if not path.is_file():
        raise QueryError(
            f"question file {path} does not exist: pass --questions FILE (JSON Lines, see `rag eval --help`)"
        )
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            q = json.loads(line)
        except json.JSONDecodeError as e:
            raise QueryError(f"{path}:{n} is not valid JSON ({e.msg})") from None
        if not isinstance(q, dict) or not isinstance(q.get("question"), str) or "answerable" not in q:
            raise QueryError(f'{path}:{n} needs at least "question" and "answerable"')
        if "must" in q and "facts" not in q:
            q["facts"] = q.pop("must")
        out.append({"docs": [], "facts": [], "history": [], "type": answer_type(q["question"]), **q})
    if split is not None:
        out = [q for q in out if q.get("split") == split]
        if not out:
            raise QueryError(f'no question of {path} is in split {split!r}: use a value of the file\'s "split" field')
    return out


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower().replace("’", "'").replace("“", '"').replace("”", '"'))


def has_fact(text: str, fact: str) -> bool:
    t = _norm(text)
    return any(_norm(alt) in t for alt in fact.split("|"))


def citation_problems(a: Answer, index_dir: Location | None = None) -> list[str]:
    """Every way the answer's citations fail to check out against the sources; [] when all verify."""
    problems = []
    idx = load_index(index_dir)
    numbers = [c.n for c in a.citations]
    if numbers != list(range(1, len(numbers) + 1)):
        problems.append(f"citation numbers {numbers} are not 1..{len(numbers)}")
    used = {int(n) for n in re.findall(r"\[(\d+)\]", a.text)}
    if used != set(numbers):
        problems.append(f"markers {sorted(used)} in the text do not match citations {numbers}")
    cited = _cited_sentences(a.text)
    for c in a.citations:
        try:
            source = idx.document(c.doc_id).text
        except KeyError:
            problems.append(f"[{c.n}] cites unknown document {c.doc_id!r}")
            continue
        if source[c.start : c.end] != c.quote:
            problems.append(f"[{c.n}] quote is not the text at {c.doc_id}[{c.start}:{c.end}]")
        if c.role == "quote":
            sentence = cited.get(c.n, "")
            if c.quote not in sentence:
                problems.append(f"[{c.n}] quote does not appear in the sentence that cites it")
    if not a.refused and not a.citations:
        problems.append("an answer without citations")
    return problems


def _cited_sentences(text: str) -> dict[int, str]:
    """Citation number → the text its marker group ("[3][4]") closes: from the end of the group before it (a quote's
    own brackets, "arrest [Lee] in light of", are not markers)."""
    out, start = {}, 0
    for m in re.finditer(r"(?:\[\d+\])+", text):
        for n in re.findall(r"\d+", m.group()):
            out.setdefault(int(n), text[start : m.start()])
        start = m.end()
    return out


def evaluate(
    questions: list[dict],
    *,
    index_dir: Location | None = None,
    k: int = 5,
    answer_fn=None,
    progress=None,
) -> Report:
    """Run every question through `retrieve()` and `answer()` (or `answer_fn`, e.g. llm mode) and score the results;
    `progress(done, total)` after each question."""
    answer_fn = answer_fn or answer
    report = Report()
    for n, q in enumerate(questions, start=1):
        if progress:
            progress(n - 1, len(questions))
        query = contextualize(q["question"], q.get("history") or [])
        t = time.perf_counter()
        a = answer_fn(q["question"], history=q.get("history") or None, index_dir=index_dir, now=q.get("now"))
        ms = (time.perf_counter() - t) * 1000
        found = [f for f in q["facts"] if has_fact(a.text, f)]
        first_pass = retrieve(query, k=k, index_dir=index_dir, now=q.get("now"))
        report.rows.append(
            {
                "question": q["question"],
                "type": q["type"],
                "near_miss": bool(q.get("near_miss")),
                "answerable": bool(q["answerable"]),
                "rank": _rank(q, a.hits[:k]),  # among the passages answer() read
                "first_pass_rank": _rank(q, first_pass),
                "has_docs": bool(q["docs"]),
                "doc_rank": next((i for i, h in enumerate(first_pass, start=1) if h.doc_id in q["docs"]), None),
                "refused": a.refused,
                "facts": len(q["facts"]),
                "facts_found": len(found),
                "lead_facts_found": sum(has_fact(lead_sentence(a.text), f) for f in q["facts"]) if not a.refused else 0,
                "short": a.short.text if getattr(a, "short", None) else "",
                "short_match": _short_match(a, q.get("short")),
                "citation_problems": citation_problems(a, index_dir),
                "ms": ms,
                "right_date": (bool(a.hits) and a.hits[0].published[:10] in q["dates"]) if q.get("dates") else None,
                "future_trap": bool(q.get("future_trap")),
                "trap_said_newest": bool(q.get("future_trap"))
                and a.refused
                and "newest article on this is from" in a.text,
                "answer": a.text,
                "mode": a.mode,
                "generated": len(a.removed) + (len(split_generated(a.text)) if a.mode == "llm" else 0),
                "removed": len(a.removed),
            }
        )
    if progress:
        progress(len(questions), len(questions))
    report.metrics = _metrics(report.rows, k)
    return report


def _loose(text: str) -> str:
    words = re.findall(r"\w+", _norm(text))
    return " ".join(words[1:] if words[:1] in (["the"], ["a"], ["an"]) else words)


def _short_match(a: Answer, expected: str | None) -> bool | None:
    """Whether the short answer is one of the accepted forms; None when the question has none."""
    if not expected:
        return None
    return bool(getattr(a, "short", None)) and any(_loose(a.short.text) == _loose(alt) for alt in expected.split("|"))


def _rank(q: dict, hits: list) -> int | None:
    """Rank of the first passage holding one of the question's key facts (or from one of its docs)."""
    for i, h in enumerate(hits, start=1):
        if any(has_fact(h.text, f) for f in q["facts"]) if q["facts"] else h.doc_id in q["docs"]:
            return i
    return None


def _metrics(rows: list[dict], k: int) -> dict[str, float]:
    ans = [r for r in rows if r["answerable"]]
    unans = [r for r in rows if not r["answerable"]]
    refusals = [r for r in rows if r["refused"]]
    facts = sum(r["facts"] for r in ans)
    with_docs = [r for r in ans if r["has_docs"]]
    shorts = [r for r in ans if r["short_match"] is not None]
    return {
        "questions": len(rows),
        "answerable": len(ans),
        f"hit@{k}": sum(r["rank"] is not None for r in ans) / len(ans) if ans else 0.0,
        "mrr": sum(1 / r["rank"] for r in ans if r["rank"]) / len(ans) if ans else 0.0,
        f"first_pass_hit@{k}": sum(r["first_pass_rank"] is not None for r in ans) / len(ans) if ans else 0.0,
        "doc_hit@1": sum(r["doc_rank"] == 1 for r in with_docs) / len(with_docs) if with_docs else 0.0,
        "doc_hit@5": sum(r["doc_rank"] is not None and r["doc_rank"] <= 5 for r in with_docs) / len(with_docs)
        if with_docs
        else 0.0,
        "key_fact_recall": sum(r["facts_found"] for r in ans) / facts if facts else 0.0,
        "lead_recall": sum(r["lead_facts_found"] for r in ans) / facts if facts else 0.0,
        "short_match": sum(bool(r["short_match"]) for r in shorts) / len(shorts) if shorts else 0.0,
        "citation_validity": sum(not r["citation_problems"] for r in rows) / len(rows) if rows else 0.0,
        "refusal_precision": sum(not r["answerable"] for r in refusals) / len(refusals) if refusals else 1.0,
        "refusal_recall": sum(r["refused"] for r in unans) / len(unans) if unans else 1.0,
        "false_refusals": sum(r["refused"] for r in ans),
        "false_refusal_rate": sum(r["refused"] for r in ans) / len(ans) if ans else 0.0,
        **_time_metrics(rows),
        "answer_ms_median": statistics.median(r["ms"] for r in rows) if rows else 0.0,
        "answer_ms_p90": statistics.quantiles([r["ms"] for r in rows], n=10)[-1] if len(rows) > 1 else 0.0,
    } | _llm_metrics(rows)


def _time_metrics(rows: list[dict]) -> dict[str, float]:
    """For questions with "dates" (the right days' articles) and "future_trap"s (asked before the outcome was known)."""
    dated = [r for r in rows if r.get("right_date") is not None]
    traps = [r for r in rows if r.get("future_trap")]
    out = {}
    if dated:
        out["right_date_hit@1"] = sum(r["right_date"] for r in dated) / len(dated)
    if traps:
        out["future_traps_refused"] = sum(r["refused"] for r in traps) / len(traps)
        out["future_traps_dated"] = sum(r["trap_said_newest"] for r in traps) / len(traps)
    return out


def metrics_by_type(rows: list[dict], k: int = 5) -> dict[str, dict[str, float]]:
    """`_metrics` per expected answer type, and "all"."""
    types = sorted({r["type"] for r in rows})
    return {t: _metrics([r for r in rows if r["type"] == t], k) for t in types} | {"all": _metrics(rows, k)}


def _llm_metrics(rows: list[dict]) -> dict[str, float]:
    """For llm mode: generated sentences, the share removed as unsupported, fallbacks to extractive."""
    if all(r.get("mode", "extractive") == "extractive" for r in rows):
        return {}
    generated = sum(r["generated"] for r in rows)
    return {
        "generated_sentences": generated,
        "removed_share": sum(r["removed"] for r in rows) / generated if generated else 0.0,
        "extractive_fallbacks": sum(r["mode"] == "extractive-fallback" for r in rows),
    }
