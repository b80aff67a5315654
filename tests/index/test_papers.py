from __future__ import annotations

import pytest

from papersift.index.papers import limits
from papersift.index.papers.dates import iso_date, year_from_arxiv_id
from papersift.index.papers.limits import Limited, within_limits
from papersift.index.papers.paper import Paper, id_problem
from papersift.index.papers.records import RecordError, dropped_fields, paper_from_record


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
        id="2503.11731",
        title="Industrial-Grade Sensor Simulation",
        abstract="Sensor simulation is pivotal for validation.",
        authors=("Xianming Zeng", "Sicong Du", "Qifeng Chen"),
        categories=("cs.CV", "cs.RO"),
        year=2025,
        url="https://arxiv.org/abs/2503.11731",
        published="2025-03",  # the month of its id: all the snapshot's lines say of it
    )


def test_an_oai_style_arxiv_record_keeps_its_dates_and_references() -> None:
    record = {
        "id": "0806.4129", "title": "Gauge Fixing", "abstract": "In a previous paper...",
        "created": "2008-06-25", "updated": "2014-12-12", "doi": "10.1063/1.3536454",
        "journal-ref": "AIP Conf.Proc.1316:466-477,2010", "comments": "15 pages",
        "license": "http://arxiv.org/licenses/nonexclusive-distrib/1.0/",
    }  # fmt: skip
    paper = paper_from_record(record)
    assert (paper.published, paper.updated, paper.year) == ("2008-06-25", "2014-12-12", 2008)
    assert (paper.doi, paper.journal_ref, paper.comments) == (
        "10.1063/1.3536454", "AIP Conf.Proc.1316:466-477,2010", "15 pages"
    )  # fmt: skip
    assert Paper.from_stored(paper.to_record()) == paper
    stored = paper_from_record({"id": "p", "title": "t"}).to_record()
    assert "doi" not in stored and "published" not in stored  # kept only where known


@pytest.mark.parametrize(
    ("value", "date"),
    [
        ("2025-03-14", "2025-03-14"),
        ("2025-03", "2025-03"),
        ("2025-03-14T10:00:00Z", "2025-03-14"),
        ("Mon, 2 Apr 2007 19:18:42 GMT", "2007-04-02"),
        ("2025-13", None),
        ("soon", None),
        (None, None),
    ],
)
def test_dates_are_read_as_iso_at_their_precision(value: str | None, date: str | None) -> None:
    assert iso_date(value) == date


def test_beir_record_uses_id_and_text() -> None:
    paper = paper_from_record({"_id": "4983", "title": "T", "text": "Body."})
    assert (paper.id, paper.abstract, paper.year, paper.url) == ("4983", "Body.", None, None)


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


@pytest.mark.parametrize(
    ("doc_id", "problem"),
    [
        ("", "empty"),
        ("x" * 501, "at most 500"),
        (" a", "whitespace"),
        ("a\tb", "control characters"),
        ("a\x00b", "control characters"),
        ("a\u2028b", "control characters"),
        ("a  b", "whitespace other than single spaces"),
        ("/a", "'/'-separated part"),
        ("a//b", "'/'-separated part"),
        ("a/../b", "'/'-separated part"),
        ("x/similar", "which the API's routes use"),
    ],
)
def test_ids_that_cannot_name_a_paper(doc_id: str, problem: str) -> None:
    found = id_problem(doc_id)
    assert found is not None and problem in found


@pytest.mark.parametrize("doc_id", ["2503.11731", "hep-th/9901001", "a b", "ünï-cødé", "x" * 500])
def test_ids_that_can(doc_id: str) -> None:
    assert id_problem(doc_id) is None


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://arxiv.org/abs/2503.11731", True),
        ("http://example.org/p?a=1", True),
        (" HTTPS://EXAMPLE.ORG/x ", True),
        ("javascript:alert(1)", False),
        ("JavaScript:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("//evil.example/x", False),
        ("ftp://example.org/x", False),
        ("http://", False),
    ],
)
def test_only_http_urls_are_kept(url: str, kept: bool) -> None:
    record = {"id": "p1", "title": "T", "abstract": "A", "url": url}
    assert (paper_from_record(record).url is not None) == kept
    assert (dropped_fields(record) == []) == kept
    stored = {**paper_from_record({"id": "p1", "title": "T", "abstract": "A"}).to_record(),
              "url": url}  # fmt: skip
    assert (Paper.from_stored(stored).url is not None) == kept  # an index written before


def test_a_paper_within_its_limits_is_kept_as_it_is_and_one_over_them_is_cut() -> None:
    fine = Paper("p1", "Title", "An abstract.", authors=("A. Author",), doi="10.1/x")
    assert within_limits(fine) == Limited(fine)
    over = Paper("p2", "Title", "galaxy " * 1_500_000, license="l" * 301)  # 10.5 MB
    limited = within_limits(over)
    assert limited.cut == (limits.ABSTRACT,) and limited.dropped == (limits.LICENSE,)
    assert len(limited.paper.abstract) <= 20_000 and limited.paper.license is None
    assert str(limits.ABSTRACT) == "abstract (over 20,000 characters)"
    assert limits.AUTHOR.rule == "at most 300 characters per author name"
