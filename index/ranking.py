"""Deterministic top-n selection shared by the lexical and dense indexes."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Rows = npt.NDArray[np.int64]
Scores = npt.NDArray[np.float64]


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
