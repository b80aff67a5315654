"""The pruned lexical search (`LexicalIndex.best`) against the exhaustive one (`top`) and
rank_bm25: the same rows, the same scores, while reading fewer postings."""

from __future__ import annotations

import numpy as np
import pytest

from papersift.index.lexical import BM25Parameters, LexicalIndex, pruned
from papersift.index.lexical import ceilings as part_ceilings
from papersift.index.lexical.accumulators import AccumulatorPool
from papersift.index.lexical.tokenizer import Tokenizer
from papersift.index.papers.paper import Paper
from tests.helpers.data import demo_records
from tests.helpers.reference import okapi


def paper_token_lists(count: int) -> tuple[Tokenizer, list[list[str]], list[str]]:
    """Token lists of real demo papers (title counted twice, as built) and queries: the titles
    of papers that are not indexed, plus short and repeated-term queries."""
    tokenizer = Tokenizer()
    records = demo_records(count + 40)
    papers = [Paper(id=str(r["id"]), title=str(r["title"]), abstract=str(r["abstract"]))
              for r in records]  # fmt: skip
    token_lists = [tokenizer.paper_terms(paper) for paper in papers[:count]]
    queries = [paper.title for paper in papers[count:]]
    queries += ["neural network", "graph graph graph neural", "the of", "zzzunknown data"]
    return tokenizer, token_lists, queries


def assert_same_top(index: LexicalIndex, terms: list[str], n: int, allowed=None) -> None:  # type: ignore[no-untyped-def]
    exhaustive, pruned = index.top(terms, n, allowed), index.best(terms, n, allowed)
    assert pruned.rows.tolist() == exhaustive.rows.tolist()
    np.testing.assert_allclose(pruned.scores, exhaustive.scores, rtol=1e-12, atol=0)
    assert pruned.mean is None and pruned.std is None
    some_rows = np.arange(0, index.size, 7, dtype=np.int64)
    assert pruned.score_rows is not None and exhaustive.score_rows is not None
    np.testing.assert_allclose(
        pruned.score_rows(some_rows), exhaustive.score_rows(some_rows), rtol=1e-12, atol=1e-12
    )


def test_best_equals_rank_bm25_and_the_exhaustive_top_on_real_papers() -> None:
    tokenizer, token_lists, queries = paper_token_lists(400)
    index = LexicalIndex.build(token_lists, BM25Parameters())
    reference = okapi(token_lists, BM25Parameters())
    for query in queries:
        terms = tokenizer.tokenize(query)
        expected = reference.get_scores(terms)
        for n in (1, 10, 50):
            assert_same_top(index, terms, n)
            ranking = index.best(terms, n)
            np.testing.assert_allclose(ranking.scores, expected[ranking.rows], atol=1e-9)
            order = np.lexsort((np.arange(len(expected)), -expected))
            assert ranking.rows.tolist() == order[expected[order] > 0][:n].tolist()


def test_best_equals_top_after_adds_and_deletes_and_under_a_filter() -> None:
    tokenizer, token_lists, queries = paper_token_lists(300)
    probe = tokenizer.tokenize(queries[0])
    index = LexicalIndex.build(token_lists[:250], BM25Parameters())
    index.best(probe, 5)  # computes its part ceilings, which the changed indexes derive from
    index = index.with_added(token_lists[250:280])  # a second segment, with new terms
    index.best(probe, 5)
    index = index.with_added(token_lists[280:])
    index.best(probe, 5)
    removed = [3, 40, 260, 299]
    index = index.with_removed(removed, [token_lists[row] for row in removed])
    assert index._parent_ceilings is not None  # the derived ceilings are the ones under test
    allowed = np.zeros(index.size, dtype=bool)
    allowed[::3] = True
    for query in queries:
        terms = tokenizer.tokenize(query)
        for n in (1, 10):
            assert_same_top(index, terms, n)
            assert_same_top(index, terms, n, allowed)
        assert not set(index.best(terms, 300).rows.tolist()) & set(removed)


def test_part_ceilings_are_the_largest_parts_and_stay_ceilings_through_changes(
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.setattr(part_ceilings, "CHUNK_POSTINGS", 50)  # many blocks, some one column
    _, token_lists, _ = paper_token_lists(120)
    index = LexicalIndex.build(token_lists[:100], BM25Parameters())
    np.testing.assert_allclose(index.part_ceilings, largest_parts_by_hand(index), rtol=1e-12)
    longer = [tokens * 3 for tokens in token_lists[100:]]  # the average length grows
    grown = index.with_added(longer)
    assert grown.part_ceilings is not None  # computed, so the next change derives from it
    changed = grown.with_removed([0, 5], token_lists[0:6:5])
    assert changed.average_length > index.average_length and changed._parent_ceilings is not None
    fresh = largest_parts_by_hand(changed)  # the true largest parts after the changes
    assert (changed.part_ceilings >= fresh * (1 - 1e-12)).all()


def largest_parts_by_hand(index: LexicalIndex) -> np.ndarray:
    """Each term's largest tf (k1 + 1) / (tf + norm) over its postings, one posting at a time."""
    k1 = index.parameters.k1
    largest = np.zeros(len(index.vocabulary))
    for first_row, matrix in zip(index.first_rows, index.segments, strict=True):
        coo = matrix.tocoo()
        for row, term, tf in zip(coo.row, coo.col, coo.data, strict=True):
            part = tf * (k1 + 1) / (tf + index.length_norm[first_row + row])
            largest[term] = max(largest[term], part)
    return largest


def test_best_with_non_positive_idf_falls_back_to_the_exhaustive_top() -> None:
    docs = [["a", "b"], ["a", "b"], ["a"], ["c", "a", "b"]]  # every IDF floors to a negative value
    index = LexicalIndex.build(docs, BM25Parameters())
    for terms in (["b"], ["a", "c"], ["nothing"]):
        assert_same_top(index, terms, 10)


def test_best_only_looks_up_common_terms_once_rare_ones_settle_the_top(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    docs = [["common", f"filler{i}"] for i in range(200)] + [[f"word{i}"] for i in range(300)]
    docs += [["rare", "common"], ["rare", "other"]]
    index = LexicalIndex.build(docs, BM25Parameters())
    scanned: list[int] = []
    real_add_term = pruned._add_term

    def recording_add_term(index, partial, term):  # type: ignore[no-untyped-def]
        scanned.append(term[0])
        return real_add_term(index, partial, term)

    monkeypatch.setattr(pruned, "_add_term", recording_add_term)
    ranking = index.best(["common", "rare"], 1)
    assert ranking.rows.tolist() == [500]  # the one with both terms
    assert scanned == [index.vocabulary["rare"]]  # "common"'s 201 postings were never read
    assert_same_top(index, ["common", "rare"], 1)


def test_accumulators_come_back_zeroed_and_are_reused() -> None:
    pool = AccumulatorPool(10, keep=1)
    with pool.lend() as first:
        fresh = first.add(np.array([2, 5]), np.array([1.0, 2.0]))
        assert fresh.tolist() == [2, 5]
        assert first.add(np.array([5, 7]), np.array([1.0, 1.0])).tolist() == [7]
        assert first.values[[2, 5, 7]].tolist() == [1.0, 3.0, 1.0]
        values = first.values
    with pool.lend() as second, pool.lend() as third:
        assert second.values is values and not second.values.any()
        assert third.values is not values and not third.values.any()
    with pytest.raises(RuntimeError), pool.lend() as failing:
        failing.add(np.array([1]), np.array([4.0]))
        raise RuntimeError("the query failed")
    with pool.lend() as after:
        assert not after.values.any()
