"""The on-disk index with a fake embedder: incremental builds, atomic writes, bad state."""

from __future__ import annotations

import json
import os
import re
import threading

import pytest

import rag.store.faiss
from rag.build import BuildOptions, update_index
from rag.corpus import load_corpus
from rag.errors import CorpusError, IndexBusy, IndexCorrupt, IndexNotFound, QueryError
from rag.retrieval import load_index, retrieve
from rag.store.faiss import FaissStore

from .conftest import write_article


def build(corpus, index, emb, **kw):
    docs, problems = load_corpus(corpus)
    return update_index(docs, index, BuildOptions(model="fake-bow", **kw), encoder=emb, problems=problems)


def test_first_build_then_search(corpus_dir, tmp_path, fake_embedder):
    index = tmp_path / "index"
    report = build(corpus_dir, index, fake_embedder)
    assert report.full_reason == "new index"
    assert len(report.added) == 2 and report.chunks == report.embedded > 4
    hits = retrieve("Pyongyang support serious development escalation", k=3, index_dir=index, encoder=fake_embedder)
    assert hits[0].doc_id == "nato-united-whoever-wins-us-election"
    assert "Pyongyang" in hits[0].text
    assert hits[0].source == "Khaleej Times" and hits[0].published == "2024-11-04"
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    m = json.loads((FaissStore.load(index).build_dir / "manifest.json").read_text())
    assert m["settings"]["model"] == "fake-bow" and m["settings"]["tokenizer"] == "cl100k_base"
    assert m["counts"] == {"documents": 2, "chunks": report.chunks}
    docs, _ = load_corpus(corpus_dir)
    assert FaissStore.load(index).hashes == {d.doc_id: d.content_hash for d in docs}  # in its tables
    assert m["documents"] == {}  # not in the manifest: it stays small whatever the corpus
    assert m["dimension"] == 256 and m["package_version"] and m["built_at"]


def test_hit_text_is_the_exact_span_of_the_stored_document(corpus_dir, tmp_path, fake_embedder):
    index = tmp_path / "index"
    build(corpus_dir, index, fake_embedder)
    idx = load_index(index)
    for h in retrieve("NATO alliance", k=50, index_dir=index, encoder=fake_embedder):
        assert idx.document(h.doc_id).text[h.start : h.end] == h.text


def test_incremental_add_change_delete(corpus_dir, tmp_path, fake_embedder):
    index = tmp_path / "index"
    build(corpus_dir, index, fake_embedder)
    first = FaissStore.load(index).build_id

    fake_embedder.embedded.clear()
    report = build(corpus_dir, index, fake_embedder)
    assert (report.added, report.changed, report.removed, report.embedded) == ([], [], [], 0)
    assert FaissStore.load(index).build_id == first, "a no-change run must not write a new build"

    write_article(corpus_dir, "new.txt", "Zelensky presented a Victory Plan in Kyiv.", title="New")
    kt = corpus_dir / "nato-united-whoever-wins-us-election.txt"
    kt.write_text(kt.read_text().replace("Berlin on Monday", "Berlin on Monday afternoon"))
    (corpus_dir / "nato-future-amid-us-election-uncertainty.txt").unlink()
    fake_embedder.embedded.clear()
    report = build(corpus_dir, index, fake_embedder)
    assert report.added == ["new"]
    assert report.changed == ["nato-united-whoever-wins-us-election"]
    assert report.removed == ["nato-future-amid-us-election-uncertainty"]
    assert report.full_reason == ""
    # Only the new and the changed article were embedded.
    assert all("Time.news" not in t and "Dr. Carter" not in t for t in fake_embedder.embedded)
    assert report.embedded == len(fake_embedder.embedded) == report.chunks
    idx = load_index(index)
    assert idx.manifest.counts["documents"] == 2
    assert {h.doc_id for h in retrieve("Dr. Carter interview", k=50, index_dir=index, encoder=fake_embedder)} == {
        "new",
        "nato-united-whoever-wins-us-election",
    }
    assert "afternoon" in idx.document("nato-united-whoever-wins-us-election").text


