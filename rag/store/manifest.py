"""What an index records about itself: one `Manifest` type, written and checked by every store.

The FAISS store keeps it as ``manifest.json`` in each build folder; the Milvus store
as a row of its ``<prefix>_meta`` collection. Both write `FORMAT_VERSION` and both
refuse, with the command that fixes it, a manifest of another version.

>>> m = Manifest(store="faiss", settings={"model": "m"}, dimension=4, counts={"documents": 1, "chunks": 2})
>>> Manifest.parse(m.to_json(), where="here").counts["chunks"]
2
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

from .. import __version__
from ..errors import IndexCorrupt

FORMAT_VERSION = 1
DEFAULT_BACKEND_OF_OLD_BUILDS = (
    "torch-fp32"  # builds from before backends existed were embedded by sentence-transformers
)


@dataclass(frozen=True)
class Manifest:
    """Format, settings, counts and contents of one index (see the module docstring)."""

    store: str  # "faiss" or "milvus"
    settings: dict  # model, backend, tokenizer, chunk sizes, passage context: a change re-embeds everything
    dimension: int | None
    counts: dict  # {"documents": n, "chunks": n}
    vector_index: dict = field(default_factory=lambda: {"type": "flat"})  # type, parameters, "requested"
    lexical: str = "bm25s"
    documents: dict = field(default_factory=dict)  # doc_id → content hash (FAISS; Milvus keeps them per article row)
    sources: list = field(default_factory=list)  # publishers (Milvus; FAISS reads them from its tables)
    headlines: list = field(
        default_factory=list
    )  # the newest articles: [{"title", "source", "published"}] (the app suggests them)
    files: dict = field(default_factory=dict)  # file name → size in bytes (FAISS)
    built_at: str = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))
    build_seconds: float | None = None
    package_version: str = __version__
    format_version: int = FORMAT_VERSION

    @property
    def model(self) -> str:
        return self.settings["model"]

    @property
    def backend(self) -> str:
        """The embedding backend that made the vectors; queries must use the same."""
        return backend_of(self.settings)

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    def replace(self, **changes) -> "Manifest":
        return dataclasses.replace(self, **changes)

    @classmethod
    def parse(cls, data: object, *, where: str, fix: str = "") -> "Manifest":
        """A manifest from its JSON form; `IndexCorrupt` naming `where` and the `fix` when it is not one of ours."""
        fix = fix or f"run `rag index --full` to rebuild {where}"
        if not isinstance(data, dict) or "format_version" not in data:
            raise IndexCorrupt(f"index manifest {where} is unreadable (no format version): {fix}")
        if data["format_version"] != FORMAT_VERSION:
            raise IndexCorrupt(
                f"index {where} has format version {data['format_version']}, this rag {__version__} reads version "
                f"{FORMAT_VERSION}: {fix}"
            )
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values.setdefault("store", "faiss")
        try:
            manifest = cls(**values)
            manifest.settings["model"], manifest.counts["chunks"]  # noqa: B018  (the fields every reader needs)
        except (TypeError, KeyError) as e:
            raise IndexCorrupt(f"index manifest {where} is unreadable ({e}): {fix}") from None
        return manifest


NEWEST = 6


def newest_headlines(docs) -> list[dict]:
    """The titles of the newest dated articles of `docs` (newest first, one per title), for the manifest."""
    seen, out = set(), []
    for d in sorted((d for d in docs if d.title and d.published), key=lambda d: (d.published, d.title), reverse=True):
        if d.title.casefold() not in seen:
            seen.add(d.title.casefold())
            out.append({"title": d.title, "source": d.source, "published": d.published})
        if len(out) == NEWEST:
            break
    return out


def backend_of(settings: dict) -> str:
    """The backend named by a build's settings (older builds name none: they were torch-fp32)."""
    return settings.get("backend", DEFAULT_BACKEND_OF_OLD_BUILDS)


def describe_change(old: dict, new: dict) -> str:
    """Why settings `new` rebuild an index made with settings `old`, for the build report."""
    diffs = [f"{k} {old.get(k)!r} → {new[k]!r}" for k in new if old.get(k) != new[k]]
    return "settings changed (" + ", ".join(diffs) + "): every document is re-embedded"
