"""Subscriptions over HTTP on a real copy of the sample index: creation and its first issue,
the Atom feed (parsed by feedparser), signed webhooks to a real receiver (retried through two
500s, then delivered once), matches as papers arrive, bad input, and the token."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import feedparser
import httpx
import pytest
from fastapi.testclient import TestClient

from tests.helpers.apps import AUTH, TOKEN, writable_app
from tests.helpers.cli import run_cli
from tests.helpers.http import assert_canonical_error
from tests.helpers.servers import free_port, serving, webhook_receiver

QUERY = "graph neural networks"
ON_TOPIC = {
    "title": "Graph neural networks with message passing on molecular graphs",
    "abstract": "We train graph neural networks whose message passing layers aggregate "
    "neighbour features on graphs; the graph neural network beats earlier graph networks.",
    "authors": ["Ada Graphson"],
    "categories": "cs.LG",
    "year": 2026,
}
OFF_TOPIC = {
    "title": "Wombat burrow acoustics measured with fibre-optic sensing",
    "abstract": "We record wombat burrows with distributed acoustic sensing along buried fibre.",
    "categories": "physics.geo-ph",
}


def app_for(folder: Path, **overrides: Any) -> TestClient:
    return writable_app(folder, retry_base=0.2, **overrides)


@pytest.fixture
def client(folder: Path) -> Iterator[TestClient]:
    with app_for(folder) as test_client:
        yield test_client


def received(log: Path, count: int, seconds: float = 20) -> list[dict[str, Any]]:
    """The receiver's log once it holds `count` requests."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        lines = log.read_text().splitlines() if log.exists() else []
        if len(lines) >= count:
            return [json.loads(line) for line in lines]
        time.sleep(0.1)
    pytest.fail(f"the receiver got {len(lines)} requests, not {count}")


def verified(record: dict[str, Any], secret: str) -> dict[str, Any]:
    """The delivery's payload, after checking its signature as a receiver would."""
    body = record["body"].encode()
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(record["headers"]["X-Papersift-Signature"], expected)
    payload: dict[str, Any] = json.loads(body)
    assert payload["delivery"] == record["headers"]["X-Papersift-Delivery"]
    return payload


def test_subscriptions_need_the_token_for_every_method(client: TestClient) -> None:
    for method, path in [("POST", "/api/subscriptions"), ("GET", "/api/subscriptions"),
                         ("GET", "/api/subscriptions/x"), ("DELETE", "/api/subscriptions/x"),
                         ("GET", "/api/subscriptions/x/matches")]:  # fmt: skip
        response = client.request(method, path, json={"q": QUERY})
        assert_canonical_error(response, 401)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"papers": ["no-such-paper"]}, "papers"),
        ({"q": "   "}, "q"),
        ({"q": QUERY, "webhook_url": "ftp://example.org/hook"}, "webhook_url"),
        ({"q": QUERY, "webhook_url": "http://user:pw@example.org/hook"}, "webhook_url"),
        ({"q": QUERY, "top": 100_000}, "top"),
        ({"q": QUERY, "top": 0}, "top"),
        ({}, "q"),
        ({"q": QUERY, "email": "not an address"}, "email"),
        ({"q": QUERY, "email": "someone@example.org"}, "email"),  # no SMTP configured
        ({"q": QUERY, "digest": "hourly"}, "digest"),
        ({"q": QUERY, "colour": "blue"}, "colour"),
    ],
)
def test_bad_subscriptions_are_422_naming_the_field(
    client: TestClient, body: dict[str, Any], field: str
) -> None:
    assert_canonical_error(client.post("/api/subscriptions", json=body, headers=AUTH), 422, field)
    assert client.get("/api/subscriptions", headers=AUTH).json()["subscriptions"] == []


def test_a_saved_search_has_its_top_n_as_first_issue_and_a_valid_feed(client: TestClient) -> None:
    response = client.post("/api/subscriptions", json={"q": QUERY, "top": 5}, headers=AUTH)
    assert response.status_code == 201, response.text
    created = response.json()
    search = client.get("/api/search", params={"q": QUERY, "limit": 5}).json()
    assert [hit["id"] for hit in created["first_issue"]] == [hit["id"] for hit in search["hits"]]
    assert created["secret"] is None and created["matches"] == 5
    feed_path = created["feed_url"].removeprefix("http://testserver")
    feed_response = client.get(feed_path)
    assert feed_response.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(feed_response.content)
    assert not feed.bozo, feed.bozo_exception
    assert {entry.link.rsplit("/", 1)[-1] for entry in feed.entries} == {
        hit["id"] for hit in search["hits"]
    }
    first = feed.entries[0]
    assert first.title and first.summary and first.author and first.updated
    assert_canonical_error(client.get("/feeds/not-a-token.atom"), 404)


