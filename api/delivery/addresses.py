"""Which webhook URLs and e-mail addresses are acceptable.

A webhook URL is parsed once, by httpx, the parser that later sends to it (a URL another parser
accepts and httpx refuses would fail every delivery): http(s), a host, a port in range, no user
name. With `webhook_public_only`, only hosts whose every address is public (no loopback,
private, link-local or reserved ranges, nor one of these wrapped in an IPv6 address: mapped,
compatible, 6to4 or NAT64).

The check resolves the name when a subscription is created and again before each delivery, so
a name that later points inside is caught then; a resolver that answers differently between the
check and the connection (DNS rebinding within seconds) is not, which docs/security.md says.

An e-mail address is checked and normalised by email-validator (domain in lower case, no
comments, quotes or trailing dots), so that one mailbox has one spelling."""

from __future__ import annotations

import ipaddress
import socket

import httpx
from email_validator import EmailNotValidError, validate_email

LONGEST_URL = 2000
LONGEST_EMAIL = 254
NAT64 = ipaddress.ip_network("64:ff9b::/32")  # the well-known prefix and the local-use one
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_url(url: str) -> httpx.URL:
    """`url` as httpx reads it; a ValueError says why it cannot be a webhook target."""
    if len(url) > LONGEST_URL:
        raise ValueError(f"longer than {LONGEST_URL} characters")
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError) as error:  # IDNA errors are ValueErrors
        raise ValueError(f"not a URL ({error})") from error
    if parsed.scheme not in ("http", "https"):
        raise ValueError("must start with http:// or https://")
    if not parsed.host:
        raise ValueError("has no host")
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise ValueError(f"port {parsed.port} is out of range")
    if parsed.userinfo:
        raise ValueError("must not carry a user name or password (the payload is signed instead)")
    return parsed


def url_problem(url: str) -> str | None:
    """Why `url` cannot be a webhook target (None: it can)."""
    try:
        parse_url(url)
    except ValueError as error:
        return str(error)
    return None


def private_problem(url: str) -> str | None:
    """Why `url` is refused when only public targets are allowed (None: it is public)."""
    try:
        parsed = parse_url(url)
        found = socket.getaddrinfo(parsed.host, parsed.port or 443, proto=socket.IPPROTO_TCP)
    except ValueError as error:
        return str(error)
    except (OSError, UnicodeError) as error:
        return f"its host does not resolve ({error})"
    for *_, address in found:
        ip = ipaddress.ip_address(str(address[0]).split("%")[0])
        if not is_public(ip):
            return f"its host {parsed.host!r} resolves to {ip}, a non-public address"
    return None


def is_public(ip: IPAddress) -> bool:
    """A globally reachable address, also where it wraps an IPv4 address that is not."""
    if not ip.is_global:
        return False
    wrapped = wrapped_ipv4(ip) if isinstance(ip, ipaddress.IPv6Address) else None
    return wrapped is None or wrapped.is_global


def wrapped_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries to the same host: mapped (::ffff:a.b.c.d),
    compatible (::a.b.c.d), 6to4 (2002:ab:cd::) or NAT64 (64:ff9b::a.b.c.d)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in NAT64 or int(ip) >> 32 == 0:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def normalized_email(address: str) -> str:
    """The address in one spelling (the domain in lower case); a ValueError where it is not
    an address mail can be sent to."""
    if len(address) > LONGEST_EMAIL:
        raise ValueError("not an e-mail address (too long)")
    try:
        checked = validate_email(address, check_deliverability=False)
    except EmailNotValidError as error:
        raise ValueError(f"not an e-mail address: {error}") from error
    return str(checked.normalized)
