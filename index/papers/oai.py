"""An OAI-PMH 2.0 harvester: `ListRecords` pages, following resumption tokens, politely.

Written on httpx and defusedxml rather than an OAI-PMH library: the two on PyPI (Sickle,
oaipmh-scythe) parse with lxml's `recover=True`, which turns a page cut off in transit into a
short, valid-looking one (the harvest ends early, silently); they send arXiv's blank final token
back and fail; they read `Retry-After` only as seconds; and they neither wait between requests
nor show where a page ends, which resuming needs. Here a page is parsed strictly (a cut page is
retried), with entities and DTDs refused.

Politeness: one request every `delay` seconds (arXiv asks for at most one every three); a `503`
or `429` waits its `Retry-After` (seconds or an HTTP date); other HTTP and network errors are
retried after 1, 2, 4... seconds, `tries` times in all, then `HarvestError`.

Bounds, since a repository can misbehave without ever failing: an answer still arriving after
`deadline` seconds is dropped and retried (httpx's timeout is per read, and a byte every few
seconds never trips it); an answer over `max_bytes` is refused as it streams in, before it is
parsed (a page read whole costs several times its size in memory); a resumption token that comes
back a second time ends the harvest (following it would loop forever).
"""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from xml.etree.ElementTree import Element, ParseError

import httpx
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from papersift.index import __version__
from papersift.index.errors import IndexLayerError

logger = logging.getLogger(__name__)

OAI = "{http://www.openarchives.org/OAI/2.0/}"
USER_AGENT = f"papersift/{__version__} (self-hosted paper search; OAI-PMH harvester)"
MOST_WAIT = 600.0  # seconds: the longest Retry-After honoured
# One answer, whole: arXiv's pages of 1,000 records are 1-3 MB, which a working link brings in
# seconds; the deadline leaves room for a slow repository and link, the cap 20 times a page.
DEADLINE = 300.0  # seconds
MAX_BYTES = 50_000_000


class HarvestError(IndexLayerError):
    """The repository could not be harvested (after retries), or answered with an OAI error."""


class BadResumptionTokenError(HarvestError):
    """The repository no longer knows the resumption token (it expired): start over from a date."""


class RepeatedTokenError(HarvestError):
    """The repository sent a resumption token it had sent before in this harvest: following it
    would ask for the same pages again, forever."""


class SlowAnswerError(HarvestError):
    """An answer was still arriving at the deadline (retried like a network error)."""


class PageTooLargeError(HarvestError):
    """An answer was larger than the harvester reads (not retried: it would be as large again)."""


@dataclass(frozen=True)
class OaiRecord:
    """One record of a page: its header, and its metadata element (None when deleted)."""

    identifier: str
    datestamp: str
    deleted: bool
    metadata: Element | None


@dataclass(frozen=True)
class Page:
    """One `ListRecords` answer: its records, the token for the next page (None: the last), and
    when the repository answered (its `responseDate`)."""

    records: list[OaiRecord]
    token: str | None
    response_date: str


