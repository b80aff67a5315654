"""Sign-up limits that hold, and store failures said as 503: one mailbox counts once whatever
its spelling, parallel sign-ups cannot all pass the check, an oversized form is refused, and a
damaged, locked or removed store answers 503 (never 500, never a silent loss)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.helpers.apps import AUTH, TOKEN, writable_app
from tests.helpers.http import assert_canonical_error
from tests.helpers.servers import free_port, serving

QUERY = "graph neural networks"


def open_app(folder: Path, **overrides: Any) -> TestClient:
    """Open sign-ups, mail to a port nobody listens on (confirmations wait in the outbox)."""
    return writable_app(folder, open_signups=True, smtp_host="127.0.0.1", smtp_port=free_port(),
                        smtp_security="none", **overrides)  # fmt: skip


def test_one_mailbox_counts_once_whatever_its_spelling(folder: Path) -> None:
    with open_app(folder, signups_per_address=2) as client:
        for address in ("Victim@example.com", "victim@EXAMPLE.com"):
            answer = client.post("/subscribe", data={"q": QUERY, "email": address})
            assert answer.status_code == 201, answer.text
        third = client.post("/subscribe", data={"q": QUERY, "email": "VICTIM@Example.Com"})
        assert third.status_code == 429
        for spelling in ("victim@example.com(1)", '"victim"@example.com', "victim@example.com."):
            refused = client.post("/subscribe", data={"q": QUERY, "email": spelling})
            assert refused.status_code == 422, spelling
        made = client.get("/api/subscriptions", headers=AUTH).json()["subscriptions"]
        assert {s["email"] for s in made} == {"Victim@example.com", "victim@example.com"}


def test_a_form_with_too_many_fields_is_refused_even_with_sign_ups_closed(folder: Path) -> None:
    body = "&".join(f"f{number}=x" for number in range(201))
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    with writable_app(folder) as client:
        answer = client.post("/subscribe", content=body, headers=headers)
    assert answer.status_code == 413 and "200 fields" in answer.text


def test_the_subscriptions_list_is_paged(folder: Path) -> None:
    with writable_app(folder) as client:
        for query in ("spin chains", "dark matter", "graph neural networks"):
            made = client.post("/api/subscriptions", json={"q": query}, headers=AUTH)
            assert made.status_code == 201
        page = client.get("/api/subscriptions", params={"limit": 2, "offset": 1}, headers=AUTH)
        body = page.json()
        assert (body["total"], body["limit"], body["offset"]) == (3, 2, 1)
        assert [s["q"] for s in body["subscriptions"]] == ["dark matter", QUERY]
        too_many = client.get("/api/subscriptions", params={"limit": 10**6}, headers=AUTH)
        assert_canonical_error(too_many, 422, "limit")


def test_a_damaged_store_is_503_on_every_subscription_request(folder: Path) -> None:
    (folder / "subscriptions.db").write_bytes(b"this is not a database" * 100)
    with writable_app(folder, open_signups=True) as client:
        listed = client.get("/api/subscriptions", headers=AUTH)
        assert_canonical_error(listed, 503)
        made = client.post("/api/subscriptions", json={"q": QUERY}, headers=AUTH)
        assert_canonical_error(made, 503)
        page = client.post("/subscribe", data={"q": QUERY})
        assert page.status_code == 503 and "<html" in page.text.lower()


def test_a_store_removed_while_serving_refuses_writes_instead_of_losing_them(
    folder: Path,
) -> None:
    with writable_app(folder) as client:
        assert client.post("/api/subscriptions", json={"q": QUERY}, headers=AUTH).status_code == 201
        for name in ("subscriptions.db", "subscriptions.db-wal", "subscriptions.db-shm"):
            (folder / name).unlink(missing_ok=True)
        made = client.post("/api/subscriptions", json={"q": "spin chains"}, headers=AUTH)
        assert_canonical_error(made, 503)
        assert "removed" in made.json()["error"]["message"]


@pytest.mark.slow
def test_parallel_sign_ups_for_one_address_stay_within_its_limit(folder: Path) -> None:
    """20 at once against a real server: the check and the insert are one transaction."""
    env = {"PAPERSIFT_WRITE_TOKEN": TOKEN, "PAPERSIFT_OPEN_SIGNUPS": "true",
           "PAPERSIFT_SIGNUPS_PER_ADDRESS": "5", "PAPERSIFT_SMTP_HOST": "127.0.0.1",
           "PAPERSIFT_SMTP_PORT": str(free_port()), "PAPERSIFT_SMTP_SECURITY": "none"}  # fmt: skip
    form = {"q": QUERY, "email": "victim@example.com"}
    with serving(folder, env) as server:

        def sign_up(_: int) -> int:
            return httpx.post(f"{server.base}/subscribe", data=form, timeout=60).status_code

        with ThreadPoolExecutor(20) as pool:
            statuses = list(pool.map(sign_up, range(20)))
        listed = httpx.get(f"{server.base}/api/subscriptions", headers=AUTH).json()
    assert statuses.count(201) == 5 and statuses.count(429) == 15, statuses
    assert listed["total"] == 5
