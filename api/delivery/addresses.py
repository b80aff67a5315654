"""Which webhook URLs are acceptable: http(s) with a host; with `webhook_public_only`, only
hosts whose every address is public (no loopback, private, link-local or reserved ranges).

The check resolves the name when a subscription is created and again before each delivery, so
a name that later points inside is caught then; a resolver that answers differently between the
check and the connection (DNS rebinding within seconds) is not, which docs/security.md says."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

LONGEST_URL = 2000


def url_problem(url: str) -> str | None:
    """Why `url` cannot be a webhook target (None: it can)."""
    if len(url) > LONGEST_URL:
        return f"longer than {LONGEST_URL} characters"
    try:
        parts = urlsplit(url)
        _ = parts.port  # a ValueError for a port that is not a number in range
    except ValueError as error:
        return f"not a URL ({error})"
    if parts.scheme not in ("http", "https"):
        return "must start with http:// or https://"
    if not parts.hostname:
        return "has no host"
    if parts.username is not None or parts.password is not None:
        return "must not carry a user name or password (the payload is signed instead)"
    return None


def private_problem(url: str) -> str | None:
    """Why `url` is refused when only public targets are allowed (None: it is public)."""
    host = urlsplit(url).hostname or ""
    port = urlsplit(url).port or 443
    try:
        found = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as error:
        return f"its host {host!r} does not resolve ({error})"
    for *_, address in found:
        ip = ipaddress.ip_address(str(address[0]).split("%")[0])
        if not ip.is_global:
            return f"its host {host!r} resolves to {ip}, a non-public address"
    return None
