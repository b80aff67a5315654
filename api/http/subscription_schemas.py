"""Pydantic models of the subscription endpoints."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from papersift.api.delivery.addresses import normalized_email, url_problem
from papersift.api.http.schemas import HitOut, PaperId
from papersift.index.papers.paper import Paper
from papersift.search.requests import Filters, Mode
from papersift.search.subscriptions.model import (
    DEFAULT_TOP,
    MOST_TOP,
    Delivery,
    DeliveryStatus,
    Digest,
    Kind,
    Match,
    Spec,
    Subscription,
)


def usable_webhook(value: str | None) -> str | None:
    problem = url_problem(value) if value is not None else None
    if problem is not None:
        raise ValueError(problem)
    return value


def usable_email(value: str | None) -> str | None:
    """The address in its one spelling (limits count mailboxes, not spellings)."""
    return None if value is None else normalized_email(value)


class SubscriptionBody(BaseModel):
    """POST /api/subscriptions: a saved search (`q` and any search field) or a paper list
    (`papers`, optionally `negative_papers`), and where its news goes besides its feed."""

    model_config = ConfigDict(allow_inf_nan=False, extra="forbid")

    q: str | None = Field(default=None, description="The query of a saved search.")
    mode: Mode = Mode.hybrid
    lexical_weight: float = Field(default=1.0, ge=0, le=100)
    dense_weight: float = Field(default=1.0, ge=0, le=100)
    year_from: int | None = Field(default=None, ge=0, le=3000)
    year_to: int | None = Field(default=None, ge=0, le=3000)
    category: list[str] = Field(default_factory=list, max_length=50)
    author: str | None = Field(default=None, max_length=200)
    papers: list[PaperId] = Field(
        default_factory=list, max_length=100, description="Ids of papers to find more like."
    )
    negative_papers: list[PaperId] = Field(
        default_factory=list, max_length=100, description="Ids of papers not to be like."
    )
    name: str = Field(default="", max_length=200)
    top: int = Field(
        default=DEFAULT_TOP,
        ge=1,
        le=MOST_TOP,
        description="A new paper matches when a fresh search would rank it in this top N.",
    )
    webhook_url: Annotated[str | None, AfterValidator(usable_webhook)] = None
    email: Annotated[str | None, AfterValidator(usable_email)] = None
    digest: Digest | None = Field(
        default=None, description="daily or weekly (default daily when an e-mail is given)."
    )

    def spec(self) -> Spec:
        filters = Filters(
            self.year_from,
            self.year_to,
            tuple(self.category),
            self.author.strip() or None if self.author else None,
        )
        return Spec(
            kind=Kind.papers if self.papers or self.negative_papers else Kind.search,
            query=(self.q or "").strip(),
            mode=self.mode,
            filters=filters,
            lexical_weight=self.lexical_weight,
            dense_weight=self.dense_weight,
            positives=tuple(dict.fromkeys(self.papers)),
            negatives=tuple(dict.fromkeys(self.negative_papers)),
            top=self.top,
            name=self.name.strip(),
        )

    def delivery(self) -> Delivery:
        digest = self.digest or (Digest.daily if self.email else None)
        return Delivery(self.webhook_url, self.email, digest if self.email else None)


class DeliveryStatusOut(BaseModel):
    total: int
    delivered: int
    pending: int
    given_up: int
    last_attempt_at: str | None
    last_error: str | None

    @classmethod
    def of(cls, status: DeliveryStatus) -> DeliveryStatusOut:
        return cls(**status.__dict__)


class FiltersOut(BaseModel):
    year_from: int | None
    year_to: int | None
    category: list[str]
    author: str | None

    @classmethod
    def of(cls, filters: Filters) -> FiltersOut:
        return cls(
            year_from=filters.year_from,
            year_to=filters.year_to,
            category=list(filters.categories),
            author=filters.author,
        )


class SubscriptionOut(BaseModel):
    id: str
    name: str
    kind: Kind
    q: str | None
    mode: Mode | None
    filters: FiltersOut
    papers: list[str]
    negative_papers: list[str]
    top: int
    feed_url: str
    webhook_url: str | None
    email: str | None
    email_confirmed: bool
    digest: Digest | None
    created_at: str
    created_by: str
    matches: int
    deliveries: DeliveryStatusOut

    @classmethod
    def of(
        cls, subscription: Subscription, feed_url: str, matches: int, status: DeliveryStatus
    ) -> SubscriptionOut:
        spec = subscription.spec
        search = spec.kind == Kind.search
        return cls(
            id=subscription.id,
            name=spec.name,
            kind=spec.kind,
            q=spec.query if search else None,
            mode=spec.mode if search else None,
            filters=FiltersOut.of(spec.filters),
            papers=list(spec.positives),
            negative_papers=list(spec.negatives),
            top=spec.top,
            feed_url=feed_url,
            webhook_url=subscription.delivery.webhook_url,
            email=subscription.delivery.email,
            email_confirmed=subscription.email_confirmed,
            digest=subscription.delivery.digest,
            created_at=subscription.created_at,
            created_by=subscription.created_by,
            matches=matches,
            deliveries=DeliveryStatusOut.of(status),
        )


class CreatedOut(SubscriptionOut):
    secret: str | None = Field(
        description="The webhook's signing secret (shown this once; null without a webhook)."
    )
    first_issue: list[HitOut] = Field(description="Its current top N: the feed's first entries.")


class SubscriptionList(BaseModel):
    total: int = Field(description="How many subscriptions there are in all.")
    limit: int
    offset: int
    subscriptions: list[SubscriptionOut]


class MatchOut(BaseModel):
    id: str
    title: str
    authors: list[str]
    categories: list[str]
    published: str | None
    url: str | None
    score: float
    matched_at: str
    first_issue: bool

    @classmethod
    def of(cls, match: Match, paper: Paper | None) -> MatchOut:
        return cls(
            id=match.paper_id,
            title=paper.title if paper else "",
            authors=list(paper.authors) if paper else [],
            categories=list(paper.categories) if paper else [],
            published=paper.published if paper else None,
            url=paper.url if paper else None,
            score=match.score,
            matched_at=match.matched_at,
            first_issue=match.first_issue,
        )


class MatchesOut(BaseModel):
    id: str
    total: int
    limit: int
    offset: int
    matches: list[MatchOut]
