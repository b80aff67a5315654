"""Write endpoints on a real copy of the sample index: token, upsert, replace, delete, restart."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from papersift.api.http.app import create_app
from papersift.api.http.engine import Engine
from papersift.api.settings import Settings
from papersift.search.backends.interface import BackendConfig
from tests.helpers.apps import AUTH, TOKEN, writable_app
from tests.helpers.http import assert_canonical_error

NEW_PAPER = {
    "title": "Wombat burrow acoustics measured with fibre-optic sensing",
    "abstract": "We record wombat burrows with distributed acoustic sensing along buried fibre.",
    "authors": ["Ada Wombatson", "B. Burrow"],
    "categories": "physics.geo-ph q-bio.PE",
    "year": 2026,
}


@pytest.fixture
def client(folder: Path) -> Iterator[TestClient]:
    with writable_app(folder, max_upsert=3) as test_client:
        yield test_client


def top_ids(client: TestClient, query: str, mode: str, limit: int = 10) -> list[str]:
    response = client.get("/api/search", params={"q": query, "mode": mode, "limit": limit})
    assert response.status_code == 200, response.text
    return [hit["id"] for hit in response.json()["hits"]]


def test_writes_are_off_without_a_configured_token(folder: Path) -> None:
    engine = Engine(BackendConfig(index=folder))
    engine.open()
    with TestClient(create_app(Settings(index=folder), engine)) as plain:
        response = plain.put("/api/papers/w-1", json=NEW_PAPER, headers=AUTH)
        error = assert_canonical_error(response, 403)
        assert "PAPERSIFT_WRITE_TOKEN" in error["message"]
        assert plain.get("/api/papers/w-1").status_code == 404


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}]
)
def test_a_missing_or_wrong_token_is_401(client: TestClient, headers: dict[str, str]) -> None:
    response = client.put("/api/papers/w-1", json=NEW_PAPER, headers=headers)
    assert_canonical_error(response, 401)
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert_canonical_error(client.delete("/api/papers/w-1", headers=headers), 401)
    assert client.get("/api/papers/w-1").status_code == 404


def test_put_adds_a_searchable_paper(client: TestClient) -> None:
    before = client.get("/api/stats").json()
    response = client.put("/api/papers/w-1", json=NEW_PAPER, headers=AUTH)
    assert response.status_code == 200, response.text
    change = response.json()
    assert change["upserted"] == ["w-1"] and change["replaced"] == []
    assert change["documents"] == before["documents"] + 1
    paper = client.get("/api/papers/w-1").json()
    assert paper["authors"] == NEW_PAPER["authors"]
    assert paper["categories"] == ["physics.geo-ph", "q-bio.PE"]
    for mode in ("lexical", "dense", "hybrid"):
        assert top_ids(client, "wombat burrow acoustics", mode)[0] == "w-1"
    params = {"q": "wombat", "category": "q-bio.PE", "mode": "lexical"}  # the word, filtered
    filtered = client.get("/api/search", params=params).json()
    assert [hit["id"] for hit in filtered["hits"]] == ["w-1"]
    assert client.get("/api/stats").json()["pending_changes"] == 1
    assert client.get("/api/papers/w-1/similar").status_code == 200


def test_put_replaces_a_paper_with_the_same_id(client: TestClient) -> None:
    client.put("/api/papers/w-1", json=NEW_PAPER, headers=AUTH)
    revised = {**NEW_PAPER, "title": "Platypus electroreception in murky rivers",
               "abstract": "Platypus bills sense electric fields of prey."}  # fmt: skip
    change = client.put("/api/papers/w-1", json=revised, headers=AUTH).json()
    assert change["replaced"] == ["w-1"]
    assert client.get("/api/papers/w-1").json()["title"] == revised["title"]
    assert "w-1" not in top_ids(client, "wombat burrow acoustics", "lexical")
    assert top_ids(client, "platypus electroreception", "hybrid")[0] == "w-1"


def test_post_upserts_a_batch(client: TestClient) -> None:
    existing = client.get("/api/search", params={"q": "quantum", "limit": 1}).json()["hits"][0]
    papers = [{**NEW_PAPER, "id": "w-2"}, {**NEW_PAPER, "id": existing["id"], "title": "Moved"}]
    change = client.post("/api/papers", json={"papers": papers}, headers=AUTH).json()
    assert change["upserted"] == ["w-2", existing["id"]]
    assert change["replaced"] == [existing["id"]]
    assert client.get(f"/api/papers/{existing['id']}").json()["title"] == "Moved"


def test_bad_papers_are_422_and_change_nothing(client: TestClient) -> None:
    before = client.get("/api/stats").json()["documents"]
    cases = [
        (client.post("/api/papers", json={"papers": [NEW_PAPER]}, headers=AUTH), "papers.0.id"),
        (client.put("/api/papers/w-1", json={"id": "other", **NEW_PAPER}, headers=AUTH), "id"),
        (client.put("/api/papers/w-1", json={"title": " ", "abstract": ""}, headers=AUTH), "body"),
        (client.post("/api/papers", json={"papers": [{**NEW_PAPER, "id": f"x{i}"}
                                                     for i in range(4)]}, headers=AUTH), "papers"),
        (client.put("/api/papers/w-1", json={**NEW_PAPER, "year": 99999}, headers=AUTH), "year"),
    ]  # fmt: skip
    for response, field in cases:
        assert_canonical_error(response, 422, field)
    assert client.get("/api/stats").json()["documents"] == before


def test_fields_over_their_limits_are_422_naming_the_field(client: TestClient) -> None:
    """The limits of `build` (index/papers/limits.py), refused here rather than cut: a client
    can be told. A 10 MB abstract does not get this far: the body limit answers 413."""
    before = client.get("/api/stats").json()["documents"]
    long_name = "A" * 400
    cases = [
        (client.put("/api/papers/w-1", json={**NEW_PAPER, "abstract": "galaxy " * 15_000},
                    headers=AUTH), "abstract"),
        (client.put("/api/papers/w-1", json={**NEW_PAPER, "title": "T " * 600}, headers=AUTH),
         "title"),
        (client.put("/api/papers/w-1", json={**NEW_PAPER, "authors": f"B. Burrow, {long_name}"},
                    headers=AUTH), "authors"),
        (client.post("/api/papers", json={"papers": [{**NEW_PAPER, "id": "w-2",
                                                      "authors": [long_name]}]},
                     headers=AUTH), "papers.0.authors"),
        (client.put("/api/papers/w-1", json={**NEW_PAPER, "abstract": "x " * 5_000_000},
                    headers=AUTH), None),
    ]  # fmt: skip
    for response, field in cases[:-1]:
        error = assert_canonical_error(response, 422, field)
        assert "at most" in error["message"]
    assert_canonical_error(cases[-1][0], 413)
    assert client.get("/api/stats").json()["documents"] == before


def test_delete_removes_a_paper_everywhere(client: TestClient) -> None:
    hits = client.get("/api/search", params={"q": "quantum", "limit": 2}).json()["hits"]
    victim, other = hits[0], hits[1]
    change = client.delete(f"/api/papers/{victim['id']}", headers=AUTH).json()
    assert change["deleted"] == [victim["id"]]
    assert_canonical_error(client.get(f"/api/papers/{victim['id']}"), 404)
    assert_canonical_error(client.get(f"/api/papers/{victim['id']}/similar"), 404)
    for mode in ("lexical", "dense", "hybrid"):
        assert victim["id"] not in top_ids(client, victim["title"], mode, limit=100)
    similar = client.get(f"/api/papers/{other['id']}/similar", params={"limit": 100}).json()
    assert victim["id"] not in [hit["id"] for hit in similar["hits"]]
    assert_canonical_error(client.delete(f"/api/papers/{victim['id']}", headers=AUTH), 404)


def test_acknowledged_changes_survive_a_restart(folder: Path) -> None:
    with writable_app(folder) as first:
        first.put("/api/papers/w-1", json=NEW_PAPER, headers=AUTH)
        victim = first.get("/api/search", params={"q": "quantum", "limit": 1}).json()["hits"][0]
        first.delete(f"/api/papers/{victim['id']}", headers=AUTH)
    with writable_app(folder) as second:  # the log is replayed; nothing was compacted
        assert second.get("/api/papers/w-1").status_code == 200
        assert second.get(f"/api/papers/{victim['id']}").status_code == 404
        assert second.get("/api/stats").json()["pending_changes"] == 2


def test_compaction_folds_changes_into_new_files(folder: Path) -> None:
    with writable_app(folder, compact_after=2) as test_client:
        generation = (folder / "CURRENT").read_text()
        assert not test_client.put("/api/papers/w-1", json=NEW_PAPER, headers=AUTH).json()[
            "compacted"
        ]
        change = test_client.put("/api/papers/w-2", json=NEW_PAPER, headers=AUTH).json()
        assert change["compacted"]
        assert (folder / "CURRENT").read_text() != generation
        stats = test_client.get("/api/stats").json()
        assert stats["pending_changes"] == 0 and stats["documents"] == change["documents"]
        assert test_client.get("/api/papers/w-2").status_code == 200
