"""The match cue: whether a query's best papers stand out of the corpus at all.

For a real question the best paper's meaning is far closer to the query than the corpus is on
average; for nonsense (`zxqv blorf`, `???`, emoji) or a query from another world (`banana bread
recipe` over physics) the closest papers are barely closer than any other. The measure is the
dense leg's best cosine minus the mean cosine of the whole corpus with the query (its exact
mean, from the dense index's moments). A z-score, dividing that by the spread, was measured too
and separates worse: a topical query has many related papers, so a wide spread, which shrinks
its best paper's z. Below the threshold the page says "No strong matches; the closest papers:"
and the API answers `weak: true`. The threshold was chosen on real judged queries (SciFact,
Cranfield) against nonsense and off-topic strings by bench/match_cue.py; docs/quality.md has the
error rates.
"""

from __future__ import annotations

from papersift.index.ranking import Ranking

STANDOUT_THRESHOLD = 0.32  # bench/match_cue.py: the highest with at most 5% of real queries weak


def standout(dense: Ranking | None) -> float | None:
    """How far the dense leg's best cosine is above the corpus's mean cosine with the query
    (None: no dense leg, or no papers)."""
    if dense is None or len(dense) == 0 or dense.mean is None:
        return None
    return float(dense.scores[0]) - dense.mean


def is_weak(margin: float | None) -> bool:
    return margin is not None and margin < STANDOUT_THRESHOLD