def test_unchanged_documents_keep_their_vectors(corpus_dir, tmp_path, fake_embedder):
    import numpy as np

    index = tmp_path / "index"
    build(corpus_dir, index, fake_embedder)
    before = np.load(FaissStore.load(index).build_dir / "vectors.npy")
    write_article(corpus_dir, "zzz-new.txt", "Another article.")
    build(corpus_dir, index, fake_embedder)
    after = np.load(FaissStore.load(index).build_dir / "vectors.npy")
    assert np.array_equal(after[: len(before)], before)


def test_changed_settings_force_a_full_rebuild_said_plainly(corpus_dir, tmp_path, fake_embedder):
    index = tmp_path / "index"
    build(corpus_dir, index, fake_embedder)
    report = build(corpus_dir, index, fake_embedder, max_tokens=100)
    assert "max_tokens 160 → 100" in report.full_reason
    assert report.embedded == report.chunks
    report = build(corpus_dir, index, fake_embedder, max_tokens=100, full=True)
    assert report.full_reason == "full rebuild requested" and report.embedded == report.chunks


def test_crash_during_write_leaves_previous_index_serving(corpus_dir, tmp_path, fake_embedder, monkeypatch):
    index = tmp_path / "index"
    build(corpus_dir, index, fake_embedder)
    first = FaissStore.load(index).build_id
    before = [
        (h.chunk_id, h.score) for h in retrieve("Ukraine membership", k=5, index_dir=index, encoder=fake_embedder)
    ]
    write_article(corpus_dir, "new.txt", "Ukraine membership talk.")

    real_replace = os.replace

    def crash(*a, **k):
        raise OSError("simulated crash just before the swap")

    monkeypatch.setattr(rag.store.faiss.os, "replace", crash)
    with pytest.raises(OSError, match="simulated"):
        build(corpus_dir, index, fake_embedder)
    monkeypatch.setattr(rag.store.faiss.os, "replace", real_replace)

    rag.retrieval.clear_cache()
    assert [
        (h.chunk_id, h.score) for h in retrieve("Ukraine membership", k=5, index_dir=index, encoder=fake_embedder)
    ] == before
    assert (index / "CURRENT.tmp").exists() and len(list(index.glob("build-*"))) == 2  # the crash left debris

    report = build(corpus_dir, index, fake_embedder)
    assert report.added == ["new"]
    assert not list(index.glob("*.tmp"))
    # The debris is gone; what remains is the new build and the one it replaced.
    assert sorted(p.name for p in index.glob("build-*")) == sorted([first, FaissStore.load(index).build_id])


def test_leftover_tmp_build_is_cleaned(corpus_dir, tmp_path, fake_embedder):
    index = tmp_path / "index"
    build(corpus_dir, index, fake_embedder)
    (index / "build-19990101T000000Z-1.tmp").mkdir()
    write_article(corpus_dir, "new.txt", "Something new.")
    build(corpus_dir, index, fake_embedder)
    assert not list(index.glob("*.tmp"))


def test_a_file_that_fails_to_read_keeps_its_previous_version(corpus_dir, tmp_path, fake_embedder):
    index = tmp_path / "index"
    build(corpus_dir, index, fake_embedder)
    (corpus_dir / "nato-united-whoever-wins-us-election.txt").write_bytes(b"\xff\xfe broken")
    report = build(corpus_dir, index, fake_embedder)
    assert report.removed == [] and len(report.problems) == 1
    assert any(
        h.doc_id == "nato-united-whoever-wins-us-election"
        for h in retrieve("Pyongyang", k=20, index_dir=index, encoder=fake_embedder)
    )


def test_all_articles_failing_leaves_the_index_untouched(corpus_dir, tmp_path, fake_embedder):
    index = tmp_path / "index"
    build(corpus_dir, index, fake_embedder)
    for p in corpus_dir.glob("*.txt"):
        p.write_bytes(b"")
    with pytest.raises(CorpusError, match="left as it was"):
        build(corpus_dir, index, fake_embedder)
    assert FaissStore.load(index).manifest.counts["documents"] == 2


