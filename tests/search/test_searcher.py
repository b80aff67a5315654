"""The searcher on a real index (real model, real FAISS, real BM25)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from papersift.index.papers.paper import Paper
from papersift.index.storage.snapshot import Snapshot
from papersift.search.errors import PaperNotFoundError, QueryError
from papersift.search.fusion import Ranking, reciprocal_rank_fusion
from papersift.search.requests import Filters, Mode, SearchRequest, Sort
from papersift.search.searcher import Searcher


def ids(result) -> list[str]:  # type: ignore[no-untyped-def]
    return [hit.paper.id for hit in result.hits]


@pytest.mark.parametrize("mode", ["hybrid", "lexical", "dense"])
def test_each_mode_returns_ranked_hits(searcher: Searcher, mode: str) -> None:
    result = searcher.search(SearchRequest("neural network training", mode=mode, limit=5))  # type: ignore[arg-type]
    assert len(result.hits) == 5
    assert [hit.rank for hit in result.hits] == [1, 2, 3, 4, 5]
    scores = [hit.score for hit in result.hits]
    assert scores == sorted(scores, reverse=True)
    for hit in result.hits:  # the legs that returned it
        legs = {name for name, leg in (("lexical", hit.lexical), ("dense", hit.dense)) if leg}
        assert legs == {mode} if mode != "hybrid" else legs, legs


def test_hybrid_by_default_adds_corpus_z_scores_computed_here_with_numpy(
    searcher: Searcher,
) -> None:
    """Each leg standardised over every document of the index (mean and std of its scores), and
    summed, for every candidate: each row with a lexical match, and the dense leg's top 100."""
    query = "quantum computing error correction"
    index = searcher.index
    assert index.size < 1000  # so every row is a candidate of both legs
    lexical = index.lexical.score_all(index.tokenizer.tokenize(query))
    vectors = np.stack([index.dense.vector(row) for row in range(index.size)])
    dense = vectors @ searcher.encoder.encode_query(query)
    total = (lexical - lexical.mean()) / lexical.std() + (dense - dense.mean()) / dense.std()
    candidate = (lexical > 0) | (np.argsort(np.argsort(-dense)) < 100)
    total[~candidate] = -np.inf
    expected = np.lexsort((np.arange(index.size), -total))[:10]
    hybrid = searcher.search(SearchRequest(query, limit=10))
    assert [hit.row for hit in hybrid.hits] == expected.tolist()
    assert [hit.score for hit in hybrid.hits] == pytest.approx(total[expected].tolist(), abs=1e-5)


def test_hybrid_rrf_is_the_rrf_of_the_two_legs(searcher: Searcher) -> None:
    query = "quantum computing error correction"
    lexical = searcher.search(SearchRequest(query, mode="lexical", limit=100))
    dense = searcher.search(SearchRequest(query, mode="dense", limit=100))
    hybrid = searcher.search(SearchRequest(query, limit=10, fusion="rrf"))
    legs = [Ranking.of([(h.row, h.score) for h in r.hits]) for r in (lexical, dense)]
    expected = reciprocal_rank_fusion(legs, rrf_k=60)
    assert [hit.row for hit in hybrid.hits] == expected.rows[:10].tolist()
    for hit in hybrid.hits:
        lexical_part = 1 / (60 + hit.lexical.rank) if hit.lexical else 0.0
        dense_part = 1 / (60 + hit.dense.rank) if hit.dense else 0.0
        assert hit.score == pytest.approx(lexical_part + dense_part)


def test_paging_walks_the_same_ranking(searcher: Searcher) -> None:
    whole = searcher.search(SearchRequest("magnetic materials", limit=30))
    pages = [
        searcher.search(SearchRequest("magnetic materials", limit=10, offset=o))
        for o in (0, 10, 20)
    ]
    assert [doc_id for page in pages for doc_id in ids(page)] == ids(whole)
    assert pages[2].hits[0].rank == 21


def test_lexical_explains_matched_terms_and_leg_scores(searcher: Searcher) -> None:
    result = searcher.search(SearchRequest("galaxies", mode="lexical", limit=3))
    assert result.query_terms == ("galaxi",)
    for hit in result.hits:
        assert hit.lexical is not None and hit.lexical.score == hit.score and hit.dense is None
        assert "galax" in hit.paper.text.lower()


def test_query_without_known_words_gives_no_lexical_hits(searcher: Searcher) -> None:
    assert searcher.search(SearchRequest("qwzxv", mode="lexical")).hits == ()
    assert len(searcher.search(SearchRequest("qwzxv", mode="dense")).hits) == 10


def test_filters_apply_before_the_cut(searcher: Searcher, sample_index) -> None:  # type: ignore[no-untyped-def]
    counts: dict[str, int] = {}
    for row in range(sample_index.size):
        for category in sample_index.papers.get(row).categories:
            counts[category] = counts.get(category, 0) + 1
    rare = min((c for c, n in counts.items() if n >= 5), key=lambda c: counts[c])
    for mode in ("hybrid", "lexical", "dense"):
        request = SearchRequest("learning", mode=mode, limit=5, filters=Filters(categories=(rare,)))  # type: ignore[arg-type]
        result = searcher.search(request)
        assert all(rare in hit.paper.categories for hit in result.hits)
        if mode == "dense":
            assert len(result.hits) == 5


