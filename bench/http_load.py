"""HTTP latency and throughput against a real uvicorn server on loopback.

    python bench/http_load.py --docs 130000 [--seconds 10] [--json]

Starts `papersift serve` on a free 127.0.0.1 port over the benchmark index (see latency.py),
measures sequential hybrid/lexical/dense latency, then N concurrent clients (1, 4, 16) for a
bounded time each: queries/s, p50/p99 and errors. Each request is a distinct query text where
possible (the titles of held-back papers, cycled with a counter suffix to defeat the cache).
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import threading
import time

import arxiv
import httpx
from latency import MODES, percentiles

ROOT = arxiv.ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(folder: str, port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "papersift", "serve", "--index", folder, "--port", str(port)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    process.kill()
    raise SystemExit("server did not become ready")


def sequential(base: str, queries: list[str], mode: str) -> dict[str, float]:
    samples = []
    with httpx.Client(base_url=base, timeout=30) as client:
        for number, query in enumerate(queries):
            started = time.perf_counter()
            response = client.get(
                "/api/search", params={"q": f"{query} {mode}{number}", "mode": mode}
            )
            samples.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
    return percentiles(samples)


def load(base: str, queries: list[str], clients: int, seconds: float) -> dict[str, float]:
    samples: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def worker(worker_id: int) -> None:
        number = 0
        with httpx.Client(base_url=base, timeout=60) as client:
            while time.monotonic() < stop:
                query = f"{queries[number % len(queries)]} w{worker_id}n{number}"
                number += 1
                started = time.perf_counter()
                try:
                    ok = client.get("/api/search", params={"q": query}).status_code == 200
                except httpx.HTTPError:
                    ok = False
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    samples.append(elapsed)
                    errors[0] += not ok

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    result = percentiles(samples)
    result.update(clients=clients, queries_per_s=round(len(samples) / wall, 2), errors=errors[0])
    result["p99_over_p50"] = round(result["p99_ms"] / result["p50_ms"], 2)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description="HTTP benchmark")
    parser.add_argument("--docs", type=int, default=130_000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--dense", choices=["auto", "flat", "fp16", "sq8", "hnsw"], default="auto")
    args = parser.parse_args()
    folder, options = arxiv.folder_for(args.docs, args.dense)
    folder = arxiv.build_folder(folder, args.docs, options)
    queries = arxiv.queries()[: args.queries]
    port = free_port()
    server = start_server(str(folder), port)
    base = f"http://127.0.0.1:{port}"
    try:
        for mode in MODES:  # warm-up: model, caches, page cache, lexical part ceilings
            sequential(base, queries[:5], mode)
        report: dict[str, object] = {"docs": args.docs, "dense_index": args.dense}
        report["sequential"] = {mode: sequential(base, queries, mode) for mode in MODES}
        report["load"] = [load(base, queries, n, args.seconds) for n in (1, 4, 16)]
    finally:
        server.terminate()
        server.wait(timeout=30)
    suffix = arxiv.suffix(args.dense)
    (arxiv.RESULTS / f"http-{args.docs}{suffix}.json").write_text(json.dumps(report, indent=1))
    if args.json:
        print(json.dumps(report))
        return
    print(f"{args.docs} docs over HTTP (p50 / p95 / p99 ms)")
    for mode, values in report["sequential"].items():  # type: ignore[attr-defined]
        print(
            f"{mode:<10} {values['p50_ms']:>9.2f} {values['p95_ms']:>9.2f} {values['p99_ms']:>9.2f}"
        )
    print(f"{'clients':>8} {'q/s':>8} {'p50':>9} {'p99':>9} {'p99/p50':>8} {'errors':>7}")
    for row in report["load"]:  # type: ignore[attr-defined]
        print(f"{row['clients']:>8} {row['queries_per_s']:>8.1f} {row['p50_ms']:>9.2f} "
              f"{row['p99_ms']:>9.2f} {row['p99_over_p50']:>8.2f} {row['errors']:>7}")  # fmt: skip


if __name__ == "__main__":
    main()