def test_a_webhook_gets_the_first_issue_then_each_new_match_once_through_failures(
    client: TestClient, tmp_path: Path
) -> None:
    log = tmp_path / "hooks.jsonl"
    with webhook_receiver(log, fail_first=2) as url:
        body = {"q": QUERY, "top": 5, "webhook_url": url, "name": "GNNs"}
        created = client.post("/api/subscriptions", json=body, headers=AUTH).json()
        secret = created["secret"]
        assert secret
        attempts = received(log, 3)  # 500, 500, then 200
        assert [attempt["status"] for attempt in attempts] == [500, 500, 200]
        assert len({attempt["headers"]["X-Papersift-Delivery"] for attempt in attempts}) == 1
        first = verified(attempts[-1], secret)
        assert first["first_issue"] and first["subscription"]["name"] == "GNNs"
        assert [p["id"] for p in first["papers"]] == [h["id"] for h in created["first_issue"]]

        assert client.put("/api/papers/new-gnn", json=ON_TOPIC, headers=AUTH).status_code == 200
        assert client.put("/api/papers/new-wombat", json=OFF_TOPIC, headers=AUTH).status_code == 200
        news = verified(received(log, 4)[-1], secret)
        assert not news["first_issue"]
        assert [paper["id"] for paper in news["papers"]] == ["new-gnn"]
        time.sleep(1.0)  # nothing more arrives: the wombat did not match
        assert len(received(log, 4)) == 4

    subscription = f"/api/subscriptions/{created['id']}"
    status = client.get(subscription, headers=AUTH).json()
    assert status["deliveries"]["delivered"] == 2 and status["deliveries"]["pending"] == 0
    assert "500" in status["deliveries"]["last_error"]
    matches = client.get(f"{subscription}/matches", params={"limit": 2}, headers=AUTH).json()
    assert matches["total"] == 6 and matches["matches"][0]["id"] == "new-gnn"
    assert matches["matches"][0]["first_issue"] is False

    assert client.delete(subscription, headers=AUTH).status_code == 204
    assert_canonical_error(client.get(subscription, headers=AUTH), 404, "id")
    assert_canonical_error(client.delete(subscription, headers=AUTH), 404, "id")


def test_a_paper_list_matches_papers_like_its_papers(client: TestClient) -> None:
    gnn = client.get("/api/search", params={"q": QUERY, "limit": 2}).json()["hits"]
    body = {"papers": [hit["id"] for hit in gnn], "top": 5}
    created = client.post("/api/subscriptions", json=body, headers=AUTH).json()
    assert created["kind"] == "papers" and len(created["first_issue"]) == 5
    assert not {hit["id"] for hit in gnn} & {hit["id"] for hit in created["first_issue"]}
    client.put("/api/papers/new-gnn", json=ON_TOPIC, headers=AUTH)
    client.put("/api/papers/new-wombat", json=OFF_TOPIC, headers=AUTH)
    path = f"/api/subscriptions/{created['id']}/matches"
    matched = [m["id"] for m in client.get(path, headers=AUTH).json()["matches"]]
    assert "new-gnn" in matched and "new-wombat" not in matched


def test_subscriptions_survive_a_restart_and_catch_up(folder: Path) -> None:
    with app_for(folder) as client:
        created = client.post("/api/subscriptions", json={"q": QUERY}, headers=AUTH).json()
    with app_for(folder) as client:
        listed = client.get("/api/subscriptions", headers=AUTH).json()["subscriptions"]
        assert [s["id"] for s in listed] == [created["id"]]
        client.put("/api/papers/new-gnn", json=ON_TOPIC, headers=AUTH)
        path = f"/api/subscriptions/{created['id']}/matches"
        assert client.get(path, headers=AUTH).json()["matches"][0]["id"] == "new-gnn"


def test_a_subscription_made_with_the_cli_while_serving_is_matched(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with app_for(folder) as client:
        assert not (folder / "subscriptions.db").exists()  # serving made no store of its own
        code, out, err = run_cli(["subscribe", QUERY, "--json", "--index", str(folder)], capsys,
                                 monkeypatch)  # fmt: skip
        assert code == 0, err
        created = json.loads(out)
        assert client.put("/api/papers/new-gnn", json=ON_TOPIC, headers=AUTH).status_code == 200
        path = f"/api/subscriptions/{created['id']}/matches"
        assert client.get(path, headers=AUTH).json()["matches"][0]["id"] == "new-gnn"


@pytest.mark.slow
def test_matches_are_delivered_after_the_server_is_killed_before_delivering_them(
    folder: Path, tmp_path: Path
) -> None:
    """At least once: SIGKILL after a match is stored but before it could be delivered (no
    receiver yet); the restarted server delivers it, and every delivery has its own key."""
    port = free_port()
    hook = f"http://127.0.0.1:{port}/hook"  # nobody listens yet: every attempt fails
    env = {"PAPERSIFT_WRITE_TOKEN": TOKEN, "PAPERSIFT_RETRY_BASE": "0.5"}
    with serving(folder, env) as server:
        body = {"q": QUERY, "top": 5, "webhook_url": hook}
        created = httpx.post(f"{server.base}/api/subscriptions", json=body, headers=AUTH).json()
        put = httpx.put(f"{server.base}/api/papers/new-gnn", json=ON_TOPIC, headers=AUTH)
        assert put.status_code == 200
        server.process.kill()
        server.process.wait()
    log = tmp_path / "hooks.jsonl"
    with webhook_receiver(log, port=port), serving(folder, env):
        deliveries = {r["headers"]["X-Papersift-Delivery"]: r for r in received(log, 2, 60)}
    assert len(deliveries) == 2
    payloads = [verified(record, created["secret"]) for record in deliveries.values()]
    assert sorted(p["first_issue"] for p in payloads) == [False, True]
    news = next(p for p in payloads if not p["first_issue"])
    assert [paper["id"] for paper in news["papers"]] == ["new-gnn"]
