"""The Milvus store: Milvus Lite in-process (a file) and as a server on loopback, against the FAISS index.

The same retrieval and answer checks run on both; parity with FAISS is asserted
passage by passage (equal scores may come in either order).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rag.build import BuildOptions, update_index
from rag.corpus import load_corpus
from rag.store.faiss import FaissStore
from rag.types import Filters

from .conftest import ROOT, STARTER, write_article

sys.path.insert(0, str(ROOT / "benchmarks"))

DEV = [
    json.loads(line)
    for line in (ROOT / "tests" / "data" / "starter_dev.jsonl").read_text().splitlines()
    if line.strip()
]


def same_ranking(a, b, tol=1e-4) -> bool:
    """Two hit lists agree: equal scores position by position, and the same passages, except that passages
    of equal score may come in either order (and those tied with the last one may differ: the cut falls among them)."""
    close = lambda x, y: abs(x - y) <= tol * max(1.0, abs(x))  # noqa: E731
    if len(a) != len(b) or not all(close(x.score, y.score) for x, y in zip(a, b)):
        return False
    tied = lambda hits, s: {h.chunk_id for h in hits if close(h.score, s)}  # noqa: E731
    at_cut = tied(a, a[-1].score) if a else set()
    return all(tied(a, x.score) == tied(b, x.score) for x in a if x.chunk_id not in at_cut)


def has_ties(hits, tol=1e-6) -> bool:
    return any(abs(x.score - y.score) <= tol * max(1.0, abs(x.score)) for x, y in zip(hits, hits[1:]))


def assert_parity(question: str, faiss_dir: Path, milvus_dir: Path, k: int = 5) -> int:
    """Dense and BM25 rankings agree (ties aside); hybrid ones too, unless a tie inside one of the rankings it
    fuses was broken the other way (each engine keeps its own order among equal scores, which shifts the fused
    scores): then at least k-1 of the k passages agree. Returns 1 when that allowance was used."""
    from rag.retrieval import retrieve

    for mode in ("dense", "lexical"):
        a, b = (retrieve(question, k, index_dir=d, mode=mode) for d in (faiss_dir, milvus_dir))
        assert same_ranking(a, b), (
            question,
            mode,
            [(h.chunk_id, h.score) for h in a],
            [(h.chunk_id, h.score) for h in b],
        )
    a, b = (retrieve(question, k, index_dir=d) for d in (faiss_dir, milvus_dir))
    if same_ranking(a, b):
        return 0
    depth = 2 * k
    tied = any(has_ties(retrieve(question, depth, index_dir=faiss_dir, mode=m)) for m in ("dense", "lexical"))
    assert tied and len({h.chunk_id for h in a} & {h.chunk_id for h in b}) >= k - 1, (
        question,
        [(h.chunk_id, h.score) for h in a],
        [(h.chunk_id, h.score) for h in b],
    )
    return 1


@pytest.fixture(scope="module")
def milvus_server(tmp_path_factory):
    """`milvus-lite server` on loopback, as a separate process (see benchmarks/loopback.py)."""
    from loopback import milvus_server

    with milvus_server(tmp_path_factory.mktemp("milvus-server")) as uri:
        yield uri


@pytest.fixture(scope="module", params=["lite-file", "lite-server"])
def milvus_starter(request, tmp_path_factory, starter_index):
    """The starter corpus in Milvus, embedded anew with the real model (not copied from the FAISS build)."""
    from rag.retrieval import clear_cache
    from rag.store import MilvusLocation

    index = tmp_path_factory.mktemp(request.param) / "index"
    uri = request.getfixturevalue("milvus_server") if request.param == "lite-server" else None
    docs, _ = load_corpus(STARTER)
    report = update_index(docs, index, BuildOptions(store="milvus", milvus=MilvusLocation(uri) if uri else None))
    assert report.full_reason == "new index" and report.embedded == report.chunks > 0
    yield index
    clear_cache()


def test_milvus_matches_faiss_on_the_starter_dev_set(milvus_starter, starter_index):
    from rag.retrieval import load_index, retrieve

    assert type(load_index(milvus_starter)).__name__ == "MilvusStore"
    assert len(load_index(milvus_starter)) == len(load_index(starter_index))
    relaxed = sum(assert_parity(q["question"], starter_index, milvus_starter) for q in DEV)
    assert relaxed <= len(DEV) // 10
    a, b = (retrieve("Rutte Ukraine", 5, index_dir=d) for d in (starter_index, milvus_starter))
    fields = lambda h: (h.chunk_id, h.doc_id, h.text, h.start, h.end, h.title, h.source, h.published, h.url)  # noqa: E731
    assert [fields(h) for h in a] == [fields(h) for h in b]


def test_answers_from_milvus_are_the_faiss_answers_and_verify(milvus_starter, starter_index):
    from rag.answering import answer
    from rag.retrieval import load_index

    store = load_index(milvus_starter)
    for q in (
        "What did Rutte say about Ukraine?",
        "What did Trump threaten in February?",
        "Who won the 2024 election?",
    ):
        a, b = answer(q, index_dir=starter_index), answer(q, index_dir=milvus_starter)
        assert (a.text, a.refused) == (b.text, b.refused)
        for c in b.citations:
            assert store.document(c.doc_id).text[c.start : c.end] == c.quote
    assert store.sources() == load_index(starter_index).sources()


def test_filters_become_milvus_expressions_that_admit_the_same_articles(tmp_path, fake_embedder):
    from rag.retrieval import retrieve
    from rag.store.milvus import expression

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    dates = ["2024-11-04", "2024-11", "2024", "", "2023-12-31", "2024-11-30", "2025-01-02"]
    sources = ["Khaleej Times", "khaleej times", 'The "Quoted" Post', "Back\\slash News", ""]
    for i in range(21):
        meta = {"title": f"Story {i}"}
        if dates[i % len(dates)]:
            meta["published"] = dates[i % len(dates)]
        if sources[i % len(sources)]:
            meta["source"] = sources[i % len(sources)]
        write_article(corpus, f"a{i:02d}.txt", f"Story {i} about the summit and the budget vote number {i}.", **meta)
    docs, problems = load_corpus(corpus)
    assert not problems
    update_index(docs, tmp_path / "faiss", encoder=fake_embedder)
    update_index(docs, tmp_path / "milvus", BuildOptions(store="milvus"), encoder=fake_embedder)
    cases = [
        Filters(since="2024-11"),
        Filters(since="2024-11-04"),
        Filters(until="2024-11"),
        Filters(until="2024-11-04"),
        Filters(since="2024", until="2024"),
        Filters(sources=("KHALEEJ TIMES",)),
        Filters(sources=('The "Quoted" Post', "Back\\slash News")),
        Filters(doc_ids=("a03", "a07")),
        Filters(since="2024-11-05", sources=("khaleej times",)),
        Filters(since="2026"),
    ]
    by_id = {d.doc_id: d for d in docs}
    for f in cases:
        want = {i for i, d in by_id.items() if f.admits(i, d.source, d.published)}
        got = {
            h.doc_id
            for h in retrieve(
                "summit budget", 100, index_dir=tmp_path / "milvus", mode="dense", filters=f, encoder=fake_embedder
            )
        }
        local = {
            h.doc_id
            for h in retrieve(
                "summit budget", 100, index_dir=tmp_path / "faiss", mode="dense", filters=f, encoder=fake_embedder
            )
        }
        assert got == want == local, (f, expression(f), sorted(got), sorted(want))


def test_milvus_updates_by_article_and_keeps_what_failed_to_read(tmp_path, fake_embedder, corpus_dir):
    from rag.retrieval import retrieve
    from rag.types import Problem

    index = tmp_path / "index"
    write_article(corpus_dir, "keep.txt", "The harbour of Tallinn froze early this winter.", title="Harbour")
    docs, _ = load_corpus(corpus_dir)
    update_index(docs, index, BuildOptions(store="milvus"), encoder=fake_embedder)
    assert (index / "store.json").is_file()  # later runs and readers find the store without being told

    write_article(corpus_dir, "new.txt", "Lithuania hosted a drill of the alliance near Vilnius.", title="Drill")
    first = corpus_dir / "nato-united-whoever-wins-us-election.txt"
    first.write_text(first.read_text() + "\n\nRutte added that the summit in The Hague would be short.")
    (corpus_dir / "nato-future-amid-us-election-uncertainty.txt").unlink()
    fake_embedder.embedded.clear()
    docs, _ = load_corpus(corpus_dir)
    r = update_index(docs, index, encoder=fake_embedder)  # store from store.json
    assert (r.added, r.changed, r.removed, r.full_reason) == (
        ["new"],
        ["nato-united-whoever-wins-us-election"],
        ["nato-future-amid-us-election-uncertainty"],
        "",
    )
    assert r.embedded == len(fake_embedder.embedded) < r.chunks
    assert retrieve("Vilnius drill", 1, index_dir=index, mode="lexical", encoder=fake_embedder)[0].doc_id == "new"
    assert retrieve("summit in The Hague short", 1, index_dir=index, mode="lexical", encoder=fake_embedder)[
        0
    ].text.endswith("would be short.")
    assert (
        retrieve(
            "Rutte",
            50,
            index_dir=index,
            filters={"doc_ids": ["nato-future-amid-us-election-uncertainty"]},
            encoder=fake_embedder,
        )
        == []
    )
    hits = retrieve("Rutte", 50, index_dir=index, mode="dense", encoder=fake_embedder)
    assert len({h.chunk_id for h in hits}) == len(hits) == r.chunks  # no passage of the old version left behind

    # An article whose file failed to read this time stays as it was.
    docs, _ = load_corpus(corpus_dir)
    r = update_index(
        [d for d in docs if d.doc_id != "new"],
        index,
        encoder=fake_embedder,
        problems=[Problem("new.txt", "unreadable")],
    )
    assert (
        r.removed == []
        and retrieve("Vilnius drill", 1, index_dir=index, mode="lexical", encoder=fake_embedder)[0].doc_id == "new"
    )

    r = update_index(docs, index, BuildOptions(max_tokens=64, overlap_tokens=8), encoder=fake_embedder)
    assert "settings changed" in r.full_reason and r.embedded == r.chunks


def test_an_interrupted_milvus_update_is_finished_by_the_next_run(tmp_path, fake_embedder, corpus_dir, monkeypatch):
    from rag.retrieval import retrieve
    from rag.store.milvus import MilvusStore

    index = tmp_path / "index"
    docs, _ = load_corpus(corpus_dir)
    update_index(docs, index, BuildOptions(store="milvus"), encoder=fake_embedder)
    write_article(corpus_dir, "new.txt", "Lithuania hosted a drill of the alliance near Vilnius.", title="Drill")
    docs, _ = load_corpus(corpus_dir)

    def die_before_the_article_rows(self, docs):  # the passages arrive, the article row never does
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(MilvusStore, "add_articles", die_before_the_article_rows)
        with pytest.raises(KeyboardInterrupt):
            update_index(docs, index, encoder=fake_embedder)
    assert retrieve("Vilnius", 50, index_dir=index, mode="lexical", filters={"doc_ids": ["new"]}, encoder=fake_embedder)
    r = update_index(docs, index, encoder=fake_embedder)
    assert r.added == ["new"]  # not counted as present: its article row was never written
    hits = retrieve("Vilnius", 50, index_dir=index, mode="lexical", filters={"doc_ids": ["new"]}, encoder=fake_embedder)
    assert len(hits) == 1 and hits[0].title == "Drill"


def test_cli_index_ask_and_search_on_milvus(tmp_path, starter_index):
    index = tmp_path / "index"
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    rag = [sys.executable, "-m", "rag"]
    # Moving a FAISS folder into Milvus re-uses its vectors: nothing is embedded again.
    shutil.copytree(starter_index, index)
    r = subprocess.run(
        [*rag, "index", "--corpus", str(STARTER), "--index", str(index), "--store", "milvus", "-q"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert "2 added" in r.stdout and "(0 embedded)" in r.stdout, r.stdout
    r = subprocess.run(
        [*rag, "ask", "What did Rutte say about Ukraine?", "--index", str(index)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert r.returncode == 0 and "[1]" in r.stdout and "bridge to Nato membership" in r.stdout, r.stdout + r.stderr
    r = subprocess.run(
        [*rag, "search", "North Korea", "-k", "2", "--json", "--index", str(index), "--source", "khaleej times"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    hits = json.loads(r.stdout)
    assert r.returncode == 0 and len(hits) == 2 and {h["source"] for h in hits} == {"Khaleej Times"}
    r = subprocess.run(
        [
            *rag,
            "index",
            "--corpus",
            str(STARTER),
            "--index",
            str(index),
            "--store",
            "milvus",
            "--ray",
            "nowhere:1",
            "-q",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert r.returncode == 0 and "0 added" in r.stdout  # nothing to embed: Ray is not even contacted


def test_app_answers_from_milvus(tmp_path, milvus_server):
    from gradio_client import Client

    from .test_app import check_citations, start_app, stop

    index = tmp_path / "index"
    proc, url = start_app(
        STARTER, index, env={"RAG_STORE": "milvus", "RAG_MILVUS_URI": milvus_server, "RAG_MILVUS_COLLECTION": "app"}
    )
    try:
        r = Client(url, verbose=False).predict("What did Rutte say about North Korea?", api_name="/ask")
        assert r["refused"] is False
        check_citations(r, STARTER)
    finally:
        stop(proc)
    assert json.loads((index / "store.json").read_text())["uri"] == milvus_server
    assert not (index / "CURRENT").exists()  # nothing was written as FAISS files


def test_missing_or_unreachable_milvus_reads_as_a_clear_error(tmp_path):
    from rag.errors import RagError
    from rag.retrieval import retrieve

    (tmp_path / "index").mkdir()
    (tmp_path / "index" / "store.json").write_text(
        json.dumps({"store": "milvus", "uri": str(tmp_path / "index" / "empty.db")})
    )
    with pytest.raises(RagError, match="holds no rag index.*rag index --store milvus"):
        retrieve("Rutte", index_dir=tmp_path / "index")

    from loopback import free_port

    (tmp_path / "index" / "store.json").write_text(
        json.dumps({"store": "milvus", "uri": f"http://127.0.0.1:{free_port()}"})
    )
    with pytest.raises(RagError, match="cannot open Milvus at .*check that it is running"):
        retrieve("Rutte", index_dir=tmp_path / "index")


def test_long_articles_are_stored_whole_in_pieces(tmp_path, fake_embedder):
    """Milvus strings hold 65,535 bytes; an article of 40,000 four-byte characters comes back whole."""
    from rag.retrieval import load_index, retrieve

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    text = " ".join(f"Sentence {i} of the long report 🛰️ about orbital debris." for i in range(700))
    text += " " + "🛰" * 40_000 + " The end."
    write_article(corpus, "long.txt", text, title="Long")
    docs, problems = load_corpus(corpus)
    assert not problems
    update_index(docs, tmp_path / "index", BuildOptions(store="milvus"), encoder=fake_embedder)
    stored = load_index(tmp_path / "index").document("long")
    assert stored.text == docs[0].text and len(stored.text.encode()) > 3 * 65_535
    for h in retrieve("orbital debris report", 5, index_dir=tmp_path / "index", encoder=fake_embedder):
        assert stored.text[h.start : h.end] == h.text


def test_a_milvus_build_is_written_batch_by_batch_and_holds_what_a_faiss_build_holds(
    tmp_path, fake_embedder, corpus_dir, monkeypatch
):
    """Nothing gathers a build's passages before they go to Milvus: each spool batch (here one article) is
    inserted as it comes, and the vectors are indexed once they are all in."""
    import rag.spool
    from rag.retrieval import retrieve
    from rag.store.milvus import MilvusStore

    write_article(corpus_dir, "keep.txt", "The harbour of Tallinn froze early this winter.", title="Harbour")
    docs, _ = load_corpus(corpus_dir)
    update_index(docs, tmp_path / "faiss", encoder=fake_embedder)
    inserted = []
    add = MilvusStore.add
    monkeypatch.setattr(rag.spool, "FRESH_PER_BATCH", 1)

    def add_noted(self, articles, *args):
        inserted.append([d.doc_id for d in articles])
        add(self, articles, *args)

    monkeypatch.setattr(MilvusStore, "add", add_noted)
    r = update_index(docs, tmp_path / "milvus", BuildOptions(store="milvus"), encoder=fake_embedder)
    assert sorted(inserted) == sorted([d.doc_id] for d in docs)  # one article at a time
    assert r.chunks == len(FaissStore.load(tmp_path / "faiss"))
    for question in ("Rutte and the alliance", "harbour frozen in winter"):
        a, b = (
            [h.chunk_id for h in retrieve(question, 5, index_dir=tmp_path / d, mode="dense", encoder=fake_embedder)]
            for d in ("faiss", "milvus")
        )
        assert a == b
