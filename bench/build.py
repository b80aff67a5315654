"""Build throughput: papersift's build vs the bare encoder on the same texts, and the lexical-only
build of all 129,735 arXiv records.

    python bench/build.py [--sample 5000] [--json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import arxiv

from papersift.index.build import BuildOptions, build_index


def main() -> None:
    parser = argparse.ArgumentParser(description="build benchmark")
    parser.add_argument("--sample", type=int, default=5000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    papers, _ = arxiv.arxiv_records_cached()
    sample = papers[: args.sample]
    encoder = arxiv.encoder()
    encoder.encode_documents([p.text for p in sample[:64]])  # warm-up

    started = time.perf_counter()
    encoder.encode_documents([paper.text for paper in sample])
    bare = time.perf_counter() - started

    with tempfile.TemporaryDirectory() as scratch:
        corpus = Path(scratch) / "sample.jsonl"
        corpus.write_text("".join(json.dumps(p.to_record()) + "\n" for p in sample))
        report = build_index([corpus], Path(scratch) / "index", encoder=encoder)

    started = time.perf_counter()
    lexical, tokenize_and_index = arxiv.lexical_for(papers, len(papers), BuildOptions())
    with tempfile.TemporaryDirectory() as scratch:
        save_started = time.perf_counter()
        lexical.save(Path(scratch))
        save = time.perf_counter() - save_started
    result = {
        "sample_docs": len(sample),
        "bare_encoder_docs_per_s": round(len(sample) / bare, 2),
        "build_docs_per_s": round(report.documents / report.seconds, 2),
        "build_over_bare": round(
            (len(sample) / bare) and (report.documents / report.seconds) / (len(sample) / bare), 3
        ),
        "build_seconds": round(report.seconds, 2),
        "build_encode_seconds": round(report.encode_seconds, 2),
        "non_encoding_share": round(1 - report.encode_seconds / report.seconds, 3),
        "lexical_only_docs": len(papers),
        "lexical_only_seconds": round(tokenize_and_index + save, 2),
    }
    (arxiv.RESULTS / "build.json").write_text(json.dumps(result, indent=1))
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:<28} {value}")


if __name__ == "__main__":
    main()
