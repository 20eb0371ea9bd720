"""What a fresh install needs: HTML reading imports, and the lock (constraints.txt) agrees with pyproject.toml."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

from rag.corpus import load_corpus

ROOT = Path(__file__).resolve().parent.parent


def _check_lock():
    spec = importlib.util.spec_from_file_location("check_lock", ROOT / ".ci" / "check_lock.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_html_reading_imports_on_this_install():
    # jusText, under trafilatura, imports lxml.html.clean: a separate project since lxml 5.2 (issue 14).
    import lxml.html.clean  # noqa: F401
    import trafilatura

    page = (
        "<html><head><title>T</title></head><body><article><p>"
        + "Rutte spoke in Berlin on Monday. " * 8
        + "</p></article></body></html>"
    )
    assert "Rutte spoke in Berlin" in trafilatura.extract(page)


def test_html_article_is_read_through_the_corpus_reader(tmp_path):
    body = "<p>" + "The alliance met in Brussels to agree on spending. " * 6 + "</p>"
    (tmp_path / "a.html").write_text(
        f"<html><head><title>Spending</title></head><body><article>{body}</article></body></html>"
    )
    docs, problems = load_corpus(tmp_path)
    assert problems == [] and len(docs) == 1 and "met in Brussels" in docs[0].text


def test_the_lock_covers_every_declared_dependency():
    check = _check_lock()
    assert check.check(ROOT / "pyproject.toml", ROOT / "constraints.txt") == []


def test_this_environment_was_installed_from_the_lock():
    out = subprocess.run(
        [sys.executable, str(ROOT / ".ci" / "check_lock.py"), "--installed"], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_lock_check_names_a_missing_pin_a_version_out_of_range_and_a_loose_line(tmp_path):
    check = _check_lock()
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "demo"\ndependencies = ["numpy>=2", "httpx>=0.24"]\n'
        '[project.optional-dependencies]\nextra = ["pytest>=8", "demo[other]"]\nother = []\n'
    )
    (tmp_path / "constraints.txt").write_text("# lock\nnumpy==1.26.4\npytest>=8\n")
    problems = check.check(tmp_path / "pyproject.toml", tmp_path / "constraints.txt")
    assert any("numpy>=2" in p and "locks 1.26.4" in p for p in problems)
    assert any(p.startswith("httpx>=0.24 is declared") and "not locked" in p for p in problems)
    assert any("'pytest>=8' is not an exact pin" in p for p in problems)
    assert all("bash .ci/lock" in p for p in problems)
    assert not any("demo" in p for p in problems)  # the project's own extras are not dependencies to lock
