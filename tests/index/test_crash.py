"""Crash safety: a process ingesting in a loop is SIGKILLed at random points, again and again.

After every kill the index must load cleanly, hold every acknowledged change, hold the change
that was in flight either entirely or not at all, and score exactly like a fresh build.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from papersift.index.build import build_index
from papersift.index.encoding.encoder import Encoder
from papersift.index.lexical import LexicalIndex
from papersift.index.storage.changes import live_papers
from papersift.index.storage.live import LiveIndex
from papersift.index.storage.snapshot import Snapshot
from tests.helpers.data import ROOT, demo_records, write_jsonl
from tests.helpers.ingest_loop import planned_change

RUNS = 20
BASE_PAPERS = 30
POOL_PAPERS = 16

State = dict[str, int]  # doc_id -> the change that wrote its live version (-1: as built)


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory, encoder: Encoder) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("crash")
    records = demo_records(BASE_PAPERS + POOL_PAPERS)
    build_index([write_jsonl(folder / "base.jsonl", records[:BASE_PAPERS])], folder / "index",
                encoder=encoder)  # fmt: skip
    index = Snapshot.load(folder / "index")
    pool = [index.papers.get(row) for row in range(POOL_PAPERS)]
    vectors = encoder.encode_documents([paper.text for paper in pool])
    base_ids = [index.papers.id_of(row) for row in range(BASE_PAPERS)]
    pool_file = folder / "pool.json"
    pool_data = {"papers": [p.to_record() for p in pool], "vectors": vectors.tolist(),
                 "base_ids": base_ids}  # fmt: skip
    pool_file.write_text(json.dumps(pool_data))
    return folder / "index", pool_file


def run_and_kill(folder: Path, pool_file: Path, first: int, rng: random.Random) -> list[int]:
    """Start the ingesting child, kill it after a random number of acks; returns the acks."""
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.helpers.ingest_loop", str(folder), str(pool_file),
         str(first)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert child.stdout is not None
    acks: list[int] = []
    wanted = rng.randint(0, 14)
    while len(acks) < wanted:
        line = child.stdout.readline()
        assert line, child.stderr.read() if child.stderr else "child exited"
        acks.append(int(line.split()[1]))
    time.sleep(rng.uniform(0, 0.03))
    child.send_signal(signal.SIGKILL)
    child.wait()
    acks += [int(line.split()[1]) for line in child.stdout.read().splitlines()]
    return acks


def apply_planned(state: State, n: int, base_ids: list[str]) -> None:
    change = planned_change(n, base_ids)
    for doc_id in change.upserts:
        state[doc_id] = n
    for doc_id in change.deletes:
        state.pop(doc_id, None)


def observed_state(index: Snapshot) -> State:
    state = {}
    for paper in live_papers(index):
        version = int(paper.title[2 : paper.title.index("]")]) if paper.title[:2] == "[v" else -1
        state[paper.id] = version
    return state


@pytest.mark.slow
def test_sigkill_at_random_points_loses_nothing_acknowledged(setup: tuple[Path, Path]) -> None:
    folder, pool_file = setup
    base_ids = json.loads(pool_file.read_text())["base_ids"]
    expected: State = {doc_id: -1 for doc_id in base_ids}
    rng = random.Random(20261126)
    next_change = 0
    for run in range(RUNS):
        acks = run_and_kill(folder, pool_file, next_change, rng)
        assert acks == list(range(next_change, next_change + len(acks)))
        for n in acks:
            apply_planned(expected, n, base_ids)
        in_flight = next_change + len(acks)
        index = LiveIndex(folder).index  # loads cleanly: checksums, counts, log replay
        observed = observed_state(index)
        if observed != expected:  # then only as the in-flight change fully applied
            apply_planned(expected, in_flight, base_ids)
            assert observed == expected, f"run {run}: state is neither before nor after {in_flight}"
            in_flight += 1
        next_change = in_flight
        assert_lexical_equals_fresh_build(index)
    assert next_change > RUNS  # the runs did real work


def assert_lexical_equals_fresh_build(index: Snapshot) -> None:
    papers = list(live_papers(index))
    fresh = LexicalIndex.build([index.tokenizer.paper_terms(p) for p in papers],
                               index.manifest.bm25)  # fmt: skip
    live_rows = np.flatnonzero(index.papers.live) if index.papers.live is not None else None
    for query in ("quantum field theory", papers[0].title, papers[-1].title):
        tokens = index.tokenizer.tokenize(query)
        ours = index.lexical.score_all(tokens)
        ours = ours if live_rows is None else ours[live_rows]
        np.testing.assert_allclose(ours, fresh.score_all(tokens), atol=1e-6)
