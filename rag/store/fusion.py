"""Reciprocal rank fusion: one ranking from the dense and the keyword ones (both stores use it).

>>> fuse([(1, 0.9), (2, 0.8)], [(2, 5.0), (3, 4.0)])[0][0]   # found by both: first
2
"""

from __future__ import annotations

RRF_K = 60  # the usual constant: rank 1 counts 1/61, rank 10 1/70


def fuse(*rankings: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """Reciprocal rank fusion of ranked (row, score) lists into one, best first."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, (row, _) in enumerate(ranking, start=1):
            fused[row] = fused.get(row, 0.0) + 1.0 / (RRF_K + rank)
    return sorted(fused.items(), key=lambda item: -item[1])


def rank_score(rank: int) -> float:
    """What a passage found by one side only scores at `rank` (1-based) in a fusion."""
    return 1.0 / (RRF_K + rank)
