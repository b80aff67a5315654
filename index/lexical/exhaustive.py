"""Exhaustive lexical search: every posting of the query's terms is scored, which gives the
mean and spread of the query's scores over the whole corpus (z-score fusion needs them)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from papersift.index.ranking import Ranking, Rows, Scores, top_n

if TYPE_CHECKING:
    from papersift.index.lexical.lexical_index import LexicalIndex, WeightedTerms


def postings(index: LexicalIndex, query: WeightedTerms) -> tuple[Rows, Scores]:
    """Rows and per-term BM25 contributions of every posting of the query's terms."""
    all_rows: list[Rows] = []
    all_scores: list[Scores] = []
    for term_id, weight in query:
        for first_row, matrix in zip(index.first_rows, index.segments, strict=True):
            if term_id >= matrix.shape[1]:
                continue
            rows, parts = index.term_parts(matrix, term_id, int(first_row))
            all_rows.append(rows)
            all_scores.append(weight * parts)
    if not all_rows:
        return np.empty(0, np.int64), np.empty(0, np.float64)
    return np.concatenate(all_rows), np.concatenate(all_scores)


def score_all(index: LexicalIndex, tokens: Sequence[str]) -> Scores:
    """The BM25 score of every row (0 where no query term occurs, and for deleted rows)."""
    rows, contributions = postings(index, index.weighted_terms(tokens))
    scores = np.bincount(rows, weights=contributions, minlength=index.size).astype(np.float64)
    if index.live is not None:
        scores[~index.live] = 0.0
    return scores


def top(
    index: LexicalIndex, tokens: Sequence[str], n: int, allowed: npt.NDArray[np.bool_] | None
) -> Ranking:
    """The `n` best live rows that contain at least one query term (and are `allowed`), with the
    mean and spread of the query's scores over every live row."""
    rows, contributions = postings(index, index.weighted_terms(tokens))
    if len(rows) == 0:
        return Ranking(rows, contributions, 0.0, 0.0, lambda rows: np.zeros(len(rows)))
    scores = np.bincount(rows, weights=contributions, minlength=index.size)
    if index.all_positive:  # then a row's score is non-zero exactly when it holds a term
        matched = scores > 0
    else:
        matched = np.zeros(index.size, dtype=bool)
        matched[rows] = True
    if index.live is not None:
        matched &= index.live
    candidates = np.flatnonzero(matched).astype(np.int64)
    candidate_scores = scores[candidates].astype(np.float64)
    mean, std = spread(index, candidate_scores)
    if allowed is not None:
        keep = allowed[candidates]
        candidates, candidate_scores = candidates[keep], candidate_scores[keep]

    def score_rows(rows: Rows) -> Scores:
        return scores[rows].astype(np.float64)

    return Ranking(*top_n(candidates, candidate_scores, n), mean, std, score_rows)


def spread(index: LexicalIndex, matched_scores: Scores) -> tuple[float, float]:
    """Mean and standard deviation over all live rows, given the scores of the matched ones
    (every other live row scores 0)."""
    count = max(index.live_count, 1)
    mean = float(matched_scores.sum()) / count
    variance = float(np.dot(matched_scores, matched_scores)) / count - mean * mean
    return mean, max(variance, 0.0) ** 0.5
