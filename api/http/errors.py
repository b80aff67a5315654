"""One JSON error shape for every failure: {"error": {"status", "message", "field"}}."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from papersift.api.http.engine import NotReadyError
from papersift.api.http.pages import error_page, is_page
from papersift.api.http.subscriptions import SubscriptionNotFoundError
from papersift.api.http.writes import WriteDeniedError
from papersift.index.errors import IndexBusyError, IndexWriteError
from papersift.search.errors import (
    BackendUnavailableError,
    PaperNotFoundError,
    QueryError,
    StoreUnavailableError,
)

logger = logging.getLogger(__name__)


def error_response(status: int, message: str, field: str | None = None) -> JSONResponse:
    body = {"error": {"status": status, "message": message, "field": field}}
    headers = {503: {"Retry-After": "5"}, 401: {"WWW-Authenticate": "Bearer"}}.get(status)
    return JSONResponse(body, status_code=status, headers=headers)


PAGE_MESSAGES = {404: "There is no page at this address.",
                 405: "This address does not take that kind of request."}  # fmt: skip
# Messages said in our words where pydantic's would confuse.
MESSAGES = {"finite_number": "must be a finite number"}


def describe(errors: Sequence[Any]) -> tuple[str | None, str]:
    """The field the first of pydantic's validation errors is about (None for the body as a
    whole) and what is wrong."""
    first = errors[0] if errors else {}
    if first.get("type") == "json_invalid":  # loc is ("body", 0-based character offset)
        offset = first.get("loc", ("body", "?"))[-1]
        where = f" at character {offset + 1}" if isinstance(offset, int) else ""
        reason = first.get("ctx", {}).get("error", "JSON decode error")
        return None, f"the body is not valid JSON: {reason}{where}"
    location = [str(part) for part in first.get("loc", ()) if part not in ("query", "body", "path")]
    message = MESSAGES.get(first.get("type", ""), str(first.get("msg", "invalid request")))
    return ".".join(location) or None, message


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> Response:
        field, message = describe(error.errors())
        text = f"{field}: {message}" if field else message
        if is_page(request.url.path):
            return error_page(request, 422, text)
        return error_response(422, text, field)

    @app.exception_handler(QueryError)
    async def bad_query(request: Request, error: QueryError) -> JSONResponse:
        return error_response(422, str(error), error.field)

    @app.exception_handler(PaperNotFoundError)
    async def unknown_paper(request: Request, error: PaperNotFoundError) -> JSONResponse:
        return error_response(404, str(error), "id")

    @app.exception_handler(SubscriptionNotFoundError)
    async def unknown_subscription(
        request: Request, error: SubscriptionNotFoundError
    ) -> JSONResponse:
        return error_response(404, "no such subscription", "id")

    @app.exception_handler(NotReadyError)
    async def not_ready(request: Request, error: NotReadyError) -> JSONResponse:
        return error_response(503, str(error))

    @app.exception_handler(WriteDeniedError)
    async def write_denied(request: Request, error: WriteDeniedError) -> JSONResponse:
        return error_response(error.status, str(error))

    @app.exception_handler(BackendUnavailableError)
    async def backend_unavailable(request: Request, error: BackendUnavailableError) -> JSONResponse:
        logger.error("backend failed: %s", error)
        return error_response(503, str(error))

    @app.exception_handler(StoreUnavailableError)
    async def store_failed(request: Request, error: StoreUnavailableError) -> Response:
        logger.error("subscriptions store failed: %s", error)
        message = f"subscriptions are unavailable for now: {error}"
        if is_page(request.url.path):
            return error_page(request, 503, message)
        return error_response(503, message)

    @app.exception_handler(IndexWriteError)
    @app.exception_handler(IndexBusyError)
    async def write_failed(request: Request, error: Exception) -> JSONResponse:
        logger.error("write failed: %s", error)
        return error_response(503, str(error))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        if is_page(request.url.path):
            return error_page(request, error.status_code, PAGE_MESSAGES.get(
                error.status_code, str(error.detail)))  # fmt: skip
        return error_response(error.status_code, str(error.detail))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        logger.exception("unexpected error on %s", request.url.path)
        return error_response(500, "internal error; the server log has the details")
