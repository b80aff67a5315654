"""What a leg of a search returns (`Ranking`), and the deterministic top-n selection behind it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

Rows = npt.NDArray[np.int64]
Scores = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Ranking:
    """Rows best first with their scores (a leg's result, or a fused one).

    A leg also says how its scores for this query spread over every live document (`mean`,
    `std`), so fusion can tell a standout score from an ordinary one, and can give its exact
    score for rows it did not return (`score_rows`), so fusion can score every candidate on
    every leg. None where unknown.
    """

    rows: Rows
    scores: Scores
    mean: float | None = None
    std: float | None = None
    score_rows: Callable[[Rows], Scores] | None = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.rows)

    @classmethod
    def empty(cls) -> Ranking:
        return cls(np.empty(0, np.int64), np.empty(0, np.float64))

    @classmethod
    def of(cls, pairs: Sequence[tuple[int, float]]) -> Ranking:
        """From (row, score) pairs already in rank order; handy in tests."""
        rows = np.array([row for row, _ in pairs], dtype=np.int64)
        scores = np.array([score for _, score in pairs], dtype=np.float64)
        return cls(rows, scores)


def top_n(rows: Rows, scores: Scores, n: int) -> tuple[Rows, Scores]:
    """The `n` best (row, score) pairs, highest score first, ties broken by the lower row.

    Uses a partial sort, so it costs O(len(rows)) plus O(n log n), and never depends on the order
    in which candidates arrive.
    """
    if n <= 0 or len(rows) == 0:
        return rows[:0], scores[:0]
    if len(rows) > n:
        part = np.argpartition(-scores, n - 1)[:n]
        threshold = scores[part].min()
        keep = np.flatnonzero(scores >= threshold)  # every tie at the boundary stays in the race
        rows, scores = rows[keep], scores[keep]
    order = np.lexsort((rows, -scores))[:n]
    return rows[order], scores[order]
