"""Retrieval quality of fusion variants on the BEIR collections in ../shared/data.

Runs each leg once per query (depth 1,000), then scores every fusion variant on the same leg
rankings, so variants differ only in fusion. Prints a table and writes JSON.

    python bench/quality.py                      # scifact (train + test) and cranfield
    python bench/quality.py --collections scifact --splits test
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from statistics import median

import numpy as np

from papersift.api.demo import cached_index_folder, ensure_index
from papersift.index.build import BuildOptions
from papersift.index.encoding.encoder import Encoder
from papersift.index.storage.snapshot import Snapshot
from papersift.search.evaluation import Collection, load_collection, score_run
from papersift.search.fusion import (
    Ranking,
    convex_combination,
    reciprocal_rank_fusion,
    z_score_fusion,
)
from papersift.search.requests import CANDIDATE_DEPTH

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "bench" / "results"

Legs = dict[str, tuple[Ranking, Ranking]]  # query id -> (lexical, dense)
Fuser = Callable[[Ranking, Ranking], Ranking]


def _head(ranking: Ranking, n: int) -> Ranking:
    """The first `n` candidates, forgetting the corpus-wide score statistics."""
    return Ranking(ranking.rows[:n], ranking.scores[:n])


def variants() -> dict[str, Fuser]:
    """Every fusion measured; the first entries are the legs alone."""
    table: dict[str, Fuser] = {
        "lexical": lambda lexical, dense: lexical,
        "dense": lambda lexical, dense: dense,
    }
    table["zscore (default)"] = lambda lexical, dense: z_score_fusion((lexical, dense))
    for alpha in (0.4, 0.6):
        table[f"zscore a={alpha}"] = lambda lexical, dense, a=alpha: z_score_fusion(
            (lexical, dense), (a, 1 - a)
        )
    table["zscore over candidates"] = lambda lexical, dense: z_score_fusion(
        (_head(lexical, CANDIDATE_DEPTH), _head(dense, CANDIDATE_DEPTH))
    )
    for k in (10, 30, 60, 100):
        table[f"rrf k={k}"] = lambda lexical, dense, k=k: reciprocal_rank_fusion(
            (lexical, dense), rrf_k=k
        )
    for alpha in (0.3, 0.4, 0.5, 0.6):
        table[f"convex minmax a={alpha}"] = lambda lexical, dense, a=alpha: convex_combination(
            (lexical, dense), (a, 1 - a)
        )
        table[f"convex minmax@100 a={alpha}"] = lambda lexical, dense, a=alpha: convex_combination(
            (_head(lexical, 100), _head(dense, 100)), (a, 1 - a)
        )
    return table


def leg_rankings(
    index: Snapshot, encoder: Encoder, queries: dict[str, str]
) -> tuple[Legs, dict[str, list[float]]]:
    legs: Legs = {}
    timings: dict[str, list[float]] = {"lexical_ms": [], "dense_ms": []}
    for query_id, text in queries.items():
        started = time.perf_counter()
        lexical = index.lexical.top(index.tokenizer.tokenize(text), CANDIDATE_DEPTH)
        middle = time.perf_counter()
        dense = index.dense.top(encoder.encode_query(text), CANDIDATE_DEPTH)
        timings["lexical_ms"].append((middle - started) * 1000)
        timings["dense_ms"].append((time.perf_counter() - middle) * 1000)
        legs[query_id] = (lexical, dense)
    return legs, timings


def score(index: Snapshot, collection: Collection, legs: Legs, fuse: Fuser) -> dict[str, float]:
    """Metrics of one variant, and the median time its fusion took per query (ms)."""
    run, fuse_ms = {}, []
    for query_id, (lexical, dense) in legs.items():
        started = time.perf_counter()
        fused = fuse(lexical, dense)
        fuse_ms.append((time.perf_counter() - started) * 1000)
        rows = fused.rows[:100]
        run[query_id] = {index.papers.id_of(int(row)): float(100 - i) for i, row in enumerate(rows)}
    return {**score_run("variant", run, collection.qrels).metrics, "fuse_ms": median(fuse_ms)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--collections", nargs="+", default=["scifact", "cranfield"])
    parser.add_argument("--splits", nargs="+", default=["train", "test"])
    parser.add_argument("--output", type=Path, default=RESULTS / "quality.json")
    args = parser.parse_args()
    encoder = Encoder()
    report: dict[str, dict[str, dict[str, float]]] = {}
    for name in args.collections:
        folder = DATA / name
        for split in args.splits:
            if not (folder / "qrels" / f"{split}.tsv").is_file():
                continue
            collection = load_collection(folder, split)
            index_folder = cached_index_folder(collection.corpus, BuildOptions())
            ensure_index(collection.corpus, index_folder)
            index = Snapshot.load(index_folder)
            legs, timings = leg_rankings(index, encoder, collection.queries)
            key = f"{name}/{split}"
            report[key] = {variant: score(index, collection, legs, fuse)
                           for variant, fuse in variants().items()}  # fmt: skip
            report[key]["_latency_ms"] = {k: median(v) for k, v in timings.items()}
            print(f"legs, median ms per query: {report[key]['_latency_ms']}")
            print_table(key, report[key])
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=1))
    print(f"wrote {args.output}")


def print_table(key: str, rows: dict[str, dict[str, float]]) -> None:
    print(f"\n{key}")
    print(f"{'variant':<24} {'nDCG@10':>8} {'R@100':>8} {'MRR@10':>8} {'fuse ms':>8}")
    for variant, metrics in rows.items():
        if variant.startswith("_"):
            continue
        print(f"{variant:<24} {metrics['ndcg@10']:>8.4f} {metrics['recall@100']:>8.4f} "
              f"{metrics['mrr@10']:>8.4f} {metrics['fuse_ms']:>8.3f}")  # fmt: skip


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