class OaiHarvester:
    """`pages(...)`: every page of a `ListRecords` harvest, in order."""

    def __init__(
        self,
        endpoint: str,
        delay: float = 3.0,
        tries: int = 5,
        timeout: float = 120.0,
        sleep: Callable[[float], None] = time.sleep,
        deadline: float = DEADLINE,
        max_bytes: int = MAX_BYTES,
    ) -> None:
        self.endpoint = endpoint
        self.delay = delay
        self.tries = tries
        self.sleep = sleep
        self.deadline = deadline
        self.max_bytes = max_bytes
        self.requests = 0
        wait = min(timeout, deadline)  # a silent server: no read waits past the deadline
        self._client = httpx.Client(
            headers={"User-Agent": USER_AGENT},
            timeout=httpx.Timeout(wait, connect=min(15.0, wait)),
            follow_redirects=True,
        )

    def pages(
        self,
        metadata_prefix: str,
        set_spec: str | None = None,
        start: str | None = None,
        until: str | None = None,
        token: str | None = None,
    ) -> Iterator[Page]:
        """The harvest's pages; with `token`, resuming where an earlier harvest stopped.
        `RepeatedTokenError` after the page whose token was already followed."""
        params = _first_request(metadata_prefix, set_spec, start, until, token)
        followed = {token} if token else set()
        while True:
            page = self._page(params)
            yield page
            if page.token is None:
                return
            if page.token in followed:
                raise RepeatedTokenError(
                    f"{self.endpoint}: the repository sent the resumption token "
                    f"{page.token!r} a second time in this harvest; following it would never end"
                )
            followed.add(page.token)
            params = {"verb": "ListRecords", "resumptionToken": page.token}

    def close(self) -> None:
        self._client.close()

    def _page(self, params: dict[str, str]) -> Page:
        root = self._fetch(params)
        error = root.find(f"{OAI}error")
        if error is not None:
            return _error_page(root, error, params)
        listing = root.find(f"{OAI}ListRecords")
        if listing is None:
            raise HarvestError(f"{self.endpoint}: an answer without ListRecords ({params})")
        found = listing.find(f"{OAI}resumptionToken")
        token = ((found.text or "").strip() if found is not None else "") or None  # blank: done
        records = [_record(element) for element in listing.findall(f"{OAI}record")]
        return Page(records, token, _response_date(root))

    def _fetch(self, params: dict[str, str]) -> Element:
        """The parsed answer to one request, after the polite delay, with retries."""
        for attempt in range(self.tries):
            if self.requests:
                self.sleep(self.delay)
            self.requests += 1
            try:
                content = self._get(params, attempt)
                if content is not None:
                    return _parse(content)
            except (httpx.HTTPError, SlowAnswerError, ParseError, DefusedXmlException) as error:
                if attempt + 1 == self.tries:
                    raise HarvestError(
                        f"{self.endpoint}: no answer after {self.tries} tries ({error})"
                    ) from error
                logger.info("%s failed (%s); retrying", self.endpoint, error)
                self.sleep(2.0**attempt)
        raise HarvestError(f"{self.endpoint}: still busy after {self.tries} tries")

    def _get(self, params: dict[str, str], attempt: int) -> bytes | None:
        """One answer's body; None when the repository asks to retry later (and was waited for)."""
        started = time.monotonic()
        with self._client.stream("GET", self.endpoint, params=params) as response:
            if response.status_code not in (429, 503):
                response.raise_for_status()
                return self._body(response, started)
            wait = retry_after(response.headers.get("Retry-After"), 2.0**attempt)
        logger.info("%s asks to retry in %.0f s", self.endpoint, wait)
        self.sleep(wait)  # the connection let go of meanwhile
        return None

    def _body(self, response: httpx.Response, started: float) -> bytes:
        """The body as it streams in, stopped at the size cap or the deadline."""
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise self._too_large(f"{int(declared):,} bytes")
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > self.max_bytes:
                raise self._too_large(f"over {len(body):,} bytes and still coming")
            if time.monotonic() - started > self.deadline:
                raise SlowAnswerError(
                    f"the answer was still arriving after {self.deadline:g} s "
                    f"({len(body):,} bytes so far)"
                )
        return bytes(body)

    def _too_large(self, size: str) -> PageTooLargeError:
        return PageTooLargeError(
            f"{self.endpoint}: an answer of {size}; at most {self.max_bytes:,} are read"
        )


def retry_after(value: str | None, default: float) -> float:
    """Seconds to wait, from a `Retry-After` header: a number of seconds or an HTTP date."""
    if value is None:
        return default
    text = value.strip()
    if text.isdigit():
        return min(float(text), MOST_WAIT)
    try:
        when = email.utils.parsedate_to_datetime(text).timestamp()
    except (TypeError, ValueError, IndexError):
        return default
    return min(max(0.0, when - time.time()), MOST_WAIT)


def _first_request(
    prefix: str, set_spec: str | None, start: str | None, until: str | None, token: str | None
) -> dict[str, str]:
    if token:
        return {"verb": "ListRecords", "resumptionToken": token}
    params = {"verb": "ListRecords", "metadataPrefix": prefix}
    for name, value in (("set", set_spec), ("from", start), ("until", until)):
        if value:
            params[name] = value
    return params


def _parse(content: bytes) -> Element:
    root: Element = fromstring(content, forbid_dtd=True, forbid_entities=True)
    return root


def _error_page(root: Element, error: Element, params: dict[str, str]) -> Page:
    """An empty last page for `noRecordsMatch` (nothing new); an exception for other errors."""
    code = error.get("code", "")
    if code == "noRecordsMatch":
        return Page([], None, _response_date(root))
    message = f"OAI-PMH error {code}: {(error.text or '').strip()} ({params})"
    if code == "badResumptionToken":
        raise BadResumptionTokenError(message)
    raise HarvestError(message)


def _record(element: Element) -> OaiRecord:
    header = element.find(f"{OAI}header")
    if header is None:
        return OaiRecord("", "", False, None)
    deleted = header.get("status") == "deleted"
    metadata = element.find(f"{OAI}metadata")
    first = next(iter(metadata), None) if metadata is not None else None
    return OaiRecord(
        identifier=_text(header, "identifier"),
        datestamp=_text(header, "datestamp"),
        deleted=deleted,
        metadata=None if deleted else first,
    )


def _text(element: Element, name: str) -> str:
    return (element.findtext(f"{OAI}{name}") or "").strip()


def _response_date(root: Element) -> str:
    return (root.findtext(f"{OAI}responseDate") or "").strip()
