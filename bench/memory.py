"""Memory and disk per document: resident memory of a server holding the index, and the index
folder's bytes per document by part (lexical, dense, papers).

    python bench/memory.py --docs 130000 [--json]

RSS is read from /proc for a real `papersift serve` process once /readyz answers, next to a server
holding a 1,000-paper index (interpreter + torch + model), so the index's own share shows; the
seconds from starting the server to /readyz answering are reported too.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import arxiv
from http_load import free_port, start_server

from papersift.index.storage.generations import current_generation
from papersift.index.storage.manifest import Manifest


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def server_rss(folder: Path) -> tuple[int, float]:
    """The server's resident bytes once ready, and the seconds from its start to ready."""
    started = time.perf_counter()
    server = start_server(str(folder), free_port())
    ready = time.perf_counter() - started
    try:
        return rss_bytes(server.pid), ready
    finally:
        server.terminate()
        server.wait(timeout=30)


def parts(folder: Path) -> dict[str, int]:
    return Manifest.read(current_generation(folder)).bytes_by_part()


def main() -> None:
    parser = argparse.ArgumentParser(description="memory benchmark")
    parser.add_argument("--docs", type=int, default=130_000)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--dense", choices=["auto", "flat", "fp16", "sq8", "hnsw"], default="auto")
    args = parser.parse_args()
    big, options = arxiv.folder_for(args.docs, args.dense)
    big = arxiv.build_folder(big, args.docs, options)
    small = arxiv.build_folder(arxiv.RESULTS / "index-1000", 1000)
    docs = Manifest.read(current_generation(big)).documents
    (big_rss, big_ready), (small_rss, _) = server_rss(big), server_rss(small)
    disk = parts(big)
    report = {
        "docs": docs,
        "dense_index": Manifest.read(current_generation(big)).dense.kind,
        "server_rss_bytes": big_rss,
        "serve_to_ready_s": round(big_ready, 2),
        "baseline_rss_bytes_1000_docs": small_rss,
        "index_rss_bytes_per_doc": round((big_rss - small_rss) / (docs - 1000), 1),
        "disk_bytes_per_doc": {part: round(size / docs, 1) for part, size in disk.items()},
        "disk_bytes_per_doc_total": round(sum(disk.values()) / docs, 1),
    }
    suffix = arxiv.suffix(args.dense)
    (arxiv.RESULTS / f"memory-{args.docs}{suffix}.json").write_text(json.dumps(report, indent=1))
    if args.json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key:<32} {value}")


if __name__ == "__main__":
    main()
