"""The store contract, run on both implementations (FAISS files and Milvus Lite) with the fake embedder,
and the update plan both follow, by properties."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rag.build import BuildOptions, update_index
from rag.corpus import load_corpus
from rag.retrieval import clear_cache, load_index
from rag.store import open_store, plan
from rag.types import Filters, Problem

from .conftest import write_article

STORES = ["faiss", "milvus"]


def corpus(folder):
    folder.mkdir()
    write_article(
        folder,
        "harbour.txt",
        "The harbour of Tallinn froze early this winter. Ferries were cancelled.",
        title="Harbour",
        source="Baltic Times",
        published="2024-12-02",
    )
    write_article(
        folder,
        "drill.txt",
        "Lithuania hosted a drill of the alliance near Vilnius. Tanks crossed the river.",
        title="Drill",
        source="LRT",
        published="2024-11-20",
    )
    write_article(
        folder,
        "budget.txt",
        "The city council approved the budget for schools and roads.",
        title="Budget",
        source="Baltic Times",
        published="2023-05-01",
    )
    return folder


@pytest.fixture(params=STORES)
def built(request, tmp_path, fake_embedder):
    folder = corpus(tmp_path / "corpus")
    index = tmp_path / "index"
    docs, _ = load_corpus(folder)
    report = update_index(docs, index, BuildOptions(store=request.param), encoder=fake_embedder)
    yield request.param, folder, index, report
    clear_cache()


def test_a_store_answers_the_calls_everything_above_it_makes(built, fake_embedder):
    kind, folder, index, report = built
    store = open_store(index)
    try:
        assert type(store).__name__ == {"faiss": "FaissStore", "milvus": "MilvusStore"}[kind]
        assert len(store) == report.chunks == store.manifest.counts["chunks"] and store.manifest.store == kind
        vector = fake_embedder.encode_query("Tallinn harbour froze")
        for mode in ("dense", "lexical", "hybrid"):
            hits = store.candidates("Tallinn harbour froze", vector, mode=mode, depth=10, n=2, filters=Filters())
            assert hits and hits[0].doc_id == "harbour" and len(hits) <= 2, mode
            assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
        only_lrt = store.candidates("harbour", vector, mode="hybrid", depth=10, n=5, filters=Filters(sources=("lrt",)))
        assert {h.doc_id for h in only_lrt} <= {"drill"}
        assert store.candidates("harbour", vector, mode="dense", depth=10, n=5, filters=Filters(since="2030")) == []
        doc = store.document("drill")
        assert doc.title == "Drill" and doc.source == "LRT" and doc.published == "2024-11-20"
        assert doc.text == {d.doc_id: d for d in load_corpus(folder)[0]}["drill"].text
        for h in store.candidates("Vilnius", vector, mode="lexical", depth=10, n=10, filters=Filters()):
            assert store.document(h.doc_id).text[h.start : h.end] == h.text
        with pytest.raises(KeyError):
            store.document("nothing-of-that-name")
        assert store.sources() == ["Baltic Times", "LRT"]
    finally:
        store.close()


def test_a_store_takes_updates_article_by_article(built, fake_embedder):
    kind, folder, index, _ = built
    write_article(folder, "new.txt", "Riga opened a new bridge over the Daugava.", title="Bridge", source="LSM")
    (folder / "harbour.txt").write_text((folder / "harbour.txt").read_text() + " The ice broke in March.")
    (folder / "budget.txt").unlink()
    docs, _ = load_corpus(folder)
    fake_embedder.embedded.clear()
    report = update_index(docs, index, encoder=fake_embedder)  # the folder's own store
    assert (report.added, report.changed, report.removed, report.unchanged) == (["new"], ["harbour"], ["budget"], 1)
    assert all("Vilnius" not in t for t in fake_embedder.embedded)  # the unchanged article was not embedded again
    store = load_index(index)
    assert store.manifest.store == kind and store.manifest.counts["documents"] == 3
    assert "March" in store.document("harbour").text
    with pytest.raises(KeyError):
        store.document("budget")

    # An article whose file failed to read this time is kept as it was.
    docs = [d for d in docs if d.doc_id != "new"]
    report = update_index(docs, index, encoder=fake_embedder, problems=[Problem("new.txt", "is not UTF-8")])
    assert report.removed == [] and load_index(index).document("new").title == "Bridge"
    assert load_index(index).manifest.counts["documents"] == 3


# --- the plan, by properties -------------------------------------------------------

ids = st.text(alphabet="abcdef", min_size=1, max_size=3)
hashes = st.sampled_from(["h1", "h2", "h3"])
files = st.sampled_from(["a.txt", "b.jsonl:3", "b.jsonl:9", "c.csv:2"])


def plan_of(read: dict, indexed: dict | None, **kw):
    db = plan.scratch(sqlite3.connect(":memory:"))
    plan.note(db, ((i, h, None, None) for i, h in read.items()))
    plan.hold(db, ((i, h, origin) for i, (h, origin) in (indexed or {}).items()))
    return plan.plan_update(db, indexed=indexed is not None, **kw)


@given(
    read=st.dictionaries(ids, hashes, max_size=8),
    indexed=st.dictionaries(ids, st.tuples(hashes, files), max_size=8),
    failed=st.sets(st.sampled_from(["a.txt", "b.jsonl", "c.csv"]), max_size=3),
)
def test_plan_puts_every_article_in_exactly_one_place(read, indexed, failed):
    p = plan_of(read, indexed, failed_files=failed)
    for i in read:  # every article read lands in exactly one of added / changed / unchanged
        assert (i in p.added) + (i in p.changed) + (i in indexed and indexed[i][0] == read[i]) == 1
    assert p.added == [i for i in read if i not in indexed]  # in reading order
    assert p.changed == [i for i in read if i in indexed and indexed[i][0] != read[i]]
    assert p.unchanged == sum(i in indexed and indexed[i][0] == read[i] for i in read)
    assert not set(p.removed) & set(read) and not set(p.kept) & set(read)
    assert sorted(p.removed + p.kept) == sorted(i for i in indexed if i not in read)
    assert all(indexed[i][1].split(":")[0] in failed for i in p.kept)  # kept only because its file failed
    assert all(indexed[i][1].split(":")[0] not in failed for i in p.removed)
    assert p.reason == "" and p.is_noop == (not p.added and not p.changed and not p.removed)


@given(
    read=st.dictionaries(ids, hashes, max_size=8), indexed=st.dictionaries(ids, st.tuples(hashes, files), max_size=8)
)
def test_a_full_rebuild_plans_every_article_anew(read, indexed):
    p = plan_of(read, indexed, failed_files={"a.txt"}, reason="settings changed")
    assert p.added == list(read) and p.changed == p.removed == p.kept == [] and p.unchanged == 0
    assert p.reason == "settings changed" and plan_of(read, None, failed_files=set()).reason == "new index"


def test_plan_ids_are_packed_and_read_as_a_list():
    from rag.store.plan import Ids

    ids = Ids(["b", "a-long-id", "", "c"])
    assert (len(ids), list(ids), ids[1], ids[-1]) == (4, ["b", "a-long-id", "", "c"], "a-long-id", "c")
    assert ids[1:3] == ["a-long-id", ""]
    assert ids == ["b", "a-long-id", "", "c"] and ids != ["b"] and ids == Ids(ids) and Ids() == []
    assert ids + ["d"] == ["b", "a-long-id", "", "c", "d"] and ["z"] + ids == ["z", "b", "a-long-id", "", "c"]
    assert "a-long-id" in ids and sorted(ids) == ["", "a-long-id", "b", "c"]
    with pytest.raises(IndexError):
        ids[4]
