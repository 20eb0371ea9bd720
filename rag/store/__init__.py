"""Where an index lives: the `Store` that answers queries and the `Writer` that updates it.

Two implementations, one interface: FAISS files in an index folder (`rag.store.faiss`)
and Milvus — a Lite file, a server or a cluster (`rag.store.milvus`). Everything
above this package (`retrieve()`, `answer()`, eval, the app) uses only `Store`;
`rag.build.update_index` uses only `Writer`. `open_store` and `open_writer` are the
only code that reads or writes an index folder's ``store.json``, which records that
Milvus serves the folder.

Shared pieces, pure: `rag.store.manifest` (the one `Manifest` type), `rag.store.plan`
(what an update must do), `rag.store.fusion` (reciprocal rank fusion); and the two
search sides of the FAISS store, `rag.store.ann` (vectors) and `rag.store.lexical`
(BM25), with `rag.store.vectorfile` (a build's vectors written and read in batches).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from pathlib import Path
from typing import Iterator

from ..errors import IndexBusy, IndexCorrupt, SettingsError
from .base import (  # noqa: F401  (the package's interface)
    DEFAULT_COLLECTION,
    Batch,
    Checkpoint,
    Location,
    MilvusLocation,
    Passages,
    Progress,
    Reusable,
    Store,
    Writer,
    merge_passages,
)

POINTER = "store.json"  # in an index folder served by Milvus: where the Milvus is
LOCK = ".lock"  # in every index folder: held by the one process updating it
STORES = ("faiss", "milvus")


def read_pointer(index_dir: Path) -> dict:
    """What ``store.json`` in `index_dir` says ({} when the folder holds FAISS files or nothing)."""
    try:
        data = json.loads((Path(index_dir) / POINTER).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as e:
        raise IndexCorrupt(
            f"{Path(index_dir) / POINTER} is unreadable ({e}): rebuild with `rag index --store milvus`"
        ) from e
    return data if isinstance(data, dict) else {}


def write_pointer(index_dir: Path, where: MilvusLocation | None) -> None:
    """Record that Milvus at `where` serves `index_dir`, or (None) that its FAISS files do."""
    if where is None:
        (index_dir / POINTER).unlink(missing_ok=True)
        return
    tmp = index_dir / f"{POINTER}.tmp"
    tmp.write_text(
        json.dumps({"store": "milvus", "uri": where.uri, "collection": where.collection}, indent=1) + "\n",
        encoding="utf-8",
    )
    os.replace(tmp, index_dir / POINTER)


def milvus_location(
    index_dir: Path, *, uri: str | None = None, collection: str | None = None, token: str = ""
) -> MilvusLocation:
    """The Milvus of `index_dir`: the arguments given, else its ``store.json``, else a Lite file inside it."""
    pointer = read_pointer(index_dir)
    return MilvusLocation(
        uri=uri or pointer.get("uri") or str((Path(index_dir) / "milvus.db").resolve()),
        collection=collection or pointer.get("collection") or DEFAULT_COLLECTION,
        token=token,
    )


def store_kind(index_dir: Path, asked: str | None = None) -> str:
    """ "faiss" or "milvus": `asked`, else what the folder's ``store.json`` says, else "faiss"."""
    kind = asked or read_pointer(index_dir).get("store") or "faiss"
    if kind not in STORES:
        raise SettingsError(f"store {kind!r} is not one of {', '.join(STORES)}")
    return kind


def open_store(location: Location) -> Store:
    """The index at `location`, opened for queries: `IndexNotFound` / `IndexCorrupt` say what to run."""
    if isinstance(location, MilvusLocation):
        from .milvus import MilvusStore

        return MilvusStore(location)
    if store_kind(Path(location)) == "milvus":
        from .milvus import MilvusStore

        return MilvusStore(milvus_location(Path(location)))
    from .faiss import FaissStore

    return FaissStore.load(Path(location))


@contextlib.contextmanager
def open_writer(index_dir: Path, *, store: str | None = None, milvus: MilvusLocation | None = None) -> Iterator[Writer]:
    """A `Writer` for the index at `index_dir` (FAISS files, or the Milvus `milvus` / of ``store.json``),
    holding the folder's lock; `IndexBusy` when another process holds it."""
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)  # also where the lock and a default Milvus Lite file live
    kind = store_kind(index_dir, store)
    with _exclusive(index_dir):
        if kind == "milvus":
            from .milvus import MilvusWriter

            where = milvus or milvus_location(index_dir)
            writer: Writer = MilvusWriter(where, index_dir)
        else:
            from .faiss import FaissWriter

            writer = FaissWriter(index_dir)
        try:
            yield writer
        finally:
            writer.close()
        write_pointer(index_dir, where if kind == "milvus" else None)


@contextlib.contextmanager
def _exclusive(index_dir: Path):
    """Hold the index's write lock, or raise `IndexBusy` naming the holder."""
    fd = os.open(index_dir / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "another process"
            raise IndexBusy(
                f"index {index_dir} is being built by process {holder}; wait for it to finish, or stop it and run again"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock
