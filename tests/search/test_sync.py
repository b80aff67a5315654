"""`papersift sync arxiv` against a local OAI-PMH repository serving real arXiv records (from
../shared/data/arxiv) in arXiv's own format: pages with resumption tokens, a first answer 503
with Retry-After, a deleted, a malformed and a revised record. The synced index must equal a
fresh build of the expected final corpus; a second run must change nothing; a harvest killed
with SIGKILL and run again must end in the same index. A repository that sends a token again
stops the run with what it applied kept; an abstract over its limit is cut and counted."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from papersift.index.build import build_index
from papersift.index.encoding.encoder import Encoder
from papersift.index.papers.limits import ABSTRACT
from papersift.index.papers.oai import HarvestError
from papersift.index.storage.live import LiveIndex
from papersift.index.storage.snapshot import Snapshot
from papersift.index.storage.update_log import LOG_FILE
from papersift.search.backends.interface import BackendConfig
from papersift.search.backends.local import open_backend
from papersift.search.requests import SearchRequest
from papersift.search.searcher import Searcher
from papersift.search.sync import ArxivSync, SyncRequest
from papersift.search.sync_state import STATE_FILE
from tests.helpers.data import ROOT, shared, write_jsonl
from tests.helpers.servers import oai_repository, serving

BASE, NEW = 30, 40
QUERIES = ("neural network", "galaxy formation", "quantum", "graph learning", "dark matter")
RESPONSE_DATE = "2026-11-30T12:00:00Z"


def snapshot_records(part: str, count: int) -> list[dict[str, Any]]:
    with gzip.open(shared("arxiv", part), "rt", encoding="utf-8") as lines:
        return [json.loads(line) for _, line in zip(range(count), lines, strict=False)]


def as_oai(record: dict[str, Any], datestamp: str, **changes: Any) -> dict[str, Any]:
    """A snapshot record as the repository serves it (and as a corpus line with the same
    fields: the expected papers come from those lines, through the JSON path)."""
    names = [name.strip() for name in record["authors"].replace(" and ", ",").split(",")]
    authors = [
        {"forenames": " ".join(n.split()[:-1]), "keyname": n.split()[-1]} for n in names if n
    ]
    created = f"20{record['id'][:2]}-{record['id'][2:4]}-15"
    oai = {"id": record["id"], "datestamp": datestamp, "title": record["title"],
           "abstract": record["abstract"], "categories": record["categories"],
           "comments": record.get("comments"), "created": created, "authors": authors,
           "license": "http://creativecommons.org/licenses/by/4.0/"}  # fmt: skip
    return {**oai, **changes}


def as_corpus_line(oai: dict[str, Any]) -> dict[str, Any]:
    authors = [f"{a['forenames']} {a['keyname']}".strip() for a in oai["authors"]]
    fields = {key: value for key, value in oai.items() if key not in ("datestamp", "authors")}
    return {**fields, "authors": authors}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, encoder: Encoder) -> dict[str, Any]:
    """The base index, the repository's plan, and a fresh build of the expected final corpus."""
    folder = tmp_path_factory.mktemp("sync")
    base = snapshot_records("part-000.jsonl.gz", BASE)
    new = snapshot_records("part-001.jsonl.gz", NEW)
    build_index([write_jsonl(folder / "base.jsonl", base)], folder / "base", encoder=encoder)
    revised = as_oai(base[5], "2026-11-20", title=base[5]["title"] + " (revised)",
                     updated="2026-11-19", doi="10.1000/revised.5")  # fmt: skip
    served = [as_oai(record, f"2026-11-{2 + n % 18:02d}") for n, record in enumerate(new)]
    deleted = {"id": base[7]["id"], "datestamp": "2026-11-21", "deleted": True}
    malformed = {"id": "2611.99999", "datestamp": "2026-11-22", "malformed": True}
    served[12:12] = [revised, deleted, malformed]
    plan = {"records": served, "page_size": 10, "busy_first": 1, "response_date": RESPONSE_DATE}
    expected = {record["id"]: record for record in base}
    expected.pop(base[7]["id"])
    for oai in [revised, *served]:
        if not oai.get("deleted") and not oai.get("malformed"):
            expected[oai["id"]] = as_corpus_line(oai)
    fresh = folder / "fresh"
    build_index([write_jsonl(folder / "final.jsonl", list(expected.values()))], fresh,
                encoder=encoder)  # fmt: skip
    return {"folder": folder, "plan": plan, "fresh": fresh, "revised": revised["id"],
            "deleted": base[7]["id"]}  # fmt: skip


