"""Subscriptions at scale: matching 1,000 arriving real arXiv papers against 10,000
subscriptions (the percolator, encoding excluded: the arrivals' embeddings are the shared
data's precomputed ones), on a 20,000-paper arXiv index; how often a match differs from the
definition (a fresh search after the arrivals ranks the paper in the subscription's top N); and
the paper-list ranking chosen (the mean of the list's embeddings, Rocchio) against a linear SVM
of the list against everything else (arxiv-sanity-lite's method).

    python bench/subscriptions.py [--subscriptions 10000] [--distinct 1000] [--arrivals 1000]
                                  [--check 300] [--lists 50] [--json]

The distinct subscriptions are saved searches (arXiv titles as queries, every mode, a quarter
with a category filter, top 5, 10 or 20) and paper lists; the rest repeat them with new ids
(matching costs the same). Writes bench/results/subscriptions.json.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import arxiv
import machine
import numpy as np
from sync import LookedUp

from papersift.index.papers.corpus import LoadReport, iter_papers
from papersift.index.papers.paper import Paper
from papersift.index.storage.snapshot import Snapshot
from papersift.index.storage.update_log import Change
from papersift.search.backends.interface import Backend, BackendConfig
from papersift.search.backends.local import open_backend
from papersift.search.requests import Filters, Mode, SearchRequest
from papersift.search.subscriptions.model import Delivery, Kind, Secrets, Spec, Subscription
from papersift.search.subscriptions.percolator import Arrivals, percolate
from papersift.search.subscriptions.profiles import likeness
from papersift.search.subscriptions.service import Subscriptions
from papersift.search.subscriptions.store import SubscriptionStore

BASE = 20_000  # parts 000-003
ARRIVALS_PART = "part-020.jsonl.gz"
QUERIES_PART = "part-021.jsonl.gz"


def part(name: str) -> tuple[list[Paper], np.ndarray]:
    papers = list(iter_papers(arxiv.ARXIV / name, LoadReport()))
    vectors = np.load(arxiv.ARXIV / "embeddings" / name.replace(".jsonl.gz", ".npy"))
    return papers, vectors.astype(np.float32)


def specs(count: int, base: list[Paper], rng: random.Random) -> list[Spec]:
    titles = [paper for paper in iter_papers(arxiv.ARXIV / QUERIES_PART, LoadReport())]
    by_category: dict[str, list[str]] = defaultdict(list)
    for paper in base:
        by_category[paper.categories[0]].append(paper.id)
    found = []
    for number, source in enumerate(titles[:count]):
        top = rng.choice([5, 10, 20])
        if number % 10 == 9:
            ids = by_category.get(source.categories[0]) or by_category["cs.LG"]
            found.append(
                Spec(Kind.papers, positives=tuple(rng.sample(ids, min(3, len(ids)))), top=top)
            )
            continue
        filters = Filters(categories=(source.categories[0],)) if number % 4 == 0 else Filters()
        mode = list(Mode)[number % 3]
        found.append(Spec(Kind.search, source.title, mode, filters, top=top))
    return found


def replicate(store: SubscriptionStore, total: int) -> None:
    """Copies of the stored subscriptions under new ids, up to `total`."""
    originals = store.profiles()
    for copy in range(total - len(originals)):
        subscription, profile = originals[copy % len(originals)]
        twin = Subscription(
            f"copy-{copy}",
            subscription.spec,
            Delivery(),
            f"feed-{copy}",
            False,
            subscription.created_at,
            "bench",
        )
        store.add(twin, Secrets(None, None), profile, [])


def arrive(backend: Backend, count: int) -> tuple[Change, Snapshot, list[Paper]]:
    """Apply `count` new papers (embeddings looked up) and catch the change as a listener."""
    papers, vectors = part(ARRIVALS_PART)
    papers, vectors = papers[:count], vectors[:count]
    caught: list[tuple[Change, Snapshot]] = []
    assert backend.writer is not None
    backend.writer.add_listener(lambda change, snapshot: caught.append((change, snapshot)))  # type: ignore[arg-type]
    by_text = {paper.text: vector for paper, vector in zip(papers, vectors, strict=True)}
    backend.writer.upsert(papers, LookedUp(backend.reader.encoder, by_text))  # type: ignore[arg-type]
    ((change, snapshot),) = caught
    return change, snapshot, papers


def fresh_top(backend: Backend, spec: Spec) -> set[str]:
    reader = backend.reader
    if spec.kind == Kind.papers:
        vector = likeness(reader.vectors(list(spec.positives)), reader.vectors([]))
        return {
            hit.id for hit in reader.nearest(vector, spec.top, spec.filters, set(spec.positives))
        }
    request = SearchRequest(spec.query, spec.mode, limit=spec.top, filters=spec.filters)
    return {hit.id for hit in reader.search(request).hits}


def agreement(
    backend: Backend, subscriptions: Subscriptions, arrived: set[str], sample: list[Subscription]
) -> dict[str, Any]:
    rows: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for subscription in sample:
        spec = subscription.spec
        label = "paper list" if spec.kind == Kind.papers else str(spec.mode)
        expected = fresh_top(backend, spec) & arrived
        matched = {m.paper_id for m in subscriptions.store.matches(subscription.id, 1000)} & arrived
        row = rows[label]
        row["subscriptions"] += 1
        row["disagree"] += expected != matched
        row["extra_papers"] += len(matched - expected)
        row["missed_papers"] += len(expected - matched)
        row["matched_papers"] += len(expected)
    return {label: dict(row) for label, row in sorted(rows.items())}


def paper_lists(
    base: list[Paper], vectors: np.ndarray, lists: int, rng: random.Random
) -> dict[str, Any]:
    """Precision@10 (same primary category as the list) and time per list, for the mean of the
    list's embeddings and for a linear SVM of the list against the rest."""
    from sklearn.svm import LinearSVC

    primary = np.array([paper.categories[0] for paper in base])
    counts = defaultdict(int)
    for category in primary:
        counts[category] += 1
    categories = sorted(c for c, n in counts.items() if n >= 100)
    results: dict[str, list[float]] = defaultdict(list)
    for _ in range(lists):
        category = rng.choice(categories)
        rows = rng.sample(list(np.flatnonzero(primary == category)), 5)
        started = time.perf_counter()
        direction = likeness(vectors[rows], vectors[[]])
        mean_top = _top(vectors @ direction, rows)
        results["mean_ms"].append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        labels = np.zeros(len(vectors))
        labels[rows] = 1
        svm = LinearSVC(C=0.1, class_weight="balanced", max_iter=10_000).fit(vectors, labels)
        svm_top = _top(svm.decision_function(vectors), rows)
        results["svm_ms"].append((time.perf_counter() - started) * 1000)
        results["mean_precision"].append(float(np.mean(primary[mean_top] == category)))
        results["svm_precision"].append(float(np.mean(primary[svm_top] == category)))
    return {key: round(statistics.mean(values), 4) for key, values in results.items()} | {
        "lists": lists,
        "positives": 5,
        "metric": "precision@10, same primary category",
    }


