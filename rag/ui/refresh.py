"""The app's background updates (``--refresh-every MINUTES``): fetch the feeds, save, re-index.

One thread; an update never overlaps the next. Answers keep coming from the build
being served until the new one is swapped in (`rag.build.update_index` writes a new
build and switches to it whole). `line()` is what the status footer shows.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from pathlib import Path

LOG = logging.getLogger(__name__)


class Refresher:
    """Every `minutes`, `rag update` in this process: `update_corpus`, then `update_index` on the corpus."""

    def __init__(self, corpus: Path, index_dir: Path, minutes: int, web_settings, build_options):
        self.corpus, self.index_dir, self.minutes = Path(corpus), Path(index_dir), minutes
        self.web_settings, self.build_options = web_settings, build_options
        self.last: dt.datetime | None = None
        self.added = 0
        self.failed = 0
        self.running = False
        self._stop = threading.Event()

    def start(self) -> Refresher:
        threading.Thread(target=self._loop, name="feeds-refresh", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.run_once()
            self._stop.wait(self.minutes * 60)  # the schedule: woken early only to stop

    def run_once(self) -> None:
        """One update; its failures are logged and counted, never raised (the page keeps serving)."""
        from ..build import update_index
        from ..corpus import read_corpus
        from ..follow import update_corpus
        from ..web import PoliteClient

        self.running = True
        try:
            with PoliteClient(self.web_settings) as client:
                report = update_corpus(self.corpus, client)
            for failure in report.failures():
                LOG.warning("update: %s", failure)
            if report.saved:
                corpus = read_corpus(self.corpus)
                update_index(corpus, self.index_dir, self.build_options, problems=corpus.problems)
            self.added, self.failed = len(report.saved), len(report.failures())
        except Exception:  # a full disk, a broken corpus file: said in the log and the status, retried next time
            LOG.exception("feed update failed")
            self.failed = -1
        finally:
            self.last = dt.datetime.now(dt.timezone.utc)
            self.running = False

    def line(self) -> str:
        if self.running:
            return "updating the feeds…"
        if self.last is None:
            return f"feeds: first update starting (then every {self.minutes} min)"
        when = self.last.strftime("%H:%M UTC")
        if self.failed < 0:
            return f"feeds: the update at {when} failed (see the log); next in {self.minutes} min"
        failed = f", {self.failed} failed" if self.failed else ""
        return f"feeds: updated {when}, {self.added} new article(s){failed}; every {self.minutes} min"
