"""Live updates: an index changed in place scores exactly like a fresh build of the final corpus."""

from __future__ import annotations

import dataclasses
import shutil
import zlib
from pathlib import Path

import numpy as np
import pytest

from papersift.index.build import build_index
from papersift.index.encoding.encoder import Encoder
from papersift.index.errors import IndexBusyError, IndexCorruptError
from papersift.index.papers.paper import Paper
from papersift.index.papers.records import paper_from_record
from papersift.index.storage.changes import live_papers
from papersift.index.storage.live import LiveIndex
from papersift.index.storage.snapshot import Snapshot
from papersift.index.storage.update_log import LOG_FILE
from papersift.search.requests import SearchRequest
from papersift.search.searcher import Searcher
from tests.helpers.data import demo_records, write_jsonl

BASE = 120
ADDED = 30
REPLACED = 8
DELETED_BASE = 15
DELETED_ADDED = 3


@pytest.fixture(scope="module")
def records() -> list[dict[str, object]]:
    return demo_records(BASE + ADDED)


@pytest.fixture(scope="module")
def changes(records: list[dict[str, object]]) -> dict[str, list[Paper] | list[str]]:
    """The same real changes for every test: new papers, revised papers, deleted ids."""
    papers = [paper_from_record(record) for record in records]
    added = papers[BASE:]
    revised = [
        dataclasses.replace(paper, abstract=f"{paper.abstract} {papers[-1 - i].abstract}")
        for i, paper in enumerate(papers[:REPLACED])
    ]
    deleted_ids = [p.id for p in papers[40 : 40 + DELETED_BASE]]
    deleted_ids += [p.id for p in added[:DELETED_ADDED]]
    return {"added": added, "revised": revised, "deleted": deleted_ids}


@pytest.fixture(scope="module")
def base_folder(
    tmp_path_factory: pytest.TempPathFactory, records: list[dict[str, object]], encoder: Encoder
) -> Path:
    folder = tmp_path_factory.mktemp("live") / "base"
    corpus = write_jsonl(folder.parent / "base.jsonl", records[:BASE])
    build_index([corpus], folder, encoder=encoder)
    return folder


@pytest.fixture(scope="module")
def changed_folder(
    tmp_path_factory: pytest.TempPathFactory, base_folder: Path, changes: dict, encoder: Encoder
) -> Path:
    """The base index with the changes applied through the live write path (not compacted)."""
    folder = tmp_path_factory.mktemp("live") / "changed"
    shutil.copytree(base_folder, folder)
    live = LiveIndex(folder)
    live.upsert(changes["added"], encoder)
    live.upsert(changes["revised"], encoder)
    report = live.delete(changes["deleted"])
    assert report.missing == ()
    live.close()
    return folder


@pytest.fixture(scope="module")
def fresh_folder(
    tmp_path_factory: pytest.TempPathFactory, base_folder: Path, changes: dict, encoder: Encoder
) -> Path:
    """A fresh build over the final corpus: what the changed index must equal."""
    final = {p.id: p for p in live_papers(Snapshot.load(base_folder))}
    for paper in [*changes["added"], *changes["revised"]]:
        final[paper.id] = paper
    for doc_id in changes["deleted"]:
        del final[doc_id]
    folder = tmp_path_factory.mktemp("live") / "fresh"
    corpus = write_jsonl(folder.parent / "final.jsonl", [_record(p) for p in final.values()])
    build_index([corpus], folder, encoder=encoder)
    return folder


def _record(paper: Paper) -> dict[str, object]:
    return paper.to_record()


def _queries(changes: dict) -> list[str]:
    titles = [p.title for p in changes["added"][:10]] + [p.title for p in changes["revised"]]
    return [*titles, "neural network training", "quantum spin chain", "galaxy cluster mass"]


def _lexical_scores(index: Snapshot, query: str) -> dict[str, float]:
    scores = index.lexical.score_all(index.tokenizer.tokenize(query))
    live = index.papers.live
    rows = range(len(index.papers)) if live is None else np.flatnonzero(live)
    return {index.papers.id_of(int(row)): float(scores[row]) for row in rows}


def _assert_same_as_fresh(changed: Snapshot, fresh: Snapshot, changes: dict) -> None:
    assert changed.size == fresh.size
    for query in _queries(changes):
        ours, theirs = _lexical_scores(changed, query), _lexical_scores(fresh, query)
        assert ours.keys() == theirs.keys()
        for doc_id, score in theirs.items():
            assert ours[doc_id] == pytest.approx(score, abs=1e-6), (query, doc_id)
    ours_searcher, fresh_searcher = Searcher(changed), Searcher(fresh)
    for query in _queries(changes):
        for mode in ("lexical", "dense", "hybrid"):
            request = SearchRequest(query=query, mode=mode, limit=10)
            ours_hits = ours_searcher.search(request).hits
            fresh_hits = fresh_searcher.search(request).hits
            assert [h.paper.id for h in ours_hits] == [h.paper.id for h in fresh_hits]
            assert [h.score for h in ours_hits] == pytest.approx(
                [h.score for h in fresh_hits], abs=1e-5
            )


def test_changed_index_scores_equal_a_fresh_build(
    changed_folder: Path, fresh_folder: Path, changes: dict
) -> None:
    live = LiveIndex(changed_folder)  # replays the log over the built files
    assert live.index.pending_changes > 0
    _assert_same_as_fresh(live.index, Snapshot.load(fresh_folder), changes)