def _top(scores: np.ndarray, exclude: list[int]) -> np.ndarray:
    scores = scores.copy()
    scores[exclude] = -np.inf
    return np.argsort(-scores)[:10]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscriptions", type=int, default=10_000)
    parser.add_argument("--distinct", type=int, default=1_000)
    parser.add_argument("--arrivals", type=int, default=1_000)
    parser.add_argument("--check", type=int, default=300)
    parser.add_argument("--lists", type=int, default=50)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rng = random.Random(16)
    source = arxiv.build_folder(arxiv.RESULTS / f"index-{BASE}", BASE)
    report: dict[str, Any] = {
        "machine": machine.describe(),
        "base": BASE,
        "subscriptions": args.subscriptions,
        "arrivals": args.arrivals,
    }
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "index"
        shutil.copytree(source, folder)
        backend = open_backend(BackendConfig(index=folder))
        base = [
            backend.reader.paper(backend.reader.index.papers.id_of(row))  # type: ignore[attr-defined]
            for row in range(BASE)
        ]
        subscriptions = Subscriptions(SubscriptionStore(folder), backend)
        started = time.perf_counter()
        for spec in specs(args.distinct, base, rng):  # type: ignore[arg-type]
            subscriptions.create(spec, Delivery(), "bench")
        report["create_ms_each"] = round((time.perf_counter() - started) * 1000 / args.distinct, 2)
        originals = subscriptions.store.all()
        replicate(subscriptions.store, args.subscriptions)
        change, snapshot, papers = arrive(backend, args.arrivals)
        profiles = subscriptions.store.profiles()
        started = time.perf_counter()
        outcome = percolate(Arrivals(papers, change.vectors, snapshot), profiles, "now")  # type: ignore[arg-type]
        report["percolate_seconds"] = round(time.perf_counter() - started, 3)
        started = time.perf_counter()
        subscriptions.on_change(change, snapshot)
        report["match_and_store_seconds"] = round(time.perf_counter() - started, 3)
        report["matches"] = len(outcome.matches)
        sample = rng.sample(originals, min(args.check, len(originals)))
        report["agreement"] = agreement(backend, subscriptions, {p.id for p in papers}, sample)
        assert backend.writer is not None
        backend.writer.close()
    papers_, vectors = part("part-000.jsonl.gz")
    report["paper_lists"] = paper_lists(papers_, vectors, args.lists, rng)
    arxiv.RESULTS.mkdir(parents=True, exist_ok=True)
    (arxiv.RESULTS / "subscriptions.json").write_text(json.dumps(report, indent=1))
    if args.json:
        print(json.dumps(report))
        return
    print(
        f"subscriptions: {args.subscriptions:,} against {args.arrivals:,} new papers on "
        f"{BASE:,} ({report['machine']})"
    )
    print(f"  matching (percolate)        {report['percolate_seconds']:8.2f} s")
    print(
        f"  matching + storing matches  {report['match_and_store_seconds']:8.2f} s "
        f"({report['matches']:,} matches)"
    )
    print(f"  creating one (fresh search) {report['create_ms_each']:8.1f} ms")
    print("  agreement with a fresh search (sampled subscriptions):")
    for label, row in report["agreement"].items():
        print(
            f"    {label:<11} {row['disagree']:3d} of {row['subscriptions']:3d} differ; "
            f"{row.get('extra_papers', 0)} extra, {row.get('missed_papers', 0)} missed of "
            f"{row.get('matched_papers', 0)} papers"
        )
    lists = report["paper_lists"]
    print(
        f"  paper lists: mean P@10 {lists['mean_precision']:.3f} ({lists['mean_ms']:.1f} ms), "
        f"linear SVM P@10 {lists['svm_precision']:.3f} ({lists['svm_ms']:.1f} ms)"
    )


if __name__ == "__main__":
    main()
