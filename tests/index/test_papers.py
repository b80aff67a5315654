from __future__ import annotations

import pytest

from index.papers import Paper, RecordError, paper_from_record, year_from_arxiv_id


def test_arxiv_snapshot_record_becomes_a_paper() -> None:
    record = {
        "id": "2503.11731",
        "title": "Industrial-Grade Sensor\n  Simulation",
        "authors": "Xianming Zeng, Sicong Du and Qifeng Chen",
        "categories": "cs.CV cs.RO",
        "abstract": "Sensor simulation is pivotal\nfor validation.",
        "comments": None,
    }
    paper = paper_from_record(record)
    assert paper == Paper(
        doc_id="2503.11731",
        title="Industrial-Grade Sensor Simulation",
        abstract="Sensor simulation is pivotal for validation.",
        authors=("Xianming Zeng", "Sicong Du", "Qifeng Chen"),
        categories=("cs.CV", "cs.RO"),
        year=2025,
        url="https://arxiv.org/abs/2503.11731",
    )


def test_beir_record_uses_id_and_text() -> None:
    paper = paper_from_record({"_id": "4983", "title": "T", "text": "Body."})
    assert (paper.doc_id, paper.abstract, paper.year, paper.url) == ("4983", "Body.", None, None)


@pytest.mark.parametrize(
    ("doc_id", "year"),
    [
        ("2503.11731", 2025),
        ("0704.0001", 2007),
        ("hep-th/9901001", 1999),
        ("math.GT/0309136", 2003),
        ("2513.00001", None),
        ("12345", None),
    ],
)
def test_year_from_arxiv_id(doc_id: str, year: int | None) -> None:
    assert year_from_arxiv_id(doc_id) == year


def test_explicit_year_wins_then_versions_then_update_date() -> None:
    base = {"id": "x1", "title": "t", "abstract": "a"}
    assert paper_from_record({**base, "year": "2019"}).year == 2019
    versions = [{"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}]
    assert (
        paper_from_record({**base, "versions": versions, "update_date": "2010-01-01"}).year == 2007
    )
    assert paper_from_record({**base, "update_date": "2010-01-01"}).year == 2010


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ({"title": "t", "abstract": "a"}, "no id"),
        ({"id": "1", "title": " ", "abstract": ""}, "no title"),
    ],
)
def test_bad_records_raise_with_a_reason(record: dict[str, str], reason: str) -> None:
    with pytest.raises(RecordError, match=reason):
        paper_from_record(record)


def test_stored_form_round_trips() -> None:
    paper = Paper("a", "t", "b", ("x", "y"), ("cs.IR",), 2020, "http://e")
    assert Paper.from_stored(paper.to_record()) == paper
