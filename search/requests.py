"""What a search asks for: the mode, the fusion, paging and filters, checked in one place, and how
deep each leg goes for it (the same for every backend)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum

from papersift.search.errors import QueryError


class Mode(StrEnum):
    """Which retrieval answers: both legs fused, BM25 alone, or embeddings alone."""

    hybrid = "hybrid"
    lexical = "lexical"
    dense = "dense"


class Fusion(StrEnum):
    """How a hybrid search fuses its legs: z-scores against the corpus (default), reciprocal
    ranks, or min-max normalised scores."""

    zscore = "zscore"
    rrf = "rrf"
    convex = "convex"


class Sort(StrEnum):
    """The order of results: fused relevance (default), or the newest first among the papers
    the query retrieved."""

    relevance = "relevance"
    newest = "newest"


RRF_K = 60.0  # reciprocal rank fusion's constant, as in Cormack, Clarke & Buettcher (2009)
# Rank-based fusion (rrf, convex) fuses each leg's top 1,000, so a paper deep in one leg can
# still rise. Fixed (not derived from the page) so that every page of one query is cut from the
# same fused ranking and reports the same total; 1,000 is 10x the API's largest limit.
CANDIDATE_DEPTH = 1000
# Z-score fusion scores every candidate exactly on both legs, so there the legs only propose
# candidates: the lexical top 200 and the dense top 100 give the same nDCG@10 and Recall@100
# as both top 1,000s on SciFact (train and test) and Cranfield, and every candidate costs fusion
# a stored vector read (random memory) or a BM25 lookup. A leg searched alone gives the same
# order at any depth, so there these depths only bound its `total` (how far it pages).
LEXICAL_PROPOSALS = 200
DENSE_PROPOSALS = 100


@dataclass(frozen=True, slots=True)
class Filters:
    """Restrict results before ranking is cut off. Empty filters keep every paper."""

    year_from: int | None = None
    year_to: int | None = None
    categories: tuple[str, ...] = ()
    author: str | None = None

    @property
    def active(self) -> bool:
        return any((self.year_from, self.year_to, self.categories, self.author))


@dataclass(frozen=True, slots=True)
class SearchRequest:
    query: str
    mode: Mode = Mode.hybrid
    limit: int = 10
    offset: int = 0
    fusion: Fusion = Fusion.zscore
    rrf_k: float = RRF_K
    lexical_weight: float = 1.0
    dense_weight: float = 1.0
    alpha: float | None = None  # when set, the legs' weights become (alpha, 1 - alpha)
    filters: Filters = field(default_factory=Filters)
    sort: Sort = Sort.relevance
    facets: bool = False  # count the retrieved papers' categories

    @property
    def weights(self) -> tuple[float, float]:
        """The (lexical, dense) weights of fusion: (alpha, 1 - alpha) when alpha is set."""
        if self.alpha is not None:
            return (self.alpha, 1.0 - self.alpha)
        return (self.lexical_weight, self.dense_weight)

    @property
    def z_score_hybrid(self) -> bool:
        return self.mode == Mode.hybrid and self.fusion == Fusion.zscore


def validate(request: SearchRequest) -> None:
    """Raise `QueryError` naming the field of the first thing wrong with `request`."""
    if not request.query.strip():
        raise QueryError("q", "the query is empty")
    _check_choice("mode", request.mode, Mode)
    _check_choice("fusion", request.fusion, Fusion)
    _check_choice("sort", request.sort, Sort)
    if request.limit < 1:
        raise QueryError("limit", "must be at least 1")
    if request.offset < 0:
        raise QueryError("offset", "must be 0 or more")
    if not request.rrf_k > 0:
        raise QueryError("rrf_k", "must be positive")
    weights = (request.lexical_weight, request.dense_weight)
    if not all(math.isfinite(weight) and weight >= 0 for weight in weights):
        raise QueryError("lexical_weight", "leg weights must be finite numbers, 0 or more")
    if request.alpha is None and sum(weights) == 0:
        raise QueryError("lexical_weight", "at least one leg weight must be more than 0")
    if request.alpha is not None and not 0.0 <= request.alpha <= 1.0:
        raise QueryError("alpha", "must be between 0 and 1")
    filters = request.filters
    if filters.year_from and filters.year_to and filters.year_from > filters.year_to:
        raise QueryError("year_from", "year_from is after year_to")


def _check_choice(field: str, value: str, choices: type[StrEnum]) -> None:
    if value not in set(choices):
        names = ", ".join(choices)
        raise QueryError(field, f"unknown {field} {value!r} (one of {names})")


def leg_depths(request: SearchRequest) -> tuple[int, int]:
    """How many candidates the lexical and the dense leg return. Never derived from the offset:
    every page of one query is cut from the same candidates, so all report one `total`."""
    if request.mode == Mode.hybrid and not request.z_score_hybrid:
        depth = max(CANDIDATE_DEPTH, request.limit)
        return depth, depth
    return max(LEXICAL_PROPOSALS, request.limit), max(DENSE_PROPOSALS, request.limit)
