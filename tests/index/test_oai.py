"""The OAI-PMH harvester against the local test repository: pages and tokens, politeness, the
failures a library hid (a page cut off in transit, a hostile DTD, a dead endpoint), and the
bounds on a repository that misbehaves (a token sent again, a dripping answer, a huge page)."""

from __future__ import annotations

import email.utils
import time
from pathlib import Path
from typing import Any

import pytest

from papersift.index.papers.arxiv_metadata import arxiv_id, arxiv_record
from papersift.index.papers.oai import (
    HarvestError,
    OaiHarvester,
    PageTooLargeError,
    RepeatedTokenError,
    retry_after,
)
from papersift.index.papers.records import paper_from_record
from tests.helpers.servers import free_port, oai_repository

RECORDS = [
    {"id": f"2611.{n:05d}", "datestamp": f"2026-11-{1 + n % 20:02d}", "title": f"Paper {n}",
     "abstract": f"About topic {n}.", "created": "2026-11-01", "categories": "cs.IR",
     "authors": [{"keyname": "Noether", "forenames": "Emmy"}]}
    for n in range(25)
]  # fmt: skip


def harvest(endpoint: str, tries: int = 5, **bounds: Any) -> tuple[list[str], int, list[float]]:
    """The ids harvested, the requests made, and the waits asked for (never slept)."""
    waits: list[float] = []
    harvester = OaiHarvester(endpoint, delay=0.5, tries=tries, sleep=waits.append, **bounds)
    ids = [
        paper_from_record(arxiv_record(record)).id
        for page in harvester.pages("arXiv", None, None, None)
        for record in page.records
    ]
    return ids, harvester.requests, waits


def test_pages_are_followed_to_the_end_politely(tmp_path: Path) -> None:
    plan = {"records": RECORDS, "page_size": 10, "busy_first": 1}
    with oai_repository(plan, tmp_path) as endpoint:
        ids, requests, waits = harvest(endpoint)
    assert ids == [record["id"] for record in RECORDS]
    assert requests == 4  # one 503, then three pages
    assert waits == [1.0, 0.5, 0.5, 0.5]  # its Retry-After, then the polite delay


def test_a_page_cut_off_in_transit_is_fetched_again_not_taken_for_the_end(tmp_path: Path) -> None:
    plan = {"records": RECORDS, "page_size": 10, "truncated_first": 2}
    with oai_repository(plan, tmp_path) as endpoint:
        ids, requests, _ = harvest(endpoint)
    assert ids == [record["id"] for record in RECORDS]
    assert requests == 5


def test_external_entities_are_refused(tmp_path: Path) -> None:
    plan = {"records": RECORDS, "hostile": True}
    with oai_repository(plan, tmp_path) as endpoint, pytest.raises(HarvestError) as refused:
        harvest(endpoint, tries=2)
    assert "no answer after 2 tries" in str(refused.value) and "Forbidden" in str(refused.value)


def test_a_dead_endpoint_gives_up_after_its_tries() -> None:
    with pytest.raises(HarvestError, match="no answer after 3 tries"):
        harvest(f"http://127.0.0.1:{free_port()}/oai", tries=3)


def test_retry_after_is_read_as_seconds_or_a_date() -> None:
    assert retry_after("7", 1.0) == 7.0
    assert retry_after(None, 2.5) == 2.5
    assert retry_after("soon", 2.5) == 2.5
    assert retry_after("99999", 1.0) == 600.0  # capped
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= retry_after(later, 1.0) <= 31


def test_a_token_sent_again_ends_the_harvest_after_the_pages_it_had(tmp_path: Path) -> None:
    plan = {"records": RECORDS, "page_size": 10, "repeat_token": 50}  # before: 53 requests
    ids: list[str] = []
    with oai_repository(plan, tmp_path) as endpoint, pytest.raises(RepeatedTokenError) as ended:
        harvester = OaiHarvester(endpoint, delay=0)
        for page in harvester.pages("arXiv", None, None, None):
            ids += [arxiv_id(record.identifier) for record in page.records]
    assert ids == [record["id"] for record in RECORDS[:20]]  # both pages, each once
    assert harvester.requests == 2
    assert "sent the resumption token" in str(ended.value) and "a second time" in str(ended.value)


def test_a_dripping_answer_is_dropped_at_the_deadline_and_asked_again(tmp_path: Path) -> None:
    # 30 bytes 0.3 s apart: 9 s for the first answer, which no per-read timeout would stop
    plan = {"records": RECORDS, "page_size": 10, "drip_first": 1}
    started = time.monotonic()
    with oai_repository(plan, tmp_path) as endpoint:
        ids, requests, waits = harvest(endpoint, deadline=1.0)
    assert time.monotonic() - started < 6
    assert ids == [record["id"] for record in RECORDS]
    assert requests == 4 and waits == [1.0, 0.5, 0.5, 0.5]  # backoff after the dropped answer


def test_an_answer_that_always_drips_ends_the_harvest_after_its_tries(tmp_path: Path) -> None:
    plan = {"records": RECORDS, "page_size": 10, "drip_first": 2}
    started = time.monotonic()
    with oai_repository(plan, tmp_path) as endpoint, pytest.raises(HarvestError) as failed:
        harvest(endpoint, tries=2, deadline=1.0)
    assert time.monotonic() - started < 8
    assert "no answer after 2 tries" in str(failed.value)
    assert "still arriving after 1 s" in str(failed.value)


@pytest.mark.parametrize("no_length", [False, True], ids=["declared", "streamed"])
def test_an_answer_over_the_size_cap_is_refused_unread(tmp_path: Path, no_length: bool) -> None:
    plan = {"records": RECORDS, "page_size": 10, "padding": 20_000, "no_length": no_length}
    with oai_repository(plan, tmp_path) as endpoint, pytest.raises(PageTooLargeError) as refused:
        harvester = OaiHarvester(endpoint, delay=0, max_bytes=10_000)
        next(harvester.pages("arXiv", None, None, None))
    assert harvester.requests == 1  # not asked again: it would be as large again
    assert "at most 10,000 are read" in str(refused.value)
    assert ("still coming" in str(refused.value)) == no_length  # no length: cut off mid-stream
