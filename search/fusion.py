"""Rank fusion as pure functions: ranked legs in, one fused ranking out. Inputs are never mutated.

Reciprocal rank fusion (Cormack, Clarke & Buettcher, SIGIR 2009) scores a document
sum_leg weight_leg / (rrf_k + rank_leg), with 1-based ranks and rrf_k = 60 as in the paper.
Convex combination min-max normalises each leg's scores to [0, 1] over its own candidates and
adds them with weights (a document missing from a leg gets 0 there).
Both break score ties by the lower row, so the order never depends on dict or input order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

RRF_K = 60


@dataclass(frozen=True)
class Ranking:
    """Rows best first with their scores (a leg's result, or a fused one)."""

    rows: npt.NDArray[np.int64]
    scores: npt.NDArray[np.float64]

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


def reciprocal_rank_fusion(
    legs: Sequence[Ranking], weights: Sequence[float] | None = None, rrf_k: float = RRF_K
) -> Ranking:
    """Fuse by weighted reciprocal rank; a leg's rank i (1-based) adds weight / (rrf_k + i)."""
    weights = _weights(legs, weights)
    contributions = [
        weight / (rrf_k + np.arange(1, len(leg) + 1, dtype=np.float64))
        for leg, weight in zip(legs, weights, strict=True)
    ]
    return _sum_by_row([leg.rows for leg in legs], contributions)


def convex_combination(legs: Sequence[Ranking], weights: Sequence[float] | None = None) -> Ranking:
    """Fuse by the weighted sum of min-max normalised scores."""
    weights = _weights(legs, weights)
    contributions = [
        weight * min_max(leg.scores) for leg, weight in zip(legs, weights, strict=True)
    ]
    return _sum_by_row([leg.rows for leg in legs], contributions)


def min_max(scores: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Scale to [0, 1]; a leg whose scores are all equal maps to all ones."""
    if len(scores) == 0:
        return scores.astype(np.float64)
    low, high = float(scores.min()), float(scores.max())
    if high == low:
        return np.ones(len(scores), dtype=np.float64)
    return (scores - low) / (high - low)


def _weights(legs: Sequence[Ranking], weights: Sequence[float] | None) -> list[float]:
    if weights is None:
        return [1.0] * len(legs)
    if len(weights) != len(legs):
        raise ValueError(f"{len(weights)} weights for {len(legs)} legs")
    return [float(weight) for weight in weights]


def _sum_by_row(
    rows: Sequence[npt.NDArray[np.int64]], contributions: Sequence[npt.NDArray[np.float64]]
) -> Ranking:
    if not rows or sum(len(part) for part in rows) == 0:
        return Ranking.empty()
    all_rows = np.concatenate(rows)
    unique_rows, positions = np.unique(all_rows, return_inverse=True)
    totals = np.bincount(positions, weights=np.concatenate(contributions))
    order = np.lexsort((unique_rows, -totals))
    return Ranking(unique_rows[order].astype(np.int64), totals[order].astype(np.float64))
