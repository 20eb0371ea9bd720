"""Peak memory (VmHWM) of `update_index` as the corpus grows: a build, a no-change run, 100 new articles.

    python benchmarks/build_memory.py [--sizes 20000 200000] [--news]

Each size runs in a fresh process: a synthetic folder of short articles (3 sentences,
~60 words, one .txt file each) is read as `rag index` reads it (`read_corpus`, a stream)
and indexed with the tests' fake bag-of-words embedder (so the figure is the driver's,
not the model's); then a second process runs the same update with nothing changed, and
a third after 100 articles were added (what following feeds does). One row per run.
`--news` adds a real build of the 3,824 news articles (`news_data.news_csv`) with the packaged
model and default backend (its ONNX export made beforehand, so it is not counted), then a
no-change run over them.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORDS = (
    "council minister police report city government week people year market election court army vote "
    "budget school bridge storm river company bank health water energy price border talks deal"
).split()


def make_corpus(folder: Path, n: int) -> None:
    rng = random.Random(n)
    for i in range(n):
        sub = folder / f"{i // 1000:04d}"
        sub.mkdir(parents=True, exist_ok=True)
        body = " ".join(" ".join(rng.choice(WORDS) for _ in range(20)).capitalize() + "." for _ in range(3))
        (sub / f"a{i}.txt").write_text(f"Article {i}: {body}\n", encoding="utf-8")


def add_articles(folder: Path, start: int, n: int) -> None:
    rng = random.Random(-start)
    (folder / "new").mkdir()
    for i in range(start, start + n):
        body = " ".join(rng.choice(WORDS) for _ in range(40)).capitalize() + "."
        (folder / "new" / f"a{i}.txt").write_text(f"Article {i}: {body}\n", encoding="utf-8")


CHILD = """
import json, sys, time
sys.path.insert(0, {root!r}); sys.path.insert(0, {root!r} + "/tests")
from conftest import FakeEmbedder
from rag.build import update_index
from rag.corpus import read_corpus
t = time.perf_counter()
corpus = read_corpus({corpus!r})  # as `rag index` reads it: a stream
class Forgetful(FakeEmbedder):  # the tests' embedder keeps every text it embedded, for their assertions
    def encode_documents(self, texts, *, progress=None):
        out = super().encode_documents(texts, progress=progress)
        self.embedded.clear()
        return out
report = update_index(corpus, {index!r}, encoder=None if {real!r} else Forgetful(), problems=corpus.problems)
peak = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
print(json.dumps({{"seconds": time.perf_counter() - t, "peak_mb": peak / 1024, "embedded": report.embedded,
                   "chunks": report.chunks}}))
"""


def run(corpus: Path, index: Path, real: bool = False) -> dict:
    code = CHILD.format(root=str(ROOT), corpus=str(corpus), index=str(index), real=real)
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(p.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="*", default=[20000, 200000])
    ap.add_argument("--news", action="store_true", help="also a real build of the news corpus")
    args = ap.parse_args()
    print(f"{time.strftime('%Y-%m-%d')}, fake embedder, one .txt file per article")
    print("| articles | run | seconds | peak RSS (MB) | passages embedded | passages |")
    print("|---|---|---|---|---|---|")
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            corpus, index = Path(tmp) / "corpus", Path(tmp) / "index"
            make_corpus(corpus, n)
            for name in ("build", "no change", "100 new"):
                if name == "100 new":
                    add_articles(corpus, n, 100)
                r = run(corpus, index)
                cells = [f"{n:,}", name, f"{r['seconds']:.0f}", f"{r['peak_mb']:.0f}", f"{r['embedded']:,}"]
                print("| " + " | ".join(cells + [f"{r['chunks']:,}"]) + " |", flush=True)
    if args.news:
        sys.path.insert(0, str(ROOT / "benchmarks"))
        import news_data

        from rag.embedding import get_encoder

        csv = news_data.news_csv()
        get_encoder().encode_documents(["warm up: the model's export is made and cached here, not in the run"])
        with tempfile.TemporaryDirectory() as tmp:
            for name in ("news build (real model)", "news no change"):
                r = run(csv, Path(tmp) / "index", real=True)
                cells = ["3,824", name, f"{r['seconds']:.0f}", f"{r['peak_mb']:.0f}", f"{r['embedded']:,}"]
                print("| " + " | ".join(cells + [f"{r['chunks']:,}"]) + " |", flush=True)


if __name__ == "__main__":
    main()
