"""The JSON API. Parameters are validated by their types; FastAPI answers 422 itself.

No `from __future__ import annotations` here: the endpoints are closures whose annotations name
limits from the settings, which FastAPI must be able to evaluate.
"""

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi import Path as PathParam
from pydantic import BaseModel
from starlette.convertors import PathConvertor, register_url_convertor

from papersift.api.http.engine import Engine
from papersift.api.http.schemas import (
    BatchBody,
    BatchResponse,
    ErrorResponse,
    HitOut,
    ListingResponse,
    PaperId,
    PaperOut,
    SearchBody,
    SearchResponse,
    SimilarResponse,
    StatsResponse,
)
from papersift.api.settings import Settings
from papersift.search.backends.interface import Reader
from papersift.search.errors import PaperNotFoundError, QueryError
from papersift.search.requests import RRF_K, Filters, Fusion, Mode, SearchRequest, Sort

ERRORS = {code: {"model": ErrorResponse} for code in (404, 422, 503)}


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_reader(request: Request) -> Reader:
    return get_engine(request).reader


ReaderDep = Annotated[Reader, Depends(get_reader)]
EngineDep = Annotated[Engine, Depends(get_engine)]
# A paper's id in a path: old-style arXiv ids hold a slash (hep-th/9901001), so it may too.
IdPath = Annotated[PaperId, PathParam(alias="id", description="The paper's id.")]


class AnyPathConvertor(PathConvertor):
    """Starlette's `path`, but matching newlines too: an id with a control character in it
    reaches its route and is refused by name (422), not taken for an unknown route (404)."""

    regex = "(?s:.*)"


register_url_convertor("anything", AnyPathConvertor())


def build_router(settings: Settings) -> APIRouter:
    router = APIRouter(responses=ERRORS)  # type: ignore[arg-type]
    Q = Annotated[str, Query(min_length=1, max_length=settings.max_query_length)]
    Limit = Annotated[int, Query(ge=1, le=settings.max_limit)]

    @router.get("/api/search", response_model=SearchResponse, tags=["search"])
    def search_get(
        reader: ReaderDep,
        q: Q,
        limit: Limit = 10,
        offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
        mode: Mode = Mode.hybrid,
        fusion: Fusion = Fusion.zscore,
        rrf_k: Annotated[float, Query(gt=0, le=10_000)] = RRF_K,
        lexical_weight: Annotated[float, Query(ge=0, le=100)] = 1.0,
        dense_weight: Annotated[float, Query(ge=0, le=100)] = 1.0,
        alpha: Annotated[float | None, Query(ge=0, le=1)] = None,
        year_from: Annotated[int | None, Query(ge=0, le=3000)] = None,
        year_to: Annotated[int | None, Query(ge=0, le=3000)] = None,
        category: Annotated[list[str] | None, Query(max_length=50)] = None,
        author: Annotated[str | None, Query(max_length=200)] = None,
        sort: Sort = Sort.relevance,
        facets: bool = False,
        explain: bool = False,
    ) -> Response:
        """Search abstracts (hybrid, lexical or dense), with filters applied before ranking."""
        body = SearchBody(
            q=q, limit=limit, offset=offset, mode=mode, fusion=fusion, rrf_k=rrf_k,
            lexical_weight=lexical_weight, dense_weight=dense_weight, alpha=alpha,
            year_from=year_from, year_to=year_to, category=category or [], author=author,
            sort=sort, facets=facets, explain=explain,
        )  # fmt: skip
        return as_json(run_search(reader, body, settings))

    @router.post("/api/search", response_model=SearchResponse, tags=["search"])
    def search_post(reader: ReaderDep, body: SearchBody) -> Response:
        """The same search, with the parameters as a JSON body."""
        return as_json(run_search(reader, body, settings))

    @router.post("/api/search/batch", response_model=BatchResponse, tags=["search"])
    def search_batch(reader: ReaderDep, body: BatchBody) -> Response:
        """Up to `max_batch` searches in one request, answered in order."""
        if len(body.queries) > settings.max_batch:
            raise QueryError("queries", f"at most {settings.max_batch} queries per batch")
        results = [run_search(reader, q, settings) for q in body.queries]
        return as_json(BatchResponse(results=results))

    @router.get("/api/papers", response_model=ListingResponse, tags=["papers"])
    def newest(
        reader: ReaderDep,
        limit: Limit = 20,
        offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
        year_from: Annotated[int | None, Query(ge=0, le=3000)] = None,
        year_to: Annotated[int | None, Query(ge=0, le=3000)] = None,
        category: Annotated[list[str] | None, Query(max_length=50)] = None,
        author: Annotated[str | None, Query(max_length=200)] = None,
    ) -> ListingResponse:
        """Papers newest first (by first-version date), optionally filtered."""
        filters = Filters(year_from, year_to, tuple(category or ()), author or None)
        listing = reader.newest(filters, limit, offset)
        papers = [PaperOut(**paper.to_record()) for paper in listing.papers]
        return ListingResponse(total=listing.total, limit=limit, offset=offset,
                               first_date=listing.first_date, last_date=listing.last_date,
                               papers=papers)  # fmt: skip

    @router.get("/api/papers/{id:anything}/similar", response_model=SimilarResponse,
                tags=["papers"])  # fmt: skip
    def similar(reader: ReaderDep, paper_id: IdPath, limit: Limit = 10) -> SimilarResponse:
        """Nearest abstracts by embedding, the paper itself excluded."""
        hits = reader.similar(paper_id, limit)
        return SimilarResponse(id=paper_id, hits=[HitOut.of(hit) for hit in hits])

    @router.get("/api/papers/{id:anything}", response_model=PaperOut, tags=["papers"])
    def paper(reader: ReaderDep, paper_id: IdPath) -> PaperOut:
        """One paper by its id."""
        found = reader.paper(paper_id)
        if found is None:
            raise PaperNotFoundError(paper_id)
        record = found.to_record()
        return PaperOut(**record)

    @router.get("/api/stats", response_model=StatsResponse, tags=["service"])
    def stats(reader: ReaderDep, engine: EngineDep) -> StatsResponse:
        """What is being served: backend, size, model, format, build time, bytes per part, and
        how the last sync went."""
        return StatsResponse.model_validate({**asdict(reader.stats()), "sync": engine.last_sync()})

    return router


def as_json(model: BaseModel) -> Response:
    """`model` as JSON, already validated: FastAPI would otherwise validate it again against
    the route's `response_model` (which still documents it) in a second worker-thread hop."""
    return Response(model.model_dump_json(), media_type="application/json")


def run_search(reader: Reader, body: SearchBody, settings: Settings) -> SearchResponse:
    if body.limit > settings.max_limit:
        raise QueryError("limit", f"must be at most {settings.max_limit}")
    if len(body.q) > settings.max_query_length:
        raise QueryError("q", f"at most {settings.max_query_length} characters")
    return SearchResponse.of(reader.search(to_request(body)), body.explain)


def to_request(body: SearchBody) -> SearchRequest:
    filters = Filters(
        year_from=body.year_from,
        year_to=body.year_to,
        categories=tuple(body.category),
        author=body.author.strip() or None if body.author else None,
    )
    return SearchRequest(
        query=body.q,
        mode=body.mode,
        limit=body.limit,
        offset=body.offset,
        fusion=body.fusion,
        rrf_k=body.rrf_k,
        lexical_weight=body.lexical_weight,
        dense_weight=body.dense_weight,
        alpha=body.alpha,
        filters=filters,
        sort=body.sort,
        facets=body.facets,
    )
