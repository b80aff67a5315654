"""From `papersift serve` to ready on the demo corpus: with an empty cache (a fresh machine: the
model is exported to ONNX and the demo index built from its shipped embeddings) and again with
the cache filled.

    python bench/first_start.py [--runs 3] [--json]

Each run starts the server as `make run` does (no --index), on a free loopback port, with
PAPERSIFT_CACHE_DIR pointing at a new empty folder, and polls /readyz every 50 ms. The server's
own lines, timed as they appear, say where the time goes. Writes bench/results/first_start.json.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import machine

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_to_ready(cache: Path) -> tuple[float, list[tuple[float, str]]]:
    """Seconds from starting `papersift serve` to /readyz 200, and its lines with their times."""
    port = free_port()
    env = {**os.environ, "PAPERSIFT_CACHE_DIR": str(cache)}
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "papersift", "serve", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lines: list[tuple[float, str]] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append((time.perf_counter() - started, line.rstrip()))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        while process.poll() is None:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    return time.perf_counter() - started, lines
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise SystemExit(f"the server exited: {lines}")
    finally:
        process.terminate()
        process.wait(timeout=30)


def summary(seconds: list[float]) -> dict[str, object]:
    return {"median": round(statistics.median(seconds), 2), "all": [round(s, 2) for s in seconds]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print only the JSON")
    args = parser.parse_args()
    empty, warm, stages = [], [], []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as cache:
            seconds, lines = start_to_ready(Path(cache))
            empty.append(seconds)
            stages.append([(round(at, 2), line) for at, line in lines])
            warm.append(start_to_ready(Path(cache))[0])
    report = {
        "machine": machine.describe(),
        "runs": args.runs,
        "empty_cache_s": summary(empty),
        "warm_cache_s": summary(warm),
        "first_run_lines": stages[0],
    }  # fmt: skip
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "first_start.json").write_text(json.dumps(report, indent=1))
    if args.json:
        print(json.dumps(report))
        return
    print(f"serve to ready, demo corpus ({report['machine']}), {args.runs} runs:")
    print(f"  empty cache: median {report['empty_cache_s']['median']} s {empty}")
    print(f"  warm cache:  median {report['warm_cache_s']['median']} s {warm}")
    for at, line in stages[0]:
        print(f"  {at:6.2f} s  {line}")


if __name__ == "__main__":
    main()
