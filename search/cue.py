"""The match cue: whether a query's best papers stand out of the corpus at all.

The measure is the standout (`papersift.index.cue.standout`): the dense leg's best cosine less
the corpus's mean cosine with the query. A query is weak when it is below the threshold in
force: the `cue_threshold` setting where one is given, else the index's own (calibrated on its
corpus at build, kept in its manifest: `papersift.index.cue.calibration`), else, for an index
built before indexes calibrated one, the fixed DEFAULT_THRESHOLD. Weak, the page says "No strong
matches; the closest papers:", the API and the CLI's JSON answer `weak: true`, the CLI prints a
line saying so, and the Python API's hits say `.weak`. docs/quality.md has the error rates.
"""

from __future__ import annotations

from papersift.index.cue.standout import standout
from papersift.index.cue.threshold import DEFAULT_THRESHOLD, CueThreshold

__all__ = ["DEFAULT_THRESHOLD", "is_weak", "standout", "threshold_in_force"]


def threshold_in_force(calibrated: CueThreshold | None, fixed: float | None = None) -> float:
    """The threshold a search compares its standout with: `fixed` (a setting) over the index's
    own, over the default."""
    if fixed is not None:
        return fixed
    return DEFAULT_THRESHOLD if calibrated is None else calibrated.threshold


def is_weak(margin: float | None, threshold: float) -> bool:
    return margin is not None and margin < threshold
