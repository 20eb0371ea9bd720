"""`Spool`: an update's articles, fresh ones chunked and embedded, on disk rather than in memory.

A build reads the corpus once. Every article read is noted here without its text, beside
what the index holds (`hold`), so that the plan is a diff of two tables
(`rag.store.plan`); each article the index does not already hold goes here whole as it
is read, with its passages (`add`); then all passages are embedded in the order a
one-shot build would embed them (`embed`: the same length-sorted model calls, so the
same vectors); then the articles come back in reading order, a bounded batch at a time,
with their passages and vectors (`batches`), for the store to write.

The articles and passages live in a scratch SQLite database in the index folder (beside
the index, on its disk, not in a possibly memory-backed /tmp) and the vectors in an
unnamed temporary file there: both go when the spool closes; a build killed before that
leaves the database, which the next build removes (it holds the folder's lock).
"""

from __future__ import annotations

import os
import pickle
import sqlite3
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from .chunking import indexed_text
from .store import Batch, Passages, Reusable, merge_passages
from .store import plan as planning
from .store.plan import UpdatePlan
from .types import Chunk, Document

FRESH_PER_BATCH = 512  # fresh articles handed to the store at a time
ARTICLES_PER_BATCH = 4096  # articles of any kind (unchanged ones are copied from the index: their vectors too)
STEP_CALLS = 32  # model calls' worth of passages read from the spool and embedded at a time
PREFIX = ".spool-"  # the scratch database's name in the index folder