def test_compacted_index_equals_a_fresh_build(
    tmp_path: Path, changed_folder: Path, fresh_folder: Path, changes: dict
) -> None:
    folder = tmp_path / "compacted"
    shutil.copytree(changed_folder, folder)
    live = LiveIndex(folder)
    live.compact()
    assert live.index.pending_changes == 0
    assert (folder / LOG_FILE).stat().st_size == 0
    reloaded = Snapshot.load(folder)  # checksums of the compacted generation verified
    _assert_same_as_fresh(reloaded, Snapshot.load(fresh_folder), changes)
    assert reloaded.manifest.log_sequence == 3


def test_deleted_papers_are_never_returned(changed_folder: Path, changes: dict) -> None:
    live = LiveIndex(changed_folder)
    searcher = Searcher(live)
    deleted = set(changes["deleted"])
    index = live.index
    for doc_id in deleted:
        assert index.papers.row_of(doc_id) is None
    titles = [p.title for p in changes["added"][:DELETED_ADDED]]
    for query in [*titles, "a survey of methods"]:
        for mode in ("lexical", "dense", "hybrid"):
            result = searcher.search(SearchRequest(query=query, mode=mode, limit=100))
            assert deleted.isdisjoint(hit.paper.id for hit in result.hits)
    some_live = index.papers.id_of(0)
    similar = searcher.similar(some_live, limit=100)
    assert deleted.isdisjoint(hit.paper.id for hit in similar)


def test_revised_paper_replaces_the_old_version(changed_folder: Path, changes: dict) -> None:
    index = LiveIndex(changed_folder).index
    for paper in changes["revised"]:
        row = index.papers.row_of(paper.id)
        assert row is not None and index.papers.get(row) == paper
    assert len(set(index.papers.id_of(int(r)) for r in np.flatnonzero(index.papers.live))) == (
        index.size
    )


def test_a_second_writer_is_refused(changed_folder: Path, tmp_path: Path, changes: dict) -> None:
    folder = tmp_path / "busy"
    shutil.copytree(changed_folder, folder)
    first, second = LiveIndex(folder), LiveIndex(folder)
    first.delete([changes["added"][-1].id])
    with pytest.raises(IndexBusyError, match="another papersift process"):
        second.delete([changes["added"][-2].id])
    first.close()
    report = second.delete([changes["added"][-2].id])  # reloads: sees the first one's delete
    assert report.deleted == (changes["added"][-2].id,)
    assert second.index.papers.row_of(changes["added"][-1].id) is None


def test_torn_last_log_line_is_set_aside_and_cut(changed_folder: Path, tmp_path: Path) -> None:
    folder = tmp_path / "torn"
    shutil.copytree(changed_folder, folder)
    log = folder / LOG_FILE
    intact = log.read_bytes()
    torn = b'0badc0de {"sequence": 4, "kind": "del' + b"\0" * 20  # a crash mid-append
    log.write_bytes(intact + torn)
    live = LiveIndex(folder)
    assert live.index.size == LiveIndex(changed_folder).index.size
    assert "unfinished write" in live.log_damage[0]
    report = live.delete([live.index.papers.id_of(0)])
    assert report.sequence == 4  # never acknowledged: its number was never handed out
    assert log.read_bytes().startswith(intact) and log.read_bytes().count(b"\n") == 4
    [quarantine] = folder.glob(f"{LOG_FILE}.damaged-*")
    assert quarantine.read_bytes() == torn
    assert str(quarantine) in live.log_damage[0]


def test_damaged_last_log_line_is_kept_and_its_number_never_reused(
    changed_folder: Path, tmp_path: Path, changes: dict, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "damaged-tail"
    shutil.copytree(changed_folder, folder)
    log = folder / LOG_FILE
    lines = log.read_bytes().splitlines(keepends=True)
    assert len(lines) == 3
    damaged = lines[2].replace(b'"kind"', b'"KIND"')  # complete, acknowledged, then altered
    log.write_bytes(b"".join(lines[:2]) + damaged)
    with caplog.at_level("WARNING"):
        live = LiveIndex(folder)
    assert "DAMAGED" in caplog.text and "DAMAGED" in live.log_damage[0]
    assert live.index.papers.row_of(changes["deleted"][0]) is not None  # line 3 is not replayed
    report = live.delete([live.index.papers.id_of(0)])
    assert report.sequence == 4  # 3 stays the damaged change's: a gap line now holds it
    [quarantine] = folder.glob(f"{LOG_FILE}.damaged-*")
    assert quarantine.read_bytes() == damaged
    gap = log.read_bytes().splitlines()[2]
    assert b'"sequence":3,"kind":"gap"' in gap and quarantine.name.encode() in gap
    live.close()
    reopened = LiveIndex(folder)
    assert any(quarantine.name in line for line in reopened.log_damage)
    assert reopened.delete([reopened.index.papers.id_of(1)]).sequence == 5


def test_a_checksummed_line_without_its_fields_is_damage(
    changed_folder: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "fields"
    shutil.copytree(changed_folder, folder)
    log = folder / LOG_FILE
    lines = log.read_bytes().splitlines(keepends=True)
    text = b'{"sequence":1,"kind":"upsert"}'  # a valid CRC over a change without papers
    lines[0] = b"%08x " % zlib.crc32(text) + text + b"\n"
    log.write_bytes(b"".join(lines))
    with pytest.raises(IndexCorruptError, match=r"line 1 of 3 is damaged \(not a readable"):
        LiveIndex(folder)


def test_damaged_log_line_refuses_to_load(changed_folder: Path, tmp_path: Path) -> None:
    folder = tmp_path / "damaged"
    shutil.copytree(changed_folder, folder)
    log = folder / LOG_FILE
    lines = log.read_bytes().split(b"\n")
    lines[0] = lines[0].replace(b'"kind"', b'"KIND"')
    log.write_bytes(b"\n".join(lines))
    with pytest.raises(IndexCorruptError, match=r"updates\.log: line 1 of 3 is damaged"):
        LiveIndex(folder)
