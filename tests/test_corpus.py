"""Reading articles: the formats, and every kind of bad input reported by name."""

from __future__ import annotations

import json
import re

import pytest

from rag.corpus import load_corpus
from rag.errors import CorpusError

from .conftest import STARTER, write_article


def test_starter_corpus_has_metadata():
    docs, problems = load_corpus(STARTER)
    assert problems == []
    by_id = {d.doc_id: d for d in docs}
    kt = by_id["nato-united-whoever-wins-us-election"]
    assert kt.source == "Khaleej Times" and kt.published == "2024-11-04" and kt.url.startswith("https://")
    tn = by_id["nato-future-amid-us-election-uncertainty"]
    assert tn.source == "Time.news" and tn.title == "NATO’s Future Amidst US Election Uncertainty"
    # The body is the article exactly as received: no front matter, curly quotes kept.
    raw = STARTER.parent.parent / "shared" / "corpus" / "nato-future-amid-us-election-uncertainty.txt"
    if raw.exists():
        assert tn.text == raw.read_text(encoding="utf-8")
    assert not tn.text.startswith("---") and "“" in tn.text


def test_text_file_without_front_matter_gets_id_and_title_from_its_path(tmp_path):
    (tmp_path / "world").mkdir()
    write_article(tmp_path / "world", "rutte-in-berlin.md", "Rutte spoke in Berlin.")
    (docs, problems) = load_corpus(tmp_path)
    assert problems == []
    assert docs[0].doc_id == "world/rutte-in-berlin"
    assert docs[0].title == "Rutte in berlin"
    assert docs[0].origin == "world/rutte-in-berlin.md"


def test_jsonl_and_csv_rows_with_aliases(tmp_path):
    rows = [
        {
            "id": "a1",
            "headline": "One",
            "body": "First text.",
            "publisher": "AP",
            "date": "2024-11-05",
            "link": "http://x/1",
        },
        {"title": "Two", "text": "Second text.", "url": "http://x/2"},
    ]
    (tmp_path / "dump.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n\n", encoding="utf-8")
    (tmp_path / "news.csv").write_text(
        "article_id,publish_date,article_source_link,title,subtitle,text\n"
        '7,2021-01-02,http://y/7,Csv title,sub,"A text, with a comma\nand a newline."\n',
        encoding="utf-8",
    )
    docs, problems = load_corpus(tmp_path)
    assert problems == []
    by_id = {d.doc_id: d for d in docs}
    assert set(by_id) == {"a1", "http://x/2", "7"}
    a1 = by_id["a1"]
    assert (a1.title, a1.text, a1.source, a1.published, a1.url) == (
        "One",
        "First text.",
        "AP",
        "2024-11-05",
        "http://x/1",
    )
    assert a1.origin == "dump.jsonl:1"
    assert by_id["7"].text == "A text, with a comma\nand a newline." and by_id["7"].published == "2021-01-02"
    assert by_id["7"].source == "y"  # no publisher given: the site's host name


def test_content_hash_changes_with_text_or_metadata(tmp_path):
    p = write_article(tmp_path, "a.txt", "Text.", title="T")
    h1 = load_corpus(tmp_path)[0][0].content_hash
    assert load_corpus(tmp_path)[0][0].content_hash == h1  # stable
    write_article(tmp_path, "a.txt", "Text.", title="T2")
    assert load_corpus(tmp_path)[0][0].content_hash != h1
    p.write_text("Other text.")
    assert load_corpus(tmp_path)[0][0].content_hash != h1


def test_missing_folder(tmp_path):
    with pytest.raises(CorpusError, match=r"does not exist.*--corpus"):
        load_corpus(tmp_path / "nope")


def test_empty_folder(tmp_path):
    (tmp_path / "README.md").write_text("not an article")
    (tmp_path / "photo.png").write_bytes(b"\x89PNG")
    with pytest.raises(CorpusError, match="has no articles"):
        load_corpus(tmp_path)


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("empty.txt", b"", "is empty"),
        ("blank.md", b"---\ntitle: x\n---\n   \n", "is empty"),
        ("binary.txt", b"\x00\x01\x02PK\x03\x04" * 100, "binary"),
        ("latin1.txt", "Caf\u00e9 au lait".encode("latin-1"), r"not UTF-8 \(byte 0xe9 at offset 3\).*re-save"),
        ("badyaml.md", b"---\ntitle: [unclosed\n---\nText.", "front matter is not valid YAML"),
    ],
)
def test_bad_files_are_reported_by_name_and_the_rest_still_read(tmp_path, name, content, message):
    write_article(tmp_path, "good.txt", "A good article.")
    (tmp_path / name).write_bytes(content)
    docs, problems = load_corpus(tmp_path)
    assert [d.doc_id for d in docs] == ["good"]
    assert len(problems) == 1 and problems[0].where == name
    assert re.search(message, problems[0].message)


