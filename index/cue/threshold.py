"""The match cue's threshold an index keeps in its manifest (the `cue` block), and the fixed
one used where it has none."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

# Where an index has no threshold of its own (too few papers to calibrate, or built before
# indexes calibrated one): the threshold chosen on SciFact and Cranfield's judged queries.
DEFAULT_THRESHOLD = 0.32


@dataclass(frozen=True, slots=True)
class CueThreshold:
    """How far above the corpus's mean cosine a query's best paper must stand to be a match, and
    how that was decided: `method` is `pseudo-queries` (calibrated on the corpus's own titles)
    or `default` (DEFAULT_THRESHOLD, with `reason`)."""

    threshold: float
    method: str
    documents: int  # papers in the index when it was decided
    calibrated_at: str
    queries: int = 0  # pseudo-queries searched
    percentile: float = 0.0  # of their standouts, where the threshold sits
    queries_flagged: float = 0.0  # share of the pseudo-queries below the threshold
    nonsense: int = 0  # nonsense strings searched
    nonsense_flagged: float | None = None  # share of them below the threshold
    reason: str | None = None  # why the default

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CueThreshold:
        return cls(**data)

    @classmethod
    def default(cls, documents: int, reason: str, at: str) -> CueThreshold:
        return cls(DEFAULT_THRESHOLD, "default", documents, at, reason=reason)