def test_year_and_author_filters(searcher: Searcher, sample_index) -> None:  # type: ignore[no-untyped-def]
    paper = sample_index.papers.get(3)
    surname = paper.authors[0].split()[-1]
    result = searcher.search(
        SearchRequest("the", mode="dense", limit=50, filters=Filters(author=surname.upper()))
    )
    assert paper.id in ids(result)
    assert all(any(surname.lower() in a.lower() for a in hit.paper.authors) for hit in result.hits)
    none = searcher.search(SearchRequest("physics", filters=Filters(year_from=1990, year_to=1991)))
    assert none.hits == ()


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (SearchRequest("  "), "q"),
        (SearchRequest("x", limit=0), "limit"),
        (SearchRequest("x", offset=-1), "offset"),
        (SearchRequest("x", filters=Filters(year_from=2020, year_to=2010)), "year_from"),
    ],
)
def test_bad_requests_name_the_field(
    searcher: Searcher, request_: SearchRequest, field: str
) -> None:
    with pytest.raises(QueryError) as caught:
        searcher.search(request_)
    assert caught.value.field == field


def test_similar_excludes_the_paper_itself(searcher: Searcher, sample_index) -> None:  # type: ignore[no-untyped-def]
    doc_id = sample_index.papers.id_of(0)
    hits = searcher.similar(doc_id, limit=5)
    assert len(hits) == 5 and doc_id not in [hit.paper.id for hit in hits]
    with pytest.raises(PaperNotFoundError):
        searcher.similar("no-such-id")


def test_an_unknown_fusion_is_refused_not_turned_into_rrf(searcher: Searcher) -> None:
    with pytest.raises(QueryError) as refused:
        searcher.search(SearchRequest("graph neural networks", fusion="banana"))  # type: ignore[arg-type]
    assert refused.value.field == "fusion"


def date_key(paper: Paper) -> tuple[int, int, int]:
    """A paper's date as (year, month, day), 0 where unknown: the reference order of newest."""
    text = paper.published or (str(paper.year) if paper.year else "")
    parts = [int(part) for part in text.split("-") if part]
    return (*parts, 0, 0, 0)[:3]  # type: ignore[return-value]


def newest_reference(sample_index: Snapshot) -> list[str]:
    papers = [sample_index.papers.get(row) for row in range(sample_index.size)]
    rows = sorted(range(len(papers)), key=lambda row: (date_key(papers[row]), row), reverse=True)
    return [papers[row].id for row in rows]


def test_newest_is_every_paper_sorted_by_date(searcher: Searcher, sample_index: Snapshot) -> None:
    expected = newest_reference(sample_index)
    listing = searcher.newest(Filters(), limit=sample_index.size)
    assert [paper.id for paper in listing.papers] == expected
    assert listing.total == sample_index.size
    page = searcher.newest(Filters(), limit=10, offset=10)
    assert [paper.id for paper in page.papers] == expected[10:20]
    year, month, _ = max(date_key(paper) for paper in listing.papers)
    assert listing.first_date and listing.last_date
    assert listing.last_date.startswith(f"{year:04d}-{month:02d}")


def test_newest_with_a_category(searcher: Searcher, sample_index: Snapshot) -> None:
    papers = {paper.id: paper for paper in map(sample_index.papers.get, range(sample_index.size))}
    expected = [i for i in newest_reference(sample_index) if "cs.CV" in papers[i].categories]
    listing = searcher.newest(Filters(categories=("cs.CV",)), limit=1000)
    assert [paper.id for paper in listing.papers] == expected and listing.total > 3


@pytest.mark.parametrize("mode", ["hybrid", "lexical", "dense"])
def test_newest_first_reorders_the_same_results(searcher: Searcher, mode: Mode) -> None:
    query = "graph neural networks"
    relevance = searcher.search(SearchRequest(query, mode=mode, limit=1000))
    newest = searcher.search(SearchRequest(query, mode=mode, limit=1000, sort=Sort.newest))
    assert newest.total == relevance.total
    assert sorted(ids(newest)) == sorted(ids(relevance))
    dates = [date_key(hit.paper) for hit in newest.hits]
    assert dates == sorted(dates, reverse=True)


def test_facets_count_the_categories_of_every_result(searcher: Searcher) -> None:
    request = SearchRequest("deep learning", mode=Mode.lexical, limit=1000, facets=True)
    result = searcher.search(request)
    counts = Counter(name for hit in result.hits for name in set(hit.paper.categories))
    assert dict(result.facets) == dict(counts) and result.total == len(result.hits)
    assert [count for _, count in result.facets] == sorted(counts.values(), reverse=True)
    assert searcher.search(SearchRequest("deep learning", limit=5)).facets == ()


@pytest.mark.parametrize("query", ["zxqv blorf", "???", "🍕🎉", "asdfgh", "8731904"])
def test_nonsense_is_weak(searcher: Searcher, query: str) -> None:
    for mode in (Mode.hybrid, Mode.dense):
        result = searcher.search(SearchRequest(query, mode=mode, limit=5))
        assert result.weak and result.standout is not None and result.threshold is not None
        assert result.standout < result.threshold


@pytest.mark.parametrize(
    "query", ["graph neural networks", "quantum error correction", "black hole thermodynamics"]
)
def test_real_questions_are_not_weak(searcher: Searcher, query: str) -> None:
    result = searcher.search(SearchRequest(query, limit=5))
    assert not result.weak and result.standout is not None and result.threshold is not None
    assert result.standout > result.threshold
    lexical = searcher.search(SearchRequest(query, mode=Mode.lexical, limit=5))
    assert lexical.standout is None and not lexical.weak  # no meaning leg to judge by
