"""One JSON error shape for every failure: {"error": {"status", "message", "field"}}."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.engine import NotReadyError
from api.writes import WriteDeniedError
from index.errors import IndexBusyError, IndexWriteError
from search.errors import PaperNotFoundError, QueryError

logger = logging.getLogger(__name__)


def error_response(status: int, message: str, field: str | None = None) -> JSONResponse:
    body = {"error": {"status": status, "message": message, "field": field}}
    headers = {503: {"Retry-After": "5"}, 401: {"WWW-Authenticate": "Bearer"}}.get(status)
    return JSONResponse(body, status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        first = error.errors()[0] if error.errors() else {}
        location = [str(part) for part in first.get("loc", ()) if part not in ("query", "body")]
        field = ".".join(location) or None
        message = str(first.get("msg", "invalid request"))
        return error_response(422, f"{field}: {message}" if field else message, field)

    @app.exception_handler(QueryError)
    async def bad_query(request: Request, error: QueryError) -> JSONResponse:
        return error_response(422, str(error), error.field)

    @app.exception_handler(PaperNotFoundError)
    async def unknown_paper(request: Request, error: PaperNotFoundError) -> JSONResponse:
        return error_response(404, str(error), "id")

    @app.exception_handler(NotReadyError)
    async def not_ready(request: Request, error: NotReadyError) -> JSONResponse:
        return error_response(503, str(error))

    @app.exception_handler(WriteDeniedError)
    async def write_denied(request: Request, error: WriteDeniedError) -> JSONResponse:
        return error_response(error.status, str(error))

    @app.exception_handler(IndexWriteError)
    @app.exception_handler(IndexBusyError)
    async def write_failed(request: Request, error: Exception) -> JSONResponse:
        logger.error("write failed: %s", error)
        return error_response(503, str(error))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        return error_response(error.status_code, str(error.detail))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        logger.exception("unexpected error on %s", request.url.path)
        return error_response(500, "internal error; the server log has the details")
