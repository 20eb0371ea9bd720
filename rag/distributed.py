"""Chunking and embedding on a Ray cluster (``rag index --ray ADDRESS``), for corpora one machine is slow on.

Two Ray Data stages, with the driver (the ``rag index`` process) in between:

1. chunking: one actor per CPU splits batches of 64 articles into passages (the same `chunk_document`
   as a local build);
2. embedding: one actor per CPU of the cluster, each with the model loaded once,
   embeds groups of passages.

Between them the driver lays out the groups with `Embedder.plan`, exactly as a
local build would, so every passage is embedded in the same company of passages
and gets the same vector bit for bit (INT8 scales activations per model call).
The index written afterwards is the local build's: same chunks, same vectors,
same manifest. Ray is only where the work ran, so a Ray build and a local build
update each other incrementally.

Every node needs the same Python environment with rag installed (``pip install
'rag[scale]'``); the package ``ray`` is imported only here.
"""

from __future__ import annotations

import collections
import logging
from typing import Callable

import numpy as np

from .chunking import indexed_text
from .errors import SettingsError
from .onnx_model import cache_env
from .types import Chunk, Document

LOG = logging.getLogger(__name__)

DOCS_PER_TASK = 64
GROUPS_PER_CALL = 8  # groups handed to an embedding actor at once (64 passages for ONNX)


def _ray():
    try:
        import ray
    except ImportError as e:
        raise SettingsError(f"--ray needs Ray ({e}): pip install 'rag[scale]'") from e
    return ray


