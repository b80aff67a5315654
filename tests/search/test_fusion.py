"""Fusion checked against numbers worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from papersift.search.fusion import (
    Ranking,
    convex_combination,
    min_max,
    reciprocal_rank_fusion,
    standardised,
    z_score_fusion,
)


def as_pairs(ranking: Ranking) -> list[tuple[int, float]]:
    return [
        (int(r), round(float(s), 10)) for r, s in zip(ranking.rows, ranking.scores, strict=True)
    ]


def test_rrf_by_hand() -> None:
    lexical = Ranking.of([(10, 9.0), (20, 5.0), (30, 1.0)])
    dense = Ranking.of([(20, 0.9), (40, 0.8)])
    fused = reciprocal_rank_fusion([lexical, dense], rrf_k=60)
    # 20: 1/62 + 1/61; 10: 1/61; 40: 1/62; 30: 1/63
    assert as_pairs(fused) == [
        (20, round(1 / 62 + 1 / 61, 10)),
        (10, round(1 / 61, 10)),
        (40, round(1 / 62, 10)),
        (30, round(1 / 63, 10)),
    ]


def test_rrf_weights_and_k() -> None:
    lexical = Ranking.of([(1, 3.0), (2, 2.0)])
    dense = Ranking.of([(2, 0.5), (1, 0.4)])
    fused = reciprocal_rank_fusion([lexical, dense], weights=[2.0, 1.0], rrf_k=1)
    # 1: 2/2 + 1/3 = 1.3333; 2: 2/3 + 1/2 = 1.1667
    assert as_pairs(fused) == [(1, round(4 / 3, 10)), (2, round(7 / 6, 10))]


def test_rrf_ties_go_to_the_lower_row() -> None:
    fused = reciprocal_rank_fusion([Ranking.of([(7, 1.0)]), Ranking.of([(3, 1.0)])])
    assert fused.rows.tolist() == [3, 7]


def test_rrf_with_empty_legs() -> None:
    assert len(reciprocal_rank_fusion([Ranking.empty(), Ranking.empty()])) == 0
    only = reciprocal_rank_fusion([Ranking.empty(), Ranking.of([(5, 0.2), (6, 0.1)])])
    assert as_pairs(only) == [(5, round(1 / 61, 10)), (6, round(1 / 62, 10))]
    assert len(reciprocal_rank_fusion([])) == 0


def test_convex_by_hand() -> None:
    lexical = Ranking.of([(1, 10.0), (2, 6.0), (3, 2.0)])  # normalised 1, .5, 0
    dense = Ranking.of([(3, 0.9), (4, 0.7), (1, 0.5)])  # normalised 1, .5, 0
    fused = convex_combination([lexical, dense], weights=[0.7, 0.3])
    # 1: .7*1 + .3*0 = .7; 2: .7*.5 = .35; 3: 0 + .3 = .3; 4: .3*.5 = .15
    assert as_pairs(fused) == [(1, 0.7), (2, 0.35), (3, 0.3), (4, 0.15)]


def test_min_max_edge_cases() -> None:
    assert min_max(np.array([], dtype=np.float64)).tolist() == []
    assert min_max(np.array([4.0, 4.0])).tolist() == [1.0, 1.0]
    assert min_max(np.array([3.0, 1.0, 2.0])).tolist() == [1.0, 0.0, 0.5]


def test_fusion_never_mutates_its_inputs() -> None:
    lexical = Ranking.of([(1, 10.0), (2, 6.0)])
    dense = Ranking.of([(2, 0.9), (1, 0.5)])
    before = (lexical.rows.copy(), lexical.scores.copy(), dense.rows.copy(), dense.scores.copy())
    reciprocal_rank_fusion([lexical, dense])
    convex_combination([lexical, dense])
    z_score_fusion([lexical, dense])
    after = (lexical.rows, lexical.scores, dense.rows, dense.scores)
    assert all(np.array_equal(a, b) for a, b in zip(before, after, strict=True))


def test_weight_count_must_match_legs() -> None:
    with pytest.raises(ValueError, match="2 weights for 1 legs"):
        reciprocal_rank_fusion([Ranking.empty()], weights=[1.0, 2.0])


def test_z_score_fusion_by_hand() -> None:
    # lexical: mean 1, std 2 -> z 2, 1 (floor 1); dense: mean 0.5, std 0.2 -> z 2, 0 (floor 0)
    lexical = Ranking(np.array([1, 2]), np.array([5.0, 3.0]), mean=1.0, std=2.0)
    dense = Ranking(np.array([2, 3]), np.array([0.9, 0.5]), mean=0.5, std=0.2)
    # 1: 2 + 0 (missing from dense: its floor); 2: 1 + 2; 3: 1 (lexical floor) + 0
    assert as_pairs(z_score_fusion([lexical, dense])) == [(2, 3.0), (1, 2.0), (3, 1.0)]
    # weights 0.5, 1.5: 2: 0.5 + 3; 1: 1 + 0; 3: 0.5 + 0
    assert as_pairs(z_score_fusion([lexical, dense], [0.5, 1.5])) == [(2, 3.5), (1, 1.0), (3, 0.5)]


def test_z_score_fusion_scores_a_missing_row_exactly_where_the_leg_can() -> None:
    lexical = Ranking(np.array([1, 2]), np.array([5.0, 3.0]), mean=1.0, std=2.0,
                      score_rows=lambda rows: np.where(rows == 3, 2.0, 0.0))  # fmt: skip
    dense = Ranking(np.array([2, 3]), np.array([0.9, 0.5]), mean=0.5, std=0.2,
                    score_rows=lambda rows: np.full(len(rows), 0.7))  # fmt: skip
    # lexical z: 1 -> 2, 2 -> 1, 3 -> (2 - 1) / 2; dense z: 2 -> 2, 3 -> 0, 1 -> (0.7 - 0.5) / 0.2
    # 1: 2 + 1; 2: 1 + 2 (a tie: the lower row first); 3: 0.5 + 0
    assert as_pairs(z_score_fusion([lexical, dense])) == [(1, 3.0), (2, 3.0), (3, 0.5)]


def test_z_score_without_corpus_statistics_uses_the_candidates() -> None:
    leg = Ranking.of([(7, 3.0), (8, 2.0), (9, 1.0)])  # mean 2, std sqrt(2/3)
    assert standardised(leg).round(10).tolist() == [round(1.5**0.5, 10), 0.0, -round(1.5**0.5, 10)]
    flat = Ranking(np.array([1, 2]), np.array([4.0, 4.0]), mean=4.0, std=0.0)
    assert standardised(flat).tolist() == [0.0, 0.0]


def test_z_score_fusion_with_an_empty_leg_and_ties() -> None:
    dense = Ranking(np.array([5, 3]), np.array([0.7, 0.7]), mean=0.5, std=0.1)
    fused = z_score_fusion([Ranking.empty(), dense])
    assert as_pairs(fused) == [(3, 2.0), (5, 2.0)]  # a tie goes to the lower row
    assert len(z_score_fusion([Ranking.empty(), Ranking.empty()])) == 0


def test_a_leg_that_stands_out_of_its_corpus_outweighs_one_that_does_not() -> None:
    """The weak-leg case: dense's best is barely above its average document, lexical's best is
    far above its own: lexical's standout stays first, where equal-weight RRF puts it third."""
    lexical = Ranking(np.array([1, 2, 3]), np.array([30.0, 4.0, 3.0]), mean=0.5, std=1.5)
    dense = Ranking(np.array([3, 2, 4]), np.array([0.42, 0.41, 0.40]), mean=0.30, std=0.05)
    # z: lexical 19.67, 2.33, 1.67 (floor); dense 2.4, 2.2, 2.0 (floor)
    # 1: 19.67 + 2.0; 2: 2.33 + 2.2; 3: 1.67 + 2.4; 4: 1.67 + 2.0
    assert z_score_fusion([lexical, dense]).rows.tolist() == [1, 2, 3, 4]
    # RRF: 3: 1/63 + 1/61; 2: 2/62; 1: 1/61; 4: 1/63
    assert reciprocal_rank_fusion([lexical, dense]).rows.tolist() == [3, 2, 1, 4]
