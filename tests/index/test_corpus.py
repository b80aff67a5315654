from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from papersift.index.errors import CorpusError
from papersift.index.papers import limits
from papersift.index.papers.corpus import load_papers
from papersift.index.papers.limits import cut_text
from tests.helpers.data import shared, write_jsonl


def test_jsonl_with_bad_lines_skips_and_reports_them(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text(
        '{"id": "1", "title": "One", "abstract": "First."}\n'
        "{not json\n"
        '{"title": "no id", "abstract": "x"}\n'
        "\n"
        '["a list"]\n'
        '{"id": "2", "title": "", "abstract": ""}\n'
        '{"id": "3", "title": "Three", "abstract": "Third."}\n',
        encoding="utf-8",
    )
    papers, report = load_papers([path])
    assert [paper.id for paper in papers] == ["1", "3"]
    assert report.read == 6
    assert report.skipped == {
        "unparsable JSON": 1,
        "no id": 1,
        "not a JSON object": 1,
        "no title or abstract text": 1,
    }
    assert [(ex.line, ex.reason) for ex in report.examples][:2] == [
        (2, "unparsable JSON"),
        (3, "no id"),
    ]
    assert "c.jsonl:2: unparsable JSON" in report.summary()


def test_duplicate_ids_keep_the_last_record_and_are_counted(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "d.jsonl",
        [
            {"id": "1", "title": "old", "abstract": "a"},
            {"id": "2", "title": "two", "abstract": "b"},
            {"id": "1", "title": "new", "abstract": "c"},
        ],
    )
    papers, report = load_papers([path])
    assert [(p.id, p.title) for p in papers] == [("1", "new"), ("2", "two")]
    assert report.duplicates == 1


def test_gzipped_jsonl_and_csv_read_the_same_papers(tmp_path: Path) -> None:
    records = [
        {"id": "a", "title": "Alpha", "abstract": "Text a", "authors": "X, Y"},
        {"id": "b", "title": "Beta", "abstract": "Text b", "authors": "Z"},
    ]
    gz = tmp_path / "c.jsonl.gz"
    with gzip.open(gz, "wt", encoding="utf-8") as out:
        out.writelines(json.dumps(r) + "\n" for r in records)
    csv_path = tmp_path / "c.csv"
    csv_path.write_text('id,title,abstract,authors\na,Alpha,Text a,"X, Y"\nb,Beta,Text b,Z\n')
    from_gz, _ = load_papers([gz])
    from_csv, _ = load_papers([csv_path])
    assert from_gz == from_csv
    assert from_gz[0].authors == ("X", "Y")


def test_csv_without_abstract_column_is_a_corpus_error(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("id,title,venue\n1,T,V\n")
    with pytest.raises(CorpusError, match="no abstract column"):
        load_papers([path])


@pytest.mark.parametrize("content", [None, b"", b"\n\n"])
def test_missing_or_empty_files_are_corpus_errors(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "c.jsonl"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(CorpusError):
        load_papers([path])


def test_beir_folder_reads_its_corpus() -> None:
    papers, report = load_papers([shared("scifact")])
    assert len(papers) == 5183
    assert report.skipped_total == 0
    assert not report.cut and not report.dropped  # the field limits leave real papers whole


@pytest.mark.slow
def test_full_arxiv_snapshot_skips_nothing_valid() -> None:
    parts = sorted(shared("arxiv").glob("part-*.jsonl.gz"))
    papers, report = load_papers(parts)
    assert report.read == 129_735
    assert report.skipped_total == 0
    # the one cut: 2506.02197's "Xiangyu Kongand Xiaoxia Xingand ...", 40 names run together
    assert report.cut == {"author name (over 300 characters)": 1} and not report.dropped
    assert len(papers) + report.duplicates == 129_735
    assert all(paper.year and 2007 <= paper.year <= 2026 for paper in papers[:1000])


def test_unsafe_urls_are_dropped_and_counted(tmp_path: Path) -> None:
    records = [
        {"id": "a", "title": "A", "abstract": "x", "url": "javascript:alert(1)"},
        {"id": "b", "title": "B", "abstract": "x", "url": "data:text/html,hi"},
        {"id": "c", "title": "C", "abstract": "x", "url": "https://example.org/c"},
        {"id": "bad\x1bid", "title": "D", "abstract": "x"},
    ]
    papers, report = load_papers([write_jsonl(tmp_path / "c.jsonl", records)])
    assert [(paper.id, paper.url) for paper in papers] == [
        ("a", None), ("b", None), ("c", "https://example.org/c")
    ]  # fmt: skip
    assert report.dropped == {"url (not http or https)": 2}
    assert "dropped 2 url (not http or https)" in report.counts()
    assert report.skipped == {"bad id: it contains control characters": 1}


def test_fields_over_their_limits_are_cut_or_dropped_and_counted(tmp_path: Path) -> None:
    records = [
        {"id": "huge", "title": "T " * 600, "abstract": "galaxy " * 1_500_000,  # 10.5 MB
         "authors": [f"Author {n}" for n in range(10_050)], "doi": "10.1/" + "9" * 400},
        {"id": "odd", "title": "T", "authors": ["A" * 400], "categories": ["cs.IR", "x" * 101]},
        {"id": "fine", "title": "T", "abstract": "x " * 5_000, "authors": "A. Author"},
    ]  # fmt: skip
    papers, report = load_papers([write_jsonl(tmp_path / "c.jsonl", records)])
    huge, odd, fine = papers
    assert len(huge.abstract) <= limits.ABSTRACT.most and huge.abstract.endswith(" galaxy")
    assert len(huge.title) <= limits.TITLE.most and len(huge.authors) == limits.AUTHORS.most
    assert huge.doi is None and huge.url is None
    assert odd.authors == ("A" * limits.AUTHOR.most,) and odd.categories == ("cs.IR",)
    assert fine.abstract == ("x " * 5_000).strip()  # nothing near a limit changes
    assert report.cut == {"abstract (over 20,000 characters)": 1,
                          "title (over 1,000 characters)": 1, "authors (over 10,000 names)": 1,
                          "author name (over 300 characters)": 1}  # fmt: skip
    assert report.dropped == {"doi (over 300 characters)": 1, "category (over 100 characters)": 1}
    assert report.skipped_total == 0
    assert "cut 1 abstract (over 20,000 characters)" in report.counts()
    assert "dropped 1 doi (over 300 characters)" in report.counts()


def test_text_is_cut_at_a_word_boundary_near_the_limit() -> None:
    assert cut_text("word " * 30, 100) == ("word " * 20).strip()
    assert cut_text("x" * 95 + " " + "y" * 20, 100) == "x" * 95
    assert cut_text("a " + "x" * 200, 100) == "a " + "x" * 98  # no space near the end
    assert cut_text("short", 100) == "short"
