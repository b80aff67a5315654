"""Term-frequency matrices (documents x terms, CSC): a term's column lists the rows holding it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from scipy import sparse

from papersift.index.lexical.vocabulary import Vocabulary


def count_matrix(token_lists: Sequence[Sequence[str]], vocabulary: Vocabulary) -> sparse.csc_matrix:
    """Term frequencies of `token_lists` (rows) over `vocabulary`, which holds all their terms."""
    rows: list[int] = []
    columns: list[int] = []
    counts: list[int] = []
    for row, tokens in enumerate(token_lists):
        for term, count in Counter(tokens).items():
            rows.append(row)
            columns.append(vocabulary[term])
            counts.append(count)
    shape = (len(token_lists), len(vocabulary))
    matrix = sparse.csc_matrix(
        (np.asarray(counts, np.int32), (np.asarray(rows, np.int64), np.asarray(columns, np.int64))),
        shape=shape,
    )
    matrix.sort_indices()
    return matrix


def lengths(token_lists: Sequence[Sequence[str]]) -> npt.NDArray[np.int64]:
    """Each document's number of terms (repeats counted)."""
    return np.fromiter((len(tokens) for tokens in token_lists), np.int64, len(token_lists))


def widened(matrix: sparse.csc_matrix, width: int) -> sparse.csc_matrix:
    """`matrix` with empty columns appended up to `width` (terms it has never seen)."""
    extra = width - matrix.shape[1]
    if extra == 0:
        return matrix
    indptr = np.concatenate([matrix.indptr, np.full(extra, matrix.indptr[-1], matrix.indptr.dtype)])
    return sparse.csc_matrix((matrix.data, matrix.indices, indptr), shape=(matrix.shape[0], width))


def column_counts(segments: Sequence[sparse.csc_matrix], width: int) -> npt.NDArray[np.int64]:
    """Documents per term over every row of `segments`."""
    counts = np.zeros(width, np.int64)
    for matrix in segments:
        counts[: matrix.shape[1]] += np.diff(matrix.indptr)
    return counts
