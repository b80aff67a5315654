"""Pydantic models of the HTTP edge: request bodies and responses."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from papersift.index.papers import limits
from papersift.index.papers.dates import iso_date
from papersift.index.papers.paper import MAX_ID_LENGTH, id_problem, safe_url
from papersift.search.backends.interface import BackendName
from papersift.search.hits import Hit, SearchResult
from papersift.search.requests import RRF_K, Fusion, Mode, Sort


def valid_id(value: str) -> str:
    """A paper id as given, or a ValueError saying why it cannot be one (never rewritten)."""
    problem = id_problem(value)
    if problem is not None:
        raise ValueError(f"not a usable paper id: {problem}")
    return value


def http_url(value: str | None) -> str | None:
    if value is not None and safe_url(value) != value:
        raise ValueError("must be an absolute http or https URL")
    return value


def a_date(value: str | None) -> str | None:
    if value is not None and iso_date(value) is None:
        raise ValueError("must be a date like 2025-03-14 (or 2025-03, or 2025)")
    return value


PaperId = Annotated[str, AfterValidator(valid_id)]


class SearchBody(BaseModel):
    """POST /api/search: the same fields as the GET query string."""

    model_config = ConfigDict(allow_inf_nan=False)
    q: str = Field(min_length=1, description="The query.")
    limit: int = Field(default=10, ge=1, description="Hits per page.")
    offset: int = Field(default=0, ge=0, le=100_000, description="Hits to skip.")
    mode: Mode = Mode.hybrid
    fusion: Fusion = Field(
        default=Fusion.zscore, description="zscore (corpus-standardised scores), rrf or convex."
    )
    rrf_k: float = Field(default=RRF_K, gt=0, le=10_000)
    lexical_weight: float = Field(default=1.0, ge=0, le=100)
    dense_weight: float = Field(default=1.0, ge=0, le=100)
    alpha: float | None = Field(
        default=None, ge=0, le=1, description="Lexical share: weights become (alpha, 1 - alpha)."
    )
    year_from: int | None = Field(default=None, ge=0, le=3000)
    year_to: int | None = Field(default=None, ge=0, le=3000)
    category: list[str] = Field(default_factory=list, max_length=50)
    author: str | None = Field(default=None, max_length=200)
    sort: Sort = Field(default=Sort.relevance, description="relevance, or newest first.")
    facets: bool = Field(default=False, description="Count the results' categories.")
    explain: bool = False


class BatchBody(BaseModel):
    queries: list[SearchBody] = Field(min_length=1)


class LegOut(BaseModel):
    rank: int
    score: float


class ExplainOut(BaseModel):
    lexical: LegOut | None
    dense: LegOut | None
    fused_score: float
    matched_terms: list[str]


class SnippetOut(BaseModel):
    text: str = Field(description="Plain text (escape it before putting it in HTML).")
    highlights: list[tuple[int, int]] = Field(description="[start, end) offsets of matches.")


class PaperOut(BaseModel):
    """A paper as stored. Dates are ISO 8601 at the precision known (2025-03-14, or 2025-03)."""

    id: str
    title: str
    abstract: str
    authors: list[str]
    categories: list[str]
    year: int | None
    url: str | None
    published: str | None = Field(default=None, description="When its first version appeared.")
    updated: str | None = Field(default=None, description="When it last changed.")
    doi: str | None = None
    journal_ref: str | None = None
    comments: str | None = None
    license: str | None = None


class HitOut(BaseModel):
    id: str
    rank: int
    score: float
    title: str
    authors: list[str]
    year: int | None
    categories: list[str]
    url: str | None
    published: str | None = Field(default=None, description="When its first version appeared.")
    snippet: SnippetOut | None
    explain: ExplainOut | None = None

    @classmethod
    def of(cls, hit: Hit, explain: bool = False) -> HitOut:
        paper = hit.paper
        snippet = hit.snippet
        return cls(
            id=paper.id,
            rank=hit.rank,
            score=hit.score,
            title=paper.title,
            authors=list(paper.authors),
            year=paper.year,
            categories=list(paper.categories),
            url=paper.url,
            published=paper.published,
            snippet=SnippetOut(text=snippet.text, highlights=list(snippet.highlights))
            if snippet
            else None,
            explain=_explain(hit) if explain else None,
        )


def _explain(hit: Hit) -> ExplainOut:
    def leg(value: object) -> LegOut | None:
        return LegOut.model_validate(value, from_attributes=True) if value else None

    return ExplainOut(
        lexical=leg(hit.lexical),
        dense=leg(hit.dense),
        fused_score=hit.score,
        matched_terms=list(hit.matched_terms),
    )


class SearchResponse(BaseModel):
    query: str
    mode: Mode
    total: int = Field(
        description="Results this query can page through: the candidates both legs proposed, "
        "fused (the same on every page of one query)."
    )
    limit: int
    offset: int
    took_ms: float
    weak: bool = Field(
        description="Nothing stands out: the best papers are barely closer to the query's "
        "meaning than the corpus is on average (nonsense, or a topic the corpus lacks)."
    )
    standout: float | None = Field(
        description="The best paper's cosine less the corpus's mean cosine with the query "
        "(null in lexical mode); `weak` is this below the index's threshold (GET /api/stats "
        "`cue_threshold`)."
    )
    facets: list[FacetOut] = Field(
        default_factory=list, description="With facets=true: categories of the results, by count."
    )
    hits: list[HitOut]

    @classmethod
    def of(cls, result: SearchResult, explain: bool = False) -> SearchResponse:
        request = result.request
        return cls(
            query=request.query,
            mode=request.mode,
            total=result.total,
            limit=request.limit,
            offset=request.offset,
            took_ms=round(result.took_ms, 3),
            weak=result.weak,
            standout=None if result.standout is None else round(result.standout, 4),
            facets=[FacetOut(category=name, count=count) for name, count in result.facets],
            hits=[HitOut.of(hit, explain) for hit in result.hits],
        )


class FacetOut(BaseModel):
    category: str
    count: int


class ListingResponse(BaseModel):
    """GET /api/papers: papers newest first."""

    total: int
    limit: int
    offset: int
    first_date: str | None = Field(description="The oldest date in the index (YYYY-MM-DD).")
    last_date: str | None = Field(description="The newest date in the index.")
    papers: list[PaperOut]


class BatchResponse(BaseModel):
    results: list[SearchResponse]


class SimilarResponse(BaseModel):
    id: str
    hits: list[HitOut]


class SyncOut(BaseModel):
    """How the last arXiv sync went."""

    started_at: str
    ended_at: str | None = Field(description="None while it runs (or if it was killed).")
    endpoint: str
    error: str | None = Field(default=None, description="Why it stopped early (None: it finished).")
    report: dict[str, int | float | dict[str, int]] = Field(
        default_factory=dict,
        description="added, replaced, deleted, unchanged, records, pages, skipped (by reason), "
        "cut and dropped (fields over their limits, by field), seconds",
    )


class StatsResponse(BaseModel):
    backend: BackendName = Field(description="local (index folder) or milvus (a collection).")
    documents: int
    pending_changes: int = Field(description="Rows changed since the files were last compacted.")
    model: str
    dimension: int
    dense_index: str
    format_version: int
    package_version: str
    built_at: str
    index_folder: str
    index_bytes: dict[str, int]
    log_damage: list[str] = Field(
        description="Bad update-log lines found or set aside (empty when all is well)."
    )
    cue_threshold: float | None = Field(
        description="The standout below which a search is `weak`: the index's own, calibrated "
        "on its corpus, or the cue_threshold setting (null: no match cue, as on Milvus)."
    )
    sync: SyncOut | None = Field(default=None, description="The last arXiv sync (None: never).")


class ErrorDetail(BaseModel):
    status: int
    message: str
    field: str | None = None


class ErrorResponse(BaseModel):
    error: ErrorDetail


class PaperIn(BaseModel):
    """A paper to add or replace. Authors and categories: a list, or one comma/space string.
    Over a field's limit (the same limits as `build`'s, `index/papers/limits.py`) is 422."""

    id: PaperId | None = Field(
        default=None, min_length=1, max_length=MAX_ID_LENGTH, description="Required in a batch."
    )
    title: str = Field(default="", max_length=limits.TITLE.most)
    abstract: str = Field(default="", max_length=limits.ABSTRACT.most)
    authors: list[str] | str = Field(
        default_factory=list,
        description=f"At most {limits.AUTHORS.most:,} names of {limits.AUTHOR.most} characters.",
    )
    categories: list[str] | str = Field(
        default_factory=list,
        description=f"At most {limits.CATEGORIES.most} of {limits.CATEGORY.most} characters.",
    )
    year: int | None = Field(default=None, ge=0, le=3000)
    url: Annotated[str | None, AfterValidator(http_url)] = Field(
        default=None, max_length=limits.URL.most, description="An http or https URL."
    )
    published: Annotated[str | None, AfterValidator(a_date)] = Field(
        default=None, max_length=40, description="When its first version appeared (ISO date)."
    )
    updated: Annotated[str | None, AfterValidator(a_date)] = Field(
        default=None, max_length=40, description="When it last changed (ISO date)."
    )
    doi: str | None = Field(default=None, max_length=limits.DOI.most)
    journal_ref: str | None = Field(default=None, max_length=limits.JOURNAL_REF.most)
    comments: str | None = Field(default=None, max_length=limits.COMMENTS.most)
    license: str | None = Field(default=None, max_length=limits.LICENSE.most)


class UpsertBody(BaseModel):
    papers: list[PaperIn] = Field(min_length=1)


class ChangeOut(BaseModel):
    """What a write did. `sequence` numbers acknowledged changes; they are durable on disk."""

    sequence: int
    upserted: list[str]
    replaced: list[str]
    deleted: list[str]
    documents: int = Field(description="Papers searchable after the change.")
    compacted: bool = Field(description="Whether this change triggered a compaction.")
