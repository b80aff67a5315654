"""The standout of a query: how far its best paper's meaning stands out of the corpus."""

from __future__ import annotations

from papersift.index.ranking import Ranking


def standout(dense: Ranking | None) -> float | None:
    """The dense leg's best cosine less the corpus's mean cosine with the query (None: no
    dense leg, or no papers).

    For a real question the best paper is far closer to the query than the corpus is on
    average; for nonsense, or a topic the corpus lacks, the closest papers are barely closer
    than any other. The mean is exact, from the dense index's moments. A z-score (dividing by
    the spread) separates worse: a topical query has many related papers, so a wide spread,
    which shrinks its best paper's z.
    """
    if dense is None or len(dense) == 0 or dense.mean is None:
        return None
    return float(dense.scores[0]) - dense.mean
