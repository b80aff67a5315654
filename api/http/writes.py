"""Write endpoints: add, replace and delete papers in the live index, behind a bearer token.

No `from __future__ import annotations` here, for the same reason as in `routes.py`.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header

from papersift.api.http.guard import token_problem
from papersift.api.http.routes import EngineDep, IdPath
from papersift.api.http.schemas import ChangeOut, ErrorResponse, PaperIn, UpsertBody
from papersift.api.settings import Settings
from papersift.index.papers.paper import Paper
from papersift.index.papers.records import RecordError, read_paper
from papersift.index.storage.live import ChangeReport
from papersift.search.backends.interface import Writer
from papersift.search.errors import PaperNotFoundError, QueryError

ERRORS = {code: {"model": ErrorResponse} for code in (401, 403, 404, 422, 503)}


class WriteDeniedError(Exception):
    """401 (no or wrong token) or 403 (writes disabled)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def build_write_router(settings: Settings) -> APIRouter:
    router = APIRouter(responses=ERRORS, tags=["papers"])  # type: ignore[arg-type]

    def writable(
        engine: EngineDep, authorization: Annotated[str | None, Header()] = None
    ) -> Writer:
        check_token(settings, authorization)
        writer = engine.writer
        if writer is None:
            raise WriteDeniedError(403, "this server serves a read-only index")
        return writer

    WriterDep = Annotated[Writer, Depends(writable)]

    @router.put("/api/papers/{id:anything}", response_model=ChangeOut)
    def put_paper(
        writer: WriterDep, engine: EngineDep, paper_id: IdPath, body: PaperIn
    ) -> ChangeOut:
        """Add the paper, or replace the one with this id. Durable once answered."""
        if body.id is not None and body.id != paper_id:
            raise QueryError("id", f"the body's id {body.id!r} differs from the path's")
        paper = to_paper(body.model_copy(update={"id": paper_id}), "body")
        return change_out(writer.upsert([paper], engine.document_encoder))

    @router.post("/api/papers", response_model=ChangeOut)
    def post_papers(writer: WriterDep, engine: EngineDep, body: UpsertBody) -> ChangeOut:
        """Add or replace up to `max_upsert` papers at once (each needs an id); all or none."""
        if len(body.papers) > settings.max_upsert:
            raise QueryError("papers", f"at most {settings.max_upsert} papers per request")
        papers = [to_paper(paper, f"papers.{i}") for i, paper in enumerate(body.papers)]
        return change_out(writer.upsert(papers, engine.document_encoder))

    @router.delete("/api/papers/{id:anything}", response_model=ChangeOut)
    def delete_paper(writer: WriterDep, paper_id: IdPath) -> ChangeOut:
        """Delete the paper; it is never returned again, in any mode."""
        report = writer.delete([paper_id])
        if report.missing:
            raise PaperNotFoundError(paper_id)
        return change_out(report)

    return router


def check_token(settings: Settings, authorization: str | None) -> None:
    """The same check `RequestGuard` makes before the body is read (kept here too, so a route
    mounted without the guard is never open)."""
    denied = token_problem(settings.token, authorization)
    if denied is not None:
        raise WriteDeniedError(denied.status, denied.message)


def to_paper(body: PaperIn, field: str) -> Paper:
    """The body as a paper; 422 for what a paper cannot be, and for a field over its limit that
    the schema could not see (a name inside one `authors` string)."""
    if body.id is None:
        raise QueryError(f"{field}.id", "every paper needs an id")
    record: dict[str, Any] = body.model_dump()
    try:
        limited = read_paper(record)
    except RecordError as error:
        raise QueryError(field, str(error)) from error
    over = [*limited.cut, *limited.dropped]
    if over:
        where = over[0].field if field == "body" else f"{field}.{over[0].field}"
        raise QueryError(where, over[0].rule)
    return limited.paper


def change_out(report: ChangeReport) -> ChangeOut:
    return ChangeOut(
        sequence=report.sequence,
        upserted=list(report.upserted),
        replaced=list(report.replaced),
        deleted=list(report.deleted),
        documents=report.documents,
        compacted=report.compacted,
    )
