"""What every request passes first: the write token (before a write's body is read), a size limit
and a deadline on the body (enforced while it streams in), and security headers on every response.

A plain ASGI middleware, because by the time a FastAPI dependency runs the body has been read and
parsed: a 100 MB body without a token would be parsed before its 401.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

WRITE_METHODS = frozenset({"PUT", "POST", "DELETE", "PATCH"})
WRITE_PREFIXES = ("/api/papers",)
# Every method: subscriptions hold e-mail addresses and webhook URLs.
PRIVATE_PREFIXES = ("/api/subscriptions",)
# A batch upsert may carry this many bytes per paper (arXiv abstracts average 1.3 KB, the longest
# about 2 KB; the JSON of a whole paper is rarely over 4 KB).
UPSERT_BYTES_PER_PAPER = 16 * 1024
SECURITY_HEADERS = {
    # No inline script or style anywhere: the page and the API docs load theirs from /static.
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


@dataclass(frozen=True)
class Denied:
    """Why a request is refused: an HTTP status and a message for the client."""

    status: int
    message: str


@dataclass(frozen=True)
class GuardSettings:
    """The limits the guard enforces (from the server settings)."""

    write_token: str | None
    max_body_bytes: int
    max_upsert: int
    body_timeout: float


def is_write(method: str, path: str) -> bool:
    """Requests that need the write token."""
    if path.startswith(PRIVATE_PREFIXES):
        return True
    return method in WRITE_METHODS and path.startswith(WRITE_PREFIXES)


def token_problem(token: str | None, authorization: str | None) -> Denied | None:
    """None when `authorization` carries the write token; else why not. An unset or blank token
    disables writes. The scheme word is case-insensitive (RFC 9110)."""
    if not token:
        return Denied(
            403, "writes are disabled on this server; set PAPERSIFT_WRITE_TOKEN to enable them"
        )
    scheme, _, credentials = (authorization or "").strip().partition(" ")
    given = credentials.strip().encode()
    if scheme.lower() != "bearer" or not secrets.compare_digest(given, token.encode()):
        return Denied(401, "a valid bearer token is required (Authorization: Bearer ...)")
    return None


def body_limit(settings: GuardSettings, method: str, path: str) -> int:
    """The most bytes a request's body may have: a batch upsert's grows with `max_upsert`."""
    if method == "POST" and path.rstrip("/") == "/api/papers":
        return max(settings.max_body_bytes, settings.max_upsert * UPSERT_BYTES_PER_PAPER)
    return settings.max_body_bytes


class RequestGuard:
    """ASGI middleware: token first, then a body that must arrive in time and within its limit."""

    def __init__(self, app: ASGIApp, settings: GuardSettings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = _with_security_headers(send)
        method, path = scope["method"], scope["path"]
        headers = Headers(scope=scope)
        limit = body_limit(self.settings, method, path)
        refusal = self._refusal(method, path, headers, limit)
        if refusal is not None:
            await _respond(scope, receive, send, refusal)
            return
        body = GuardedBody(receive, limit, self.settings.body_timeout)
        await self.app(scope, body.receive, body.guarded(send, scope))

    def _refusal(self, method: str, path: str, headers: Headers, limit: int) -> Denied | None:
        if is_write(method, path):
            denied = token_problem(self.settings.write_token, headers.get("authorization"))
            if denied is not None:
                return denied
        length = headers.get("content-length")
        if length is None:
            return None
        if not length.strip().isdigit():
            return Denied(400, "Content-Length must be a number of bytes")
        if int(length) > limit:
            return _too_large(limit)
        return None


class GuardedBody:
    """The request's body as the app reads it, cut off once it passes `limit` bytes or takes
    longer than `seconds` from the first read. The app then fails to parse it; the response it
    would send is replaced by 413 or 408 (`guarded`)."""

    def __init__(self, receive: Receive, limit: int, seconds: float) -> None:
        self._receive = receive
        self.limit = limit
        self.seconds = seconds
        self.received = 0
        self.failure: Denied | None = None
        self._deadline: float | None = None

    async def receive(self) -> Message:
        loop = asyncio.get_running_loop()
        if self._deadline is None:
            self._deadline = loop.time() + self.seconds
        try:
            message = await asyncio.wait_for(self._receive(), max(self._deadline - loop.time(), 0))
        except TimeoutError:
            self.failure = Denied(
                408, f"the request body did not arrive within {self.seconds:g} seconds"
            )
            raise BodyRefusedError(self.failure.message) from None
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                self.failure = _too_large(self.limit)
                raise BodyRefusedError(self.failure.message)
        return message

    def guarded(self, send: Send, scope: Scope) -> Send:
        """`send`, except that once the body was refused the app's response is replaced."""
        replaced = False

        async def guarded_send(message: Message) -> None:
            nonlocal replaced
            if replaced:
                return
            if self.failure is not None and message["type"] == "http.response.start":
                replaced = True
                await _respond(scope, _nothing, send, self.failure)
                return
            await send(message)

        return guarded_send


class BodyRefusedError(Exception):
    """Raised into the app's body read when the body is too large or too slow."""


def _too_large(limit: int) -> Denied:
    return Denied(413, f"the request body is larger than {limit:,} bytes")


async def _respond(scope: Scope, receive: Receive, send: Send, denied: Denied) -> None:
    body = {"error": {"status": denied.status, "message": denied.message, "field": None}}
    headers = {"WWW-Authenticate": "Bearer"} if denied.status == 401 else {}
    if denied.status in (408, 413):  # the rest of the body is never read: end the connection
        headers["Connection"] = "close"
    await JSONResponse(body, status_code=denied.status, headers=headers)(scope, receive, send)


async def _nothing() -> Message:
    return {"type": "http.disconnect"}


def _with_security_headers(send: Send) -> Send:
    async def send_with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            for name, value in SECURITY_HEADERS.items():
                headers.setdefault(name, value)
        await send(message)

    return send_with_headers
