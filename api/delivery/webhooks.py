"""Webhook deliveries: one JSON POST per batch of matches, signed like GitHub's webhooks.

`X-Papersift-Signature: sha256=<hex>` is the HMAC-SHA256 of the raw body with the
subscription's secret; `X-Papersift-Delivery` is the delivery's idempotency key (the same on
every retry, so a receiver can drop repeats). Redirects are not followed (a redirect could point
anywhere); anything but a 2xx answer is a failure, retried by the outbox. Each POST has one
deadline for all of it, connecting, sending and the answer's status line and headers (a receiver
that answers a byte at a time cannot hold it longer), and the answer's body is never read.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac

import httpx

from papersift.api.delivery.addresses import parse_url, private_problem
from papersift.index import __version__

SIGNATURE_HEADER = "X-Papersift-Signature"
DELIVERY_HEADER = "X-Papersift-Delivery"
EVENT_HEADER = "X-Papersift-Event"


class DeliveryError(Exception):
    """A delivery that did not go through (it is retried)."""


def signature(secret: str, body: bytes) -> str:
    """The signature header's value for `body`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def client(deadline: float) -> httpx.AsyncClient:
    """A client for webhooks: no redirects, no proxy or netrc from the environment."""
    return httpx.AsyncClient(timeout=deadline, follow_redirects=False, trust_env=False)


async def post(
    http: httpx.AsyncClient,
    url: str,
    secret: str,
    key: str,
    body: str,
    public_only: bool,
    deadline: float,
) -> None:
    """POST one delivery within `deadline` seconds; a DeliveryError says why it failed."""
    try:
        target = parse_url(url)
    except ValueError as error:
        raise DeliveryError(f"webhook_url {error}") from error
    if public_only:
        problem = await asyncio.to_thread(private_problem, url)  # resolving can take a while
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
        async with asyncio.timeout(deadline):
            async with http.stream("POST", target, content=data, headers=headers) as response:
                status = response.status_code  # the body is left unread
    except TimeoutError as error:
        raise DeliveryError(f"the receiver did not answer within {deadline:g} s") from error
    except httpx.HTTPError as error:
        raise DeliveryError(f"{type(error).__name__}: {error}") from error
    if not 200 <= status < 300:
        raise DeliveryError(f"the receiver answered HTTP {status}")
