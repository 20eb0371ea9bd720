"""Milvus as the store (``rag index --store milvus``): passages, vectors, BM25 and articles in Milvus.

For archives past one machine, or many readers at once: any number of query
processes read one Milvus (Lite file, standalone server or cluster; only the URI
changes), and searching happens inside it:

- dense: the passage vectors (inner product of normalized vectors = cosine);
- keywords: Milvus's BM25 function over the passage's analyzed terms. rag does the
  analysis (lower-case, English stop words, Snowball stems: `rag.lexical.tokenize`)
  and Milvus indexes and scores the terms, so BM25 ranks as in the local index;
- hybrid: both requests fused inside Milvus by reciprocal rank (RRF, k = 60);
- filters: `Filters` become Milvus filter expressions (see `expression`).

Three collections, named after a prefix (``rag`` by default): ``<prefix>_passages``
(one row per passage, with its article's metadata), ``<prefix>_articles`` (article
texts in pieces that fit Milvus's 65,535-byte strings; citations point into them)
and ``<prefix>_meta`` (the manifest). Updates are per article: an article's old
rows are deleted before its new ones are inserted, and its article row — holding
the content hash that incremental builds compare — is written last, so an
interrupted update re-does the articles it had not finished.

`MilvusStore` answers queries (the `rag.store.Store` protocol) and owns the client;
`MilvusWriter` runs an update (the `rag.store.Writer` protocol) through it. The
``pymilvus`` package is imported only here (install ``rag[scale]``).
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import threading
from pathlib import Path

import numpy as np

from ..chunking import indexed_text
from ..errors import IndexCorrupt, IndexNotFound, SettingsError, StoreError
from ..types import Chunk, Document, Filters, Hit
from .ann import resolve
from .base import MilvusLocation, Passages
from .fusion import RRF_K, rank_score
from .manifest import Manifest, newest_headlines
from .plan import UpdatePlan

LOG = logging.getLogger(__name__)

PIECE_CHARS = 16_000  # ≤ 64,000 bytes of UTF-8: under Milvus's 65,535-byte strings
TEXT = 65_535
WRITE_BATCH = 512
HIT_FIELDS = ["chunk_id", "doc_id", "text", "start", "end", "title", "source", "published", "url"]
# rag's concrete vector index types in Milvus terms; "auto" means what it means for FAISS (`rag.ann.resolve`):
# exact search up to 100,000 passages (Milvus's own AUTOINDEX is HNSW, approximate even for a small
# collection: on the news index it missed the 5th-best passage of a query), approximate above.
INDEX_TYPES = {"flat": "FLAT", "ivf-sq8": "IVF_SQ8", "hnsw-sq8": "HNSW_SQ"}
BM25_K1, BM25_B = 1.5, 0.75  # bm25s's defaults (Lucene's formula), so that keyword ranks match the local index


def _pymilvus():
    try:
        import pymilvus
    except ImportError as e:
        raise SettingsError(f"the Milvus store needs pymilvus ({e}): pip install 'rag[scale]'") from e
    logging.getLogger("pymilvus").setLevel(logging.CRITICAL)  # it logs every failed call; rag reports them
    return pymilvus


def _literal(value: str) -> str:
    """A Milvus string literal (double-quoted, C escapes)."""
    escaped = (
        value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    )
    return f'"{escaped}"'


def expression(filters: Filters) -> str:
    """A Milvus filter expression admitting exactly what `filters.admits` admits ("" for no filter).

    Publishers match without regard to case through a stored case-folded copy. Dates
    are ISO prefixes: "since" admits an article whose date, extended by "~" (above
    any digit or "-"), is ≥ since — so "2024-11" counts as within since="2024-11-04";
    "until" admits a date ≤ until + "~".
    """
    parts = []
    if filters.doc_ids:
        parts.append(f"doc_id in [{', '.join(_literal(d) for d in filters.doc_ids)}]")
    if filters.sources:
        parts.append(f"source_key in [{', '.join(_literal(s.casefold()) for s in filters.sources)}]")
    if filters.since:
        parts.append(f'published != "" and published_hi >= {_literal(filters.since)}')
    if filters.until:
        parts.append(f'published != "" and published <= {_literal(filters.until + "~")}')
    if filters.not_after:
        parts.append(f'published == "" or published <= {_literal(filters.not_after + "~")}')
    return " and ".join(f"({p})" for p in parts)


class MilvusStore:
    """One Milvus database holding a rag index: its queries, and the writes `MilvusWriter` makes."""

    def __init__(self, location: MilvusLocation):
        pymilvus = _pymilvus()
        uri, collection, token = location.uri, location.collection, location.token
        self.location = location
        self.uri, self.prefix = uri, collection
        self.passages, self.articles, self.meta = (
            f"{collection}_passages",
            f"{collection}_articles",
            f"{collection}_meta",
        )
        try:
            self.client = pymilvus.MilvusClient(uri=uri, token=token)
        except Exception as e:  # pymilvus raises several types for an unreachable or unusable URI
            raise StoreError(
                f"cannot open Milvus at {uri!r} ({str(e).splitlines()[0]}): check that it is running, and "
                f"RAG_MILVUS_URI"
            ) from e
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"MilvusStore({self.uri!r}, collection={self.prefix!r})"

    @contextlib.contextmanager
    def errors(self, doing: str):
        """Milvus's exceptions as a `StoreError` that names the store and what was being done."""
        try:
            yield
        except _pymilvus().MilvusException as e:
            raise StoreError(
                f"Milvus at {self.uri} failed while {doing}: {getattr(e, 'message', None) or e}. "
                "Check that it is running and reachable (RAG_MILVUS_URI, RAG_MILVUS_TOKEN)"
            ) from e

    # --- what the rest of rag reads -------------------------------------------

    def read_manifest(self) -> Manifest | None:
        with self.errors("reading the manifest"):
            data = self._read_manifest()
        return (
            None
            if data is None
            else Manifest.parse(
                data,
                where=f"{self.prefix!r} in Milvus at {self.uri}",
                fix="rebuild it with `rag index --full --store milvus`",
            )
        )

    def _read_manifest(self) -> dict | None:
        if not self.client.has_collection(self.meta):
            return None
        for name in (self.meta, self.articles, self.passages):
            # Collections written by another process (or before a restart) are "released" until loaded.
            if self.client.has_collection(name):
                self.client.load_collection(name)
        rows = self.client.query(self.meta, filter='key == "manifest"', output_fields=["value"])
        return json.loads(rows[0]["value"]) if rows else None

    @functools.cached_property
    def manifest(self) -> Manifest:
        m = self.read_manifest()
        if m is None:
            raise IndexNotFound(
                f"Milvus at {self.uri} holds no rag index {self.prefix!r}: build one with `rag index --store milvus`"
            )
        return m

    def __len__(self) -> int:
        return int(self.manifest.counts["chunks"])

    def sources(self) -> list[str]:
        return list(self.manifest.sources)

    def document(self, doc_id: str) -> Document:
        with self.errors(f"reading article {doc_id!r}"):
            rows = self._document_rows(doc_id)
        if not rows:
            raise KeyError(doc_id)
        rows.sort(key=lambda r: r["part"])
        r = rows[0]
        return Document(
            doc_id,
            "".join(p["text"] for p in rows),
            r["title"],
            r["source"],
            r["published"],
            r["url"],
            r["origin"],
            r["hash"],
        )

    def _document_rows(self, doc_id: str) -> list[dict]:
        return self.client.query(
            self.articles,
            filter=f"doc_id == {_literal(doc_id)}",
            output_fields=["part", "text", "title", "source", "published", "url", "origin", "hash"],
        )

    def candidates(
        self, query: str, vector: np.ndarray | None, *, mode: str, depth: int, n: int, filters: Filters
    ) -> list[Hit]:
        """The `n` best passages, searched and (for "hybrid") fused inside Milvus; each side reads `depth`."""
        with self.errors("searching"):
            return self._candidates(query, vector, mode=mode, depth=depth, n=n, filters=filters)

    def _candidates(
        self, query: str, vector: np.ndarray | None, *, mode: str, depth: int, n: int, filters: Filters
    ) -> list[Hit]:
        pymilvus = _pymilvus()
        from .lexical import tokenize

        expr = expression(filters) if filters else ""
        terms = " ".join(tokenize([query])[0]) if mode != "dense" else ""
        dense = (
            pymilvus.AnnSearchRequest(
                data=[vector.tolist()], anns_field="dense", param={}, limit=depth, expr=expr or None
            )
            if vector is not None
            else None
        )
        words = (
            pymilvus.AnnSearchRequest(data=[terms], anns_field="sparse", param={}, limit=depth, expr=expr or None)
            if terms
            else None
        )
        if mode == "hybrid" and dense is not None and words is not None:
            res = self.client.hybrid_search(
                self.passages, [dense, words], ranker=pymilvus.RRFRanker(RRF_K), limit=n, output_fields=HIT_FIELDS
            )
            return [self._hit(h, h["distance"]) for h in res[0]]
        request = dense if mode != "lexical" else words
        if request is None:  # a query of stop words only: no keyword side
            return []
        res = self.client.search(
            self.passages,
            data=request.data,
            anns_field=request.anns_field,
            limit=n,
            filter=expr,
            output_fields=HIT_FIELDS,
        )
        hits = res[0]
        if mode == "hybrid":  # one side only: its ranks, scored as the fusion would
            return [self._hit(h, rank_score(rank)) for rank, h in enumerate(hits, start=1)]
        # BM25: Milvus Lite reports a negated distance, a server the score itself; both multiply
        # the term weights by (k1 + 1), which bm25s leaves out. Divided, the scores are the local index's.
        return [self._hit(h, abs(h["distance"]) / (BM25_K1 + 1) if mode == "lexical" else h["distance"]) for h in hits]

    @staticmethod
    def _hit(h: dict, score: float) -> Hit:
        e = h["entity"]
        return Hit(score=float(score), **{f: e[f] for f in HIT_FIELDS})

    # --- writing -----------------------------------------------------------------

    def hashes(self) -> dict[str, tuple[str, str]]:
        """doc_id → (content hash, origin) of every complete article in the store."""
        out: dict[str, tuple[str, str]] = {}
        if not self.client.has_collection(self.articles):
            return out
        it = self.client.query_iterator(
            self.articles, batch_size=4096, filter="part == 0", output_fields=["doc_id", "hash", "origin"]
        )
        try:
            while rows := it.next():
                out.update((r["doc_id"], (r["hash"], r["origin"])) for r in rows)
        finally:
            it.close()
        return out

    def reset(self, dim: int) -> None:
        """Drop the store's collections and create them empty for vectors of `dim` dimensions; the vectors'
        index is made once they are in (`index_vectors`: its type depends on how many there are)."""
        pymilvus = _pymilvus()
        DataType = pymilvus.DataType
        # Milvus Lite's in-process server logs a traceback for a call it lacks (AllocTimestamp) while indexes are made.
        logging.getLogger("grpc._server").setLevel(logging.CRITICAL)
        for name in (self.meta, self.articles, self.passages):  # manifest first: a half-reset store reads as absent
            if self.client.has_collection(name):
                self.client.drop_collection(name)

        s = self.client.create_schema(auto_id=False)
        s.add_field("chunk_id", DataType.VARCHAR, is_primary=True, max_length=TEXT)
        s.add_field("doc_id", DataType.VARCHAR, max_length=TEXT)
        s.add_field("text", DataType.VARCHAR, max_length=TEXT)
        s.add_field("terms", DataType.VARCHAR, max_length=TEXT, enable_analyzer=True)
        s.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        s.add_field("dense", DataType.FLOAT_VECTOR, dim=dim)
        for f in ("start", "end", "n_tokens"):
            s.add_field(f, DataType.INT64)
        for f in ("title", "source", "source_key", "published", "published_hi", "url"):
            s.add_field(f, DataType.VARCHAR, max_length=TEXT)
        s.add_function(
            pymilvus.Function(
                name="bm25",
                function_type=pymilvus.FunctionType.BM25,
                input_field_names=["terms"],
                output_field_names=["sparse"],
            )
        )
        ip = self.client.prepare_index_params()
        ip.add_index(
            "sparse",
            index_type="SPARSE_INVERTED_INDEX",
            metric_type="BM25",
            params={"bm25_k1": BM25_K1, "bm25_b": BM25_B},
        )
        for f in ("doc_id", "source_key", "published"):
            ip.add_index(f, index_type="INVERTED")
        self.client.create_collection(self.passages, schema=s, index_params=ip, consistency_level="Strong")

        s = self.client.create_schema(auto_id=False)
        s.add_field("piece_id", DataType.VARCHAR, is_primary=True, max_length=TEXT)
        s.add_field("doc_id", DataType.VARCHAR, max_length=TEXT)
        s.add_field("part", DataType.INT64)
        for f in ("title", "source", "published", "url", "origin", "hash", "text"):
            s.add_field(f, DataType.VARCHAR, max_length=TEXT)
        s.add_field("_v", DataType.FLOAT_VECTOR, dim=2)  # Milvus wants a vector field in every collection
        ip = self.client.prepare_index_params()
        ip.add_index("_v", index_type="FLAT", metric_type="L2")
        ip.add_index("doc_id", index_type="INVERTED")
        self.client.create_collection(self.articles, schema=s, index_params=ip, consistency_level="Strong")

        s = self.client.create_schema(auto_id=False)
        s.add_field("key", DataType.VARCHAR, is_primary=True, max_length=64)
        s.add_field("value", DataType.VARCHAR, max_length=TEXT)
        s.add_field("_v", DataType.FLOAT_VECTOR, dim=2)
        ip = self.client.prepare_index_params()
        ip.add_index("_v", index_type="FLAT", metric_type="L2")
        self.client.create_collection(self.meta, schema=s, index_params=ip, consistency_level="Strong")

    def index_vectors(self, index_type: str) -> None:
        """Index the passages' vectors as `index_type` (a concrete type: flat, ivf-sq8 or hnsw-sq8)."""
        ip = self.client.prepare_index_params()
        ip.add_index("dense", index_type=INDEX_TYPES[index_type], metric_type="IP")
        self.client.create_index(self.passages, ip)
        self.client.load_collection(self.passages)

    def remove(self, doc_ids: list[str]) -> None:
        """Delete these articles: their article rows first (so they read as absent), then their passages."""
        for lo in range(0, len(doc_ids), 1000):
            expr = f"doc_id in [{', '.join(_literal(d) for d in doc_ids[lo : lo + 1000])}]"
            self.client.delete(self.articles, filter=expr)
            self.client.delete(self.passages, filter=expr)

    def add(self, docs: list[Document], chunks: dict[str, list[Chunk]], vectors: np.ndarray, progress=None) -> None:
        """Insert these articles' passages and vectors (in `chunks` order), then the articles themselves."""
        self.add_passages(docs, chunks, vectors, progress)
        self.add_articles(docs)
        if progress:
            progress(
                "writing",
                len(docs) + sum(len(cs) for cs in chunks.values()),
                len(docs) + sum(len(cs) for cs in chunks.values()),
            )

    def add_passages(
        self, docs: list[Document], chunks: dict[str, list[Chunk]], vectors: np.ndarray, progress=None
    ) -> None:
        from .lexical import tokenize

        meta = {d.doc_id: d for d in docs}
        flat = [c for cs in chunks.values() for c in cs]
        total = len(flat) + len(docs)
        for lo in range(0, len(flat), WRITE_BATCH):
            part = flat[lo : lo + WRITE_BATCH]
            terms = tokenize([indexed_text(meta[c.doc_id].title, c.text) for c in part])
            rows = []
            for c, t, v in zip(part, terms, vectors[lo : lo + WRITE_BATCH]):
                d = meta[c.doc_id]
                rows.append(
                    {
                        "chunk_id": c.chunk_id,
                        "doc_id": c.doc_id,
                        "text": c.text,
                        "terms": " ".join(t),
                        "dense": v.tolist(),
                        "start": c.start,
                        "end": c.end,
                        "n_tokens": c.n_tokens,
                        "title": d.title,
                        "source": d.source,
                        "source_key": d.source.casefold(),
                        "published": d.published,
                        "published_hi": d.published + "~" if d.published else "",
                        "url": d.url,
                    }
                )
            self.client.insert(self.passages, rows)
            if progress:
                progress("writing", lo + len(part), total)

    def add_articles(self, docs: list[Document]) -> None:
        """The article rows, written last: an article counts as present (`hashes`) only once all of it is in."""
        rows = []
        for d in docs:
            pieces = [d.text[i : i + PIECE_CHARS] for i in range(0, len(d.text), PIECE_CHARS)] or [""]
            for i, piece in enumerate(pieces):
                rows.append(
                    {
                        "piece_id": f"{d.doc_id}#{i}",
                        "doc_id": d.doc_id,
                        "part": i,
                        "title": d.title,
                        "source": d.source,
                        "published": d.published,
                        "url": d.url,
                        "origin": d.origin,
                        "hash": d.content_hash,
                        "text": piece,
                        "_v": [0.0, 0.0],
                    }
                )
        rows.sort(key=lambda r: -r["part"])  # pieces before part 0, which marks the article complete
        for lo in range(0, len(rows), WRITE_BATCH):
            self.client.insert(self.articles, rows[lo : lo + WRITE_BATCH])

    def write_manifest(self, manifest: Manifest) -> None:
        value = json.dumps(manifest.to_json(), ensure_ascii=False)
        self.client.upsert(self.meta, [{"key": "manifest", "value": value, "_v": [0.0, 0.0]}])
        self.__dict__.pop("manifest", None)

    def flush(self) -> None:
        """Seal what was written into indexed segments (Milvus Lite otherwise scans fresh rows one by one)."""
        for name in (self.passages, self.articles, self.meta):
            self.client.flush(name)

    def count(self, collection: str, expr: str = "") -> int:
        rows = self.client.query(collection, filter=expr, output_fields=["count(*)"])
        return int(rows[0]["count(*)"])

    def close(self) -> None:
        self.client.close()


