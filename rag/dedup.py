"""One article, saved once: canonical URLs and near-duplicate text.

`canonical_url` is how two links to one page are recognised: scheme and host
lower-cased, default port, fragment and tracking parameters (``utm_*``, ``fbclid``,
``gclid``, ``ref`` …, by `courlan`) removed, the rest of the query sorted.

`NearDuplicates` finds a text already seen in other words of the same source: a wire
story republished by another outlet, or one article under a second URL with other
boilerplate. Texts are compared by their sets of 5-word shingles; MinHash signatures
(`datasketch`, 128 permutations) in an LSH index find the candidates, and a candidate
is a duplicate when the exact Jaccard similarity of the two shingle sets is at least
`THRESHOLD` (0.7). Measured on the news corpus (`benchmarks/dedup.py`): republished
copies with a changed headline, a dropped or added paragraph and boilerplate all
stay above it, while different outlets' own reports of one event are far below.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

THRESHOLD = 0.7  # Jaccard similarity of 5-word shingle sets at which two texts are one article
SHINGLE = 5
PERMUTATIONS = 128


def canonical_url(url: str) -> str:
    """The URL under which an article is known: "HTTP://Example.com:80/a?utm_source=rss&id=3#top" → "http://example.com/a?id=3"."""
    from courlan import normalize_url  # with trafilatura

    try:
        url = normalize_url(url.strip())
    except ValueError:
        url = url.strip()
    parts = urlsplit(url)
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", query, ""))


def shingles(text: str) -> set[str]:
    """The 5-word shingles of a text, lower-cased, punctuation dropped (a text under 5 words is one shingle)."""
    words = re.findall(r"\w+", text.lower())
    if len(words) < SHINGLE:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


class NearDuplicates:
    """Texts seen so far, by key; `match(text)` is the key of one it duplicates, or None."""

    def __init__(self, threshold: float = THRESHOLD):
        from datasketch import MinHashLSH

        self.threshold = threshold
        # the LSH finds candidates a little below the threshold; the exact Jaccard decides
        self._lsh = MinHashLSH(threshold=max(0.05, threshold - 0.15), num_perm=PERMUTATIONS)
        self._shingles: dict[str, set[str]] = {}

    def __len__(self) -> int:
        return len(self._shingles)

    def add(self, key: str, text: str) -> None:
        if key in self._shingles:
            return
        s = shingles(text)
        self._shingles[key] = s
        self._lsh.insert(key, self._signature(s))

    def match(self, text: str) -> str | None:
        s = shingles(text)
        if not s:
            return None
        best, best_score = None, self.threshold
        for key in self._lsh.query(self._signature(s)):
            score = jaccard(s, self._shingles[key])
            if score >= best_score:
                best, best_score = key, score
        return best

    @staticmethod
    def _signature(s: set[str]):
        from datasketch import MinHash

        m = MinHash(num_perm=PERMUTATIONS)
        m.update_batch([x.encode("utf-8") for x in s])
        return m
