"""Congruence: the same real SciFact queries on the local index and on Milvus (milvus-lite server).

Both hold the same abstracts and the same embeddings. Milvus's BM25 has its own analyser
(standard tokenizer, English stopwords and stemmer) and statistics, so lexical and hybrid rankings
are compared by overlap, not equality; its HNSW may miss a neighbour the exact local scan finds.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from statistics import fmean

import numpy as np
import pytest
from fastapi.testclient import TestClient

from papersift.api.http.app import create_app
from papersift.api.http.engine import Engine
from papersift.api.settings import Settings
from papersift.index.build import build_index
from papersift.index.encoding.encoder import Encoder
from papersift.index.papers.records import paper_from_record
from papersift.index.storage.changes import live_papers
from papersift.index.storage.snapshot import Snapshot
from papersift.search.backends.interface import BackendConfig, BackendName
from papersift.search.backends.milvus import MilvusError, MilvusReader, MilvusTarget
from papersift.search.backends.milvus.collection import build_collection
from papersift.search.backends.milvus.expressions import filter_expression
from papersift.search.backends.registry import open_backend
from papersift.search.errors import QueryError
from papersift.search.evaluation import Collection, evaluate, load_collection
from papersift.search.hits import Listing
from papersift.search.requests import Filters, SearchRequest, Sort
from papersift.search.searcher import Searcher
from tests.helpers.data import scifact_slice
from tests.helpers.servers import milvus_server

# Tolerances. Measured on this slice (bench/milvus.py): top-10 overlap dense 1.000, lexical 0.662,
# hybrid 0.782; nDCG@10 gaps 0.000 / 0.018 / 0.010.
DENSE_OVERLAP = 0.95  # mean top-10 overlap: HNSW (M 32, ef 256+) against exact search
LEXICAL_OVERLAP = 0.6  # another analyser and IDF: many of the same papers, not the same order
HYBRID_OVERLAP = 0.7
NDCG_GAP = 0.05  # nDCG@10 of each mode on Milvus within this of the local index


@pytest.fixture(scope="module")
def milvus_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with milvus_server(tmp_path_factory.mktemp("milvus-data")) as (uri, _):
        yield uri


@pytest.fixture(scope="module")
def collection(tmp_path_factory: pytest.TempPathFactory) -> Collection:
    folder = scifact_slice(tmp_path_factory.mktemp("scifact") / "slice", queries=50, others=400)
    return load_collection(folder, "test")


@pytest.fixture(scope="module")
def local(
    tmp_path_factory: pytest.TempPathFactory, collection: Collection, encoder: Encoder
) -> Searcher:
    folder = tmp_path_factory.mktemp("local") / "index"
    build_index([collection.corpus], folder, encoder=encoder)
    return Searcher(Snapshot.load(folder), encoder)


@pytest.fixture(scope="module")
def milvus(milvus_uri: str, local: Searcher, encoder: Encoder) -> MilvusReader:
    """The same papers and embeddings, inserted into Milvus."""
    index = local.index
    papers = list(live_papers(index))
    vectors = np.stack([index.dense.vector(row) for row in range(len(papers))])
    target = MilvusTarget(milvus_uri, collection="scifact")
    build_collection(target, papers, vectors, encoder.name)
    return MilvusReader(target, target.connect(), encoder=encoder)


def top_ids(searcher: Searcher | MilvusReader, query: str, mode: str) -> list[str]:
    hits = searcher.search(SearchRequest(query=query, mode=mode, limit=10)).hits
    return [hit.paper.id for hit in hits]


def overlaps(local: Searcher, milvus: MilvusReader, queries: list[str], mode: str) -> list[float]:
    return [len(set(top_ids(local, q, mode)) & set(top_ids(milvus, q, mode))) / 10 for q in queries]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("mode", "threshold"),
    [("dense", DENSE_OVERLAP), ("lexical", LEXICAL_OVERLAP), ("hybrid", HYBRID_OVERLAP)],
)
def test_top_10_agrees_with_the_local_index(
    local: Searcher, milvus: MilvusReader, collection: Collection, mode: str, threshold: float
) -> None:
    queries = list(collection.queries.values())
    assert fmean(overlaps(local, milvus, queries, mode)) >= threshold


@pytest.mark.slow
def test_ndcg_on_milvus_is_close_to_local(
    local: Searcher, milvus: MilvusReader, collection: Collection
) -> None:
    ours = {report.mode: report.metrics["ndcg@10"] for report in evaluate(local, collection)}
    theirs = {report.mode: report.metrics["ndcg@10"] for report in evaluate(milvus, collection)}
    for mode, value in ours.items():
        assert abs(theirs[mode] - value) <= NDCG_GAP, (mode, value, theirs[mode])


def test_filters_become_milvus_expressions() -> None:
    assert filter_expression(Filters()) == ""
    expression = filter_expression(
        Filters(year_from=2020, categories=("cs.LG", 'a"b'), author="O'Neil_%")
    )
    assert expression == (
        'year >= 2020 and year > 0 and ARRAY_CONTAINS_ANY(categories, ["cs.LG", "a\\"b"]) '
        'and authors_folded like "%o\'neil\\\\_\\\\%%"'
    )


@pytest.mark.slow
def test_a_filter_nothing_passes_leaves_nothing(milvus: MilvusReader) -> None:
    # SciFact has no years or categories: a year filter leaves nothing, as on the local index.
    result = milvus.search(SearchRequest(query="cancer", filters=Filters(year_from=2000)))
    assert result.hits == ()


def test_what_a_collection_cannot_answer_is_said(milvus: MilvusReader) -> None:
    with pytest.raises(QueryError, match="dates") as refused:
        milvus.search(SearchRequest(query="cancer", sort=Sort.newest))
    assert refused.value.field == "sort"
    assert milvus.newest(Filters(), 10) == Listing((), 0, None, None)
    result = milvus.search(SearchRequest(query="cancer", facets=True))
    assert result.hits and result.facets == () and not result.weak


@pytest.mark.slow
def test_the_api_serves_milvus_with_writes(milvus: MilvusReader, milvus_uri: str) -> None:
    settings = Settings(backend="milvus", milvus_uri=milvus_uri, milvus_collection="scifact",
                        write_token="t")  # fmt: skip
    engine = Engine(BackendConfig(BackendName.milvus, uri=milvus_uri, collection="scifact"))
    engine.open()
    auth = {"Authorization": "Bearer t"}
    paper = {"title": "Quokka immunology", "abstract": "Quokka T cells respond to a new antigen."}
    with TestClient(create_app(settings, engine)) as client:
        assert client.get("/api/stats").json()["backend"] == "milvus"
        assert client.put("/api/papers/quokka-1", json=paper, headers=auth).status_code == 200
        assert client.get("/api/papers/quokka-1").json()["title"] == "Quokka immunology"
        for mode in ("lexical", "dense", "hybrid"):
            hits = client.get("/api/search", params={"q": "quokka T cells", "mode": mode}).json()
            assert hits["hits"][0]["id"] == "quokka-1", mode
        assert client.get("/api/papers/quokka-1/similar").status_code == 200
        assert client.delete("/api/papers/quokka-1", headers=auth).status_code == 200
        assert client.get("/api/papers/quokka-1").status_code == 404
        hits = client.get("/api/search", params={"q": "quokka T cells", "limit": 50}).json()
        assert "quokka-1" not in [hit["id"] for hit in hits["hits"]]
        assert client.delete("/api/papers/quokka-1", headers=auth).status_code == 404


def test_a_missing_collection_is_a_clear_error(tmp_path: Path) -> None:
    config = BackendConfig(BackendName.milvus, uri=str(tmp_path / "lite.db"), collection="nope")
    with pytest.raises(MilvusError, match=r"no collection 'nope'.*papersift build"):
        open_backend(config)


@pytest.mark.slow
def test_a_milvus_that_goes_away_is_a_503_not_a_500(tmp_path: Path, encoder: Encoder) -> None:
    papers = [paper_from_record({"id": f"m{i}", "title": f"Quokka study {i}", "abstract": "x"})
              for i in range(3)]  # fmt: skip
    vectors = encoder.encode_documents([paper.text for paper in papers])
    settings = Settings(backend="milvus", write_token="t" * 16)
    with milvus_server(tmp_path / "data") as (uri, process):
        target = MilvusTarget(uri, collection="gone")
        build_collection(target, papers, vectors, encoder.name)
        engine = Engine(BackendConfig(BackendName.milvus, uri=uri, collection="gone"))
        engine.open()
        with TestClient(create_app(settings, engine)) as client:
            assert client.get("/api/search", params={"q": "quokka"}).status_code == 200
            process.kill()
            process.wait()
            for response in (
                client.get("/api/search", params={"q": "quokka", "mode": "lexical"}),
                client.get("/api/papers/m1"),
                client.delete("/api/papers/m1", headers={"Authorization": "Bearer " + "t" * 16}),
            ):
                assert response.status_code == 503, response.text
                assert response.headers["retry-after"] == "5"
                assert response.json()["error"]["message"].startswith("Milvus")
