"""Subscribing from the page: a form under results (and under "similar papers") posts here;
the answer is the feed's URL, and, for an e-mail address, a confirmation mail is sent before
anything else. Confirming and unsubscribing are two-step (a GET shows a button, a POST acts) so
that mail scanners that open links change nothing; RFC 8058 one-click unsubscribe POSTs directly.

Without the write token, a sign-up needs `open_signups`, is bounded per address and in total,
and can never name a webhook (a stranger must not make the server call URLs).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from papersift.api.delivery import letters
from papersift.api.http.engine import Engine, NotReadyError
from papersift.api.http.errors import describe
from papersift.api.http.guard import token_problem
from papersift.api.http.page_kit import TEMPLATES, base_context
from papersift.api.http.subscription_schemas import SubscriptionBody
from papersift.api.http.subscriptions import check_body, feed_url
from papersift.api.settings import Settings
from papersift.search.errors import LimitReachedError, QueryError, StoreUnavailableError
from papersift.search.subscriptions.model import Limits, Subscription
from papersift.search.subscriptions.service import Created, Subscriptions

FORM_FIELDS = 200  # at most, in one posted form
LIST_FIELDS = ("category", "papers", "negative_papers")
PAGE_FIELDS = ("q", "mode", "year_from", "year_to", "author", "name", "email", "digest", "top")


class SignupRefusedError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def build_signup(settings: Settings) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.post("/subscribe", response_class=HTMLResponse)
    async def subscribe(request: Request) -> HTMLResponse:
        try:
            fields = _form(await request.body())
            engine: Engine = request.app.state.engine
            created = await run_in_threadpool(_create, settings, engine, fields)
        except (SignupRefusedError, QueryError, NotReadyError, LimitReachedError,
                StoreUnavailableError) as error:  # fmt: skip
            return _page(request, "Cannot subscribe", str(error), status=_status(error))
        context = {
            "feed_url": feed_url(settings, request, created.subscription),
            "email": created.subscription.delivery.email,
            "count": len(created.first_issue),
        }
        return _render(request, "subscribed.html", context, 201)

    @router.get("/subscriptions/confirm/{token}", response_class=HTMLResponse)
    def confirm_form(request: Request, token: str) -> HTMLResponse:
        found = _subscriptions(request).store.by_email_token(token)
        if found is None:
            return _page(request, "Unknown link", GONE, status=404)
        return _page(request, "Confirm your subscription", f"Mail new papers for "
                     f"{_about(found)} to {found.delivery.email}?", button="Confirm")  # fmt: skip

    @router.post("/subscriptions/confirm/{token}", response_class=HTMLResponse)
    def confirm(request: Request, token: str) -> HTMLResponse:
        subscriptions = _subscriptions(request)
        found = subscriptions.store.confirm(token)
        if found is None:
            return _page(request, "Unknown link", GONE, status=404)
        _wake(request)  # its first digest is due now
        digest = found.delivery.digest or "daily"
        return _page(request, "Subscription confirmed", f"You will get a {digest} digest of "
                     f"new papers for {_about(found)}.")  # fmt: skip

    @router.get("/subscriptions/unsubscribe/{token}", response_class=HTMLResponse)
    def unsubscribe_form(request: Request, token: str) -> HTMLResponse:
        found = _subscriptions(request).store.by_email_token(token)
        if found is None:
            return _page(request, "Already unsubscribed", GONE, status=404)
        return _page(request, "Unsubscribe", f"Stop mailing {found.delivery.email} about "
                     f"{_about(found)}?", button="Unsubscribe")  # fmt: skip

    @router.post("/subscriptions/unsubscribe/{token}", response_class=HTMLResponse)
    def unsubscribe(request: Request, token: str) -> HTMLResponse:
        store = _subscriptions(request).store
        found = store.by_email_token(token)
        if found is None:
            return _page(request, "Already unsubscribed", GONE, status=404)
        store.drop_email(found.id)
        return _page(request, "Unsubscribed", f"No more mail about {_about(found)} will be sent.")

    return router


GONE = "This link is not (or no longer) valid: the subscription was unsubscribed or deleted."


def _create(settings: Settings, engine: Engine, fields: dict[str, Any]) -> Created:
    token = fields.pop("token", "")
    with_token = bool(token) and token_problem(settings.token, f"Bearer {token}") is None
    if token and not with_token:
        raise SignupRefusedError(401, "That write token is not this server's.")
    if not with_token and not settings.open_signups:
        raise SignupRefusedError(403, "Subscribing here needs the write token.")
    try:
        body = SubscriptionBody.model_validate(fields)
    except ValidationError as error:
        field, message = describe(error.errors())
        raise QueryError(field or "form", message) from error
    check_body(settings, body)
    subscriptions = engine.subscriptions
    if subscriptions is None:
        raise SignupRefusedError(403, "This index cannot have subscriptions.")
    if with_token:
        return subscriptions.create(body.spec(), body.delivery(), "token")
    limits = Limits(total=settings.signups_total, per_address=settings.signups_per_address)
    return subscriptions.create(body.spec(), body.delivery(), "page", limits)


def _status(error: Exception) -> int:
    if isinstance(error, SignupRefusedError):
        return error.status
    if isinstance(error, LimitReachedError):
        return 429
    return 503 if isinstance(error, NotReadyError | StoreUnavailableError) else 422


def _form(body: bytes) -> dict[str, Any]:
    """The posted form's fields: lists for the list fields, blanks left out."""
    try:
        parsed = parse_qs(body.decode("utf-8", "replace"), max_num_fields=FORM_FIELDS)
    except ValueError as error:  # more fields than FORM_FIELDS
        raise SignupRefusedError(413, f"The form has more than {FORM_FIELDS} fields.") from error
    fields: dict[str, Any] = {}
    for name, values in parsed.items():
        values = [value.strip() for value in values if value.strip()]
        if name in LIST_FIELDS:
            fields[name] = values
        elif values and (name in PAGE_FIELDS or name == "token"):
            fields[name] = values[0]
    return fields


def _subscriptions(request: Request) -> Subscriptions:
    engine: Engine = request.app.state.engine
    subscriptions = engine.subscriptions if engine.ready else None
    if subscriptions is None:
        raise NotReadyError("subscriptions are not available on this server")
    return subscriptions


def _wake(request: Request) -> None:
    engine: Engine = request.app.state.engine
    engine.wake_deliveries()


def _about(found: Subscription) -> str:
    return letters.describe(found.spec)


def _page(
    request: Request, title: str, message: str, button: str | None = None, status: int = 200
) -> HTMLResponse:
    context = {"title": title, "message": message, "button": button}
    return _render(request, "notice.html", context, status)


def _render(request: Request, name: str, context: dict[str, Any], status: int) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(request, name, base_context(**context), status_code=status)
