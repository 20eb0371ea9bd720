"""The keyword side of search: BM25 over the passages (``bm25s``, Snowball-stemmed English).

Dense vectors miss exact names, numbers and rare words that news questions turn on;
BM25 finds them. The index is rebuilt from the stored passage texts with each build
(seconds for tens of thousands of passages; no re-embedding involved).
"""

from __future__ import annotations

import array
import functools
import logging
import tempfile
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np

from .vectorfile import npy_header

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
    made, counting in how many passages each word occurs; a pass over them scores each passage with
    bm25s's own formulas into a second file of (word, passage, score); and the score matrix is written
    word range by word range, each range holding at most `PAIRS_PER_PASS` scores. Memory holds the
    vocabulary (its stems: the tokenizer's caches of spellings are bounded, `_forgetting`), one number per
    passage (its length) and one range.
    """
    bm25s = _bm25s()
    tokenizer = bm25s.tokenization.Tokenizer(stopwords="en", stemmer=_stemmer())
    retriever = bm25s.BM25()
    with tempfile.TemporaryFile() as ids_file, tempfile.TemporaryFile() as pairs_file:
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
        vocab = tokenizer.get_vocab_dict()
        n_docs, n_vocab = len(lengths), len(vocab)
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
        retriever.vocab_dict, retriever.nonoccurrence_array = vocab, None
        retriever.save(str(folder), show_progress=False)  # parameters, vocabulary, indptr; the matrix follows
        retriever.vocab_dict = vocab = tokenizer = None  # written: scoring needs only the ids and their frequencies
        pairs = _score(retriever, _passages(ids_file, lengths), lengths, frequencies, pairs_file)
        with (
            _NpyOut(folder / "data.csc.index.npy", retriever.dtype, pairs) as data,
            _NpyOut(folder / "indices.csc.index.npy", retriever.int_dtype, pairs) as indices,
        ):
            for lo, hi in _word_ranges(indptr):
                words, rows, scores = _pairs_in(pairs_file, pairs, lo, hi)
                order = np.argsort(words, kind="stable")  # by word, then (stable) by passage, as bm25s sorts
                data.write(scores[order])
                indices.write(rows[order])


WORDS_REMEMBERED = 50_000  # spellings the tokenizer keeps (word → stem, word → id) before it forgets them


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


PAIRS_PER_PASS = 1_000_000  # scores of one word range held at once, and read at once (12 bytes each)
PAIR = np.dtype([("word", "<i4"), ("row", "<i4"), ("score", "<f4")])


def _passages(ids_file, lengths: array.array) -> Iterator[list[int]]:
    """Each passage's token ids, read back from `ids_file` in order."""
    ids_file.seek(0)
    for n in lengths:
        yield array.array("i", ids_file.read(4 * n)).tolist() if n else []


def _score(retriever, passages: Iterator[list[int]], lengths, frequencies: np.ndarray, out) -> int:
    """Write each passage's (word, row, score) to `out`, scored as ``bm25s.BM25.build_index_from_ids`` scores
    (its own functions, same inputs, same types); the number of pairs written."""
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
    written = 0
    for row, token_ids in enumerate(passages):
        words, tf = scoring._get_counts_from_token_ids(  # noqa: SLF001
            token_ids, dtype=retriever.dtype, int_dtype=retriever.int_dtype
        )
        tfc = tfc_of(
            tf_array=tf, l_d=len(token_ids), l_avg=average, k1=retriever.k1, b=retriever.b, delta=retriever.delta
        )
        rec = np.empty(len(words), dtype=PAIR)
        rec["word"], rec["row"], rec["score"] = words, row, idf[words] * tfc
        out.write(rec.tobytes())
        written += len(words)
    return written


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


def _pairs_in(pairs_file, pairs: int, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The (word, row, score) columns of the pairs whose word is in [lo, hi), in passage order."""
    pairs_file.seek(0)
    parts = []
    for start in range(0, pairs, PAIRS_PER_PASS):
        chunk = np.frombuffer(pairs_file.read(PAIR.itemsize * min(PAIRS_PER_PASS, pairs - start)), dtype=PAIR)
        parts.append(chunk[(chunk["word"] >= lo) & (chunk["word"] < hi)])
    picked = np.concatenate(parts)
    return picked["word"], picked["row"], picked["score"]


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
