"""The subscription endpoints (all behind the write token: they hold e-mail addresses and
webhook URLs) and the feeds (public, at unguessable URLs).

No `from __future__ import annotations` here, for the same reason as in `routes.py`.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi import Path as PathParam

from papersift.api.delivery.addresses import private_problem
from papersift.api.delivery.feeds import FEED_ENTRIES, atom
from papersift.api.http.routes import EngineDep
from papersift.api.http.schemas import ErrorResponse, HitOut
from papersift.api.http.subscription_schemas import (
    CreatedOut,
    MatchesOut,
    MatchOut,
    SubscriptionBody,
    SubscriptionList,
    SubscriptionOut,
)
from papersift.api.http.writes import WriteDeniedError, check_token
from papersift.api.settings import Settings
from papersift.search.errors import QueryError
from papersift.search.subscriptions.model import Subscription
from papersift.search.subscriptions.service import Subscriptions

ERRORS = {code: {"model": ErrorResponse} for code in (401, 403, 404, 422, 503)}
SubscriptionId = Annotated[str, PathParam(alias="id", max_length=100)]
PageOffset = Annotated[int, Query(ge=0, le=1_000_000)]


class SubscriptionNotFoundError(Exception):
    """404: no subscription (or feed) by that id."""


def build_subscription_router(settings: Settings) -> APIRouter:
    router = APIRouter(responses=ERRORS, tags=["subscriptions"])  # type: ignore[arg-type]

    def subscriptions_of(
        engine: EngineDep, authorization: Annotated[str | None, Header()] = None
    ) -> Subscriptions:
        check_token(settings, authorization)
        return _subscriptions(engine)

    SubscriptionsDep = Annotated[Subscriptions, Depends(subscriptions_of)]
    PageLimit = Annotated[int, Query(ge=1, le=settings.max_limit)]

    def out(request: Request, subscriptions: Subscriptions, found: Subscription) -> SubscriptionOut:
        store = subscriptions.store
        return SubscriptionOut.of(
            found,
            feed_url(settings, request, found),
            store.match_count(found.id),
            store.delivery_status(found.id),
        )

    @router.post("/api/subscriptions", status_code=201, response_model=CreatedOut)
    def create(
        request: Request, subscriptions: SubscriptionsDep, body: SubscriptionBody
    ) -> CreatedOut:
        """Subscribe: a saved search (`q`) or a paper list (`papers`). The answer holds the
        feed's URL, the webhook's signing secret (this once) and the first issue."""
        check_body(settings, body)
        created = subscriptions.create(body.spec(), body.delivery(), "token")
        described = out(request, subscriptions, created.subscription)
        return CreatedOut(
            **described.model_dump(),
            secret=created.secrets.webhook_secret,
            first_issue=[HitOut.of(hit) for hit in created.first_issue],
        )

    @router.get("/api/subscriptions", response_model=SubscriptionList)
    def list_all(
        request: Request,
        subscriptions: SubscriptionsDep,
        limit: PageLimit = 20,
        offset: PageOffset = 0,
    ) -> SubscriptionList:
        """The subscriptions, oldest first, a page at a time."""
        store = subscriptions.store
        found = store.all(limit, offset)
        return SubscriptionList(
            total=store.total(),
            limit=limit,
            offset=offset,
            subscriptions=[out(request, subscriptions, s) for s in found],
        )

    @router.get("/api/subscriptions/{id}", response_model=SubscriptionOut)
    def get_one(
        request: Request, subscriptions: SubscriptionsDep, subscription_id: SubscriptionId
    ) -> SubscriptionOut:
        """One subscription, with how its deliveries are going."""
        return out(request, subscriptions, _one(subscriptions, subscription_id))

    @router.delete("/api/subscriptions/{id}", status_code=204)
    def delete(subscriptions: SubscriptionsDep, subscription_id: SubscriptionId) -> Response:
        """Delete it, its matches and its pending deliveries; its feed is gone."""
        if not subscriptions.store.delete(subscription_id):
            raise SubscriptionNotFoundError(subscription_id)
        return Response(status_code=204)

    @router.get("/api/subscriptions/{id}/matches", response_model=MatchesOut)
    def matches(
        subscriptions: SubscriptionsDep,
        subscription_id: SubscriptionId,
        limit: PageLimit = 20,
        offset: PageOffset = 0,
    ) -> MatchesOut:
        """Its matches, newest first (the first issue's too)."""
        found = _one(subscriptions, subscription_id)
        store, reader = subscriptions.store, subscriptions.backend.reader
        page = store.matches(found.id, limit, offset)
        return MatchesOut(
            id=found.id,
            total=store.match_count(found.id),
            limit=limit,
            offset=offset,
            matches=[MatchOut.of(match, reader.paper(match.paper_id)) for match in page],
        )

    @router.get(
        "/feeds/{token}.atom",
        tags=["feeds"],
        response_class=Response,
        responses={200: {"content": {"application/atom+xml": {}}}},
    )
    def feed(
        request: Request,
        engine: EngineDep,
        token: Annotated[str, PathParam(max_length=100)],
    ) -> Response:
        """A subscription's Atom feed (its URL is its secret)."""
        subscriptions = _subscriptions(engine)
        found = subscriptions.store.by_feed(token)
        if found is None:
            raise SubscriptionNotFoundError("feed")
        reader = subscriptions.backend.reader
        pairs = []
        for match in subscriptions.store.matches(found.id, FEED_ENTRIES):
            paper = reader.paper(match.paper_id)
            if paper is not None:
                pairs.append((match, paper))
        url = feed_url(settings, request, found)
        body = atom(found, pairs, url, base_url(settings, request))
        return Response(body, media_type="application/atom+xml; charset=utf-8")

    return router


def _subscriptions(engine: EngineDep) -> Subscriptions:
    subscriptions = engine.subscriptions
    if subscriptions is None:
        raise WriteDeniedError(
            403, "this index cannot have subscriptions (it is read-only, or has no state folder)"
        )
    return subscriptions


def _one(subscriptions: Subscriptions, subscription_id: str) -> Subscription:
    found = subscriptions.store.get(subscription_id)
    if found is None:
        raise SubscriptionNotFoundError(subscription_id)
    return found


def check_body(settings: Settings, body: SubscriptionBody) -> None:
    """What the body's types cannot say: one kind, sizes from the settings, a usable target."""
    if body.q is not None and body.papers:
        raise QueryError("papers", "give either q (a saved search) or papers (a list), not both")
    if body.q is None and not body.papers:
        raise QueryError("q", "give q (a saved search) or papers (a paper list)")
    if body.q is not None and len(body.q) > settings.max_query_length:
        raise QueryError("q", f"at most {settings.max_query_length} characters")
    if body.email and not settings.smtp_host:
        raise QueryError("email", "this server sends no mail (PAPERSIFT_SMTP_HOST is not set)")
    if body.webhook_url and settings.webhook_public_only:
        problem = private_problem(body.webhook_url)
        if problem is not None:
            raise QueryError("webhook_url", problem)


def base_url(settings: Settings, request: Request) -> str:
    """Links to this server: the public URL the settings give, or the one this request used."""
    return (settings.public_url or str(request.base_url)).rstrip("/")


def feed_url(settings: Settings, request: Request, subscription: Subscription) -> str:
    return f"{base_url(settings, request)}/feeds/{subscription.feed_token}.atom"
