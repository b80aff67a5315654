"""Typed results of a search, shared by the CLI and the API."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from papersift.index.papers.paper import Paper
from papersift.search.snippets import Snippet

Mode = Literal["hybrid", "lexical", "dense"]
FusionMethod = Literal["zscore", "rrf", "convex"]
MODES: tuple[Mode, ...] = ("hybrid", "lexical", "dense")
FUSION_METHODS: tuple[FusionMethod, ...] = ("zscore", "rrf", "convex")


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
    mode: Mode = "hybrid"
    limit: int = 10
    offset: int = 0
    fusion: FusionMethod = "zscore"
    rrf_k: float = 60.0
    lexical_weight: float = 1.0
    dense_weight: float = 1.0
    alpha: float | None = None  # when set, the legs' weights become (alpha, 1 - alpha)
    filters: Filters = field(default_factory=Filters)

    @property
    def weights(self) -> tuple[float, float]:
        """The (lexical, dense) weights of fusion: (alpha, 1 - alpha) when alpha is set."""
        if self.alpha is not None:
            return (self.alpha, 1.0 - self.alpha)
        return (self.lexical_weight, self.dense_weight)


@dataclass(frozen=True, slots=True)
class LegScore:
    """Where one leg (lexical or dense) placed a hit: 1-based rank and raw score."""

    rank: int
    score: float


@dataclass(frozen=True, slots=True)
class Hit:
    paper: Paper
    row: int
    rank: int
    score: float
    lexical: LegScore | None = None
    dense: LegScore | None = None
    matched_terms: tuple[str, ...] = ()
    snippet: Snippet | None = None


@dataclass(frozen=True, slots=True)
class SearchResult:
    request: SearchRequest
    hits: tuple[Hit, ...]
    total: int
    took_ms: float
    query_terms: tuple[str, ...] = ()
