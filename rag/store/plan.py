"""What an update must do: the pure diff between the articles read and the articles indexed.

Both stores run the same plan (`rag.build.update_index`); neither decides it.

>>> from rag.types import Document
>>> docs = [Document("a", "text", content_hash="1"), Document("b", "new", content_hash="2")]
>>> p = plan_update(docs, {"a": ("1", "a.txt"), "c": ("3", "c.txt")}, failed_files=set())
>>> (p.added, p.changed, p.unchanged, p.removed, p.kept)
(['b'], [], ['a'], ['c'], [])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

from ..types import Document, Problem


@dataclass(frozen=True)
class UpdatePlan:
    """Article ids by what happens to them. With a `reason`, everything is rebuilt: every article is "added"."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(
        default_factory=list
    )  # indexed, not read this time because their file failed: kept as they were
    reason: str = ""  # why everything is rebuilt ("new index", "settings changed (...)"), or ""

    @property
    def fresh(self) -> list[str]:
        """The articles to chunk and embed, in reading order."""
        return self.added + self.changed

    @property
    def is_noop(self) -> bool:
        return not (self.reason or self.added or self.changed or self.removed)


def plan_update(
    docs: Sequence[Document], indexed: Mapping[str, tuple[str, str]] | None, *, failed_files: set[str], reason: str = ""
) -> UpdatePlan:
    """The plan that brings an index holding `indexed` (doc_id → (content hash, origin)) in line with `docs`.

    An indexed article missing from `docs` is removed, unless its origin's file is in
    `failed_files` (it could not be read this time): then it is kept. With a `reason`
    (or nothing usable indexed), the index is rebuilt from `docs` alone.
    """
    if reason or indexed is None:
        return UpdatePlan(added=[d.doc_id for d in docs], reason=reason or "new index")
    current = {d.doc_id for d in docs}
    added = [d.doc_id for d in docs if d.doc_id not in indexed]
    changed = [d.doc_id for d in docs if d.doc_id in indexed and indexed[d.doc_id][0] != d.content_hash]
    unchanged = [d.doc_id for d in docs if d.doc_id in indexed and indexed[d.doc_id][0] == d.content_hash]
    gone = [i for i in indexed if i not in current]
    kept = [i for i in gone if file_of(indexed[i][1]) in failed_files]
    removed = [i for i in gone if i not in set(kept)]
    return UpdatePlan(added=added, changed=changed, unchanged=unchanged, removed=removed, kept=kept)


def failed_files(problems: Iterable[Problem]) -> set[str]:
    """The files named by reading problems ("dump.jsonl:12" names dump.jsonl)."""
    return {file_of(p.where) for p in problems}


def file_of(where: str) -> str:
    """The file part of a location: "dump.jsonl:12" → "dump.jsonl", "a.txt" → "a.txt"."""
    file, _, line = where.rpartition(":")
    return file if file and line.isdigit() else where
