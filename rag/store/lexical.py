"""The keyword side of search: BM25 over the passages (``bm25s``, Snowball-stemmed English).

Dense vectors miss exact names, numbers and rare words that news questions turn on;
BM25 finds them. The index is rebuilt from the stored passage texts with each build
(seconds for tens of thousands of passages; no re-embedding involved).
"""

from __future__ import annotations

import array
import contextlib
import functools
import logging
import os
import sqlite3
import tempfile
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np

from .vectorfile import npy_header, read_exactly

LOG = logging.getLogger(__name__)


def _bm25s():
    """The bm25s module, with its logger (which it sets to DEBUG on import) quietened."""
    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s


@functools.lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def tokenize(texts: Sequence[str]) -> list[list[str]]:
    """Lower-cased, stop-word-free, stemmed word lists."""
    return _bm25s().tokenize(list(texts), stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False)


def build(texts: Iterable[str], folder: Path) -> None:
    """Write a BM25 index of `texts` (row i = passage i, read once, as a stream) into `folder`: the files
    ``bm25s`` writes for the same passages, byte for byte, in memory that does not grow with the corpus.

    bm25s holds every passage's token ids and every (passage, word) score at once, then sorts them by word
    (over 200,000 passages, ~310 MB at its peak). Here the token ids go to a temporary file as they are
    made, counting in how many passages each word occurs, and the vocabulary (stem → id) to an SQLite file
    (`_StemIds`; the tokenizer's caches of spellings are bounded, `_forgetting`); a pass over the ids scores
    each passage with bm25s's own formulas, each score written straight to its word range's place in a
    second file (`_Spill`: the counts give every range's place before scoring), and the score matrix is
    written range by range, each holding at most `PAIRS_PER_PASS` scores. Memory holds a few numbers per
    word and per passage (counts, lengths) and one range.
    """
    bm25s = _bm25s()
    tokenizer = bm25s.tokenization.Tokenizer(stopwords="en", stemmer=_stemmer())
    retriever = bm25s.BM25()
    folder.mkdir(parents=True, exist_ok=True)  # scratch files go beside the index, on its disk (not a tmpfs /tmp)
    with (
        tempfile.TemporaryFile(dir=folder) as ids_file,
        tempfile.TemporaryFile(dir=folder) as pairs_file,
        tempfile.TemporaryDirectory(dir=folder) as scratch,
        contextlib.closing(_StemIds(Path(scratch) / "stems.sqlite")) as stems,
    ):
        tokenizer.stem_to_sid = stems  # the vocabulary, on disk
        lengths, counted = array.array("q"), np.zeros(0, dtype=np.int64)  # counted[w]: passages holding word w
        for ids in tokenizer.streaming_tokenize(_forgetting(tokenizer, texts), update_vocab=True):
            ids_file.write(array.array("i", ids).tobytes())
            lengths.append(len(ids))
            words = np.unique(np.asarray(ids, dtype=np.int64))
            if words.size and words[-1] >= len(counted):  # the vocabulary grew: room for twice as many words
                counted = np.concatenate([counted, np.zeros(max(len(counted), words[-1] + 1), dtype=np.int64)])
            counted[words] += 1
        if not lengths:  # bm25s cannot index an empty corpus; a placeholder keeps row numbers aligned
            retriever.index([["\x00"]], show_progress=False)
            retriever.save(str(folder), show_progress=False)
            return
        n_docs, n_vocab = len(lengths), len(stems)
        tokenizer = None
        frequencies = np.zeros(n_vocab, dtype=np.int64)
        frequencies[: min(n_vocab, len(counted))] = counted[:n_vocab]
        indptr = np.zeros(n_vocab + 1, dtype=np.int64)
        np.cumsum(frequencies, out=indptr[1:])
        retriever.scores = {
            "data": np.zeros(0, dtype=retriever.dtype),
            "indices": np.zeros(0, dtype=retriever.int_dtype),
            "indptr": indptr,
            "num_docs": n_docs,
        }
        retriever.vocab_dict, retriever.nonoccurrence_array = {}, None
        retriever.save(str(folder), show_progress=False)  # parameters and indptr; vocabulary and matrix follow
        stems.write_json(folder / "vocab.index.json")  # written: scoring needs only the ids and their frequencies
        spill = _Spill(pairs_file, indptr)
        _score(retriever, _passages(ids_file, lengths), lengths, frequencies, spill)
        spill.close()
        pairs = int(indptr[-1])
        with (
            _NpyOut(folder / "data.csc.index.npy", retriever.dtype, pairs) as data,
            _NpyOut(folder / "indices.csc.index.npy", retriever.int_dtype, pairs) as indices,
        ):
            for r in range(len(spill.ranges)):
                picked = spill.read(r)
                order = np.argsort(picked["word"], kind="stable")  # by word, then (stable) by passage, as bm25s
                data.write(picked["score"][order])
                indices.write(picked["row"][order])