def test_huge_article_is_refused_with_the_limit_named(tmp_path):
    (tmp_path / "huge.txt").write_text("All work and no play. " * 1_000_000)  # 22 MB
    write_article(tmp_path, "ok.txt", "Fine.")
    docs, problems = load_corpus(tmp_path)
    assert [d.doc_id for d in docs] == ["ok"]
    assert problems[0].where == "huge.txt" and "--max-chars" in problems[0].message
    docs, problems = load_corpus(tmp_path, max_chars=30_000_000)
    assert len(docs) == 2 and not problems


def test_bad_rows_are_reported_with_line_numbers(tmp_path):
    (tmp_path / "d.jsonl").write_text(
        '{"id": "1", "text": "ok"}\n{"id": "2", "title": "no text"}\n{not json\n[1, 2]\n{"id": "1", "text": "dup"}\n',
        encoding="utf-8",
    )
    docs, problems = load_corpus(tmp_path)
    assert [d.doc_id for d in docs] == ["1"]
    got = {p.where: p.message for p in problems}
    assert set(got) == {"d.jsonl:2", "d.jsonl:3", "d.jsonl:4", "d.jsonl:5"}
    assert "no text" in got["d.jsonl:2"]
    assert "not valid JSON" in got["d.jsonl:3"]
    assert "duplicate id '1' (an article read before it has the same id)" in got["d.jsonl:5"]


def test_duplicate_ids_across_files(tmp_path):
    write_article(tmp_path, "a.txt", "One.", id="same")
    write_article(tmp_path, "b.txt", "Two.", id="same")
    docs, problems = load_corpus(tmp_path)
    assert [d.origin for d in docs] == ["a.txt"]
    assert problems[0].where == "b.txt" and "duplicate id 'same'" in problems[0].message


def test_single_file_corpus(tmp_path):
    p = write_article(tmp_path, "one.txt", "Only one.")
    docs, _ = load_corpus(p)
    assert [d.doc_id for d in docs] == ["one"]


@pytest.mark.parametrize(
    "given, stored",
    [
        ("2017/2/7", "2017-02-07"),
        ("2024-11-04T10:00:00Z", "2024-11-04"),
        ("2024-11", "2024-11"),
        ("last Monday", "last Monday"),
    ],
)
def test_dates_are_stored_as_iso_where_recognisable(tmp_path, given, stored):
    write_article(tmp_path, "a.txt", "Text.", published=f"'{given}'")
    assert load_corpus(tmp_path)[0][0].published == stored


PAGE = """<html><head><title>Rutte in Berlin | Example News</title>
<meta property="og:site_name" content="Example News"><meta name="date" content="2024-11-04">
<link rel="canonical" href="https://example.com/rutte"></head>
<body><nav>Home | World | Sport | Subscribe</nav>
<article><h1>Rutte says NATO will stay united</h1>
<p>NATO Secretary General Mark Rutte spoke in Berlin on Monday. He said the alliance would work with whoever wins.</p>
<p>Rutte also warned about North Korean troops in Russia, calling it a serious escalation of the war.</p></article>
<footer>Copyright 2024 Example News. All rights reserved. Cookie settings.</footer>
<script>alert("x")</script></body></html>"""


def test_html_article_main_text_and_metadata(tmp_path):
    (tmp_path / "world").mkdir()
    (tmp_path / "world" / "rutte.html").write_text(PAGE, encoding="utf-8")
    (tmp_path / "empty.htm").write_text("<html><body><script>var x = 1;</script></body></html>", encoding="utf-8")
    docs, problems = load_corpus(tmp_path)
    assert [p.where for p in problems] == ["empty.htm"] and "no article text" in problems[0].message
    (d,) = docs
    assert d.doc_id == "world/rutte" and d.title == "Rutte says NATO will stay united"
    assert (d.source, d.published, d.url) == ("Example News", "2024-11-04", "https://example.com/rutte")
    assert "North Korean troops" in d.text
    for boilerplate in ("Subscribe", "Copyright", "alert", "Cookie"):
        assert boilerplate not in d.text