class Spool:
    def __init__(self, folder: Path):
        """A spool in `folder`, whose lock the caller holds: what an earlier, killed build left there goes."""
        for left in folder.glob(f"{PREFIX}*"):
            left.unlink(missing_ok=True)
        self.path = folder / f"{PREFIX}{os.getpid()}.sqlite"
        self.db = sqlite3.connect(self.path)
        self.db.execute("PRAGMA journal_mode=OFF")  # scratch: nothing to roll back, nothing to keep
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.executescript(
            """CREATE TABLE docs (seq INTEGER PRIMARY KEY, doc_id TEXT, chunked INTEGER, doc BLOB);
               CREATE TABLE chunks (row INTEGER PRIMARY KEY, doc_seq INTEGER, changed INTEGER, length INTEGER,
                                    chunk BLOB, embedded TEXT);
               CREATE INDEX chunks_doc ON chunks(doc_seq);"""
        )
        planning.scratch(self.db)
        self._vectors = tempfile.TemporaryFile(dir=folder)
        self.docs = self.rows = 0  # fresh articles held, their passages
        self.articles = 0  # articles read
        self.dim: int | None = None
        self.embedded = 0  # passages embedded
        self.nodes: dict[str, int] = {}  # passages embedded per Ray node (see `rag.build`)

    def hold(self, indexed) -> None:
        """Note what the index holds: (doc_id, content hash, origin) of each of its articles."""
        planning.hold(self.db, indexed)

    def held_hash(self, doc_id: str) -> str | None:
        """The content hash the index holds `doc_id` at (as `hold` noted it), or None."""
        return planning.held_hash(self.db, doc_id)

    def note(self, doc: Document, fresh: int | None = None) -> None:
        """Note an article read: fresh (held whole by `add`, as its `fresh`-th) or not (None: the index holds it at
        the same content)."""
        planning.note(self.db, [(doc.doc_id, doc.content_hash, fresh, _stub(doc))])
        self.articles += 1

    def plan(self, *, indexed: bool, failed_files: set[str], reason: str = "") -> UpdatePlan:
        return planning.plan_update(self.db, indexed=indexed, failed_files=failed_files, reason=reason)

    def stubs(self) -> "Stubs":
        """Every article read, in reading order, without its text (an iterable that can be iterated again)."""
        return Stubs(self.db)

    def add(self, doc: Document, chunks: list[Chunk] | None, *, changed: bool = False) -> None:
        """Hold `doc` and its passages (None: passages to be taken from `batches`'s `reuse`, not made here); `changed`:
        the index holds another version of it (a one-shot build embeds new articles before changed ones)."""
        seq = self.docs
        self.note(doc, seq)
        self.db.execute(
            "INSERT INTO docs VALUES (?, ?, ?, ?)", (seq, doc.doc_id, chunks is not None, pickle.dumps(doc, protocol=5))
        )
        for c in chunks or ():
            text = indexed_text(doc.title, c.text)
            self.db.execute(
                "INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?)",
                (self.rows, seq, int(changed), len(text), pickle.dumps(c, protocol=5), text),
            )
            self.rows += 1
        self.docs += 1

    def embed(self, encoder, *, progress=None, checkpoint: Callable[[str], None] = lambda name: None) -> None:
        """Embed every held passage: new articles' first, then changed ones', each in reading order, sorted by
        length and cut into model calls exactly as `Encoder.encode_documents` cuts them for all at once."""
        total = self.rows
        if progress:
            progress("embedding", 0, total)
        step = getattr(encoder, "step_passages", 0) or STEP_CALLS * _call_size(encoder)  # a cluster's: its own
        # by length, ties in embedding order (changed, then row): the encoder's own stable sort, done by SQLite
        order = self.db.execute("SELECT row, embedded FROM chunks ORDER BY length, changed, row")
        lo = 0
        while rows := order.fetchmany(step):

            def done(n: int, base: int = lo) -> None:
                checkpoint("embedding")
                if progress:
                    progress("embedding", min(total, base + n), total)

            vectors = encoder.encode_documents([t for _, t in rows], progress=_counted(done))
            self._write([r for r, _ in rows], vectors)
            lo += len(rows)
        self.embedded = total

    def _write(self, rows: list[int], vectors: np.ndarray) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.dim = vectors.shape[1]
        size = self.dim * 4
        fd = self._vectors.fileno()
        for r, v in zip(rows, vectors):
            os.pwrite(fd, v.tobytes(), r * size)

    def _read(self, first: int, n: int) -> np.ndarray:
        size = self.dim * 4
        data = os.pread(self._vectors.fileno(), n * size, first * size)
        return np.frombuffer(data, dtype=np.float32).reshape(n, self.dim)

    def batches(self, reuse: Reusable | None = None) -> Iterator[Batch]:
        """Every article read, in reading order, as `Batch`es of up to `FRESH_PER_BATCH` fresh articles and
        `ARTICLES_PER_BATCH` articles in all: the fresh ones whole, with their passages and vectors (from `reuse`
        for those not embedded here), the others without their text."""
        window: list[Document] = []
        fresh: list[tuple[int, bool, Document]] = []
        for stub, seq, chunked, blob in self.db.execute(
            "SELECT r.stub, d.seq, d.chunked, d.doc FROM read r LEFT JOIN docs d ON d.seq = r.fresh ORDER BY r.seq"
        ):
            if seq is not None:
                doc = pickle.loads(blob)
                window.append(doc)
                fresh.append((seq, bool(chunked), doc))
            else:
                window.append(pickle.loads(stub))
            if len(fresh) == FRESH_PER_BATCH or len(window) == ARTICLES_PER_BATCH:
                yield Batch(window, self._passages(fresh, reuse))
                window, fresh = [], []
        if window:
            yield Batch(window, self._passages(fresh, reuse))

    def _passages(self, fresh: list[tuple[int, bool, Document]], reuse: Reusable | None) -> Passages:
        """The passages and vectors of `fresh` (seq, chunked here, article): those made here read back, the
        others from `reuse`."""
        if not fresh:
            return Passages()
        by_seq = {seq: d.doc_id for seq, _, d in fresh}
        chunks: dict[str, list[Chunk]] = {d.doc_id: [] for _, chunked, d in fresh if chunked}
        first = None
        for row, seq, blob in self.db.execute(
            "SELECT row, doc_seq, chunk FROM chunks WHERE doc_seq BETWEEN ? AND ? ORDER BY row",
            (fresh[0][0], fresh[-1][0]),
        ):
            chunks[by_seq[seq]].append(pickle.loads(blob))
            first = row if first is None else first
        n = sum(len(cs) for cs in chunks.values())
        made = Passages(chunks, self._read(first, n) if n else None)
        kept = [d.doc_id for _, chunked, d in fresh if not chunked]
        return merge_passages([d for _, _, d in fresh], made, reuse.passages(kept)) if kept else made

    def close(self) -> None:
        self.db.close()
        self.path.unlink(missing_ok=True)
        self._vectors.close()

    def __enter__(self) -> "Spool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Stubs:
    """The articles a spool noted, in reading order, without their text: iterated from its database each time."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __iter__(self) -> Iterator[Document]:
        for (blob,) in self.db.execute("SELECT stub FROM read ORDER BY seq"):
            yield pickle.loads(blob)


def _stub(doc: Document) -> bytes:
    return pickle.dumps(replace(doc, text=""), protocol=5)


def _call_size(encoder) -> int:
    """Passages of one model call of `encoder.encode_documents` (a step of its build plan)."""
    batch = getattr(encoder, "batch_size", 64)
    group = getattr(encoder, "group_size", batch)
    return max(1, batch // group) * group


def _counted(report: Callable[[int], None]) -> Callable[[int], None]:
    """A `progress(n)` for `encode_documents` that reports the running total of its calls."""
    total = 0

    def step(n: int) -> None:
        nonlocal total
        total += n
        report(total)

    return step
