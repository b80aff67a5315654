"""Query latency in-process: papersift vs the reference recipe vs the floor (query encoding alone).

    python bench/latency.py --docs 130000 [--json]

Corpus: real arXiv abstracts from ../shared/data/arxiv with their precomputed MiniLM embeddings
(above 129,535 documents the records repeat with new ids). Queries: titles of 200 held-back
papers. The query-embedding cache is cleared before each pass, so every query is encoded.
Reference recipe (as LangChain's EnsembleRetriever does it): rank_bm25 BM25Okapi.get_scores over
the same tokens + FAISS flat + reciprocal rank fusion in Python. Floor: the model call alone for
one query (tokenizer, ONNX Runtime session, pooling: papersift's lean path, index/encoding/
onnx_model.py). Papersift's own query encoding: the path a query takes, less the cache (the
query batcher's thread hand-off included). Ratios to both are reported.
Prints a table (or one JSON object) and writes JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable

import arxiv
import numpy as np
from rank_bm25 import BM25Okapi

from papersift.index.lexical.tokenizer import Tokenizer
from papersift.index.storage.snapshot import Snapshot
from papersift.search.requests import SearchRequest
from papersift.search.searcher import Searcher

MODES = ("lexical", "dense", "hybrid")
REFERENCE_MAX_DOCS = 200_000  # rank_bm25 keeps a dict per document: ~1 GB per 100K documents


def percentiles(samples: list[float]) -> dict[str, float]:
    values = np.array(samples)
    return {
        "p50_ms": round(float(np.percentile(values, 50)), 3),
        "p95_ms": round(float(np.percentile(values, 95)), 3),
        "p99_ms": round(float(np.percentile(values, 99)), 3),
        "n": len(samples),
    }


def timed(function: Callable[[str], object], queries: list[str]) -> list[float]:
    samples = []
    for query in queries:
        started = time.perf_counter()
        function(query)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def measure_papersift(searcher: Searcher, queries: list[str]) -> dict[str, dict[str, float]]:
    results = {}
    for mode in MODES:
        searcher.encoder.forget_queries()
        results[mode] = percentiles(timed(
            lambda q, m=mode: searcher.search(SearchRequest(q, mode=m, limit=10)), queries))  # type: ignore[misc]  # fmt: skip
    return results


class Reference:
    """rank_bm25 + FAISS flat + RRF over dicts, on the same tokens, vectors and model."""

    def __init__(self, index: Snapshot, searcher: Searcher, token_lists: list[list[str]]) -> None:
        self.bm25 = BM25Okapi(token_lists)
        self.tokenizer = Tokenizer(index.manifest.tokenizer)
        self.faiss = index.dense.faiss_index
        self.encode = searcher.encoder._encode

    def lexical(self, query: str, k: int = 100) -> list[int]:
        scores = self.bm25.get_scores(self.tokenizer.tokenize(query))
        return [int(row) for row in np.argsort(-scores)[:k]]

    def dense(self, query: str, k: int = 100) -> list[int]:
        _, rows = self.faiss.search(self.encode([query]), k)
        return [int(row) for row in rows[0]]

    def hybrid(self, query: str, k: int = 10) -> list[int]:
        fused: dict[int, float] = {}
        for ranking in (self.lexical(query), self.dense(query)):
            for rank, row in enumerate(ranking, start=1):
                fused[row] = fused.get(row, 0.0) + 1 / (60 + rank)
        return sorted(fused, key=lambda row: -fused[row])[:k]


def main() -> None:
    parser = argparse.ArgumentParser(description="query latency benchmark")
    parser.add_argument("--docs", type=int, default=130_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--reference-queries", type=int, default=50)
    parser.add_argument("--dense", choices=["auto", "flat", "fp16", "sq8", "hnsw"], default="auto")
    parser.add_argument("--no-reference", action="store_true", help="skip the reference recipe")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    say = (lambda *a: print(*a, file=sys.stderr)) if args.json else print

    folder, options = arxiv.folder_for(args.docs, args.dense)
    folder = arxiv.build_folder(folder, args.docs, options)
    suffix = arxiv.suffix(args.dense)
    index = Snapshot.load(folder)
    searcher = Searcher(index, arxiv.encoder())
    queries = arxiv.queries()[: args.queries]
    for query in queries[:5]:  # warm-up: model, caches, page cache, lexical part ceilings
        for mode in MODES:
            searcher.search(SearchRequest(query, mode=mode))
    note = "above 129,535 docs the arXiv records repeat with new ids"
    report: dict[str, object] = {"docs": index.size, "queries": len(queries), "note": note,
                                 "dense_index": index.manifest.dense.kind}  # fmt: skip
    report["floor"] = percentiles(timed(lambda q: searcher.encoder._encode([q]), queries))
    own_encoding = searcher.encoder._batcher.encode  # a query's path, less the cache
    report["papersift_query_encoding"] = percentiles(timed(own_encoding, queries))
    report["papersift"] = measure_papersift(searcher, queries)
    if index.size <= REFERENCE_MAX_DOCS and not args.no_reference:
        papers, _ = arxiv.corpus(index.size)
        tokens = [searcher.index.tokenizer.paper_terms(p) for p in papers]
        reference = Reference(index, searcher, tokens)
        del tokens
        few = queries[: args.reference_queries]
        report["reference"] = {
            mode: percentiles(timed(getattr(reference, mode), few)) for mode in MODES
        }
    else:
        report["reference"] = None
        report["reference_note"] = f"skipped (asked, or above {REFERENCE_MAX_DOCS} docs: memory)"
    report["ratios"] = ratios(report)
    arxiv.RESULTS.mkdir(parents=True, exist_ok=True)
    (arxiv.RESULTS / f"latency-{args.docs}{suffix}.json").write_text(json.dumps(report, indent=1))
    if args.json:
        print(json.dumps(report))
    else:
        print_table(report)
    say(f"wrote {arxiv.RESULTS / f'latency-{args.docs}{suffix}.json'}")


def ratios(report: dict[str, object]) -> dict[str, float]:
    floor = report["floor"]["p50_ms"]  # type: ignore[index]
    ours = report["papersift"]  # type: ignore[assignment]
    out = {f"{mode}_p50_over_floor": round(ours[mode]["p50_ms"] / floor, 2) for mode in MODES}  # type: ignore[index]
    own = report["papersift_query_encoding"]["p50_ms"]  # type: ignore[index]
    out["hybrid_p50_over_own_query_encoding"] = round(ours["hybrid"]["p50_ms"] / own, 2)  # type: ignore[index]
    if report.get("reference"):
        reference = report["reference"]
        for mode in MODES:
            out[f"reference_over_{mode}_p50"] = round(
                reference[mode]["p50_ms"] / ours[mode]["p50_ms"], 1
            )  # type: ignore[index]
    return out


def print_table(report: dict[str, object]) -> None:
    print(f"{report['docs']} docs, {report['queries']} queries (p50 / p95 / p99 ms)")
    rows = [("floor: encode query", report["floor"])]
    rows += [("papersift query encoding", report["papersift_query_encoding"])]
    rows += [(f"papersift {m}", report["papersift"][m]) for m in MODES]  # type: ignore[index]
    if report.get("reference"):
        rows += [(f"reference {m}", report["reference"][m]) for m in MODES]  # type: ignore[index]
    for name, values in rows:
        print(
            f"{name:<24} {values['p50_ms']:>9.2f} {values['p95_ms']:>9.2f} {values['p99_ms']:>9.2f}"
        )
    for name, value in report["ratios"].items():  # type: ignore[attr-defined]
        print(f"{name:<32} {value}")


if __name__ == "__main__":
    main()
