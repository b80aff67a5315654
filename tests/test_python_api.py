"""The Python API page runs: every ```python block of docs/python-api.md, in order, in one
namespace, with the real bundled model, in a folder holding 20 real demo records."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.data import ROOT, demo_records, write_jsonl

PAGE = ROOT / "docs" / "python-api.md"
BLOCK = re.compile(r"^```python\n(.*?)^```$", re.DOTALL | re.MULTILINE)


def python_blocks() -> list[str]:
    return BLOCK.findall(PAGE.read_text(encoding="utf-8"))


def test_the_page_has_examples_that_start_with_a_build() -> None:
    blocks = python_blocks()
    assert len(blocks) >= 5
    assert 'Index.build(["papers.jsonl"], "indexes/mine")' in blocks[0]


@pytest.mark.slow
def test_every_python_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_jsonl(tmp_path / "papers.jsonl", demo_records(20))
    namespace: dict[str, Any] = {"__name__": "python_api_docs"}
    for number, block in enumerate(python_blocks(), start=1):
        exec(compile(block, f"{PAGE.name}, python block {number}", "exec"), namespace)

    hits = namespace["hits"]
    assert [hit.rank for hit in hits] == [1, 2, 3]
    assert hits[0].score >= hits[1].score >= hits[2].score
    assert all(hit.paper.text for hit in hits)
    assert namespace["second_page"][0].rank == 6
    unclear, keywords = namespace["unclear"], namespace["keywords"]
    assert unclear.weak and len(unclear) == 3 and isinstance(unclear, list)
    assert unclear.standout < unclear.threshold
    assert keywords.standout is None and keywords.threshold is None and not keywords.weak
    vision = namespace["vision"]
    assert vision and all("cs.CV" in hit.paper.categories for hit in vision)
    assert all(hit.paper.year >= 2025 for hit in vision)
    assert [hit.id for hit in namespace["by_author"]] == ["2503.13004"]
    neighbours = [hit.id for hit in namespace["neighbours"]]
    assert len(neighbours) == 3 and "2503.13111" not in neighbours
    report = namespace["report"]  # the last change: the delete
    assert report.deleted == ("my-paper-1",)
    assert report.missing == ("not-there",)
    assert report.documents == 20
    assert (tmp_path / "indexes" / "mine" / "updates.log").is_file()
