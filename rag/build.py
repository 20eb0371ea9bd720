"""`update_index()`: bring an index in line with the articles, embedding only what changed.

One algorithm for every store: take the folder's lock (`rag.store.open_writer`),
plan the update (`rag.store.plan.plan_update`: added, changed, removed, kept
because their file failed to read, or a full rebuild and why), chunk the fresh
articles as they are read and embed them (here, or on Ray: `rag.distributed`), let the
store's `Writer` apply it, report.

Crash points are named steps at which `checkpoint(name)` is called; the CLI turns
``RAG_CRASH_AT=name`` into a checkpoint that kills the process there (`kill_at`),
and the SIGKILL tests run the real command at each of `CRASH_POINTS`.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

from .chunking import DEFAULT_MAX_TOKENS, DEFAULT_OVERLAP_TOKENS, ENCODING, chunk_document
from .embedding import DEFAULT_BACKEND, DEFAULT_MODEL, Encoder, get_encoder
from .errors import CorpusError
from .spool import Spool
from .store import Checkpoint, MilvusLocation, Progress, Reusable, open_writer
from .store.ann import check_type
from .store.manifest import Manifest, describe_change
from .store.plan import failed_files
from .types import BuildReport, Chunk, Document, Problem

CRASH_POINTS = (
    "locked",
    "chunked",
    "embedding",
    "embedded",
    "vectors",
    "sqlite",
    "faiss",
    "lexical",
    "manifest",
    "renamed",
    "pointer",
    "swapped",
)


@dataclass(frozen=True)
class BuildOptions:
    """How an index is built. `backend`, `index_type` and `store` left as None keep what the index has."""

    model: str = DEFAULT_MODEL
    max_tokens: int = DEFAULT_MAX_TOKENS
    overlap_tokens: int = DEFAULT_OVERLAP_TOKENS
    backend: str | None = None  # torch-fp32, onnx-fp32, onnx-int8 (a new index: onnx-int8)
    index_type: str | None = None  # auto, flat, ivf-sq8, hnsw-sq8 (a new index: auto)
    full: bool = False  # re-embed everything
    ray_address: str | None = None  # chunk and embed on this Ray cluster (see `rag.distributed`)
    store: str | None = None  # "faiss" or "milvus" (the folder's own, or faiss)
    milvus: MilvusLocation | None = (
        None  # which Milvus, for store "milvus" (default: the folder's, or a Lite file in it)
    )


def update_index(
    docs: Iterable[Document],
    index_dir: str | os.PathLike,
    options: BuildOptions = BuildOptions(),
    *,
    problems: Iterable[Problem] = (),
    encoder: Encoder | None = None,
    progress: Progress | None = None,
    checkpoint: Checkpoint | None = None,
) -> BuildReport:
    """Bring the index at `index_dir` in line with `docs`, re-embedding only what changed.

    New and changed documents (by content hash) are chunked and embedded; unchanged
    ones keep their passages and vectors; missing ones are dropped, except those whose
    file is named in `problems` (a file that failed to read keeps its previous version
    rather than vanishing). Another model, backend or chunk setting, `options.full`,
    or an unusable old index rebuild everything, and the report says why.

    `docs` may be a stream (`rag.corpus.read_corpus`, whose `problems` fill as it is read): it is read once,
    each article noted in a temporary database (`Spool`) beside what the index holds (the plan is their diff);
    fresh articles are chunked into it, embedded from there and handed to the store batch by batch.

    >>> report = update_index(load_corpus("corpus")[0], "index")   # doctest: +SKIP
    """
    t0 = time.perf_counter()
    checkpoint = checkpoint or (lambda name: None)
    with (
        open_writer(Path(index_dir), store=options.store, milvus=options.milvus) as writer,
        Spool(Path(index_dir)) as spool,
    ):
        checkpoint("locked")
        old = writer.manifest
        index_type = check_type(options.index_type or (old.vector_index.get("requested") if old else None) or "auto")
        encoder = encoder or get_encoder(options.model, encoder_backend(options, old))
        settings = build_settings(options, encoder)
        reason = _rebuild_reason(options, old, writer, settings, index_type)
        if old is not None and not reason:
            spool.hold(writer.indexed())
        reuse = None if options.full else writer.reusable(settings)
        _read(docs, spool, _chunker(options, encoder, reuse), progress)
        problems = list(problems)  # complete now that the stream is read
        if not spool.articles:
            raise CorpusError(
                f"no article could be read ({len(problems)} problem(s) reported); fix them and run again. "
                f"The index at {index_dir} was left as it was."
            )
        plan = spool.plan(indexed=old is not None, failed_files=failed_files(problems), reason=reason)
        report = dict(
            added=plan.added, changed=plan.changed, removed=plan.removed, problems=problems, full_reason=plan.reason
        )
        if plan.is_noop and writer.is_current(index_type):
            return BuildReport(
                **report, unchanged=plan.unchanged, chunks=old.counts["chunks"], seconds=time.perf_counter() - t0
            )
        checkpoint("chunked")
        _embed(spool, encoder, options.ray_address, progress=progress, checkpoint=checkpoint)
        batches = spool.batches(reuse)
        chunks, build_id = writer.apply(
            plan,
            spool.stubs(),
            _then(batches, lambda: checkpoint("embedded")),
            settings=settings,
            index_type=index_type,
            checkpoint=checkpoint,
            progress=progress,
        )
    return BuildReport(
        **report,
        unchanged=plan.unchanged,
        chunks=chunks,
        embedded=spool.embedded,
        seconds=time.perf_counter() - t0,
        build_id=build_id,
        nodes=spool.nodes,
    )


def _embed(spool: Spool, encoder: Encoder, ray_address: str | None, *, progress, checkpoint) -> None:
    """Embed the spool's passages here, or on the Ray cluster at `ray_address` (a step at a time either way)."""
    if ray_address and spool.rows:
        from .distributed import ClusterEncoder

        with ClusterEncoder(encoder, ray_address) as cluster:
            spool.embed(cluster, progress=progress, checkpoint=checkpoint)
        spool.nodes = dict(cluster.per_node)
    else:
        spool.embed(encoder, progress=progress, checkpoint=checkpoint)


