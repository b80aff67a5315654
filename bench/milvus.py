"""Local index vs Milvus (milvus-lite server on loopback): agreement, quality and query latency.

    python bench/milvus.py [--docs 10000] [--queries 20] [--scifact-queries 50] [--json]

milvus-lite 3.2 is a pure-Python engine (seconds per BM25 query at 10K papers), so the query
counts are small; a real Milvus cluster is another engine entirely (see the README).
1. SciFact (../shared/data/scifact, the whole corpus, the first `--scifact-queries` test
   queries): the local index (built once into the cache, as `papersift eval` does) and a Milvus
   collection holding the same abstracts and embeddings. nDCG@10 of each mode on both, and the
   mean top-10 overlap per mode.
2. arXiv, `--docs` papers with their precomputed embeddings inserted directly: insert time, and
   p50/p95 query latency of each mode, local vs Milvus, over held-back titles.
Prints a table (or JSON) and writes bench/results/milvus-N.json.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from statistics import fmean

import arxiv
import numpy as np
from latency import percentiles, timed

from api.demo import cached_index_folder, ensure_index
from index.build import BuildOptions
from index.changes import live_papers
from index.encoder import Encoder
from index.paper_index import PaperIndex
from search.evaluation import evaluate, load_collection
from search.hits import SearchRequest
from search.milvus import MilvusSearcher, MilvusTarget, build_collection
from search.searcher import Searcher

MODES = ("lexical", "dense", "hybrid")


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


SCIFACT = arxiv.ROOT.parent / "shared" / "data" / "scifact"


@contextlib.contextmanager
def lite_server() -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with tempfile.TemporaryDirectory() as data:
        process = subprocess.Popen(
            [sys.executable, "-m", "milvus_lite", "server", "--data-dir", data,
             "--host", "127.0.0.1", "--port", str(port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
                time.sleep(0.2)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(timeout=30)


def into_milvus(uri: str, name: str, index: PaperIndex, model: str) -> tuple[MilvusTarget, float]:
    papers = list(live_papers(index))
    vectors = np.stack([index.dense.vector(row) for row in range(len(papers))])
    target = MilvusTarget(uri, collection=name)
    started = time.perf_counter()
    build_collection(target, papers, vectors, model)
    return target, time.perf_counter() - started


def scifact_report(uri: str, encoder: Encoder, queries: int) -> dict[str, object]:
    collection = load_collection(SCIFACT, "test")
    kept = dict(list(collection.queries.items())[:queries])
    collection = dataclasses.replace(collection, queries=kept)
    folder = cached_index_folder(collection.corpus, BuildOptions())
    ensure_index(collection.corpus, folder)
    local = Searcher(PaperIndex.load(folder), encoder)
    target, _ = into_milvus(uri, "scifact", local.index, local.encoder.name)
    milvus = MilvusSearcher(target, local.encoder)
    report: dict[str, object] = {"queries": len(collection.queries)}
    for name, searcher in (("local", local), ("milvus", milvus)):
        report[f"{name}_ndcg@10"] = {r.mode: round(r.metrics["ndcg@10"], 4)
                                     for r in evaluate(searcher, collection)}  # fmt: skip
    report["top10_overlap"] = {mode: round(fmean(
        len(set(ids(local, q, mode)) & set(ids(milvus, q, mode))) / 10
        for q in collection.queries.values()), 3) for mode in MODES}  # fmt: skip
    return report


def ids(searcher: Searcher | MilvusSearcher, query: str, mode: str) -> list[str]:
    hits = searcher.search(SearchRequest(query, mode=mode, limit=10)).hits
    return [hit.paper.doc_id for hit in hits]


def latency_report(uri: str, docs: int, queries: list[str], encoder: Encoder) -> dict[str, object]:
    folder = arxiv.build_folder(arxiv.RESULTS / f"index-{docs}", docs)
    local = Searcher(PaperIndex.load(folder), encoder)
    target, insert_seconds = into_milvus(uri, "arxiv", local.index, local.encoder.name)
    milvus = MilvusSearcher(target, local.encoder)
    report: dict[str, object] = {"docs": docs, "insert_seconds": round(insert_seconds, 1)}
    for name, searcher in (("local", local), ("milvus", milvus)):
        searcher.search(SearchRequest(queries[0]))  # warm-up
        report[name] = {mode: percentiles(timed(
            lambda q, m=mode, s=searcher: s.search(SearchRequest(q, mode=m)), queries))  # type: ignore[misc]
            for mode in MODES}  # fmt: skip
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description="local vs milvus-lite")
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--scifact-queries", type=int, default=50)
    parser.add_argument("--no-scifact", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    queries = arxiv.queries()[: args.queries]
    report: dict[str, object] = {}
    encoder = arxiv.encoder()
    with lite_server() as uri:
        say(f"latency at {args.docs} papers, {len(queries)} queries per mode ...")
        latency = latency_report(uri, args.docs, queries, encoder)
        report["latency"] = latency
        if not args.no_scifact:
            say("SciFact: local vs milvus-lite ...")
            report["scifact"] = scifact_report(uri, encoder, args.scifact_queries)
    path = arxiv.RESULTS / f"milvus-{args.docs}.json"
    path.write_text(json.dumps(report, indent=1))
    if args.json:
        print(json.dumps(report))
    else:
        print_table(report)
    print(f"wrote {path}", file=sys.stderr)


def print_table(report: dict[str, object]) -> None:
    latency = report["latency"]
    print(f"{latency['docs']} arXiv papers; insert into milvus-lite {latency['insert_seconds']} s")  # type: ignore[index]
    print(f"{'p50 / p95 ms':<10} {'local':>18} {'milvus-lite':>18}")
    for mode in MODES:
        cells = [f"{latency[side][mode]['p50_ms']:.1f} / {latency[side][mode]['p95_ms']:.1f}"  # type: ignore[index]
                 for side in ("local", "milvus")]  # fmt: skip
        print(f"{mode:<10} {cells[0]:>18} {cells[1]:>18}")
    if "scifact" in report:
        scifact = report["scifact"]
        print(
            f"SciFact test ({scifact['queries']} queries): nDCG@10 local / milvus, top-10 overlap"
        )  # type: ignore[index]
        for mode in MODES:
            print(f"{mode:<10} {scifact['local_ndcg@10'][mode]:.4f} / "  # type: ignore[index]
                  f"{scifact['milvus_ndcg@10'][mode]:.4f}   {scifact['top10_overlap'][mode]:.3f}")  # type: ignore[index]  # fmt: skip


if __name__ == "__main__":
    main()
