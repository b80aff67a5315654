"""Retrieval quality on BEIR-format collections: nDCG@10, Recall@100 and MRR@10 via trec_eval.

Metrics come from pytrec_eval (the trec_eval C code). Runs are handed over with scores derived
from our ranks, so trec_eval's own tie-breaking (by document id) cannot reorder them.
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from statistics import fmean

import pytrec_eval

from papersift.index.papers.corpus import resolve_corpus_file
from papersift.search.backends.interface import Reader
from papersift.search.errors import QueryError
from papersift.search.requests import Mode, SearchRequest

logger = logging.getLogger(__name__)

METRICS = ("ndcg@10", "recall@100", "mrr@10")
RUN_DEPTH = 100

Qrels = dict[str, dict[str, int]]
Run = dict[str, dict[str, float]]


@dataclass(frozen=True)
class Collection:
    """A BEIR folder: corpus path, the queries that have judgments, and the judgments."""

    name: str
    corpus: Path
    queries: dict[str, str]
    qrels: Qrels


@dataclass(frozen=True)
class ModeReport:
    mode: str
    metrics: dict[str, float]
    per_query: dict[str, dict[str, float]]


def load_collection(folder: Path, split: str = "test") -> Collection:
    """Read `corpus.jsonl`, `queries.jsonl` (or `queries-<split>.jsonl`) and `qrels/<split>.tsv`."""
    qrels_path = folder / "qrels" / f"{split}.tsv"
    if not qrels_path.is_file():
        raise QueryError("collection", f"{qrels_path} not found (not a BEIR folder?)")
    qrels = _read_qrels(qrels_path)
    queries_path = folder / f"queries-{split}.jsonl"
    if not queries_path.is_file():
        queries_path = folder / "queries.jsonl"
    queries = {
        query_id: text for query_id, text in _read_queries(queries_path) if query_id in qrels
    }
    if not queries:
        raise QueryError("collection", f"{queries_path}: no query has judgments in {qrels_path}")
    return Collection(folder.name, resolve_corpus_file(folder), queries, qrels)


def evaluate(
    searcher: Reader,
    collection: Collection,
    modes: Iterable[Mode] = (Mode.lexical, Mode.dense, Mode.hybrid),
    request_for: Callable[[str, Mode], SearchRequest] | None = None,
) -> list[ModeReport]:
    """Search every judged query in each mode and score the runs."""
    make_request = request_for or (lambda q, m: SearchRequest(query=q, mode=m, limit=RUN_DEPTH))
    reports = []
    for mode in modes:
        run = {
            query_id: _run_of(searcher, make_request(text, mode))
            for query_id, text in collection.queries.items()
        }
        reports.append(score_run(mode, run, collection.qrels))
    return reports


def score_run(mode: str, run: Run, qrels: Qrels) -> ModeReport:
    """nDCG@10, Recall@100 and MRR@10 for each query and their means."""
    judged = {query_id: qrels[query_id] for query_id in run if query_id in qrels}
    full = pytrec_eval.RelevanceEvaluator(judged, {"ndcg_cut.10", "recall.100"}).evaluate(run)
    top10 = {query_id: _top(docs, 10) for query_id, docs in run.items()}
    reciprocal = pytrec_eval.RelevanceEvaluator(judged, {"recip_rank"}).evaluate(top10)
    per_query = {
        query_id: {
            "ndcg@10": full[query_id]["ndcg_cut_10"],
            "recall@100": full[query_id]["recall_100"],
            "mrr@10": reciprocal[query_id]["recip_rank"],
        }
        for query_id in judged
    }
    metrics = {name: fmean(scores[name] for scores in per_query.values()) for name in METRICS}
    return ModeReport(mode, metrics, per_query)


def _run_of(searcher: Reader, request: SearchRequest) -> dict[str, float]:
    hits = searcher.search(request).hits
    # Scores that encode our rank exactly: trec_eval sorts by score, then by doc id.
    return {hit.paper.id: float(len(hits) - position) for position, hit in enumerate(hits)}


def _top(docs: dict[str, float], n: int) -> dict[str, float]:
    return dict(sorted(docs.items(), key=lambda item: -item[1])[:n])


def _read_qrels(path: Path) -> Qrels:
    qrels: Qrels = {}
    with path.open(encoding="utf-8") as handle:
        for row in csv.reader(handle, delimiter="\t"):
            if len(row) < 3 or not row[2].strip().lstrip("-").isdigit():
                continue  # header or blank line
            qrels.setdefault(row[0], {})[row[1]] = int(row[2])
    return qrels


def _read_queries(path: Path) -> Iterable[tuple[str, str]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                record = json.loads(line)
                yield str(record["_id"]), str(record["text"])
