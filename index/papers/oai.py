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


class HarvestError(IndexLayerError):
    """The repository could not be harvested (after retries), or answered with an OAI error."""


class BadResumptionTokenError(HarvestError):
    """The repository no longer knows the resumption token (it expired): start over from a date."""


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
    ) -> None:
        self.endpoint = endpoint
        self.delay = delay
        self.tries = tries
        self.sleep = sleep
        self.requests = 0
        self._client = httpx.Client(
            headers={"User-Agent": USER_AGENT},
            timeout=httpx.Timeout(timeout, connect=15.0),
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
        """The harvest's pages; with `token`, resuming where an earlier harvest stopped."""
        params = _first_request(metadata_prefix, set_spec, start, until, token)
        while True:
            page = self._page(params)
            yield page
            if page.token is None:
                return
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
                response = self._client.get(self.endpoint, params=params)
                if response.status_code in (429, 503):
                    wait = retry_after(response.headers.get("Retry-After"), 2.0**attempt)
                    logger.info("%s asks to retry in %.0f s", self.endpoint, wait)
                    self.sleep(wait)
                    continue
                response.raise_for_status()
                return _parse(response.content)
            except (httpx.HTTPError, ParseError, DefusedXmlException) as error:
                if attempt + 1 == self.tries:
                    raise HarvestError(
                        f"{self.endpoint}: no answer after {self.tries} tries ({error})"
                    ) from error
                logger.info("%s failed (%s); retrying", self.endpoint, error)
                self.sleep(2.0**attempt)
        raise HarvestError(f"{self.endpoint}: still busy after {self.tries} tries")


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
