"""Typed results of a search, shared by the CLI and the API."""

from __future__ import annotations

from dataclasses import dataclass

from papersift.index.papers.paper import Paper
from papersift.search.requests import SearchRequest
from papersift.search.snippets import Snippet


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

    @property
    def id(self) -> str:
        """The paper's id."""
        return self.paper.id

    @property
    def title(self) -> str:
        return self.paper.title


@dataclass(frozen=True, slots=True)
class SearchResult:
    request: SearchRequest
    hits: tuple[Hit, ...]
    total: int
    took_ms: float
    query_terms: tuple[str, ...] = ()
    # How each leg's scores for this query spread over the whole corpus, in a z-score hybrid:
    # (lexical mean, lexical std, dense mean, dense std). None where unknown.
    spread: tuple[float, float, float, float] | None = None
    # How far the best paper's meaning stands out of the corpus (its cosine less the mean), and
    # whether that is too little to call it a match (see `search/cue.py`). None: no dense leg.
    standout: float | None = None
    weak: bool = False
    facets: tuple[tuple[str, int], ...] = ()  # categories of the retrieved papers, by count
    threshold: float | None = None  # the standout below which `weak` (None: no cue here)


@dataclass(frozen=True, slots=True)
class Listing:
    """A page of papers newest first, and how many there are in all."""

    papers: tuple[Paper, ...]
    total: int
    first_date: str | None  # the oldest and newest dates in the index (YYYY-MM-DD; day or
    last_date: str | None  # month may be 00 where unknown)