def synced_copy(world: dict[str, Any], name: str) -> Path:
    copy = world["folder"] / name
    shutil.copytree(world["folder"] / "base", copy)
    return copy


def sync(folder: Path, endpoint: str, encoder: Encoder, **options: Any) -> Any:
    backend = open_backend(BackendConfig(index=folder))
    try:
        request = SyncRequest(endpoint=endpoint, delay=0, **options)
        return ArxivSync(backend, encoder, folder).run(request)
    finally:
        assert backend.writer is not None
        backend.writer.close()


def assert_same_index(folder: Path, fresh: Path) -> None:
    """The same papers and, per id, the same BM25 scores; the same hits in every mode."""
    ours, theirs = LiveIndex(folder).index, Snapshot.load(fresh)
    for query in QUERIES:
        assert scores_by_id(ours, query) == pytest.approx(scores_by_id(theirs, query), abs=1e-6)
    for query in QUERIES[:3]:
        for mode in ("lexical", "dense", "hybrid"):
            request = SearchRequest(query, mode=mode, limit=10)  # type: ignore[arg-type]
            assert hit_ids(ours, request) == hit_ids(theirs, request), (query, mode)


def hit_ids(index: Snapshot, request: SearchRequest) -> list[str]:
    return [hit.id for hit in Searcher(index).search(request).hits]


def scores_by_id(index: Snapshot, query: str) -> dict[str, float]:
    scores = index.lexical.score_all(index.tokenizer.tokenize(query))
    mask = index.papers.live
    rows = range(len(index.papers)) if mask is None else np.flatnonzero(mask)
    return {index.papers.id_of(int(row)): float(scores[row]) for row in rows}


@pytest.mark.slow
def test_a_harvest_applies_news_revisions_and_deletions(
    world: dict[str, Any], encoder: Encoder
) -> None:
    folder = synced_copy(world, "synced")
    with oai_repository(world["plan"], world["folder"]) as endpoint:
        report = sync(folder, endpoint, encoder)
        assert (report.added, report.replaced, report.deleted) == (NEW, 1, 1)
        assert report.pages == 5 and report.records == NEW + 3
        assert report.skipped == {"no title or abstract text": 1}
        assert report.examples == ["oai:arXiv.org:2611.99999: no title or abstract text"]
        assert_same_index(folder, world["fresh"])
        revised = Searcher(LiveIndex(folder).index).paper(world["revised"])
        assert revised is not None and revised.doi == "10.1000/revised.5"
        created = f"20{world['revised'][:2]}-{world['revised'][2:4]}-15"
        assert (revised.published, revised.updated) == (created, "2026-11-19")
        state = json.loads((folder / STATE_FILE).read_text())
        assert state["sets"][""] == {"next_from": "2026-11-30"}
        assert state["last_run"]["error"] is None and state["last_run"]["report"]["added"] == NEW

        log_size = (folder / LOG_FILE).stat().st_size
        again = sync(folder, endpoint, encoder, start="2026-11-01")  # everything, once more
        assert (again.added, again.replaced, again.deleted) == (0, 0, 0)
        assert again.unchanged == NEW + 1
        assert (folder / LOG_FILE).stat().st_size == log_size  # nothing was written


@pytest.mark.slow
def test_the_next_run_starts_from_the_day_the_last_one_began(
    world: dict[str, Any], encoder: Encoder
) -> None:
    folder = synced_copy(world, "incremental")
    plan = {**world["plan"], "busy_first": 0}
    with oai_repository(plan, world["folder"]) as endpoint:
        sync(folder, endpoint, encoder)
        nothing_new = sync(folder, endpoint, encoder)  # from 2026-11-30: no datestamp is that late
    assert nothing_new.records == 0 and nothing_new.pages == 1


@pytest.mark.slow
def test_a_killed_harvest_resumes_to_the_same_index(world: dict[str, Any]) -> None:
    folder = synced_copy(world, "killed")
    plan = {**world["plan"], "busy_first": 0, "page_seconds": 0.6}
    command = [sys.executable, "-m", "papersift", "sync", "arxiv", "--index", str(folder),
               "--delay", "0", "--endpoint"]  # fmt: skip
    with oai_repository(plan, world["folder"]) as endpoint:
        for pages_done in (1, 3):  # kill after some pages, mid-page
            child = subprocess.Popen([*command, endpoint], cwd=ROOT, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)  # fmt: skip
            wait_for_pages(folder, pages_done, child)
            time.sleep(0.3)  # into the next page's request or its writes
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
        finished = subprocess.run([*command, endpoint], cwd=ROOT, capture_output=True, text=True,
                                  timeout=300)  # fmt: skip
    assert finished.returncode == 0, finished.stderr
    assert "deleted" in finished.stdout
    assert_same_index(folder, world["fresh"])
    assert "harvest" not in json.loads((folder / STATE_FILE).read_text())["sets"][""]


