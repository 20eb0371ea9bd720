"""Hostile and messy input: the readers and the query path never crash and never lose the good documents."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import rag
from rag.corpus import load_corpus
from rag.errors import QueryError

NASTY = st.sampled_from(
    [
        "\u200b",
        "\u200d",
        "\u202e",
        "\u2066",
        "\ufeff",
        "\x00",
        "\x07",
        "\x1b[31m",
        "\r",
        "\r\n",
        "---",
        "\n---\n",
        "<script>",
        "</p",
        "<!--",
        "&amp",
        '"',
        "'",
        ",",
        "{",
        "}",
        "[",
        "\\",
        "é",
        "東京",
        "😀",
        "ℕ",
        "\U0010fffd",
        "x" * 5000,
    ]
)
TEXT = st.lists(st.one_of(NASTY, st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)), max_size=40).map(
    "".join
)
SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
GOOD = "Rutte spoke in Berlin about Ukraine and NATO."


def read_with_good_neighbour(name: str, content: bytes):
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        (folder / "good.txt").write_text(GOOD, encoding="utf-8")
        (folder / name).write_bytes(content)
        docs, problems = load_corpus(folder)
    assert any(doc.doc_id == "good" and doc.text == GOOD for doc in docs), "the good article was lost"
    for p in problems:
        assert p.where.split(":")[0] == name and p.message  # bad input is named
    for doc in docs:
        assert doc.text.strip() and doc.doc_id and doc.content_hash
    return docs, problems


@SETTINGS
@given(meta=TEXT, body=TEXT, front=st.booleans())
def test_text_files_with_front_matter(meta, body, front):
    content = f"---\n{meta}\n---\n{body}" if front else body
    read_with_good_neighbour("article.md", content.encode("utf-8"))


@SETTINGS
@given(raw=st.binary(max_size=2000))
def test_arbitrary_bytes(raw):
    read_with_good_neighbour("blob.txt", raw)


@SETTINGS
@given(
    rows=st.lists(
        st.one_of(
            TEXT,
            st.dictionaries(
                st.sampled_from(["id", "text", "title", "date", "url", "x"]),
                st.one_of(TEXT, st.integers(), st.none(), st.lists(st.integers())),
            ),
        ),
        max_size=8,
    )
)
def test_jsonl(rows):
    lines = [json.dumps(r) if isinstance(r, dict) else r.replace("\n", " ") for r in rows]
    read_with_good_neighbour("dump.jsonl", "\n".join(lines).encode("utf-8"))


@SETTINGS
@given(cells=st.lists(st.lists(TEXT, min_size=1, max_size=5), max_size=6), header=st.booleans())
@example(cells=[["\r", "", "\u200b"]], header=True)  # found by a CI-like run: an invisible text and a blank id
def test_csv(cells, header):
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf)
    if header:
        w.writerow(["id", "title", "text", "date"])
    w.writerows(cells)
    read_with_good_neighbour("news.csv", buf.getvalue().encode("utf-8"))


@SETTINGS
@given(
    parts=st.lists(
        st.one_of(
            TEXT,
            st.sampled_from(
                [
                    "<p>",
                    "</p>",
                    "<article>",
                    "<div",
                    "<script>alert(1)",
                    "<html><body>",
                    "<title>",
                    "<meta charset='x'>",
                    "<![CDATA[",
                    "<table><tr><td>",
                ]
            ),
        ),
        max_size=30,
    )
)
def test_html(parts):
    read_with_good_neighbour("page.html", "".join(parts).encode("utf-8"))


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(question=TEXT)
def test_questions_never_crash_retrieve_or_answer(starter_index, question):
    try:
        hits = rag.retrieve(question, k=3, index_dir=starter_index)
    except QueryError:
        assert not question.strip()
        return
    assert len(hits) <= 3
    a = rag.answer(question, index_dir=starter_index)
    assert a.refused or a.citations
