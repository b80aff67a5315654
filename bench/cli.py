"""`papersift search` from the shell: how long one call takes, and where it goes.

    python bench/cli.py [--runs 5] [--json]

Builds a 4-paper index in a temporary folder, then times whole `papersift search` processes
(hybrid, so the model loads) with the model's ONNX export already in the cache, against the
interpreter starting and importing the CLI alone. Medians of `--runs`. Writes
bench/results/cli.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import machine

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
PAPERS = [
    {"id": "a1", "title": "Sparse attention for long context", "abstract": "Sparse attention."},
    {"id": "a2", "title": "Dark matter halos", "abstract": "Simulations of halos."},
    {"id": "a3", "title": "Quantum error correction", "abstract": "Surface codes."},
    {"id": "a4", "title": "Graph neural networks", "abstract": "Message passing."},
]


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print only the JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        corpus = folder / "four.jsonl"
        corpus.write_text("".join(json.dumps(paper) + "\n" for paper in PAPERS))
        env = {**os.environ, "PAPERSIFT_CACHE_DIR": str(folder / "cache")}
        papersift = [sys.executable, "-m", "papersift"]
        build = timed([*papersift, "build", str(corpus), "--index", str(folder / "index")], env)
        search = [*papersift, "search", "sparse attention", "--index", str(folder / "index")]
        runs = {
            "interpreter_and_cli_imports": [sys.executable, "-c", "import papersift.api.cli.main"],
            "search_hybrid": search,
            "search_lexical": [*search, "--mode", "lexical"],
        }
        medians = {
            name: statistics.median(timed(command, env) for _ in range(args.runs))
            for name, command in runs.items()
        }
    report = {
        "machine": machine.describe(),
        "runs": args.runs,
        "first_build_s": round(build, 2),  # the model's ONNX export included
        "median_s": {name: round(seconds, 2) for name, seconds in medians.items()},
    }  # fmt: skip
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "cli.json").write_text(json.dumps(report, indent=1))
    if args.json:
        print(json.dumps(report))
        return
    print(f"papersift search, a 4-paper index ({report['machine']}), medians of {args.runs}:")
    print(f"  first build, exporting the model: {report['first_build_s']} s")
    for name, seconds in report["median_s"].items():
        print(f"  {name:<30} {seconds:6.2f} s")


if __name__ == "__main__":
    main()
