"""Each index sets its match cue's threshold from its own corpus, without judged queries.

A corpus's titles are the questions it answers: each is encoded with the index's own model and
searched with its own paper left out (its text holds the title), which gives the index's
distribution of the standout (`standout.py`) for real questions. The threshold sits at a low
percentile of it, so that few real questions are told there is no strong match. Nonsense
strings (`nonsense.py`) are searched too, to report how many of them the threshold catches.
Where a corpus's text is shaped differently (another field, another length, lowercased text
without stopwords), its titles' standouts move with it, and so does its threshold, where one
constant for every corpus could not.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import numpy as np

from papersift.index.cue.nonsense import nonsense
from papersift.index.cue.pseudo_queries import PseudoQuery, pseudo_queries
from papersift.index.cue.standout import standout
from papersift.index.cue.threshold import CueThreshold
from papersift.index.dense.dense_index import DenseIndex
from papersift.index.encoding.encoder import Encoder
from papersift.index.papers.paper import Paper

logger = logging.getLogger(__name__)

# At most this many titles are encoded (about 30 s on 2 busy cores, whatever the corpus's size).
# The threshold sits low in their distribution, where 200 would leave it to the 3rd-lowest
# value: over random draws of 200 SciFact titles its 90% range was 0.285-0.336 (2% to 6% of
# the real queries flagged); of 1,000 titles, 0.305-0.327 (4% to 5%).
MAX_QUERIES = 1000
MIN_QUERIES = 100  # fewer papers with a title: too few to place a low percentile; the default
# Share of pseudo-queries (in %) left below the threshold. Real questions have a longer low tail
# than titles (on SciFact the titles' 1.5th percentile flags 4.4% of its judged queries, the
# 2nd already 5.2%), so the threshold sits at 1.5 to flag at most about 5% of real ones.
PERCENTILE = 1.5
NONSENSE = 120  # nonsense strings searched to report the threshold's effect on them
NONSENSE_SEED = 1  # (bench/match_cue.py draws its own with another seed)


def calibrate(
    dense: DenseIndex,
    paper_of: Callable[[int], Paper],
    rows: Sequence[int],
    encoder: Encoder,
    at: str,
) -> CueThreshold:
    """The threshold for the papers at `rows` (the live ones) of `dense`, decided `at` (ISO)."""
    queries = pseudo_queries(paper_of, rows, MAX_QUERIES)
    if len(queries) < MIN_QUERIES:
        reason = f"{len(queries)} papers with a title, fewer than {MIN_QUERIES}"
        logger.info("match cue: the default threshold (%s)", reason)
        return CueThreshold.default(len(rows), reason, at)
    real = pseudo_query_standouts(dense, queries, encoder)
    threshold = round(float(np.percentile(real, PERCENTILE, method="lower")), 4)
    noise = nonsense_standouts(dense, nonsense(NONSENSE, NONSENSE_SEED), encoder)
    cue = CueThreshold(
        threshold=threshold,
        method="pseudo-queries",
        documents=len(rows),
        calibrated_at=at,
        queries=len(real),
        percentile=PERCENTILE,
        queries_flagged=_share_below(real, threshold),
        nonsense=len(noise),
        nonsense_flagged=_share_below(noise, threshold),
    )
    logger.info("match cue: threshold %.4f from %d pseudo-queries (%.0f%% of nonsense below)",
                cue.threshold, cue.queries, 100 * (cue.nonsense_flagged or 0))  # fmt: skip
    return cue


def pseudo_query_standouts(
    dense: DenseIndex, queries: Sequence[PseudoQuery], encoder: Encoder
) -> list[float]:
    """Each pseudo-query's standout, its own paper left out of the running for best."""
    vectors = encoder.encode_documents([query.text for query in queries])
    values = []
    for query, vector in zip(queries, vectors, strict=True):
        found = dense.top(vector, 2)
        keep = found.rows != query.row
        best = found.scores[keep][:1]
        if len(best) and found.mean is not None:
            values.append(float(best[0]) - found.mean)
    return values


def nonsense_standouts(dense: DenseIndex, texts: Sequence[str], encoder: Encoder) -> list[float]:
    vectors = encoder.encode_documents(list(texts))
    values = [standout(dense.top(vector, 1)) for vector in vectors]
    return [value for value in values if value is not None]


def _share_below(values: Sequence[float], threshold: float) -> float:
    return round(sum(value < threshold for value in values) / len(values), 4) if values else 0.0
