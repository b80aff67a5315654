"""Local index vs Milvus (milvus-lite server on loopback): agreement, quality and query latency.

    python bench/milvus.py [--docs 10000] [--queries 20] [--scifact-queries 50] [--json]

milvus-lite 3.2 is a pure-Python engine (seconds per BM25 query at 10K papers), so the query
counts are small; a real Milvus cluster is another engine entirely (see the README).
1. A SciFact slice (../shared/data/scifact: the first `--scifact-queries` test queries, every
   abstract judged for them and 400 others): the local index and a Milvus collection holding the
   same abstracts and embeddings. nDCG@10 of each mode on both, and the mean top-10 overlap.
2. arXiv, `--docs` papers with their precomputed embeddings inserted directly: insert time, and
   p50/p95 query latency of each mode, local vs Milvus, over held-back titles.
Prints a table (or JSON) and writes bench/results/milvus-N.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from statistics import fmean

import arxiv
import numpy as np
from latency import percentiles, timed

from papersift.api.demo import cached_index_folder, ensure_index
from papersift.index.build import BuildOptions
from papersift.index.encoding.encoder import Encoder
from papersift.index.storage.changes import live_papers
from papersift.index.storage.snapshot import Snapshot
from papersift.search.backends.milvus import MilvusReader, MilvusTarget
from papersift.search.backends.milvus.collection import build_collection
from papersift.search.evaluation import load_collection, score_run
from papersift.search.requests import SearchRequest
from papersift.search.searcher import Searcher

MODES = ("lexical", "dense", "hybrid")


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


SCIFACT = arxiv.ROOT.parent / "shared" / "data" / "scifact"
SLICES = arxiv.RESULTS / "slices"


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


def into_milvus(uri: str, name: str, index: Snapshot, model: str) -> tuple[MilvusTarget, float]:
    papers = list(live_papers(index))
    vectors = np.stack([index.dense.vector(row) for row in range(len(papers))])
    target = MilvusTarget(uri, collection=name)
    started = time.perf_counter()
    build_collection(target, papers, vectors, model)
    return target, time.perf_counter() - started


def scifact_report(uri: str, encoder: Encoder, queries: int, others: int) -> dict[str, object]:
    """nDCG@10 and top-10 overlap on a SciFact slice: `queries` test queries, the abstracts
    judged for them and `others` more (the whole corpus would take minutes per mode on lite)."""
    folder = SLICES / f"scifact-{queries}-{others}"
    if not folder.exists():
        write_scifact_slice(folder, queries, others)
    collection = load_collection(folder, "test")
    index_folder = cached_index_folder(collection.corpus, BuildOptions())
    ensure_index(collection.corpus, index_folder)
    local = Searcher(Snapshot.load(index_folder), encoder)
    target, _ = into_milvus(uri, "scifact", local.index, local.encoder.name)
    milvus = MilvusReader(target, target.connect(), encoder=local.encoder)
    report: dict[str, object] = {"queries": len(collection.queries),
                                 "papers": local.index.size}  # fmt: skip
    for mode in MODES:
        runs = {name: {qid: top(searcher, text, mode) for qid, text in collection.queries.items()}
                for name, searcher in (("local", local), ("milvus", milvus))}  # fmt: skip
        report[mode] = {
            "local_ndcg@10": round(score_run(mode, runs["local"], collection.qrels)
                                   .metrics["ndcg@10"], 4),
            "milvus_ndcg@10": round(score_run(mode, runs["milvus"], collection.qrels)
                                    .metrics["ndcg@10"], 4),
            "top10_overlap": round(fmean(overlap(runs["local"][q], runs["milvus"][q])
                                         for q in collection.queries), 3),
        }  # fmt: skip
    return report


def top(searcher: Searcher | MilvusReader, query: str, mode: str) -> dict[str, float]:
    """A run for trec_eval: the top 100 ids with descending pseudo-scores (rank order)."""
    hits = searcher.search(SearchRequest(query, mode=mode, limit=100)).hits
    return {hit.paper.id: 100.0 - position for position, hit in enumerate(hits)}


def overlap(first: dict[str, float], second: dict[str, float]) -> float:
    return len(set(list(first)[:10]) & set(list(second)[:10])) / 10


def write_scifact_slice(folder: Path, queries: int, others: int) -> None:
    qrels_lines = (SCIFACT / "qrels" / "test.tsv").read_text().splitlines()
    judged = {line.split("\t")[0] for line in qrels_lines[1:]}
    all_queries = [json.loads(line) for line in (SCIFACT / "queries.jsonl").open()]
    kept = [q for q in all_queries if q["_id"] in judged][:queries]
    kept_ids = {q["_id"] for q in kept}
    kept_qrels = [line for line in qrels_lines[1:] if line.split("\t")[0] in kept_ids]
    relevant = {line.split("\t")[1] for line in kept_qrels}
    corpus = [json.loads(line) for line in (SCIFACT / "corpus.jsonl").open()]
    docs = [d for d in corpus if d["_id"] in relevant]
    docs += [d for d in corpus if d["_id"] not in relevant][:others]
    (folder / "qrels").mkdir(parents=True)
    for name, records in (("corpus.jsonl", docs), ("queries.jsonl", kept)):
        (folder / name).write_text("".join(json.dumps(r) + "\n" for r in records))
    (folder / "qrels" / "test.tsv").write_text("\n".join([qrels_lines[0], *kept_qrels]) + "\n")


def ids(searcher: Searcher | MilvusReader, query: str, mode: str) -> list[str]:
    hits = searcher.search(SearchRequest(query, mode=mode, limit=10)).hits
    return [hit.paper.id for hit in hits]


def latency_report(uri: str, docs: int, queries: list[str], encoder: Encoder) -> dict[str, object]:
    folder = arxiv.build_folder(arxiv.RESULTS / f"index-{docs}", docs)
    local = Searcher(Snapshot.load(folder), encoder)
    target, insert_seconds = into_milvus(uri, "arxiv", local.index, local.encoder.name)
    milvus = MilvusReader(target, target.connect(), encoder=local.encoder)
    report: dict[str, object] = {"docs": docs, "insert_seconds": round(insert_seconds, 1)}
    for name, searcher in (("local", local), ("milvus", milvus)):
        searcher.search(SearchRequest(queries[0]))  # warm-up
        report[name] = {mode: mode_latency(searcher, encoder, mode, queries) for mode in MODES}
    return report


def mode_latency(
    searcher: Searcher | MilvusReader, encoder: Encoder, mode: str, queries: list[str]
) -> dict[str, float]:
    """Percentiles of `mode`, every query encoded afresh (the cache is cleared first)."""
    encoder.forget_queries()
    return percentiles(timed(lambda q: searcher.search(SearchRequest(q, mode=mode)), queries))


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
            report["scifact"] = scifact_report(uri, encoder, args.scifact_queries, 400)
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
        print(f"SciFact slice ({scifact['queries']} test queries, {scifact['papers']} abstracts): "  # type: ignore[index]
              "nDCG@10 local / milvus, top-10 overlap")  # fmt: skip
        for mode in MODES:
            row = scifact[mode]  # type: ignore[index]
            print(f"{mode:<10} {row['local_ndcg@10']:.4f} / {row['milvus_ndcg@10']:.4f}   "
                  f"{row['top10_overlap']:.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
