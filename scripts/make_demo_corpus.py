"""Regenerate api/data/demo.jsonl.gz: 1,000 arXiv records sampled from ../shared/data/arxiv.

The sample is deterministic (every record whose id hashes into the lowest 1/130th, in file order)
and keeps the arXiv metadata snapshot's own field names. arXiv metadata is CC0.

    python scripts/make_demo_corpus.py ../shared/data/arxiv api/data/demo.jsonl.gz
"""

from __future__ import annotations

import gzip
import hashlib
import json
import sys
from pathlib import Path

WANTED = 1000
SHARE = 130


def main(source: Path, target: Path) -> None:
    chosen = []
    for part in sorted(source.glob("part-*.jsonl.gz")):
        with gzip.open(part, "rt", encoding="utf-8") as lines:
            for line in lines:
                record = json.loads(line)
                digest = hashlib.sha256(record["id"].encode()).digest()
                if int.from_bytes(digest[:4], "big") % SHARE == 0:
                    chosen.append(record)
    chosen = chosen[:WANTED]
    with gzip.open(target, "wt", encoding="utf-8", compresslevel=9) as out:
        for record in chosen:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"wrote {len(chosen)} records to {target}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
