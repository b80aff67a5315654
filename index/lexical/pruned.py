"""Pruned lexical search: the same top n as the exhaustive one, scoring far fewer rows.

Term at a time with early termination (MaxScore; Turtle & Flood 1995): terms are added in order
of the most they can add to a score, heaviest first. Partial scores only grow, so the n-th best
partial score is a floor for the n-th best final score. Once the terms left cannot add up to
that floor, a paper that none of the added terms holds cannot make the top n, and the terms left
are only looked up (binary search of their postings) for the papers that still can. A query at
1M papers then reads the postings of its rare terms, not the third of the corpus that its common
terms hold. It gives no corpus-wide spread: searches that need one use `exhaustive.top`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from papersift.index.lexical import exhaustive, lookups
from papersift.index.lexical.accumulators import Accumulator
from papersift.index.lexical.ceilings import largest_parts, rescaled
from papersift.index.ranking import Ranking, Rows, Scores, top_n

if TYPE_CHECKING:
    from papersift.index.lexical.lexical_index import LexicalIndex

Allowed = npt.NDArray[np.bool_] | None


def best(index: LexicalIndex, tokens: Sequence[str], n: int, allowed: Allowed) -> Ranking:
    """The top `n` live, allowed rows that hold a query term, best first."""
    query = index.weighted_terms(tokens)
    if not query or n <= 0 or not index.all_positive:
        found = exhaustive.top(index, tokens, n, allowed)
        return Ranking(found.rows, found.scores, score_rows=found.score_rows)
    bounds = np.array([weight * index.part_ceilings[term_id] for term_id, weight in query])
    heaviest_first = [query[i] for i in np.argsort(-bounds, kind="stable")]
    at_most = np.cumsum(np.sort(bounds))[::-1].tolist()  # [i]: what terms i.. can add
    with index.accumulators.lend() as partial:
        candidates = np.empty(0, np.int64)
        floor = 0.0
        added = 0
        while added < len(query) and floor <= at_most[added]:
            fresh = _add_term(index, partial, heaviest_first[added])
            candidates = np.concatenate([candidates, _usable(index, fresh, allowed)])
            floor = _nth_best(partial.values[candidates], n)
            added += 1
        candidates.sort()  # sorted lookups below are kinder to the cache
        scores = partial.values[candidates]
    for term, most in zip(heaviest_first[added:], at_most[added:], strict=True):
        hopeful = scores + most >= floor * (1 - 1e-9)  # (slack for rounding)
        candidates, scores = candidates[hopeful], scores[hopeful]
        scores = scores + lookups.scores_of(index, candidates, [term])
        floor = max(floor, _nth_best(scores, n))
    return Ranking(
        *top_n(candidates, scores, n),
        score_rows=lambda rows: lookups.scores_of(index, rows, query, live_only=True),
    )


def part_ceilings(index: LexicalIndex, parent: tuple[Scores, float] | None) -> Scores:
    """Per term, at least its largest term-frequency part in any row (`best` prunes with them).
    Read off every posting; for a live change of an index whose ceilings are known (`parent`:
    those and its average length), derived instead: rescaled for the new average length and
    raised to the added segment's own, so adding papers never rereads the built postings."""
    part, width = index.frequency_part, len(index.vocabulary)
    if parent is None:
        return largest_parts(index.segments, index.first_rows, part, width)
    ceilings, parent_average = parent
    derived = np.zeros(width, np.float64)
    derived[: len(ceilings)] = rescaled(ceilings, parent_average, index.average_length)
    added = largest_parts(index.segments[1:], index.first_rows[1:], part, width)
    return np.maximum(derived, added)


def _add_term(index: LexicalIndex, partial: Accumulator, term: tuple[int, float]) -> Rows:
    """Add one query term's parts to `partial`; returns the rows it reached first."""
    term_id, weight = term
    fresh: list[Rows] = []
    for first_row, matrix in zip(index.first_rows, index.segments, strict=True):
        if term_id < matrix.shape[1]:
            rows, parts = index.term_parts(matrix, term_id, int(first_row))
            fresh.append(partial.add(rows, weight * parts))
    return np.concatenate(fresh) if fresh else np.empty(0, np.int64)


def _usable(index: LexicalIndex, rows: Rows, allowed: Allowed) -> Rows:
    """The `rows` that are live and allowed."""
    keep = np.ones(len(rows), bool) if index.live is None else index.live[rows]
    return rows[keep if allowed is None else keep & allowed[rows]]


def _nth_best(scores: Scores, n: int) -> float:
    """The n-th highest of `scores` (0 when there are fewer)."""
    if len(scores) < n:
        return 0.0
    return float(np.partition(scores, len(scores) - n)[len(scores) - n])
