"""FAISS against numpy brute force, on real MiniLM embeddings."""

from __future__ import annotations

import numpy as np
import pytest

from papersift.index.dense.dense_index import DenseIndex, DenseSettings
from papersift.index.encoding.encoder import Encoder
from papersift.index.storage.snapshot import Snapshot
from tests.helpers.data import shared


def brute_force(vectors: np.ndarray, query: np.ndarray, n: int) -> np.ndarray:
    scores = vectors @ query
    return np.lexsort((np.arange(len(scores)), -scores))[:n]


def test_flat_top_k_equals_numpy_on_precomputed_arxiv_embeddings() -> None:
    vectors = np.load(shared("arxiv", "embeddings", "part-000.npy")).astype(np.float32)
    index = DenseIndex.build(vectors, DenseSettings())
    rng = np.random.default_rng(7)
    for row in rng.choice(len(vectors), 25, replace=False):
        query = vectors[row]
        ranking = index.top(query, 20)
        rows, scores = ranking.rows, ranking.scores
        expected = brute_force(vectors, query, 20)
        expected_scores = (vectors @ query)[expected]
        np.testing.assert_allclose(scores, expected_scores, atol=1e-5)
        # Rows must agree wherever a position is not a near-tie (float sums may swap those).
        gaps = np.abs(np.diff(expected_scores)) > 1e-5
        clear = np.concatenate([[True], gaps]) & np.concatenate([gaps, [True]])
        assert (rows[clear] == expected[clear]).all()
        assert rows[0] == row


def test_flat_top_k_equals_numpy_for_real_queries(sample_index: Snapshot, encoder: Encoder) -> None:
    vectors = np.stack([sample_index.dense.vector(row) for row in range(sample_index.size)])
    for text in ["sparse attention for long context", "black hole mergers", "superconductivity"]:
        query = encoder.encode_query(text)
        rows = sample_index.dense.top(query, 15).rows
        assert rows.tolist() == brute_force(vectors, query, 15).tolist()


def test_allowed_rows_restrict_results_before_the_cut(
    sample_index: Snapshot, encoder: Encoder
) -> None:
    query = encoder.encode_query("machine learning")
    allowed = np.zeros(sample_index.size, dtype=bool)
    allowed[::17] = True
    rows = sample_index.dense.top(query, 10, allowed).rows
    assert len(rows) == 10 and all(allowed[rows])
    assert sample_index.dense.top(query, 10, np.zeros(sample_index.size, dtype=bool)).rows.size == 0


def test_hnsw_finds_almost_all_exact_neighbours() -> None:
    vectors = np.load(shared("arxiv", "embeddings", "part-001.npy")).astype(np.float32)
    exact = DenseIndex.build(vectors, DenseSettings())
    hnsw = DenseIndex.build(vectors, DenseSettings(kind="hnsw"))
    found = total = 0
    for row in range(0, len(vectors), 250):
        truth = set(exact.top(vectors[row], 10).rows.tolist())
        found += len(truth & set(hnsw.top(vectors[row], 10).rows.tolist()))
        total += 10
    assert found / total >= 0.95


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown dense index kind"):
        DenseSettings(kind="ivf")


@pytest.mark.parametrize("kind", ["fp16", "sq8"])
def test_quantized_kinds_keep_the_exact_neighbours(kind: str) -> None:
    vectors = np.load(shared("arxiv", "embeddings", "part-002.npy")).astype(np.float32)
    exact = DenseIndex.build(vectors, DenseSettings())
    quantized = DenseIndex.build(vectors, DenseSettings(kind=kind))
    found = total = 0
    for row in range(0, len(vectors), 250):
        truth = set(exact.top(vectors[row], 10).rows.tolist())
        found += len(truth & set(quantized.top(vectors[row], 10).rows.tolist()))
        total += 10
    assert found / total >= (0.99 if kind == "fp16" else 0.95)
    allowed = np.zeros(len(vectors), dtype=bool)
    allowed[::50] = True
    assert all(allowed[quantized.top(vectors[0], 20, allowed).rows])


@pytest.mark.parametrize("kind", ["flat", "fp16", "sq8", "hnsw"])
def test_added_and_deleted_rows_equal_numpy_over_the_live_vectors(kind: str) -> None:
    """The overlay (added vectors, deleted rows) and its compaction against brute force."""
    vectors = np.load(shared("arxiv", "embeddings", "part-000.npy"))[:3000].astype(np.float32)
    index = DenseIndex.build(vectors[:2500], DenseSettings(kind=kind))
    deleted = [3, 700, 2600, 2999]
    changed = index.with_added(vectors[2500:]).with_removed(deleted)
    live = np.setdiff1d(np.arange(3000), deleted)
    compacted = changed.compacted()
    assert compacted.size == len(live)
    tolerance = {"flat": 1e-5, "fp16": 2e-3, "sq8": 2e-2, "hnsw": 1e-5}[kind]
    for row in (10, 2550, 2998):
        expected = live[brute_force(vectors[live], vectors[row], 10)]
        ranking = changed.top(vectors[row], 10)
        rows, scores = ranking.rows, ranking.scores
        assert not set(rows) & set(deleted)
        assert len(set(rows) & set(expected)) >= 9  # approximate kinds may swap a near-tie
        np.testing.assert_allclose(scores[0], vectors[row] @ vectors[row], atol=tolerance)
        compacted_rows = compacted.top(vectors[row], 10).rows
        assert len(set(live[compacted_rows]) & set(expected)) >= 9


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_top_reports_the_spread_of_scores_over_every_live_vector(kind: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Mean and std of query.v over the live vectors, from the moments, against numpy; kept
    through added and deleted rows, saved, and read back from FAISS where no file was saved."""
    vectors = np.load(shared("arxiv", "embeddings", "part-000.npy"))[:3000].astype(np.float32)
    index = DenseIndex.build(vectors[:2500], DenseSettings(kind=kind))
    changed = index.with_added(vectors[2500:]).with_removed([3, 700, 2600])
    live = np.setdiff1d(np.arange(3000), [3, 700, 2600])
    changed.save(tmp_path)
    saved = DenseIndex.load(tmp_path, DenseSettings(kind=kind))
    (tmp_path / "dense.moments.npz").unlink()
    read_back = DenseIndex.load(tmp_path, DenseSettings(kind=kind))
    for row in (10, 2550):
        query = vectors[row]
        expected = vectors[live] @ query
        for dense in (changed, changed.compacted(), saved, read_back):
            ranking = dense.top(query, 10)
            assert ranking.mean == pytest.approx(float(expected.mean()), abs=1e-6)
            assert ranking.std == pytest.approx(float(expected.std()), abs=1e-6)


def test_auto_is_exact_for_small_corpora_and_hnsw_from_fifty_thousand() -> None:
    assert DenseSettings().kind == "auto"
    assert DenseSettings().resolved(49_999).kind == "flat"
    assert DenseSettings().resolved(50_000).kind == "hnsw"
    assert DenseSettings(kind="sq8").resolved(10**6).kind == "sq8"
    vectors = np.load(shared("arxiv", "embeddings", "part-000.npy"))[:200].astype(np.float32)
    assert DenseIndex.build(vectors, DenseSettings()).settings.kind == "flat"
