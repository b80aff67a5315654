"""Lookups of given rows in the postings (binary search, sorted within each segment): what the
pruned search needs for its late terms, explain's matched terms, and exact scores of candidates
that one leg did not return."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from scipy import sparse

from papersift.index.lexical import bm25
from papersift.index.ranking import Rows, Scores

if TYPE_CHECKING:
    from papersift.index.lexical.lexical_index import LexicalIndex, WeightedTerms


def frequencies(index: LexicalIndex, term_id: int, rows: Rows) -> npt.NDArray[np.int64]:
    """How often each of `rows` holds the term (0: not at all)."""
    found = np.zeros(len(rows), dtype=np.int64)
    for first_row, matrix in zip(index.first_rows, index.segments, strict=True):
        if term_id >= matrix.shape[1]:
            continue
        start, end = matrix.indptr[term_id], matrix.indptr[term_id + 1]
        postings = matrix.indices[start:end]
        local = rows - int(first_row)
        inside = np.flatnonzero((local >= 0) & (local < matrix.shape[0]))
        if len(postings) == 0 or len(inside) == 0:
            continue
        targets = local[inside].astype(postings.dtype)
        positions = np.minimum(np.searchsorted(postings, targets), len(postings) - 1)
        hit = postings[positions] == targets
        found[inside[hit]] = matrix.data[start:end][positions[hit]]
    return found


def scores_of(
    index: LexicalIndex, rows: Rows, query: WeightedTerms, live_only: bool = False
) -> Scores:
    """The query's exact BM25 scores of `rows`, each term looked up in its postings."""
    scores = np.zeros(len(rows), np.float64)
    for term_id, weight in query:
        frequency = frequencies(index, term_id, rows)
        found = np.flatnonzero(frequency)
        scores[found] += weight * index.frequency_part(frequency[found], rows[found])
    if live_only and index.live is not None:
        scores[~index.live[rows]] = 0.0
    return scores


def terms_in_rows(
    index: LexicalIndex, tokens: Sequence[str], rows: Sequence[int]
) -> list[list[str]]:
    """For each of `rows`, the distinct `tokens` its document contains: one binary search of
    each term's postings for all the rows at once."""
    wanted = np.asarray(rows, np.int64)
    present: list[list[str]] = [[] for _ in range(len(wanted))]
    for term in dict.fromkeys(tokens):
        term_id = index.vocabulary.get(term)
        if term_id is None:
            continue
        for position in np.flatnonzero(frequencies(index, term_id, wanted) > 0):
            present[int(position)].append(term)
    return present


def frequency_parts(index: LexicalIndex, rows: Rows, term_ids: Sequence[int]) -> sparse.csr_matrix:
    """BM25's term-frequency parts of `term_ids` in `rows` (rows x terms, sparse): many rows'
    scores for many weightings at once are then one sparse product."""
    columns = np.asarray(term_ids, np.int64)
    rows = np.asarray(rows, np.int64)
    found = sparse.csr_matrix((len(rows), len(columns)), dtype=np.float64)
    for first_row, matrix in zip(index.first_rows, index.segments, strict=True):
        local = rows - int(first_row)
        inside = np.flatnonzero((local >= 0) & (local < matrix.shape[0]))
        known = np.flatnonzero(columns < matrix.shape[1])
        if len(inside) == 0 or len(known) == 0:
            continue
        part = sparse.csc_matrix(matrix[:, columns[known]]).tocsr()[local[inside]].tocoo()
        values = bm25.frequency_part(
            part.data.astype(np.float64), index.length_norm[rows[inside][part.row]],
            index.parameters.k1,
        )  # fmt: skip
        found = found + sparse.csr_matrix(
            (values, (inside[part.row], known[part.col])), shape=found.shape
        )
    return found
