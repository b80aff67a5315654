"""Child process of the crash test: applies numbered changes to an index and acknowledges each.

`python -m tests.helpers.ingest_loop FOLDER POOL FIRST` applies change FIRST, FIRST + 1, ... until
killed, printing `ack N` once change N returned (it is then durable). `POOL` is a JSON file of
real papers and their embeddings; `planned_change(n)` says what change n is, for the parent too.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import numpy as np

from papersift.index.papers.paper import Paper
from papersift.index.storage.live import LiveIndex

COMPACT_AFTER = 12  # small, so that kills also land inside compactions


@dataclasses.dataclass(frozen=True)
class PlannedChange:
    upserts: tuple[str, ...] = ()  # doc_ids written with version n
    deletes: tuple[str, ...] = ()


def planned_change(n: int, base_ids: list[str]) -> PlannedChange:
    """Change n: add two papers, revise one, or delete two (one added, one built)."""
    step = n % 4
    if step in (0, 1):
        return PlannedChange(upserts=(f"new-{n}-a", f"new-{n}-b"))
    if step == 2:
        return PlannedChange(upserts=(f"new-{n - 2}-a", base_ids[n % len(base_ids)]))
    return PlannedChange(deletes=(f"new-{n - 2}-b", base_ids[(n * 7) % len(base_ids)]))


def versioned(pool: list[Paper], doc_id: str, n: int) -> Paper:
    """The paper written for `doc_id` by change n (its title says which change wrote it)."""
    source = pool[n % len(pool)]
    return dataclasses.replace(source, id=doc_id, title=f"[v{n}] {source.title}")


def main(folder: str, pool_file: str, first: int) -> None:
    pool_data = json.loads(Path(pool_file).read_text(encoding="utf-8"))
    pool = [Paper.from_stored(record) for record in pool_data["papers"]]
    vectors = np.asarray(pool_data["vectors"], dtype=np.float32)
    base_ids = pool_data["base_ids"]
    live = LiveIndex(folder, compact_after=COMPACT_AFTER)
    n = first
    while True:
        change = planned_change(n, base_ids)
        if change.upserts:
            papers = [versioned(pool, doc_id, n) for doc_id in change.upserts]
            rows = [n % len(pool)] * len(papers)
            live.upsert_encoded(papers, vectors[rows])
        else:
            live.delete(change.deletes)
        sys.stdout.write(f"ack {n}\n")
        sys.stdout.flush()
        n += 1


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