def wait_for_pages(folder: Path, pages: int, child: subprocess.Popen[bytes]) -> None:
    """Until the state file records `pages` pages of the harvest under way."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert child.poll() is None, "the harvest ended before it could be killed"
        try:
            harvest = json.loads((folder / STATE_FILE).read_text())["sets"][""].get("harvest")
        except (OSError, ValueError, KeyError):
            harvest = None
        if harvest and harvest["pages"] >= pages:
            return
        time.sleep(0.05)
    pytest.fail(f"the harvest did not get {pages} pages far")


@pytest.mark.slow
def test_serve_syncs_on_its_schedule_and_reports_it(world: dict[str, Any]) -> None:
    folder = synced_copy(world, "served")
    plan = {**world["plan"], "busy_first": 0}
    with oai_repository(plan, world["folder"]) as endpoint:
        env = {"PAPERSIFT_SYNC": '["arxiv"]', "PAPERSIFT_SYNC_EVERY": "1h",
               "PAPERSIFT_SYNC_ENDPOINT": endpoint, "PAPERSIFT_SYNC_DELAY": "0"}  # fmt: skip
        with serving(folder, env=env) as server:
            deadline = time.monotonic() + 120
            sync = None
            while time.monotonic() < deadline and not (sync and sync["ended_at"]):
                sync = httpx.get(f"{server.base}/api/stats", timeout=10).json()["sync"]
                time.sleep(0.2)
            assert sync is not None and sync["error"] is None, sync
            assert sync["report"]["added"] == NEW and sync["endpoint"] == endpoint
            paper = httpx.get(f"{server.base}/api/papers/{world['revised']}", timeout=10).json()
            assert paper["doi"] == "10.1000/revised.5"
    assert any(line.startswith("papersift: synced arXiv: ") for line in server.printed)


SMALL = [
    {"id": f"2611.{n:05d}", "datestamp": f"2026-11-0{1 + n}", "title": f"Quokka census {n}",
     "abstract": f"We count quokkas on island {n}.", "created": "2026-11-01",
     "categories": "q-bio.PE", "authors": [{"keyname": "Noether", "forenames": "Emmy"}]}
    for n in range(6)
]  # fmt: skip


def tiny_index(folder: Path, encoder: Encoder) -> Path:
    base = [{"id": "base-1", "title": "A wombat survey", "abstract": "We count wombats."}]
    build_index([write_jsonl(folder / "base.jsonl", base)], folder / "index", encoder=encoder)
    return folder / "index"


def test_a_token_sent_again_stops_the_run_and_keeps_its_pages(
    tmp_path: Path, encoder: Encoder
) -> None:
    folder = tiny_index(tmp_path, encoder)
    plan = {"records": SMALL, "page_size": 2, "repeat_token": 50}  # page 2 points at itself
    with oai_repository(plan, tmp_path) as endpoint, pytest.raises(HarvestError) as stopped:
        sync(folder, endpoint, encoder)
    assert "a second time" in str(stopped.value)
    assert "kept what was harvested (4 records in 2 pages: added 4" in str(stopped.value)
    searcher = Searcher(LiveIndex(folder).index)
    assert [searcher.paper(record["id"]) is not None for record in SMALL] == [True] * 4 + [
        False
    ] * 2
    last_run = json.loads((folder / STATE_FILE).read_text())["last_run"]
    assert "a second time" in last_run["error"] and last_run["report"]["added"] == 4


def test_a_harvested_abstract_over_its_limit_is_cut_and_counted(
    tmp_path: Path, encoder: Encoder
) -> None:
    folder = tiny_index(tmp_path, encoder)
    huge = {**SMALL[0], "abstract": "galaxy " * 1_500_000}  # 10.5 MB
    with oai_repository({"records": [huge, SMALL[1]]}, tmp_path) as endpoint:
        report = sync(folder, endpoint, encoder)
    assert report.added == 2 and report.cut == {"abstract (over 20,000 characters)": 1}
    assert "cut 1 abstract (over 20,000 characters)" in report.summary()
    paper = Searcher(LiveIndex(folder).index).paper(huge["id"])
    assert paper is not None and paper.abstract.endswith(" galaxy")
    assert ABSTRACT.most - len(" galaxy") < len(paper.abstract) <= ABSTRACT.most
    last_run = json.loads((folder / STATE_FILE).read_text())["last_run"]
    assert last_run["report"]["cut"] == {"abstract (over 20,000 characters)": 1}