class MilvusWriter:
    """One update of a Milvus store (the `rag.store.Writer` protocol): per-article deletes and inserts."""

    def __init__(self, location: MilvusLocation, index_dir: Path):
        self.store = MilvusStore(location)
        self.index_dir = index_dir
        self.unusable = ""
        self.manifest = self.store.read_manifest()

    def indexed(self) -> list[tuple[str, str, str]]:
        with self.store.errors("reading what the index holds"):
            return [(doc_id, h, origin) for doc_id, (h, origin) in self.store.hashes().items()]

    def rebuild_reason(self, settings: dict, index_type: str) -> str:
        old = self.manifest
        if old is None:
            return ""
        was = old.vector_index.get("requested")
        if was != index_type:
            return f"vector index type {was!r} → {index_type!r}: Milvus re-indexes from scratch"
        means = resolve(index_type, old.counts["chunks"])
        if old.vector_index.get("concrete") != means:
            # Also a store from before "auto" meant exact search up to 100,000 passages (it had Milvus's AUTOINDEX).
            return (
                f"vector index {old.vector_index.get('type')!r} is not what {index_type!r} means for "
                f"{old.counts['chunks']:,} passages ({means}): Milvus re-indexes from scratch"
            )
        return ""

    def is_current(self, index_type: str) -> bool:
        return True  # nothing changed: nothing to write

    def reusable(self, settings: dict):
        """The index folder's FAISS build, when it was made with the same settings: moving a FAISS
        folder into Milvus (`rag index --store milvus`) embeds nothing again."""
        from .faiss import FaissStore

        try:
            local = FaissStore.load(self.index_dir)
        except (IndexNotFound, IndexCorrupt):
            return None
        if local.manifest.settings != settings:
            local.close()
            return None
        self._local = local
        return local

    def apply(self, plan: UpdatePlan, docs, batches, *, settings, index_type, checkpoint, progress) -> tuple[int, str]:
        """Write the update batch by batch: each batch's fresh articles (passages, vectors, then the article rows)
        inserted as it comes. A rebuild makes the collections anew and indexes the vectors once they are all in
        (the index's type depends on their count); unchanged and kept articles stay where they are."""
        store = self.store
        dim = None  # of this build's vectors (a rebuild's collections are made for them)
        made, passages, written = not plan.reason, 0, 0
        waiting: list[tuple[list[Document], Passages]] = []  # fresh articles not written yet

        def writing(stage: str, done: int, total: int) -> None:  # a running count over the batches
            if progress:
                progress(stage, written + done, None)

        def write_waiting() -> None:
            nonlocal passages, written
            for articles, part in waiting:
                store.add(articles, part.chunks, part.vectors, writing)
                passages += len(part)
                written += len(articles) + len(part)
            waiting.clear()

        with store.errors("updating the index"):
            if not plan.reason:  # added ones too: an interrupted update may have left some of their passages
                store.remove(plan.changed + plan.removed + plan.added)
            for batch in batches:
                fresh = batch.fresh
                if fresh.vectors is not None and len(fresh.vectors):
                    dim = int(fresh.vectors.shape[1])
                new = [d for d in batch.docs if d.doc_id in fresh.chunks]
                if new:
                    waiting.append((new, fresh))
                if not made and dim is not None:
                    store.reset(dim)
                    made = True
                if made:
                    write_waiting()
            dim = dim or (self.manifest.dimension if self.manifest else None)
            if not made:  # no vector at all: articles without passages, if any
                store.reset(dim)
                write_waiting()
            if plan.reason:
                store.index_vectors(resolve(index_type, passages))
            if progress:
                progress("writing", written, written)
            counts = {"documents": store.count(store.articles, "part == 0"), "chunks": store.count(store.passages)}
            old_sources = set(self.manifest.sources) if self.manifest and plan.kept else set()
            concrete = resolve(index_type, passages if plan.reason else self.manifest.counts["chunks"])
            manifest = Manifest(
                store="milvus",
                settings=settings,
                counts=counts,
                lexical="milvus-bm25",
                dimension=dim,
                vector_index={"type": INDEX_TYPES[concrete], "concrete": concrete, "requested": index_type},
                sources=sorted({d.source for d in docs if d.source} | old_sources, key=str.casefold),
                headlines=newest_headlines(docs),
            )
            store.write_manifest(manifest)
            store.flush()
        return counts["chunks"], store.uri

    def close(self) -> None:
        local = getattr(self, "_local", None)
        if local is not None:
            local.close()
        self.store.close()
