"""The keyword side of search: BM25 over the passages (``bm25s``, Snowball-stemmed English).

Dense vectors miss exact names, numbers and rare words that news questions turn on;
BM25 finds them. The index is rebuilt from the stored passage texts with each build
(seconds for tens of thousands of passages; no re-embedding involved).
"""

from __future__ import annotations

import array
import functools
import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Iterable, Iterator, Sequence

import numpy as np

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
    """Write a BM25 index of `texts` (row i = passage i, read once, as a stream) into `folder`.

    Each passage's token ids are kept in one flat int32 array (4 bytes a token) that bm25s reads row by
    row, rather than as Python lists: over 200,000 passages the peak falls from 574 to about 310 MB
    above the texts, for the same scores.
    """
    bm25s = _bm25s()
    tokenizer = bm25s.tokenization.Tokenizer(stopwords="en", stemmer=_stemmer())
    flat, ends = array.array("i"), array.array("q")
    for ids in tokenizer.streaming_tokenize(texts, update_vocab=True):
        flat.extend(ids)
        ends.append(len(flat))
    retriever = bm25s.BM25()
    if not ends:  # bm25s cannot index an empty corpus; a placeholder keeps row numbers aligned
        retriever.index([["\x00"]], show_progress=False)
    else:
        retriever.index(SimpleNamespace(ids=_Rows(flat, ends), vocab=tokenizer.get_vocab_dict()), show_progress=False)
    retriever.save(str(folder), show_progress=False)


class _Rows:
    """Token ids of each passage, as bm25s reads them (it goes over them three times)."""

    def __init__(self, flat: array.array, ends: array.array):
        self.flat, self.ends = np.frombuffer(flat, dtype=np.int32), np.frombuffer(ends, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.ends)

    def __iter__(self) -> Iterator[list[int]]:
        start = 0
        for end in self.ends:
            yield self.flat[start:end].tolist()
            start = end


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
