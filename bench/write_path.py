"""What subscriptions cost a write: the median of one `PUT /api/papers/{id}` (the app
in-process, a real arXiv abstract encoded by the bundled model, matched, stored) with no
subscriptions and with N of them, on a 20,000-paper arXiv index; and, as the reference, what
reading every profile from the store costs (what each change did before profiles were kept in
memory). Target: with 2,000 subscriptions, the median at most 1.5x the median with none.

    python bench/write_path.py [--subscriptions 2000] [--puts 30] [--json]

Writes bench/results/write_path.json.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import arxiv
import machine
from fastapi.testclient import TestClient
from subscriptions import ARRIVALS_PART, BASE, part, replicate, specs

from papersift.api.http.app import create_app
from papersift.api.http.engine import Engine
from papersift.api.settings import Settings, delivery_config
from papersift.index.papers.paper import Paper
from papersift.search.backends.interface import BackendConfig
from papersift.search.subscriptions.model import Delivery
from papersift.search.subscriptions.service import Subscriptions

TOKEN = "bench-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
DISTINCT = 200  # subscriptions made by a fresh search each; the rest are copies of them


def put_median(client: TestClient, papers: list[Paper]) -> float:
    """The median milliseconds of one PUT per paper."""
    times = []
    for paper in papers:
        body = {"title": paper.title, "abstract": paper.abstract,
                "categories": list(paper.categories)}  # fmt: skip
        started = time.perf_counter()
        answer = client.put(f"/api/papers/{paper.id}", json=body, headers=AUTH)
        times.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, answer.text
    return statistics.median(times)


def subscribe(subscriptions: Subscriptions, total: int, base: list[Paper]) -> None:
    for spec in specs(min(DISTINCT, total), base, random.Random(16)):
        subscriptions.create(spec, Delivery(), "bench")
    replicate(subscriptions.store, total)


def profiles_read_ms(subscriptions: Subscriptions) -> float:
    times = []
    for _ in range(5):
        started = time.perf_counter()
        subscriptions.store.profiles()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def measure(folder: Path, total: int, puts: int) -> dict[str, Any]:
    settings = Settings(index=folder, write_token=TOKEN)
    engine = Engine(BackendConfig(index=folder), delivery=delivery_config(settings))
    engine.open()
    arrivals, _ = part(ARRIVALS_PART)
    with TestClient(create_app(settings, engine)) as client:
        warm = arrivals[0]  # the first PUT loads the document encoder
        client.put(f"/api/papers/{warm.id}", json={"title": warm.title}, headers=AUTH)
        none = put_median(client, arrivals[1 : puts + 1])
        subscriptions = engine.subscriptions
        assert subscriptions is not None
        reader = engine.backend.reader
        base = [reader.paper(reader.index.papers.id_of(row)) for row in range(BASE)]  # type: ignore[attr-defined]
        subscribe(subscriptions, total, base)  # type: ignore[arg-type]
        some = put_median(client, arrivals[puts + 1 : 2 * puts + 1])
        read = profiles_read_ms(subscriptions)
    return {"subscriptions": total, "puts": puts, "median_ms_none": round(none, 1),
            "median_ms_with": round(some, 1), "ratio": round(some / none, 2),
            "profiles_read_ms": round(read, 1)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscriptions", type=int, default=2000)
    parser.add_argument("--puts", type=int, default=30)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    source = arxiv.build_folder(arxiv.RESULTS / f"index-{BASE}", BASE)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "index"
        shutil.copytree(source, folder)
        report = {"machine": machine.describe(), "base": BASE,
                  **measure(folder, args.subscriptions, args.puts)}  # fmt: skip
    arxiv.RESULTS.mkdir(parents=True, exist_ok=True)
    (arxiv.RESULTS / "write_path.json").write_text(json.dumps(report, indent=1))
    if args.json:
        print(json.dumps(report))
        return
    print(f"PUT /api/papers/{{id}} on {BASE:,} papers ({report['machine']}), median of "
          f"{args.puts}")  # fmt: skip
    print(f"  no subscriptions         {report['median_ms_none']:8.1f} ms")
    print(f"  {args.subscriptions:>6,} subscriptions     {report['median_ms_with']:8.1f} ms "
          f"({report['ratio']:.2f}x; target at most 1.50x)")  # fmt: skip
    print(
        f"  reading every profile    {report['profiles_read_ms']:8.1f} ms "
        "(each change did this before; now only when the subscriptions change)"
    )


if __name__ == "__main__":
    main()
