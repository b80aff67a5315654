"""Live updates at scale: adding 1,000 papers to a ~130K index, and queries while papers stream in.

    python bench/updates.py [--docs 128535] [--add 1000] [--json]

Base: the first `--docs` real arXiv records (precomputed embeddings, as bench/latency.py). Added:
the next `--add` records, never in the base, encoded now with the bundled model (ONNX). Reports
(1) the seconds to add them in one batch (POST /api/papers's limit), split into encoding and the
rest (apply + fsynced log), and the compaction that folds them into new files; (2) hybrid and
lexical query latency idle vs while a writer thread keeps upserting batches of 10 papers
(encoding each, on half the cores, as the server does). "before" is the latency before the
1,000 were added, "idle" after (they sit in the overlay until compaction). Works on a copy of
the base folder. Prints a table (or JSON) and writes JSON.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import statistics
import sys
import threading
import time

import arxiv
from latency import percentiles, timed

from papersift.index.encoding.encoder import Encoder
from papersift.index.papers.paper import Paper
from papersift.index.storage.live import LiveIndex
from papersift.search.requests import SearchRequest
from papersift.search.searcher import Searcher

STREAM_BATCH = 10


def main() -> None:
    parser = argparse.ArgumentParser(description="live update benchmark")
    parser.add_argument("--docs", type=int, default=128_535, help="papers in the base index")
    parser.add_argument("--add", type=int, default=1000, help="papers added in one batch")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    say = (lambda *a: print(*a, file=sys.stderr)) if args.json else print

    papers, _ = arxiv.arxiv_records_cached()
    new_papers = papers[args.docs : args.docs + args.add]
    base = arxiv.build_folder(arxiv.RESULTS / f"index-{args.docs}", args.docs)
    work = arxiv.RESULTS / "updates-work"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(base, work)
    live = LiveIndex(work, compact_after=10**9)  # compaction measured on its own below
    searcher = Searcher(live, arxiv.encoder())
    queries = arxiv.queries()[: args.queries]
    searcher.search(SearchRequest(queries[0]))  # warm-up: model and page cache

    report: dict[str, object] = {"base_docs": live.index.size, "added": len(new_papers)}
    report["before"] = query_latency(searcher, queries)
    report["add_batch"] = add_batch(live, searcher, new_papers)
    say(f"added {len(new_papers)} papers: {report['add_batch']}")
    report["idle"] = query_latency(searcher, queries)
    writer_encoder = Encoder(threads=max(1, (os.cpu_count() or 2) // 2))  # as the server's
    report["ingesting"] = latency_while_ingesting(
        live, searcher, writer_encoder, queries, new_papers
    )
    started = time.perf_counter()
    live.compact()
    report["compact_seconds"] = round(time.perf_counter() - started, 2)
    report["docs_after"] = live.index.size
    (arxiv.RESULTS / "updates.json").write_text(json.dumps(report, indent=1))
    if args.json:
        print(json.dumps(report))
    else:
        print_table(report)
    say(f"wrote {arxiv.RESULTS / 'updates.json'}")
    shutil.rmtree(work, ignore_errors=True)


def add_batch(live: LiveIndex, searcher: Searcher, papers: list[Paper]) -> dict[str, float]:
    """One upsert of `papers`: encoding, then everything else (apply, log write, fsync)."""
    started = time.perf_counter()
    vectors = searcher.encoder.encode_documents([paper.text for paper in papers])
    encoded = time.perf_counter()
    live.upsert_encoded(papers, vectors)
    done = time.perf_counter()
    total = done - started
    return {"seconds": round(total, 2), "encode_seconds": round(encoded - started, 2),
            "apply_and_log_seconds": round(done - encoded, 3),
            "encode_share": round((encoded - started) / total, 4)}  # fmt: skip


def query_latency(searcher: Searcher, queries: list[str]) -> dict[str, dict[str, float]]:
    results = {}
    for mode in ("lexical", "hybrid"):
        searcher.encoder.forget_queries()
        results[mode] = percentiles(timed(
            lambda q, m=mode: searcher.search(SearchRequest(q, mode=m)), queries))  # type: ignore[misc]  # fmt: skip
    return results


def latency_while_ingesting(
    live: LiveIndex, searcher: Searcher, encoder: Encoder, queries: list[str], pool: list[Paper]
) -> dict[str, object]:
    """Query latency while a writer upserts batches of 10 (new ids, each batch encoded)."""
    stop = threading.Event()
    apply_seconds: list[float] = []
    added = [0]

    def ingest() -> None:
        batch_number = 0
        while not stop.is_set():
            start = (batch_number * STREAM_BATCH) % len(pool)
            batch = [dataclasses.replace(paper, id=f"stream-{batch_number}-{paper.id}")
                     for paper in pool[start : start + STREAM_BATCH]]  # fmt: skip
            vectors = encoder.encode_documents([paper.text for paper in batch])
            started = time.perf_counter()
            live.upsert_encoded(batch, vectors)
            apply_seconds.append(time.perf_counter() - started)
            added[0] += len(batch)
            batch_number += 1

    writer = threading.Thread(target=ingest, daemon=True)
    started = time.perf_counter()
    writer.start()
    latency = query_latency(searcher, queries)
    stop.set()
    writer.join()
    seconds = time.perf_counter() - started
    return {**latency, "papers_added": added[0],
            "papers_per_second": round(added[0] / seconds, 1),
            "apply_and_log_ms_per_batch_p50": round(statistics.median(apply_seconds) * 1000, 2)
            if apply_seconds else None}  # fmt: skip


def print_table(report: dict[str, object]) -> None:
    batch = report["add_batch"]
    print(f"base {report['base_docs']} papers; adding {report['added']} in one batch")
    print(f"  total {batch['seconds']} s = encoding {batch['encode_seconds']} s "  # type: ignore[index]
          f"+ apply and fsynced log {batch['apply_and_log_seconds']} s "  # type: ignore[index]
          f"(encoding {batch['encode_share']:.1%})")  # type: ignore[index]  # fmt: skip
    print(
        f"  compaction into new files: {report['compact_seconds']} s "
        f"({report['docs_after']} papers)"
    )
    print(f"{'query latency (ms)':<28} {'p50':>8} {'p95':>8} {'p99':>8}")
    for phase in ("before", "idle", "ingesting"):
        for mode in ("lexical", "hybrid"):
            values = report[phase][mode]  # type: ignore[index]
            print(f"{phase + ' ' + mode:<28} {values['p50_ms']:>8.2f} {values['p95_ms']:>8.2f} "
                  f"{values['p99_ms']:>8.2f}")  # fmt: skip
    ingesting = report["ingesting"]
    print(f"while ingesting: {ingesting['papers_added']} papers added, "  # type: ignore[index]
          f"{ingesting['papers_per_second']} papers/s; apply + log per batch of "  # type: ignore[index]
          f"{STREAM_BATCH}: {ingesting['apply_and_log_ms_per_batch_p50']} ms p50")  # type: ignore[index]  # fmt: skip


if __name__ == "__main__":
    main()
