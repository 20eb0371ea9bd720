"""What an update must do: the diff between the articles read and the articles indexed.

Both stores run the same plan (`rag.build.update_index`); neither decides it. The two
sides are tables of a scratch SQLite database (the build's `rag.spool.Spool`), so that
a corpus of any size is compared without holding its ids in memory: ``read`` (the
articles read, in reading order) and ``indexed`` (what the index holds).

>>> import sqlite3
>>> db = scratch(sqlite3.connect(":memory:"))
>>> note(db, [("a", "1", None, None), ("b", "2", 0, None)]); hold(db, [("a", "1", "a.txt"), ("c", "3", "c.txt")])
>>> p = plan_update(db, indexed=True, failed_files=set())
>>> (p.added, p.changed, p.unchanged, p.removed, p.kept)
(['b'], [], 1, ['c'], [])
"""

from __future__ import annotations

import array
import io
import sqlite3
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from ..types import Problem

TABLES = """
    CREATE TABLE read (seq INTEGER PRIMARY KEY, doc_id TEXT, hash TEXT, fresh INTEGER, stub BLOB);
    CREATE INDEX read_id ON read(doc_id);
    CREATE TABLE indexed (doc_id TEXT PRIMARY KEY, hash TEXT, origin TEXT);
"""


class Ids(Sequence[str]):
    """Article ids in order, packed in one string (~20 bytes an id; a list of them takes ~70): a build's plan
    and report name every article it read. Compares equal to a list or tuple of the same ids."""

    def __init__(self, ids: Iterable[str] = ()):
        text, self._ends = io.StringIO(), array.array("q")
        end = 0
        for i in ids:
            text.write(i)
            end += len(i)
            self._ends.append(end)
        self._text = text.getvalue()

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, k):
        if isinstance(k, slice):
            return [self[j] for j in range(*k.indices(len(self)))]
        if k < 0:
            k += len(self)
        if not 0 <= k < len(self):
            raise IndexError(k)
        return self._text[self._ends[k - 1] if k else 0 : self._ends[k]]

    def __eq__(self, other) -> bool:
        return isinstance(other, (list, tuple, Ids)) and len(self) == len(other) and list(self) == list(other)

    def __add__(self, other) -> list[str]:
        return [*self, *other]

    def __radd__(self, other) -> list[str]:
        return [*other, *self]

    def __repr__(self) -> str:
        return repr(list(self))


@dataclass(frozen=True)
class UpdatePlan:
    """Article ids by what happens to them. With a `reason`, everything is rebuilt: every article is "added"."""

    added: Sequence[str] = field(default_factory=list)
    changed: Sequence[str] = field(default_factory=list)
    unchanged: int = 0  # how many are indexed at the same content hash
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(
        default_factory=list
    )  # indexed, not read this time because their file failed: kept as they were
    reason: str = ""  # why everything is rebuilt ("new index", "settings changed (...)"), or ""

    @property
    def is_noop(self) -> bool:
        return not (self.reason or self.added or self.changed or self.removed)


def scratch(db: sqlite3.Connection) -> sqlite3.Connection:
    """`db` with the plan's two tables made."""
    db.executescript(TABLES)
    return db


def note(db: sqlite3.Connection, rows: Iterable[tuple]) -> None:
    """Articles read, in reading order: (doc_id, content hash, fresh, stub), where fresh numbers an article held
    whole (None: not fresh) and stub is the pickled article without its text (the spool's; the plan reads neither)."""
    db.executemany("INSERT INTO read (doc_id, hash, fresh, stub) VALUES (?, ?, ?, ?)", rows)


def hold(db: sqlite3.Connection, rows: Iterable[tuple[str, str, str]]) -> None:
    """What the index holds: (doc_id, content hash, origin) of every article it holds completely."""
    db.executemany("INSERT OR REPLACE INTO indexed VALUES (?, ?, ?)", rows)


def held_hash(db: sqlite3.Connection, doc_id: str) -> str | None:
    """The content hash the index holds `doc_id` at, or None."""
    row = db.execute("SELECT hash FROM indexed WHERE doc_id = ?", (doc_id,)).fetchone()
    return row[0] if row else None


def plan_update(db: sqlite3.Connection, *, indexed: bool, failed_files: set[str], reason: str = "") -> UpdatePlan:
    """The plan that brings an index holding the ``indexed`` table (`indexed` False: no usable index) in line
    with the ``read`` one.

    An indexed article missing from ``read`` is removed, unless its origin's file is in
    `failed_files` (it could not be read this time): then it is kept. With a `reason`
    (or nothing usable indexed), the index is rebuilt from ``read`` alone.
    """

    def ids(sql: str) -> Ids:
        return Ids(i for (i,) in db.execute(sql))

    if reason or not indexed:
        return UpdatePlan(added=ids("SELECT doc_id FROM read ORDER BY seq"), reason=reason or "new index")
    both = "FROM read r JOIN indexed i ON i.doc_id = r.doc_id"
    added = ids(
        "SELECT r.doc_id FROM read r LEFT JOIN indexed i ON i.doc_id = r.doc_id WHERE i.doc_id IS NULL ORDER BY r.seq"
    )
    changed = ids(f"SELECT r.doc_id {both} WHERE i.hash IS NOT r.hash ORDER BY r.seq")
    (unchanged,) = db.execute(f"SELECT count(*) {both} WHERE i.hash IS r.hash").fetchone()
    gone = db.execute(
        "SELECT doc_id, origin FROM indexed i WHERE NOT EXISTS (SELECT 1 FROM read r WHERE r.doc_id = i.doc_id) "
        "ORDER BY rowid"
    ).fetchall()
    kept = [i for i, origin in gone if file_of(origin or "") in failed_files]
    removed = [i for i, origin in gone if file_of(origin or "") not in failed_files]
    return UpdatePlan(added=added, changed=changed, unchanged=unchanged, removed=removed, kept=kept)


def failed_files(problems: Iterable[Problem]) -> set[str]:
    """The files named by reading problems ("dump.jsonl:12" names dump.jsonl)."""
    return {file_of(p.where) for p in problems}


def file_of(where: str) -> str:
    """The file part of a location: "dump.jsonl:12" → "dump.jsonl", "a.txt" → "a.txt"."""
    file, _, line = where.rpartition(":")
    return file if file and line.isdigit() else where
