"""Harvest-and-apply throughput of `papersift sync arxiv`: 1,000 real arXiv records served in
arXiv's OAI-PMH format by the local test repository (pages of 250, no delay), applied to a
20,000-paper index; once with the papers' embeddings looked up (the shared data's precomputed
ones: harvesting, parsing, writing and the BM25/FAISS overlay alone) and once encoding them with
the bundled model, as a real sync does.

    python bench/sync.py [--records 1000] [--json]

Writes bench/results/sync.json.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import arxiv
import machine
import numpy as np

from papersift.index.encoding.encoder import Encoder
from papersift.search.backends.interface import BackendConfig
from papersift.search.backends.local import open_backend
from papersift.search.sync import ArxivSync, SyncRequest

sys.path.insert(0, str(arxiv.ROOT))
from tests.helpers.servers import oai_repository

BASE = 20_000
SOURCE_PART = "part-020.jsonl.gz"  # records the base index (parts 000-003) does not hold


class LookedUp:
    """An encoder stand-in that looks the texts' embeddings up (precomputed by the same model),
    so that the run measures everything but encoding."""

    def __init__(self, real: Encoder, vectors: dict[str, np.ndarray]) -> None:
        self.real, self.vectors = real, vectors
        self.name, self.dimension, self.runtime = real.name, real.dimension, real.runtime

    def encode_documents(self, texts: list[str], progress: bool = False) -> np.ndarray:
        return np.stack([self.vectors[text] for text in texts]).astype(np.float32)


def served_records(count: int) -> tuple[list[dict[str, Any]], dict[str, np.ndarray]]:
    """`count` records of one part in the repository's plan form, and their texts' embeddings."""
    with gzip.open(arxiv.ARXIV / SOURCE_PART, "rt", encoding="utf-8") as lines:
        records = [json.loads(line) for _, line in zip(range(count), lines, strict=False)]
    vectors = np.load(arxiv.ARXIV / "embeddings" / SOURCE_PART.replace(".jsonl.gz", ".npy"))
    plan, by_text = [], {}
    for number, record in enumerate(records):
        names = [n.strip() for n in record["authors"].replace(" and ", ",").split(",") if n.strip()]
        plan.append({"id": record["id"], "datestamp": f"2026-11-{1 + number % 28:02d}",
                     "title": record["title"], "abstract": record["abstract"],
                     "categories": record["categories"], "created": "2026-11-01",
                     "authors": [{"forenames": " ".join(n.split()[:-1]), "keyname": n.split()[-1]}
                                 for n in names]})  # fmt: skip
        text = f"{' '.join(record['title'].split())} {' '.join(record['abstract'].split())}"
        by_text[text.strip()] = vectors[number]
    return plan, by_text


def run(folder: Path, endpoint: str, encoder: Any) -> dict[str, Any]:
    backend = open_backend(BackendConfig(index=folder))
    started = time.perf_counter()
    report = ArxivSync(backend, encoder, folder).run(SyncRequest(endpoint=endpoint, delay=0))
    seconds = time.perf_counter() - started
    assert backend.writer is not None
    backend.writer.close()
    return {"seconds": round(seconds, 2), "records_per_s": round(report.records / seconds, 1),
            "added": report.added, "pages": report.pages}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    base = arxiv.build_folder(arxiv.RESULTS / f"index-{BASE}", BASE)
    plan, by_text = served_records(args.records)
    encoder = Encoder()
    report: dict[str, Any] = {"machine": machine.describe(), "records": args.records, "base": BASE}
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        repository = {"records": plan, "page_size": 250}
        with oai_repository(repository, work) as endpoint:
            for name, chosen in (("without_encoding", LookedUp(encoder, by_text)),
                                 ("with_encoding", encoder)):  # fmt: skip
                folder = work / name
                shutil.copytree(base, folder)
                report[name] = run(folder, endpoint, chosen)
    arxiv.RESULTS.mkdir(parents=True, exist_ok=True)
    (arxiv.RESULTS / "sync.json").write_text(json.dumps(report, indent=1))
    if args.json:
        print(json.dumps(report))
        return
    print(f"sync arxiv: {args.records} records onto {BASE:,} papers ({report['machine']})")
    for name in ("without_encoding", "with_encoding"):
        row = report[name]
        print(f"  {name:<18} {row['seconds']:8.2f} s  {row['records_per_s']:8.1f} records/s")


if __name__ == "__main__":
    main()
