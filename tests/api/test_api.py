"""Every endpoint, on the real engine (real model, real index of real abstracts)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from papersift.api.http.app import create_app
from papersift.api.http.engine import Engine
from papersift.api.settings import Settings
from papersift.index.storage.snapshot import Snapshot
from papersift.search.backends.interface import BackendConfig
from tests.helpers.http import assert_canonical_error


def search(client: TestClient, **params: Any) -> dict[str, Any]:
    response = client.get("/api/search", params=params)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_search_returns_hits_with_snippets_and_paging(client: TestClient) -> None:
    body = search(client, q="dark matter galaxies", limit=5)
    assert body["mode"] == "hybrid" and body["limit"] == 5 and body["offset"] == 0
    assert body["total"] >= 5 and body["took_ms"] > 0 and len(body["hits"]) == 5
    hit = body["hits"][0]
    assert {"id", "title", "authors", "year", "categories", "url", "score", "snippet"} <= set(hit)
    assert hit["explain"] is None
    marked = [
        h["snippet"]["text"][start:end].lower()
        for h in body["hits"]
        for start, end in h["snippet"]["highlights"]
    ]
    assert marked and all(word.startswith(("dark", "matter", "galax")) for word in marked)
    second_page = search(client, q="dark matter galaxies", limit=5, offset=5)
    assert [h["rank"] for h in second_page["hits"]] == [6, 7, 8, 9, 10]
    whole = search(client, q="dark matter galaxies", limit=10)
    assert [h["id"] for h in whole["hits"]] == [h["id"] for h in body["hits"] + second_page["hits"]]


def test_explain_gives_leg_ranks_and_matched_terms(client: TestClient) -> None:
    hit = search(client, q="quantum entanglement", explain="true", limit=1)["hits"][0]
    explain = hit["explain"]
    assert explain["fused_score"] == hit["score"]
    assert explain["lexical"]["rank"] >= 1 and explain["dense"]["rank"] >= 1
    assert set(explain["matched_terms"]) <= {"quantum", "entangl"} and explain["matched_terms"]


@pytest.mark.parametrize("mode", ["lexical", "dense"])
def test_single_leg_modes(client: TestClient, mode: str) -> None:
    hits = search(client, q="neural networks", mode=mode, explain="true")["hits"]
    other = "dense" if mode == "lexical" else "lexical"
    assert hits and all(h["explain"][other] is None and h["explain"][mode] for h in hits)


def test_convex_fusion_with_alpha(client: TestClient) -> None:
    lexical_only = search(client, q="quantum states", fusion="convex", alpha=1.0, limit=5)
    lexical = search(client, q="quantum states", mode="lexical", limit=5)
    assert [h["id"] for h in lexical_only["hits"]] == [h["id"] for h in lexical["hits"]]


def test_rare_category_filter_fills_the_page(client: TestClient, sample_index: Snapshot) -> None:
    papers = sample_index.papers
    counts = {
        name: int(n)
        for name, n in zip(papers.category_names, papers.category_rows.getnnz(axis=0), strict=True)
    }
    rare = min((name for name, n in counts.items() if n >= 5), key=lambda name: counts[name])
    assert counts[rare] < sample_index.size / 10
    body = search(client, q="model", category=rare, limit=5)
    assert len(body["hits"]) == 5
    assert all(rare in hit["categories"] for hit in body["hits"])


def test_year_and_author_filters(client: TestClient, sample_index: Snapshot) -> None:
    paper = sample_index.papers.get(10)
    surname = paper.authors[0].split()[-1]
    hits = search(client, q=paper.title, author=surname, year_from=paper.year, year_to=paper.year)[
        "hits"
    ]
    assert hits[0]["id"] == paper.id
    assert all(hit["year"] == paper.year for hit in hits)


def test_post_and_batch_match_get(client: TestClient) -> None:
    get = search(client, q="black holes", limit=3)
    post = client.post("/api/search", json={"q": "black holes", "limit": 3}).json()
    assert [h["id"] for h in post["hits"]] == [h["id"] for h in get["hits"]]
    batch = client.post(
        "/api/search/batch",
        json={"queries": [{"q": "black holes", "limit": 3}, {"q": "spin", "mode": "lexical"}]},
    )
    results = batch.json()["results"]
    assert [h["id"] for h in results[0]["hits"]] == [h["id"] for h in get["hits"]]
    assert results[1]["mode"] == "lexical"


def test_batch_is_capped(client: TestClient) -> None:
    response = client.post("/api/search/batch", json={"queries": [{"q": "x"}] * 101})
    assert_canonical_error(response, 422, "queries")


def test_paper_and_similar(client: TestClient, sample_index: Snapshot) -> None:
    doc_id = sample_index.papers.id_of(0)
    paper = client.get(f"/api/papers/{doc_id}").json()
    assert paper["id"] == doc_id and paper["abstract"]
    similar = client.get(f"/api/papers/{doc_id}/similar", params={"limit": 4}).json()
    assert similar["id"] == doc_id and len(similar["hits"]) == 4
    assert doc_id not in [hit["id"] for hit in similar["hits"]]


def test_health_ready_and_stats(client: TestClient, sample_index: Snapshot) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}
    stats = client.get("/api/stats").json()
    assert stats["documents"] == sample_index.size and stats["dimension"] == 384
    assert stats["model"] == "all-MiniLM-L6-v2" and stats["format_version"] == 1
    assert set(stats["index_bytes"]) == {"dense", "lexical", "papers"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"q": ""}, "q"),
        ({"q": "x" * 1001}, "q"),
        ({"q": "   "}, "q"),
        ({"q": "x", "limit": 0}, "limit"),
        ({"q": "x", "limit": 101}, "limit"),
        ({"q": "x", "offset": -1}, "offset"),
        ({"q": "x", "mode": "fuzzy"}, "mode"),
        ({"q": "x", "year_from": 2020, "year_to": 2000}, "year_from"),
        ({"q": "x", "rrf_k": 0}, "rrf_k"),
        ({"q": "x", "alpha": 2}, "alpha"),
        ({"q": "x", "limit": "ten"}, "limit"),
        ({}, "q"),
    ],
)
def test_bad_input_is_422_naming_the_field(
    client: TestClient, params: dict[str, Any], field: str
) -> None:
    assert_canonical_error(client.get("/api/search", params=params), 422, field)


def test_bad_json_bodies_are_422(client: TestClient) -> None:
    assert_canonical_error(client.post("/api/search", json={"q": 5}), 422, "q")
    assert_canonical_error(client.post("/api/search", json={"q": "x", "limit": 500}), 422, "limit")
    response = client.post(
        "/api/search", content=b'{"q": "x", "limit": 10 "mode": "dense"}',
        headers={"content-type": "application/json"},
    )  # fmt: skip
    error = assert_canonical_error(response, 422)
    assert error["field"] is None
    assert error["message"] == (
        "the body is not valid JSON: Expecting ',' delimiter at character 24"
    )


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity"])
def test_weights_must_be_finite(client: TestClient, value: str) -> None:
    body = '{"q": "x", "lexical_weight": ' + value + "}"
    response = client.post(
        "/api/search", content=body.encode(), headers={"content-type": "application/json"}
    )
    error = assert_canonical_error(response, 422, "lexical_weight")
    assert error["message"] == "lexical_weight: must be a finite number"
    for field in ("lexical_weight", "dense_weight", "alpha"):
        got = client.get("/api/search", params={"q": "x", field: value.lower()})
        assert_canonical_error(got, 422, field)


def test_both_weights_zero_is_422(client: TestClient) -> None:
    response = client.get("/api/search", params={"q": "x", "lexical_weight": 0, "dense_weight": 0})
    assert_canonical_error(response, 422, "lexical_weight")
    alpha = client.get("/api/search", params={"q": "x", "lexical_weight": 0, "alpha": 0.5})
    assert alpha.status_code == 200  # alpha sets both weights


@pytest.mark.parametrize("mode", ["hybrid", "lexical", "dense"])
def test_every_page_of_a_query_reports_one_total(client: TestClient, mode: str) -> None:
    first = search(client, q="neural network model", mode=mode, limit=10)
    total = first["total"]
    assert total > 10
    for offset in (10, total - 5, total + 50):
        page = search(client, q="neural network model", mode=mode, limit=10, offset=offset)
        assert page["total"] == total
        assert len(page["hits"]) == max(0, min(10, total - offset))
    ranked = [hit["id"] for hit in search(client, q="neural network model", mode=mode,
                                           limit=100)["hits"]]  # fmt: skip
    if total <= 100:
        assert len(ranked) == total


def test_unknown_paper_and_route_are_404(client: TestClient) -> None:
    assert_canonical_error(client.get("/api/papers/no-such-paper"), 404, "id")
    assert_canonical_error(client.get("/api/papers/no-such-paper/similar"), 404, "id")
    assert_canonical_error(client.get("/api/nothing"), 404)


def test_503_while_the_index_loads(tmp_path: Path) -> None:
    engine = Engine(BackendConfig(index=tmp_path / "missing-index"))  # never started: still loading
    with TestClient(create_app(Settings(), engine)) as client:
        engine.wait(30)
        assert client.get("/healthz").status_code == 200
        error = assert_canonical_error(client.get("/readyz"), 503)
        assert "index folder not found" in error["message"]
        assert_canonical_error(client.get("/api/search", params={"q": "x"}), 503)
    idle = Engine(BackendConfig(index=tmp_path / "other"))
    app = create_app(Settings(), idle)
    app.router.lifespan_context = None  # type: ignore[assignment]
    plain = TestClient(app)
    response = plain.get("/api/search", params={"q": "x"})
    assert_canonical_error(response, 503)
    assert "still loading" in response.json()["error"]["message"]
    assert response.headers["retry-after"] == "5"


def test_openapi_documents_the_endpoints(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {
        "/api/search",
        "/api/search/batch",
        "/api/papers/{id}",
        "/api/stats",
        "/api/papers/{id}/similar",
        "/healthz",
        "/readyz",
    } <= set(paths)
    assert client.get("/docs").status_code == 200
    for path, method, schema in [
        ("/api/search", "get", "SearchResponse"),
        ("/api/search", "post", "SearchResponse"),
        ("/api/search/batch", "post", "BatchResponse"),
    ]:  # these return pre-rendered JSON; the documented model must stay
        ok = paths[path][method]["responses"]["200"]["content"]["application/json"]["schema"]
        assert ok == {"$ref": f"#/components/schemas/{schema}"}


def test_newest_papers_listing(client: TestClient, sample_index: Snapshot) -> None:
    everything = client.get("/api/papers", params={"limit": 100}).json()
    assert everything["total"] == sample_index.size and len(everything["papers"]) == 100
    dates = [paper["published"] or str(paper["year"]) for paper in everything["papers"]]
    assert dates == sorted(dates, reverse=True)
    assert everything["last_date"][:7] == dates[0][:7]
    second = client.get("/api/papers", params={"limit": 10, "offset": 10}).json()
    assert second["papers"] == everything["papers"][10:20]
    vision = client.get("/api/papers", params={"category": "cs.CV"}).json()
    assert vision["total"] > 3 and all("cs.CV" in p["categories"] for p in vision["papers"])
    bad = client.get("/api/papers", params={"limit": 0})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "limit"


def test_sort_facets_and_the_match_cue_in_the_api(client: TestClient) -> None:
    relevance = search(client, q="neural network", limit=100, facets="true")
    newest = search(client, q="neural network", limit=100, sort="newest")
    assert newest["total"] == relevance["total"]  # the same results, in another order
    dates = [hit["published"] or str(hit["year"]) for hit in newest["hits"]]
    assert dates == sorted(dates, reverse=True)
    assert relevance["facets"][0]["count"] >= relevance["facets"][-1]["count"] > 0
    assert newest["facets"] == [] and relevance["standout"] is not None
    threshold = client.get("/api/stats").json()["cue_threshold"]  # the index's own
    topical = search(client, q="graph neural networks")
    assert not topical["weak"] and topical["standout"] > threshold
    nonsense = search(client, q="zxqv blorf")
    assert nonsense["weak"] and nonsense["standout"] < threshold and nonsense["hits"]
    assert search(client, q="zxqv blorf", mode="lexical")["standout"] is None
    posted = client.post("/api/search", json={"q": "neural network", "sort": "oldest"})
    assert posted.status_code == 422 and posted.json()["error"]["field"] == "sort"
