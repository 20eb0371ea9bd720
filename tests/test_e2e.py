"""End to end with the real packaged model: the `rag` command and the Python API."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from .conftest import ROOT, write_article

RUTTE_UKRAINE = "What did Rutte say about Ukraine?"
BOTH = {"nato-united-whoever-wins-us-election", "nato-future-amid-us-election-uncertainty"}


def rag(*args, check=True, env=None) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "rag", *map(str, args)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env={**os.environ, **(env or {})})
    if check and p.returncode != 0:
        raise AssertionError(f"{cmd} exited {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}")
    return p


@pytest.fixture(scope="module")
def real_index(tmp_path_factory):
    """The starter corpus indexed once by the real CLI with the real model."""
    base = tmp_path_factory.mktemp("e2e")
    corpus, index = base / "corpus", base / "index"
    import shutil

    from .conftest import STARTER

    shutil.copytree(STARTER, corpus)
    first = rag("index", "--corpus", corpus, "--index", index, "--quiet")
    return corpus, index, first


def test_index_reports_what_it_did(real_index):
    _, index, first = real_index
    assert "2 added, 0 changed, 0 removed, 0 unchanged" in first.stdout
    assert "built a new index" in first.stderr
    assert (index / "CURRENT").is_file()


def test_search_finds_both_articles_for_rutte_on_ukraine(real_index):
    _, index, _ = real_index
    p = rag("search", RUTTE_UKRAINE, "-k", 4, "--json", "--index", index)
    hits = json.loads(p.stdout)
    assert len(hits) == 4
    assert {h["doc_id"] for h in hits} == BOTH
    assert any("Ukraine" in h["text"] for h in hits[:2])
    for h in hits:
        assert set(h) >= {"text", "score", "doc_id", "title", "source", "published", "chunk_id", "start", "end"}


def test_search_plain_output_and_large_k(real_index):
    _, index, _ = real_index
    p = rag("search", "North Korean troops", "-k", 500, "--index", index)
    assert "Pyongyang" in p.stdout and "Khaleej Times" in p.stdout
    assert "more than the" in p.stderr and "showing all" in p.stderr


def test_second_index_run_embeds_nothing(real_index):
    corpus, index, _ = real_index
    p = rag("index", "--corpus", corpus, "--index", index, "--quiet")
    assert "0 added, 0 changed, 0 removed, 2 unchanged" in p.stdout
    assert "(0 embedded)" in p.stdout


def test_bad_article_is_named_others_indexed_and_exit_is_nonzero(real_index, tmp_path):
    corpus, _, _ = real_index
    index = tmp_path / "index"
    bad = tmp_path / "c"
    bad.mkdir()
    write_article(bad, "good.txt", "Rutte spoke about Ukraine in Berlin.", title="Good")
    (bad / "broken.txt").write_bytes(b"caf\xe9")
    p = rag("index", "--corpus", bad, "--index", index, "--quiet", check=False)
    assert p.returncode == 1
    assert "broken.txt: is not UTF-8" in p.stderr
    assert "1 added" in p.stdout
    hits = json.loads(rag("search", "Berlin", "--json", "--index", index).stdout)
    assert [h["doc_id"] for h in hits] == ["good"]


def test_cli_errors_are_one_clear_line(tmp_path):
    p = rag("index", "--corpus", tmp_path / "nowhere", "--index", tmp_path / "i", check=False)
    assert p.returncode == 2 and "does not exist" in p.stderr and "Traceback" not in p.stderr
    p = rag("search", "anything", "--index", tmp_path / "none", check=False)
    assert p.returncode == 2 and "no index at" in p.stderr and "rag index" in p.stderr
    p = rag("search", "  ", "--index", tmp_path / "none", check=False)
    assert p.returncode == 2 and "the query is empty" in p.stderr


def test_help_has_examples():
    assert "index" in rag("--help").stdout and "search" in rag("--help").stdout
    for cmd in ("index", "search"):
        assert "Examples" in rag(cmd, "--help").stdout


def test_import_rag_does_not_load_heavy_libraries():
    code = (
        "import sys, rag; rag.retrieve; rag.update_index; rag.load_corpus; "
        "heavy = [m for m in ('torch', 'faiss', 'gradio', 'sentence_transformers', 'ray', 'pymilvus') if m in "
        "sys.modules]; "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_retrieve_api_caches_index_and_model(real_index):
    import rag
    from rag.embedding import get_encoder
    from rag.retrieval import load_index

    _, index, _ = real_index
    hits = rag.retrieve(RUTTE_UKRAINE, k=4, index_dir=index)
    assert {h.doc_id for h in hits} == BOTH
    store, encoder = load_index(index), get_encoder("all-MiniLM-L6-v2")
    runner = encoder._runner  # the loaded ONNX sessions
    again = rag.retrieve(RUTTE_UKRAINE, k=4, index_dir=index)
    assert load_index(index) is store and get_encoder("all-MiniLM-L6-v2") is encoder and encoder._runner is runner
    assert [h.chunk_id for h in again] == [h.chunk_id for h in hits]


def test_index_folder_defaults_to_index_here_and_the_cli_reads_rag_index_dir(real_index, tmp_path, monkeypatch):
    import shutil

    import rag

    _, index, _ = real_index
    shutil.copytree(index, tmp_path / "index")
    monkeypatch.chdir(tmp_path)
    assert rag.retrieve("Scholz", k=1)[0].doc_id in BOTH  # ./index
    monkeypatch.chdir(ROOT)
    p = subprocess.run(
        [sys.executable, "-m", "rag", "search", "Scholz", "-k", "1", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "RAG_INDEX_DIR": str(index)},
    )
    assert p.returncode == 0 and json.loads(p.stdout)[0]["doc_id"] in BOTH, p.stderr


def test_filters_from_the_cli(real_index):
    _, index, _ = real_index
    hits = json.loads(rag("search", "Ukraine", "--source", "Time.news", "--json", "--index", index).stdout)
    assert hits and {h["source"] for h in hits} == {"Time.news"}
    p = rag("search", "Ukraine", "--since", "2030-01-01", "--index", index)
    assert p.returncode == 0 and "no article matches these filters" in p.stderr
    a = json.loads(
        rag("ask", "What did Rutte say about Ukraine?", "--source", "Khaleej Times", "--json", "--index", index).stdout
    )
    assert not a["refused"] and {c["source"] for c in a["citations"]} == {"Khaleej Times"}
    a = json.loads(
        rag("ask", "What did Rutte say about Ukraine?", "--until", "2020", "--json", "--index", index).stdout
    )
    assert a["refused"] and a["citations"] == [] and a["text"] == "No article matches: until 2020."
    for bad, says in (
        (("--since", "2024-13"), "not a date"),
        (("--until", "last week"), "YYYY-MM-DD"),
        (("--source", "Nowhere Post"), "no publisher 'Nowhere Post'"),
    ):
        for cmd in ("ask", "search"):
            p = rag(cmd, "What did Rutte say about Ukraine?", *bad, "--index", index, check=False)
            assert p.returncode == 2 and says in p.stderr and len(p.stderr.strip().splitlines()) == 1, (
                cmd,
                bad,
                p.stderr,
            )


def test_eval_runs_any_question_file_on_any_index(real_index, tmp_path):
    _, index, _ = real_index
    qfile = tmp_path / "q.jsonl"
    qfile.write_text(
        json.dumps(
            {
                "question": "What did Rutte say about North Korea?",
                "answerable": True,
                "docs": ["nato-united-whoever-wins-us-election"],
                "facts": ["pyongyang|north korean"],
            }
        )
        + "\n"
        + json.dumps({"question": "Who won the 2024 election?", "answerable": False})
        + "\n",
        encoding="utf-8",
    )
    m = json.loads(rag("eval", "--questions", qfile, "--index", index, "--json").stdout)["metrics"]
    assert m["questions"] == 2 and m["hit@5"] == 1.0 and m["refusal_recall"] == 1.0 and m["citation_validity"] == 1.0
    table = rag("eval", "--questions", qfile, "--index", index).stdout
    assert "key_fact_recall" in table and "mrr" in table
    p = rag("eval", "--questions", tmp_path / "missing.jsonl", "--index", index, check=False)
    assert p.returncode == 2 and "does not exist" in p.stderr


def test_corrupt_index_from_the_cli(real_index, tmp_path):
    import shutil

    _, index, _ = real_index
    broken = tmp_path / "index"
    shutil.copytree(index, broken)
    build = broken / (broken / "CURRENT").read_text().strip()
    (build / "faiss.index").write_bytes((build / "faiss.index").read_bytes()[:64])
    for cmd in (("search", "Rutte"), ("ask", "What did Rutte say?")):
        p = rag(*cmd, "--index", broken, check=False)
        assert p.returncode == 2 and "truncated" in p.stderr and "rag index --full" in p.stderr
        assert "Traceback" not in p.stderr and len(p.stderr.strip().splitlines()) == 1
