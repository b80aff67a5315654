from __future__ import annotations

import math

import pytest

from papersift.search.evaluation import score_run


def test_metrics_by_hand() -> None:
    qrels = {"q1": {"a": 1, "c": 1}, "q2": {"z": 2}}
    run = {"q1": {"a": 3.0, "b": 2.0, "c": 1.0}, "q2": {"x": 2.0, "y": 1.0}}
    report = score_run("lexical", run, qrels)
    # q1: DCG = 1/log2(2) + 1/log2(4) = 1.5; IDCG = 1 + 1/log2(3)
    ndcg_q1 = 1.5 / (1 + 1 / math.log2(3))
    assert report.per_query["q1"]["ndcg@10"] == pytest.approx(ndcg_q1)
    assert report.per_query["q1"]["recall@100"] == 1.0
    assert report.per_query["q1"]["mrr@10"] == 1.0
    assert report.per_query["q2"] == {"ndcg@10": 0.0, "recall@100": 0.0, "mrr@10": 0.0}
    assert report.metrics["ndcg@10"] == pytest.approx(ndcg_q1 / 2)


def test_mrr_is_cut_at_ten() -> None:
    qrels = {"q": {"d11": 1}}
    run = {"q": {f"d{i}": float(100 - i) for i in range(1, 12)}}
    assert score_run("dense", run, qrels).metrics["mrr@10"] == 0.0