class _StemIds:
    """The tokenizer's vocabulary (stem → id), as it uses its dict (``in``, ``[]``, ``[]=``, ``len``), in an
    SQLite file: memory holds only the stems met lately (at most `WORDS_REMEMBERED`). A corpus's stems grow
    with it (every new name and number is one), ~150 bytes each as a dict."""

    def __init__(self, path: Path):
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; BEGIN;")
        self.db.execute("CREATE TABLE stems (stem TEXT PRIMARY KEY, id INTEGER NOT NULL) WITHOUT ROWID")
        self.recent: dict[str, int] = {}
        self.n = 0

    def _id(self, stem: str) -> int | None:
        sid = self.recent.get(stem)
        if sid is None:
            row = self.db.execute("SELECT id FROM stems WHERE stem = ?", (stem,)).fetchone()
            if row is not None:
                sid = row[0]
                self._remember(stem, sid)
        return sid

    def _remember(self, stem: str, sid: int) -> None:
        if len(self.recent) >= WORDS_REMEMBERED:
            self.recent.clear()
        self.recent[stem] = sid

    def __contains__(self, stem: str) -> bool:
        return self._id(stem) is not None

    def __getitem__(self, stem: str) -> int:
        sid = self._id(stem)
        if sid is None:
            raise KeyError(stem)
        return sid

    def __setitem__(self, stem: str, sid: int) -> None:
        self.db.execute("INSERT INTO stems VALUES (?, ?)", (stem, sid))
        self.n += 1
        self._remember(stem, sid)

    def __len__(self) -> int:
        return self.n

    def write_json(self, path: Path, entries: int = 10_000) -> None:
        """The file bm25s writes of its vocabulary dict (its own JSON encoder; stems in id order, the dict's
        order), written `entries` stems at a time."""
        from bm25s.utils import json_functions

        two = json_functions.dumps({"a": 0, "b": 1}, ensure_ascii=False)
        comma = two[two.index("0") + 1 : two.index('"b"')]  # the encoder's separator between two items
        rows = self.db.execute("SELECT stem, id FROM stems ORDER BY id")
        with open(path, "wt", encoding="utf-8") as f:
            f.write("{")
            first = True
            while chunk := rows.fetchmany(entries):
                f.write(("" if first else comma) + json_functions.dumps(dict(chunk), ensure_ascii=False)[1:-1])
                first = False
            f.write("}")

    def close(self) -> None:
        self.db.close()


WORDS_REMEMBERED = 20_000  # spellings the tokenizer keeps (word → stem, word → id) before it forgets them


def _forgetting(tokenizer, texts: Iterable[str]) -> Iterator[str]:
    """`texts`, the tokenizer's spelling caches cleared between two of them whenever they exceed `WORDS_REMEMBERED`.

    With a stemmer, bm25s keeps three maps of every distinct word (word → stem, word → id, stem → id) and
    numbers stems by the last alone, so the first two are caches: forgotten, a word is stemmed again and
    finds its stem's id; the ids, and so the index, are the same. The vocabulary (stem → id) is the index's."""
    for text in texts:
        if len(tokenizer.word_to_id) > WORDS_REMEMBERED:
            empty = tokenizer.word_to_id.get("")
            tokenizer.word_to_id.clear()
            tokenizer.word_to_stem.clear()
            if empty is not None:  # the id of an empty passage, set once when tokenizing starts
                tokenizer.word_to_id[""], tokenizer.word_to_stem[""] = empty, ""
        yield text


PAIRS_PER_PASS = 500_000  # scores of one word range held at once (12 bytes each)
PAIR = np.dtype([("word", "<i4"), ("row", "<i4"), ("score", "<f4")])


def _passages(ids_file, lengths: array.array) -> Iterator[list[int]]:
    """Each passage's token ids, read back from `ids_file` in order."""
    ids_file.seek(0)
    for n in lengths:
        yield array.array("i", ids_file.read(4 * n)).tolist() if n else []


def _score(retriever, passages: Iterator[list[int]], lengths, frequencies: np.ndarray, out: "_Spill") -> None:
    """Write each passage's (word, row, score) to `out`, scored as ``bm25s.BM25.build_index_from_ids`` scores
    (its own functions, same inputs, same types)."""
    from bm25s import scoring

    n_docs = len(lengths)
    average = np.array(lengths).mean()
    idf = scoring._build_idf_array(  # noqa: SLF001  (bm25s's own arithmetic: the scores must be the same)
        doc_frequencies=_Frequencies(frequencies),
        n_docs=n_docs,
        compute_idf_fn=scoring._select_idf_scorer(retriever.idf_method),  # noqa: SLF001
        dtype=retriever.dtype,
    )
    tfc_of = scoring._select_tfc_scorer(retriever.method)  # noqa: SLF001
    for row, token_ids in enumerate(passages):
        words, tf = scoring._get_counts_from_token_ids(  # noqa: SLF001
            token_ids, dtype=retriever.dtype, int_dtype=retriever.int_dtype
        )
        tfc = tfc_of(
            tf_array=tf, l_d=len(token_ids), l_avg=average, k1=retriever.k1, b=retriever.b, delta=retriever.delta
        )
        rec = np.empty(len(words), dtype=PAIR)
        rec["word"], rec["row"], rec["score"] = words, row, idf[words] * tfc
        out.write(rec)


