"""What a subscription is, and what it collects."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from papersift.search.requests import Filters, Mode

DEFAULT_TOP = 10
MOST_TOP = 100
Vector = npt.NDArray[np.float32]


class Kind(StrEnum):
    """A saved search (a query, its mode and filters) or a paper list (papers like these)."""

    search = "search"
    papers = "papers"


class Digest(StrEnum):
    daily = "daily"
    weekly = "weekly"


@dataclass(frozen=True)
class Spec:
    """What a subscription asks for, as given."""

    kind: Kind
    query: str = ""  # a saved search
    mode: Mode = Mode.hybrid
    filters: Filters = field(default_factory=Filters)
    lexical_weight: float = 1.0
    dense_weight: float = 1.0
    positives: tuple[str, ...] = ()  # a paper list
    negatives: tuple[str, ...] = ()
    top: int = DEFAULT_TOP
    name: str = ""


class Channel(StrEnum):
    """How a delivery travels: a webhook batch, the confirmation mail, or a digest mail."""

    webhook = "webhook"
    confirm = "confirm"
    digest = "digest"


@dataclass(frozen=True)
class Delivery:
    """Where its news goes besides its feed."""

    webhook_url: str | None = None
    email: str | None = None
    digest: Digest | None = None


@dataclass(frozen=True)
class Subscription:
    """A stored subscription (the secrets are kept apart: see the store)."""

    id: str
    spec: Spec
    delivery: Delivery
    feed_token: str
    email_confirmed: bool
    created_at: str
    created_by: str  # "token" (the write token's holder) or "page" (an open sign-up)
    last_digest_at: str | None = None


@dataclass(frozen=True)
class Match:
    """A paper that entered a subscription's top N."""

    subscription_id: str
    paper_id: str
    matched_at: str
    score: float
    first_issue: bool  # in its top N when it was created


@dataclass(frozen=True)
class Outgoing:
    """A delivery waiting in the outbox (a webhook batch, or a mail)."""

    id: int
    subscription_id: str
    channel: Channel
    key: str  # the idempotency key
    payload: str  # JSON
    attempts: int
    created_at: str
    next_attempt_at: str
    last_error: str | None


@dataclass(frozen=True)
class Profile:
    """What matching needs of a subscription: its query's embedding (or its paper list's
    direction), its query's terms with their repeats, the spread of its legs' scores over the
    corpus as of its last refresh (lexical mean and std, dense mean and std; hybrid z-scores
    use it), and its current top N, (paper id, score) best first."""

    vector: Vector
    terms: dict[str, int]
    spread: tuple[float, ...]
    top: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class Secrets:
    """What only the token's holder (or the address's owner) learns, once."""

    webhook_secret: str | None
    email_token: str | None


@dataclass(frozen=True)
class DeliveryStatus:
    """How a subscription's deliveries are going."""

    total: int
    delivered: int
    pending: int
    given_up: int
    last_attempt_at: str | None
    last_error: str | None


@dataclass(frozen=True)
class Limits:
    """How many subscriptions strangers may make: in all, and for one address (counted
    case-blind; the address is normalised before it is stored)."""

    total: int
    per_address: int
