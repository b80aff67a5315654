"""Encoding throughput: in-process vs Ray Data with 1 and 2 encoder actors, on real abstracts.

    python bench/ray_build.py [--sample 2000] [--json]

The first `--sample` arXiv records. Plain: `Encoder.encode_documents` in this process (all
cores). Ray: `encode_with_ray` on a local Ray started for the run (each actor one model load, one
core). Times include Ray's start and the actors' model loads, as a build pays them. Checks that
every path gives the same embeddings. Prints a table (or JSON) and writes bench/results/ray.json.
"""

from __future__ import annotations

import argparse
import json
import time

import arxiv
import numpy as np

from papersift.index.encoding.encoder import Encoder
from papersift.index.encoding.ray import RayEncoding, encode_with_ray


def main() -> None:
    parser = argparse.ArgumentParser(description="Ray vs plain encoding")
    parser.add_argument("--sample", type=int, default=2000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    papers, _ = arxiv.arxiv_records_cached()
    texts = [paper.text for paper in papers[: args.sample]]
    encoder = Encoder()
    encoder.encode_documents(texts[:8])  # warm-up
    started = time.perf_counter()
    plain = encoder.encode_documents(texts)
    rate = len(texts) / (time.perf_counter() - started)
    report: dict[str, object] = {"sample": len(texts), "backend": encoder.runtime,
                                 "plain_docs_per_s": round(rate, 2)}  # fmt: skip
    for actors in (1, 2):
        started = time.perf_counter()
        vectors = encode_with_ray(texts, encoder.name, encoder.runtime, RayEncoding(actors=actors))
        seconds = time.perf_counter() - started
        report[f"ray_{actors}_actors_docs_per_s"] = round(len(texts) / seconds, 2)
        report[f"ray_{actors}_actors_min_cosine"] = round(
            float(np.sum(plain * vectors, 1).min()), 6
        )
    (arxiv.RESULTS / "ray.json").write_text(json.dumps(report, indent=1))
    if args.json:
        print(json.dumps(report))
    else:
        for name, value in report.items():
            print(f"{name:<32} {value}")


if __name__ == "__main__":
    main()
