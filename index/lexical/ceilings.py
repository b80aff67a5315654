"""Per-term ceilings on BM25's term-frequency part, which the pruned lexical search relies on.

A term's part in a row is tf (k1 + 1) / (tf + norm[row]). Its ceiling is the largest part over
the term's postings, so weight x ceiling is the most that the term can add to any score.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt
from scipy import sparse

Rows = npt.NDArray[np.int64]
Scores = npt.NDArray[np.float64]
FrequencyPart = Callable[[npt.NDArray[np.integer], Rows], Scores]  # (tf, rows) -> parts

CHUNK_POSTINGS = 4_000_000  # postings turned into parts at a time (32 MB of float64)


def largest_parts(
    segments: Sequence[sparse.csc_matrix],
    first_rows: Sequence[int] | npt.NDArray[np.int64],
    part: FrequencyPart,
    width: int,
) -> Scores:
    """Per term (`width` of them), its largest `part` over the postings of `segments` (the
    index's own scoring function, so a ceiling is exactly a part some row has)."""
    ceilings = np.zeros(width, np.float64)
    for first_row, matrix in zip(first_rows, segments, strict=True):
        for start, stop in _column_blocks(matrix.indptr):
            _raise_to_block_maxima(ceilings, matrix, int(first_row), start, stop, part)
    return ceilings


def rescaled(ceilings: Scores, old_average: float, new_average: float) -> Scores:
    """Ceilings that still hold once the average document length changes: norm falls with the
    average, and a part then grows by at most new / old (it never grows when the average falls)."""
    grown: Scores = ceilings * max(1.0, new_average / old_average)
    return grown


def _column_blocks(indptr: npt.NDArray[np.integer]) -> list[tuple[int, int]]:
    """Runs of columns holding at most CHUNK_POSTINGS postings (or one larger column)."""
    blocks = []
    start, columns = 0, len(indptr) - 1
    while start < columns:
        limit = int(indptr[start]) + CHUNK_POSTINGS
        stop = max(start + 1, int(np.searchsorted(indptr, limit, side="right")) - 1)
        blocks.append((start, min(stop, columns)))
        start = min(stop, columns)
    return blocks


def _raise_to_block_maxima(
    ceilings: Scores,
    matrix: sparse.csc_matrix,
    first_row: int,
    start: int,
    stop: int,
    part: FrequencyPart,
) -> None:
    indptr = matrix.indptr
    low, high = int(indptr[start]), int(indptr[stop])
    if high == low:
        return
    parts = part(matrix.data[low:high], matrix.indices[low:high].astype(np.int64) + first_row)
    columns = start + np.flatnonzero(np.diff(indptr[start : stop + 1]))
    maxima = np.maximum.reduceat(parts, indptr[columns] - low)
    ceilings[columns] = np.maximum(ceilings[columns], maxima)