READ_PROGRESS_EVERY = 1000  # articles between two "reading" progress reports


def _read(docs: Iterable[Document], spool: "Spool", chunker, progress: Progress | None) -> None:
    """`docs` read once into `spool`: noted without their text when the index holds them at the same content
    hash (as `spool.hold` told it), else whole, chunked by `chunker` (which gives None for an article whose
    passages the reused build holds). Progress ("reading", n, total) has total None until the stream ends."""
    for d in docs:
        held = spool.held_hash(d.doc_id)
        if held == d.content_hash:
            spool.note(d)
        else:
            spool.add(d, chunker(d), changed=held is not None)
        if progress and spool.articles % READ_PROGRESS_EVERY == 0:
            progress("reading", spool.articles, None)
    if progress:
        progress("reading", spool.articles, spool.articles)


def _chunker(options: BuildOptions, encoder: Encoder, reuse: Reusable | None):
    """How `_read` chunks a fresh article: None for one whose passages `reuse` holds at the same content."""
    hashes = reuse.hashes if reuse is not None else {}

    def chunk(d: Document) -> list[Chunk] | None:
        if hashes.get(d.doc_id) == d.content_hash:
            return None
        return chunk_document(
            d, max_tokens=options.max_tokens, overlap_tokens=options.overlap_tokens, fits=encoder.fits
        )

    return chunk


def _then(items: Iterable, after: Callable[[], None]) -> Iterator:
    """`items`, then `after()` once they are exhausted."""
    yield from items
    after()


def encoder_backend(options: BuildOptions, old: Manifest | None) -> str:
    """The backend a build embeds with: the one asked for, else the index's own, else the default."""
    return options.backend or (old.backend if old else DEFAULT_BACKEND)


def _rebuild_reason(options: BuildOptions, old, writer, settings: dict, index_type: str) -> str:
    """Why everything must be rebuilt, or "" for an incremental update."""
    if options.full:
        return "full rebuild requested"
    if old is None:
        return writer.unusable or "new index"
    if old.settings != settings:
        return describe_change(old.settings, settings)
    return writer.rebuild_reason(settings, index_type)


def build_settings(options: BuildOptions, encoder: Encoder) -> dict:
    """The settings an index records: a change in any of them re-embeds everything."""
    return {
        "model": options.model,
        "backend": encoder.backend,
        "tokenizer": ENCODING,
        "max_tokens": options.max_tokens,
        "overlap_tokens": options.overlap_tokens,
        "model_max_tokens": encoder.max_tokens,
        "passage_context": "title",  # what is embedded and keyword-indexed: `chunking.indexed_text`
    }


def kill_at(point: str | None, points: tuple[str, ...] = CRASH_POINTS) -> Checkpoint:
    """A checkpoint that kills this process (as SIGKILL would) at the crash point named `point` (one of `points`);
    for the crash tests."""
    if point is not None and point not in points:
        raise ValueError(f"crash point {point!r} is not one of {', '.join(points)}")

    def checkpoint(name: str) -> None:
        if name == point:
            os.kill(os.getpid(), signal.SIGKILL)

    return checkpoint