def test_second_build_at_once_is_refused(corpus_dir, tmp_path, fake_embedder):
    index = tmp_path / "index"
    build(corpus_dir, index, fake_embedder)
    inside, release = threading.Event(), threading.Event()

    class SlowEmbedder(type(fake_embedder)):
        def encode_documents(self, texts, *, progress=None):
            inside.set()
            release.wait(10)
            return super().encode_documents(texts, progress=progress)

    write_article(corpus_dir, "new.txt", "New.")
    t = threading.Thread(target=build, args=(corpus_dir, index, SlowEmbedder()))
    t.start()
    try:
        assert inside.wait(10)
        with pytest.raises(IndexBusy, match=rf"being built by process {os.getpid()}"):
            build(corpus_dir, index, fake_embedder)
    finally:
        release.set()
        t.join()


# --- bad index state: one clear message naming the fix ----------------------


@pytest.fixture
def built(corpus_dir, tmp_path, fake_embedder):
    index = tmp_path / "index"
    build(corpus_dir, index, fake_embedder)
    rag.retrieval.clear_cache()
    return index


def test_no_index(tmp_path, fake_embedder):
    with pytest.raises(IndexNotFound, match=r"no index at .*rag index --index"):
        retrieve("x", index_dir=tmp_path / "missing", encoder=fake_embedder)
    (tmp_path / "empty").mkdir()
    with pytest.raises(IndexNotFound):
        retrieve("x", index_dir=tmp_path / "empty", encoder=fake_embedder)


def test_truncated_faiss_file(built, fake_embedder):
    f = FaissStore.load(built).build_dir / "faiss.index"
    f.write_bytes(f.read_bytes()[:100])
    with pytest.raises(IndexCorrupt, match=r"faiss.index is 100 bytes.*truncated.*rag index --full"):
        retrieve("x", index_dir=built, encoder=fake_embedder)


def test_corrupt_faiss_file_of_the_right_size(built, fake_embedder):
    f = FaissStore.load(built).build_dir / "faiss.index"
    f.write_bytes(b"\x00" * f.stat().st_size)
    with pytest.raises(IndexCorrupt, match=r"unreadable.*rag index --full"):
        retrieve("x", index_dir=built, encoder=fake_embedder)


def test_metadata_rows_that_do_not_match_the_vectors(built, fake_embedder):
    import sqlite3

    b = FaissStore.load(built).build_dir
    db = sqlite3.connect(b / "meta.sqlite")
    db.execute("DELETE FROM chunks WHERE row = 0")
    db.commit()
    db.close()
    m = json.loads((b / "manifest.json").read_text())
    m["files"].pop("meta.sqlite")  # so the size check passes and the row check must catch it
    (b / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(IndexCorrupt, match=r"inconsistent: \d+ vectors, \d+ passage rows"):
        retrieve("x", index_dir=built, encoder=fake_embedder)


def test_manifest_from_another_format_version(built, fake_embedder):
    b = FaissStore.load(built).build_dir
    m = json.loads((b / "manifest.json").read_text())
    m["format_version"] = 99
    (b / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(IndexCorrupt, match=r"format version 99.*reads version 1.*rag index --full"):
        retrieve("x", index_dir=built, encoder=fake_embedder)


def test_missing_file_and_garbled_manifest(built, fake_embedder):
    b = FaissStore.load(built).build_dir
    (b / "manifest.json").write_text("{not json")
    with pytest.raises(IndexCorrupt, match="manifest .* unreadable"):
        retrieve("x", index_dir=built, encoder=fake_embedder)
    (b / "manifest.json").unlink()
    with pytest.raises(IndexCorrupt, match="manifest .* missing"):
        retrieve("x", index_dir=built, encoder=fake_embedder)


def test_index_of_another_model_dimension(built, fake_embedder, monkeypatch):
    import numpy as np

    monkeypatch.setattr(fake_embedder, "encode_query", lambda q: np.ones(384, np.float32) / np.sqrt(384))
    with pytest.raises(IndexCorrupt, match="384 dimensions .* has 256: it was built with another model"):
        retrieve("x", index_dir=built, encoder=fake_embedder)


def test_corrupt_index_is_rebuilt_by_the_next_build(built, corpus_dir, fake_embedder):
    (FaissStore.load(built).build_dir / "faiss.index").write_bytes(b"junk")
    report = build(corpus_dir, built, fake_embedder)
    assert "unusable" in report.full_reason
    assert retrieve("Rutte", index_dir=built, encoder=fake_embedder)


def test_queries_and_k(built, fake_embedder):
    with pytest.raises(QueryError, match="empty"):
        retrieve("   ", index_dir=built, encoder=fake_embedder)
    with pytest.raises(QueryError, match="k of 0"):
        retrieve("Rutte", k=0, index_dir=built, encoder=fake_embedder)
    n = len(load_index(built))
    assert len(retrieve("Rutte", k=n + 100, index_dir=built, encoder=fake_embedder)) == n


def test_index_is_cached_and_reloaded_only_when_rebuilt(built, corpus_dir, fake_embedder):
    a = load_index(built)
    assert load_index(built) is a
    write_article(corpus_dir, "new.txt", "New article about Rutte.")
    build(corpus_dir, built, fake_embedder)
    b = load_index(built)
    assert b is not a and b.manifest.counts["documents"] == 3


# --- keywords, fusion, filters ----------------------------------------------


def test_modes_and_fusion(built, fake_embedder):
    from rag.store.fusion import fuse

    assert fuse([(1, 0.9), (2, 0.8)], [(2, 5.0), (3, 4.0)])[0][0] == 2  # found by both: first
    lexical = retrieve("Pyongyang", k=3, index_dir=built, mode="lexical", encoder=fake_embedder)
    assert lexical and all("Pyongyang" in h.text for h in lexical)
    assert (
        retrieve("Pyongyang", k=1, index_dir=built, mode="hybrid", encoder=fake_embedder)[0].chunk_id
        == lexical[0].chunk_id
    )
    assert retrieve("qqqq zzzz", k=3, index_dir=built, mode="lexical", encoder=fake_embedder) == []
    with pytest.raises(QueryError, match="mode 'fuzzy'"):
        retrieve("x", index_dir=built, mode="fuzzy", encoder=fake_embedder)


def test_a_publisher_the_question_names_comes_first(tmp_path, fake_embedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, source in (("courier", "Daily Courier"), ("post", "Evening Post")):
        write_article(
            corpus, f"{name}.txt", "The river bridge collapsed on Monday. Twelve people were hurt.", source=source
        )
    write_article(corpus, "other.txt", "The council met on Monday about the budget.", source="Evening Post")
    build(corpus, tmp_path / "index", fake_embedder)

    def first(question: str) -> str:
        return retrieve(question, k=3, index_dir=tmp_path / "index", encoder=fake_embedder)[0].doc_id

    asked = "How many people were hurt when the river bridge collapsed"
    assert first(f"{asked}, according to the Evening Post?") == "post"
    assert first(f"{asked}, according to the Daily Courier?") == "courier"
    # the publisher's own passage that is not about it does not go first
    assert first("How many people were hurt when the Bridge collapsed, says the Evening Post?") != "other"


def test_filters_by_source_date_and_id(built, corpus_dir, fake_embedder):
    from rag.types import Filters

    write_article(
        corpus_dir, "old.txt", "Rutte spoke about Ukraine long ago.", source="Archive", published="2019-05-01"
    )
    build(corpus_dir, built, fake_embedder)
    everyone = {h.doc_id for h in retrieve("Rutte Ukraine", k=100, index_dir=built, encoder=fake_embedder)}
    assert everyone == {"old", "nato-united-whoever-wins-us-election", "nato-future-amid-us-election-uncertainty"}
    for mode in ("hybrid", "dense", "lexical"):
        hits = retrieve(
            "Rutte Ukraine",
            k=100,
            index_dir=built,
            mode=mode,
            filters={"source": "KHALEEJ TIMES"},
            encoder=fake_embedder,
        )
        assert hits and {h.source for h in hits} == {"Khaleej Times"}
    # "2024-11" (Time.news, day unknown) falls inside a range that covers November 2024.
    recent = {
        h.doc_id
        for h in retrieve(
            "Rutte",
            k=100,
            index_dir=built,
            filters=Filters(since="2024-11-01", until="2024-11-30"),
            encoder=fake_embedder,
        )
    }
    assert recent == {"nato-united-whoever-wins-us-election", "nato-future-amid-us-election-uncertainty"}
    assert {
        h.doc_id for h in retrieve("Rutte", k=100, index_dir=built, filters={"until": "2020"}, encoder=fake_embedder)
    } == {"old"}
    assert {
        h.doc_id for h in retrieve("Rutte", k=100, index_dir=built, filters={"doc_ids": ["old"]}, encoder=fake_embedder)
    } == {"old"}
    assert (
        retrieve("Rutte", index_dir=built, filters={"since": "2030"}, encoder=fake_embedder) == []
    )  # matches nothing: empty, no error
    with pytest.raises(QueryError, match="unknown filter"):
        retrieve("Rutte", index_dir=built, filters={"publisher": "x"}, encoder=fake_embedder)
    for bad, says in (
        ({"since": "2024-13"}, "since '2024-13' is not a date: use YYYY, YYYY-MM or YYYY-MM-DD"),
        ({"until": "last week"}, "until 'last week' is not a date"),
        (Filters(since="2024-02-30"), "not a date"),
        ({"since": "2024-12", "until": "2024-11"}, "since 2024-12 is after until 2024-11"),
        ({"sources": ["Nowhere Post"]}, "no publisher 'Nowhere Post' in this index; its publishers are: Archive"),
    ):
        with pytest.raises(QueryError, match=re.escape(says)):
            retrieve("Rutte", index_dir=built, filters=bad, encoder=fake_embedder)


def test_an_index_without_keywords_gets_them_without_re_embedding(built, corpus_dir, fake_embedder):
    import shutil

    shutil.rmtree(FaissStore.load(built).build_dir / rag.store.faiss.LEXICAL)
    rag.retrieval.clear_cache()
    with pytest.raises(IndexCorrupt, match="no keyword index"):
        retrieve("Rutte", index_dir=built, mode="lexical", encoder=fake_embedder)
    fake_embedder.embedded.clear()
    report = build(corpus_dir, built, fake_embedder)
    assert report.embedded == 0 and fake_embedder.embedded == []
    assert retrieve("Pyongyang", k=1, index_dir=built, mode="lexical", encoder=fake_embedder)


def test_the_headline_is_searched_with_every_passage_but_never_quoted(tmp_path, fake_embedder):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    body = (
        "Officials said the vote would take place in the spring. " * 3 + "\n" + "Turnout was expected to be high. " * 3
    )
    write_article(corpus, "vote.txt", body, title="Zanzibar referendum called")
    write_article(
        corpus, "other.txt", "Officials said the budget would be published in the spring.", title="Budget news"
    )
    build(corpus, index, fake_embedder)
    assert all(
        t.startswith("Zanzibar referendum called\n") for t in fake_embedder.embedded if "vote" in t or "Turnout" in t
    )
    n = len(load_index(index).chunks_of()["vote"])
    for mode in ("lexical", "dense"):
        hits = retrieve("Zanzibar", k=5, index_dir=index, mode=mode, encoder=fake_embedder)[:n]
        assert [h.doc_id for h in hits] == ["vote"] * n, mode  # every passage of the article, by its headline alone
        assert all(
            "Zanzibar" not in h.text and load_index(index).document("vote").text[h.start : h.end] == h.text
            for h in hits
        )


def test_an_index_built_without_headline_context_is_rebuilt_and_says_why(corpus_dir, tmp_path, fake_embedder):
    index = tmp_path / "index"
    build(corpus_dir, index, fake_embedder)
    manifest_path = FaissStore.load(index).build_dir / "manifest.json"
    m = json.loads(manifest_path.read_text())
    del m["settings"]["passage_context"]  # what builds before the headline counted wrote
    manifest_path.write_text(json.dumps(m))
    rag.retrieval.clear_cache()
    report = build(corpus_dir, index, fake_embedder)
    assert "passage_context None → 'title'" in report.full_reason and report.embedded == report.chunks


def _contents(index):
    """Everything a build holds, per article: its stored row, its passages and their vectors."""
    import numpy as np

    store = FaissStore.load(index)
    vectors = np.load(store.build_dir / "vectors.npy")
    return {
        d.doc_id: (d, [(c, vectors[row].tolist()) for row, c in store.chunks_of().get(d.doc_id, [])])
        for d in store.documents()
    }


def test_a_streamed_update_equals_a_one_shot_build(corpus_dir, tmp_path, fake_embedder):
    from rag.corpus import read_corpus

    def stream_build(index):
        corpus = read_corpus(corpus_dir)  # a stream, as `rag index` reads it
        return update_index(
            corpus, index, BuildOptions(model="fake-bow"), encoder=fake_embedder, problems=corpus.problems
        )

    streamed = tmp_path / "streamed"
    (corpus_dir / "a.jsonl").write_text('{"id": "j1", "text": "Floods in the valley. Roads closed."}\n')
    stream_build(streamed)
    for i in range(3):
        write_article(
            corpus_dir,
            f"new-{i}.txt",
            f"Storm news {i}. The river rose by {i} metres overnight.",
            title=f"Storm {i}",
            published=f"2024-11-0{i + 5}",
        )
    (corpus_dir / "bad.txt").write_bytes(b"\x00\x01 binary")
    (corpus_dir / "a.jsonl").rename(corpus_dir / "b.jsonl")  # unchanged, read from another file
    write_article(corpus_dir, "nato-united-whoever-wins-us-election.txt", "Rewritten: NATO stays united.")
    fake_embedder.embedded.clear()
    report = stream_build(streamed)
    assert sorted(report.added) == ["new-0", "new-1", "new-2"] and report.changed == [
        "nato-united-whoever-wins-us-election"
    ]
    assert [p.where for p in report.problems] == ["bad.txt"]  # the stream's problems reach the report
    assert len(fake_embedder.embedded) == report.embedded  # only the fresh articles were embedded
    one_shot = tmp_path / "one-shot"
    build(corpus_dir, one_shot, fake_embedder)
    assert _contents(streamed) == _contents(one_shot)
    assert load_index(streamed).document("j1").origin == "b.jsonl:1"  # its row says where it is now
    q = "river rose metres storm"
    assert [(h.chunk_id, round(h.score, 6)) for h in retrieve(q, k=5, index_dir=streamed, encoder=fake_embedder)] == [
        (h.chunk_id, round(h.score, 6)) for h in retrieve(q, k=5, index_dir=one_shot, encoder=fake_embedder)
    ]


def test_passages_naming_what_few_others_name_come_first():
    from rag.retrieval import _naming_first
    from rag.types import Hit

    def hit(i: str, text: str) -> Hit:
        return Hit(f"{i}#0", i, text, 0, len(text), 1.0, title="")

    ages = [hit(str(i), f"Jimmy Breslin died aged {80 + i}, his family said.") for i in range(3)]
    cluskey = hit("c", "Cluskey, 25, was jailed for life for the murder.")
    order = _naming_first("How old is Wayne Cluskey?", ages + [cluskey])
    assert [h.doc_id for h in order] == ["c", "0", "1", "2"]  # "Wayne" is no telling name: "Cluskey" names him
    # a name most of the passages have tells them nothing: the order stays
    lavrov = [hit("a", "Lavrov said it looks like a witch hunt."), hit("b", "Russian diplomats met Lavrov.")]
    lavrov += [hit("d", "Russian and US officials and Lavrov spoke."), hit("e", "The Russian minister Lavrov said.")]
    assert _naming_first("What did Lavrov say the Russian uproar looks like?", lavrov) == lavrov