def connect(address: str):
    """Join the cluster at `address` ("auto": the one started on this machine; "local": a private one)."""
    ray = _ray()
    # What the workers must see of the driver's: where ONNX exports are kept; no hub downloads.
    env = {**cache_env(), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    try:
        ray.init(
            address=None if address == "local" else address,
            runtime_env={"env_vars": env},
            log_to_driver=False,
            logging_level=logging.WARNING,
            ignore_reinit_error=True,
        )
    except (ConnectionError, RuntimeError, ValueError) as e:
        raise SettingsError(
            f"cannot reach a Ray cluster at {address!r} ({str(e).splitlines()[0]}): start one with "
            "`ray start --head`, or pass its address (host:6379), or --ray local for a private one"
        ) from e
    ray.data.DataContext.get_current().enable_progress_bars = False  # rag shows its own
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    return ray


class _Chunker:
    def __init__(self, model: str, backend: str, max_tokens: int, overlap_tokens: int):
        from .embedding import get_encoder

        self.fits = get_encoder(model, backend).fits  # the tokenizer only: no weights are loaded
        self.max_tokens, self.overlap_tokens = max_tokens, overlap_tokens

    def __call__(self, batch: dict) -> dict:
        from .chunking import chunk_document

        out = collections.defaultdict(list)
        for i in range(len(batch["doc_id"])):
            doc = Document(
                **{f: batch[f][i] for f in ("doc_id", "text", "title", "source", "published", "url", "origin")}
            )
            for c in chunk_document(
                doc, max_tokens=self.max_tokens, overlap_tokens=self.overlap_tokens, fits=self.fits
            ):
                for f in ("chunk_id", "doc_id", "text", "start", "end", "n_tokens"):
                    out[f].append(getattr(c, f))
        return {
            f: np.array(out[f], dtype=object if f in ("chunk_id", "doc_id", "text") else np.int64)
            for f in ("chunk_id", "doc_id", "text", "start", "end", "n_tokens")
        }


class _Encoder:
    def __init__(self, model: str, backend: str):
        import ray

        from .embedding import get_encoder

        self.embedder = get_encoder(model, backend)
        self.node = ray.get_runtime_context().get_node_id()

    def __call__(self, batch: dict) -> dict:
        """Groups in, one row per passage out: its index in the build's text list, its vector, this node."""
        indices, vectors = [], []
        for idx, texts in zip(batch["indices"], batch["texts"]):
            indices.extend(int(i) for i in idx)
            vectors.append(self.embedder.encode_groups(list(texts)).astype(np.float32, copy=False))
        return {
            "index": np.array(indices, dtype=np.int64),
            "vector": np.concatenate(vectors),
            "node": np.array([self.node] * len(indices), dtype=object),
        }


def chunk_and_embed(
    docs: list[Document],
    *,
    address: str,
    model: str,
    backend: str,
    max_tokens: int,
    overlap_tokens: int,
    plan: Callable[[list[str]], list[list[int]]],
    progress: Callable[[str, int, int], None] | None = None,
) -> tuple[dict[str, list[Chunk]], np.ndarray | None, dict[str, int]]:
    """Chunks per document (in `docs` order), their vectors in that order, and passages embedded per Ray node."""
    ray = connect(address)
    try:
        cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
        if progress:
            progress("chunking", 0, len(docs))
        by_doc = _chunk(ray, docs, cpus, (model, backend, max_tokens, overlap_tokens))
        if progress:
            progress("chunking", len(docs), len(docs))
        titles = {d.doc_id: d.title for d in docs}
        texts = [indexed_text(titles[c.doc_id], c.text) for cs in by_doc.values() for c in cs]
        if not texts:
            return by_doc, None, {}
        vectors, per_node = _embed(ray, texts, plan(texts), cpus, (model, backend), progress)
        LOG.info("embedded %d passages on %d Ray node(s): %s", len(texts), len(per_node), per_node)
        return by_doc, vectors, per_node
    finally:
        ray.shutdown()


def _chunk(ray, docs: list[Document], cpus: int, args: tuple) -> dict[str, list[Chunk]]:
    """The passages of `docs`, chunked by one actor per CPU, in `docs` order."""
    fields = ("doc_id", "text", "title", "source", "published", "url", "origin")
    items = [{f: getattr(d, f) for f in fields} for d in docs]
    rows = (
        ray.data.from_items(items, override_num_blocks=min(len(items), max(cpus, -(-len(items) // DOCS_PER_TASK))))
        .map_batches(
            _Chunker,
            fn_constructor_args=args,
            batch_size=DOCS_PER_TASK,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=cpus),
            num_cpus=1,
        )
        .take_all()
    )
    by_doc: dict[str, list[Chunk]] = {d.doc_id: [] for d in docs}
    for r in rows:
        chunk = Chunk(
            str(r["chunk_id"]), str(r["doc_id"]), str(r["text"]), int(r["start"]), int(r["end"]), int(r["n_tokens"])
        )
        by_doc[chunk.doc_id].append(chunk)
    for cs in by_doc.values():  # tasks may finish in any order; a document's passages came from one
        cs.sort(key=lambda c: c.start)
    return by_doc


def _embed(ray, texts: list[str], groups: list[list[int]], cpus: int, args: tuple, progress) -> tuple[np.ndarray, dict]:
    """Vectors of `texts`, embedded group by group of the build plan by one model-holding actor per CPU."""
    work = [{"indices": g, "texts": [texts[i] for i in g]} for g in groups]
    per_call = max(1, min(GROUPS_PER_CALL, len(work) // cpus))  # a small job still reaches every actor
    ds = ray.data.from_items(work, override_num_blocks=max(1, min(len(work) // per_call, 8 * cpus))).map_batches(
        _Encoder,
        fn_constructor_args=args,
        batch_size=per_call,
        batch_format="numpy",
        compute=ray.data.ActorPoolStrategy(size=cpus),
        num_cpus=1,  # one actor per CPU, model loaded once each
    )
    vectors = None
    per_node: dict[str, int] = collections.Counter()
    done = 0
    for batch in ds.iter_batches(batch_size=None, batch_format="numpy"):
        if vectors is None:
            vectors = np.empty((len(texts), batch["vector"].shape[1]), dtype=np.float32)
        vectors[batch["index"]] = batch["vector"]
        per_node.update(str(n) for n in batch["node"])
        done += len(batch["index"])
        if progress:
            progress("embedding", done, len(texts))
    return vectors, dict(per_node)
