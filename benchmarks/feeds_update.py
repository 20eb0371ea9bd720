"""An update of a few feeds, step by step, against the loopback news site of the tests.

    python benchmarks/feeds_update.py [--delay 1.0]

Three feeds (RSS with an ETag, Atom, JSON Feed) and one malformed one, with the default
politeness (1 s between requests to a host, 2 at once): the first update, then a
second one. Prints what the server saw (each request, its time, 304s) and the
timings; indexing is not included (see `rag update` for the whole).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rag.feeds import add_feed  # noqa: E402
from rag.follow import update_corpus  # noqa: E402
from rag.web import PoliteClient, WebSettings  # noqa: E402
from tests.feed_server import news_site  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--delay", type=float, default=1.0)
    args = ap.parse_args()
    site = news_site(slow_seconds=25.0)
    settings = WebSettings(delay=args.delay, read_timeout=5.0)
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp)
        for f in ("/rss.xml", "/atom.xml", "/feed.json", "/bad.xml"):
            add_feed(corpus, site.base + f)
        for run in ("first", "second"):
            mark, t0 = len(site.log), time.perf_counter()
            with PoliteClient(settings) as client:
                report = update_corpus(corpus, client)
            took = time.perf_counter() - t0
            seen = site.log[mark:]
            print(f"\n{run} update: {took:.1f}s, {len(seen)} requests, {len(report.saved)} article(s) saved")
            start = seen[0].at if seen else 0
            for r in seen:
                cond = f" (If-None-Match {r.if_none_match})" if r.if_none_match else ""
                print(f"  +{r.at - start:5.2f}s GET {r.path}{cond}")
            for s in report.sources:
                print("  " + s.summary().replace(site.base, ""))
            for f in report.failures():
                print("  failed: " + f.replace(site.base, ""))
    site.stop()


if __name__ == "__main__":
    main()
