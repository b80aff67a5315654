"""Our sparse-matrix BM25 against the reference, rank_bm25's BM25Okapi, on real text."""

from __future__ import annotations

import json

import numpy as np
import pytest

from papersift.index.lexical import BM25Parameters, LexicalIndex
from papersift.index.lexical.lookups import frequency_parts
from papersift.index.lexical.tokenizer import Tokenizer
from papersift.index.papers.corpus import load_papers
from tests.helpers.data import demo_records, shared
from tests.helpers.reference import okapi


def assert_matches_reference(
    texts: list[str], queries: list[str], parameters: BM25Parameters
) -> None:
    tokenizer = Tokenizer()
    token_lists = [tokenizer.tokenize(text) for text in texts]
    ours = LexicalIndex.build(token_lists, parameters)
    reference = okapi(token_lists, parameters)
    for query in queries:
        terms = tokenizer.tokenize(query)
        expected = reference.get_scores(terms)
        np.testing.assert_allclose(ours.score_all(terms), expected, rtol=0, atol=1e-6)
        ranking = ours.top(terms, 10)
        rows, scores = ranking.rows, ranking.scores
        np.testing.assert_allclose(scores, expected[rows], rtol=0, atol=1e-6)
        order = np.lexsort((np.arange(len(expected)), -expected))
        matched = order[expected[order] != 0][:10] if np.any(expected != 0) else order[:0]
        assert len(rows) == len(matched)


@pytest.mark.slow
def test_scores_equal_rank_bm25_on_scifact_for_50_real_queries() -> None:
    folder = shared("scifact")
    papers, _ = load_papers([folder])
    with (folder / "queries.jsonl").open() as handle:
        queries = [json.loads(line)["text"] for line in handle][:50]
    assert_matches_reference([paper.text for paper in papers], queries, BM25Parameters())


def test_scores_equal_rank_bm25_on_demo_abstracts_with_other_parameters() -> None:
    texts = [f"{r['title']} {r['abstract']}" for r in demo_records(300)]
    queries = [
        "sparse attention for long context",
        "quantum error correction codes",
        "galaxy cluster dark matter",
        "graph neural network graph",
        "zzzunknownword",
    ]
    assert_matches_reference(texts, queries, BM25Parameters(k1=1.2, b=0.5, epsilon=0.1))


def test_negative_idf_is_floored_like_rank_bm25() -> None:
    docs = [["common", "a"], ["common", "b"], ["common", "c"], ["d"]]
    ours = LexicalIndex.build(docs, BM25Parameters())
    reference = okapi(docs, BM25Parameters())
    for query in (["common"], ["common", "a", "a"], ["d"]):
        np.testing.assert_allclose(ours.score_all(query), reference.get_scores(query), atol=1e-12)


def test_top_only_returns_matching_and_allowed_rows_with_ties_by_row() -> None:
    docs = [["x"], ["y"], ["x"], ["x", "y"], ["z"]]
    index = LexicalIndex.build(docs, BM25Parameters())
    rows = index.top(["x"], 10).rows
    assert rows.tolist() == [0, 2, 3]  # rows 0 and 2 tie; the lower row first
    allowed = np.array([False, True, True, True, True])
    assert index.top(["x"], 10, allowed).rows.tolist() == [2, 3]
    assert index.top(["nothing"], 10).rows.tolist() == []


def test_save_and_load_keep_scores(tmp_path) -> None:  # type: ignore[no-untyped-def]
    texts = [f"{r['title']} {r['abstract']}" for r in demo_records(50)]
    tokenizer = Tokenizer()
    index = LexicalIndex.build([tokenizer.tokenize(t) for t in texts], BM25Parameters())
    index.save(tmp_path)
    loaded = LexicalIndex.load(tmp_path, BM25Parameters())
    terms = tokenizer.tokenize("neural networks for physics")
    np.testing.assert_array_equal(loaded.score_all(terms), index.score_all(terms))


def test_top_with_negative_scores_still_returns_the_matching_rows() -> None:
    docs = [["a", "b"], ["a", "b"], ["a"], ["c", "a", "b"]]  # every IDF floors to a negative value
    ours = LexicalIndex.build(docs, BM25Parameters())
    reference = okapi(docs, BM25Parameters()).get_scores(["b"])
    ranking = ours.top(["b"], 10)
    rows, scores = ranking.rows, ranking.scores
    assert sorted(rows.tolist()) == [0, 1, 3]
    assert (scores < 0).all()
    np.testing.assert_allclose(scores, reference[rows], atol=1e-12)


def test_top_reports_the_spread_of_scores_over_every_live_row() -> None:
    texts = [f"{r['title']} {r['abstract']}" for r in demo_records(60)]
    tokenizer = Tokenizer()
    index = LexicalIndex.build([tokenizer.tokenize(t) for t in texts], BM25Parameters())
    index = index.with_removed([3, 7], [tokenizer.tokenize(texts[3]), tokenizer.tokenize(texts[7])])
    terms = tokenizer.tokenize("neural networks for physics")
    live_scores = np.delete(index.score_all(terms), [3, 7])
    allowed = np.zeros(index.size, dtype=bool)
    allowed[:10] = True
    ranking = index.top(terms, 5, allowed)  # a filter narrows the hits, not the statistics
    assert ranking.mean == pytest.approx(live_scores.mean(), abs=1e-12)
    assert ranking.std == pytest.approx(live_scores.std(), abs=1e-12)
    assert index.top(["zzzunknown"], 5).std == 0.0


def test_terms_in_rows_equals_a_set_lookup_across_segments() -> None:
    tokenizer = Tokenizer()
    texts = [f"{r['title']} {r['abstract']}" for r in demo_records(40)]
    token_lists = [tokenizer.tokenize(t) for t in texts]
    index = LexicalIndex.build(token_lists[:30], BM25Parameters()).with_added(token_lists[30:])
    query = tokenizer.tokenize("quantum neural networks galaxies zzzunknown networks")
    rows = [39, 0, 31, 12, 30, 29]
    expected = [[t for t in dict.fromkeys(query) if t in set(token_lists[r])] for r in rows]
    assert index.terms_in_rows(query, rows) == expected
    assert any(expected)  # the query does match some of these rows


def test_frequency_parts_give_the_scores_of_a_full_scoring_across_segments() -> None:
    tokenizer = Tokenizer()
    texts = [f"{r['title']} {r['abstract']}" for r in demo_records(60)]
    token_lists = [tokenizer.tokenize(t) for t in texts]
    index = LexicalIndex.build(token_lists[:40], BM25Parameters()).with_added(token_lists[40:])
    query = tokenizer.tokenize("quantum neural networks galaxy dark matter spin networks")
    weighted = index.weighted_terms(query)
    rows = np.array([59, 0, 41, 12, 40, 39, 7], np.int64)
    parts = frequency_parts(index, rows, [term_id for term_id, _ in weighted])
    scores = parts @ np.array([weight for _, weight in weighted])
    np.testing.assert_allclose(scores, index.score_all(query)[rows], rtol=1e-12)
    assert (scores > 0).sum() >= 3  # the query does match rows of both segments
