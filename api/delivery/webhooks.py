"""Webhook deliveries: one JSON POST per batch of matches, signed like GitHub's webhooks.

`X-Papersift-Signature: sha256=<hex>` is the HMAC-SHA256 of the raw body with the
subscription's secret; `X-Papersift-Delivery` is the delivery's idempotency key (the same on
every retry, so a receiver can drop repeats). Redirects are not followed (a redirect could point
anywhere); anything but a 2xx answer is a failure, retried by the outbox.
"""

from __future__ import annotations

import hashlib
import hmac

import httpx

from papersift.api.delivery.addresses import private_problem, url_problem
from papersift.index import __version__

SIGNATURE_HEADER = "X-Papersift-Signature"
DELIVERY_HEADER = "X-Papersift-Delivery"
EVENT_HEADER = "X-Papersift-Event"
TIMEOUT = 10.0


class DeliveryError(Exception):
    """A delivery that did not go through (it is retried)."""


def signature(secret: str, body: bytes) -> str:
    """The signature header's value for `body`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def client() -> httpx.Client:
    """A client for webhooks: no redirects, no proxy or netrc from the environment."""
    return httpx.Client(timeout=TIMEOUT, follow_redirects=False, trust_env=False)


def post(http: httpx.Client, url: str, secret: str, key: str, body: str, public_only: bool) -> None:
    """POST one delivery; a DeliveryError says why it failed."""
    problem = url_problem(url) or (private_problem(url) if public_only else None)
    if problem is not None:
        raise DeliveryError(f"webhook_url {problem}")
    data = body.encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"papersift/{__version__}",
        SIGNATURE_HEADER: signature(secret, data),
        DELIVERY_HEADER: key,
        EVENT_HEADER: "papers.matched",
    }
    try:
        response = http.post(url, content=data, headers=headers)
    except httpx.HTTPError as error:
        raise DeliveryError(f"{type(error).__name__}: {error}") from error
    if not 200 <= response.status_code < 300:
        raise DeliveryError(f"the receiver answered HTTP {response.status_code}")