class _Frequencies:
    """Word id → passages holding it, as the dict bm25s's idf reads (its length, its items), without making one."""

    def __init__(self, counts: np.ndarray):
        self.counts = counts

    def __len__(self) -> int:
        return len(self.counts)

    def items(self) -> Iterator[tuple[int, int]]:
        return zip(range(len(self.counts)), self.counts.tolist())


def _word_ranges(indptr: np.ndarray) -> Iterator[tuple[int, int]]:
    """Consecutive word ranges [lo, hi) of at most `PAIRS_PER_PASS` scores each (a single word may hold more)."""
    lo, n = 0, len(indptr) - 1
    while lo < n:
        hi = int(np.searchsorted(indptr, indptr[lo] + PAIRS_PER_PASS, side="right")) - 1
        hi = min(n, max(hi, lo + 1))
        yield lo, hi
        lo = hi


class _Spill:
    """Scored (word, row, score) pairs, each written straight to its word range's place in one file (range
    [lo, hi) holds pairs ``indptr[lo]`` to ``indptr[hi]``: the counts are known before scoring), passage after
    passage, and read back a range at a time. Memory holds a small buffer per range."""

    BUFFER = 32_768  # bytes a range gathers before they are written

    def __init__(self, file, indptr: np.ndarray):
        self.fd, self.indptr = file.fileno(), indptr
        self.ranges = list(_word_ranges(indptr))
        self.firsts = np.array([lo for lo, _ in self.ranges], dtype=np.int64)
        self.cursor = [int(indptr[lo]) for lo, _ in self.ranges]  # where each range's next pair goes
        self.buffers = [bytearray() for _ in self.ranges]

    def write(self, pairs: np.ndarray) -> None:
        """One passage's pairs (`PAIR` records, its words in any order)."""
        if len(self.ranges) == 1:
            self._add(0, pairs)
            return
        where = np.searchsorted(self.firsts, pairs["word"], side="right") - 1
        order = np.argsort(where, kind="stable")
        for part in np.split(order, np.flatnonzero(np.diff(where[order])) + 1):
            if len(part):
                self._add(int(where[part[0]]), pairs[part])

    def _add(self, r: int, pairs: np.ndarray) -> None:
        self.buffers[r] += pairs.tobytes()
        if len(self.buffers[r]) >= self.BUFFER:
            self._flush(r)

    def _flush(self, r: int) -> None:
        buffer = self.buffers[r]
        os.pwrite(self.fd, buffer, self.cursor[r] * PAIR.itemsize)
        self.cursor[r] += len(buffer) // PAIR.itemsize
        buffer.clear()

    def close(self) -> None:
        for r, (_, hi) in enumerate(self.ranges):
            self._flush(r)
            if self.cursor[r] != self.indptr[hi]:
                raise RuntimeError(f"word range {r}: {self.cursor[r]} pairs scored, {self.indptr[hi]} counted")

    def read(self, r: int) -> np.ndarray:
        """Range `r`'s pairs, in passage order."""
        lo, hi = self.ranges[r]
        start, size = int(self.indptr[lo]) * PAIR.itemsize, int(self.indptr[hi] - self.indptr[lo]) * PAIR.itemsize
        out = bytearray(size)
        read_exactly(self.fd, memoryview(out), start, f"the end of word range {r}'s scores")
        return np.frombuffer(out, dtype=PAIR)


class _NpyOut:
    """A 1-D ``.npy`` file of `n` items of `dtype`, written piece by piece (as ``np.save`` would write it)."""

    def __init__(self, path: Path, dtype, n: int):
        self.path, self.dtype, self.n, self.written = path, np.dtype(dtype), n, 0
        self.file = open(path, "wb")
        self.file.write(npy_header((n,), self.dtype))

    def write(self, values: np.ndarray) -> None:
        self.file.write(np.ascontiguousarray(values, dtype=self.dtype).tobytes())
        self.written += len(values)

    def __enter__(self) -> "_NpyOut":
        return self

    def __exit__(self, *exc) -> None:
        self.file.close()
        if exc[0] is None and self.written != self.n:
            raise RuntimeError(f"{self.path}: {self.written} values written, {self.n} expected")


class Lexical:
    """A loaded BM25 index."""

    def __init__(self, folder: Path):
        self._bm25 = _bm25s().BM25.load(str(folder), mmap=True, show_progress=False)  # pages in what queries touch

    def search(self, query: str, k: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Up to `k` (row, score) pairs with a positive score, best first; `mask` (0/1 per row) filters rows."""
        tokens = tokenize([query])
        if not tokens[0]:
            return []
        n = self._bm25.scores["num_docs"]
        k = min(k, n)
        if k <= 0:
            return []
        rows, scores = self._bm25.retrieve(
            tokens,
            k=k,
            show_progress=False,
            n_threads=1,
            weight_mask=None if mask is None else mask.astype(np.float32),
        )
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0]) if s > 0]
