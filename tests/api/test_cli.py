"""The `papersift` command, run in-process through its real entry point."""

from __future__ import annotations

import gc
import json
import shutil
from pathlib import Path

import pytest

from papersift.api.http.schemas import HitOut, SearchResponse
from papersift.index.storage.generations import current_generation
from papersift.index.storage.manifest import MANIFEST_FILE
from tests.helpers.cli import assert_one_line_error, run_cli
from tests.helpers.data import demo_records, scifact_slice, write_jsonl


def test_build_then_search_as_json(tmp_path: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    records = demo_records(12)
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in records) + "{broken\n")
    code, out, _ = run_cli(
        ["build", str(corpus), "--index", str(tmp_path / "idx")], capsys, monkeypatch
    )
    assert code == 0
    assert (
        "indexed 12 papers" in out
        and "skipped 1 (1 unparsable JSON)" in out
        and "c.jsonl:13" in out
    )
    title = records[4]["title"]
    code, out, _ = run_cli(
        ["search", str(title), "--index", str(tmp_path / "idx"), "--json", "--limit", "3"],
        capsys,
        monkeypatch,
    )
    assert code == 0
    result = json.loads(out)
    assert result["hits"][0]["id"] == records[4]["id"] and result["mode"] == "hybrid"
    api = SearchResponse.model_validate(result)  # the API's shape, field for field
    assert set(result["hits"][0]) == set(HitOut.model_fields)
    assert api.hits[0].snippet is not None and "abstract" not in result["hits"][0]
    code, out, _ = run_cli(
        ["search", str(title), "--index", str(tmp_path / "idx"), "--json", "--explain"],
        capsys,
        monkeypatch,
    )
    assert json.loads(out)["hits"][0]["explain"]["lexical"]["rank"] == 1


def test_search_prints_a_readable_table(sample_index_folder: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run_cli(
        [
            "search",
            "dark matter",
            "--index",
            str(sample_index_folder),
            "--mode",
            "lexical",
            "--limit",
            "2",
            "--offset",
            "1",
        ],
        capsys,
        monkeypatch,
    )
    assert code == 0
    assert "showing 2-3 (lexical" in out
    assert out.count("lexical #") == 2


def test_search_says_when_nothing_stands_out(  # type: ignore[no-untyped-def]
    sample_index_folder: Path, capsys, monkeypatch
) -> None:
    """The match cue in the CLI: one line instead of a count of matches; `weak` in --json."""
    args = ["search", "zxqv blorf", "--index", str(sample_index_folder), "--limit", "3"]
    code, out, _ = run_cli(args, capsys, monkeypatch)
    assert code == 0
    assert out.splitlines()[0].startswith("No strong matches; the closest 3 papers (hybrid, ")
    assert "results" not in out and out.count("  1. ") == 1  # the hits, still listed
    code, out, _ = run_cli([*args, "--json"], capsys, monkeypatch)
    assert json.loads(out)["weak"] is True
    code, out, _ = run_cli([*args, "--offset", "3"], capsys, monkeypatch)
    assert out.startswith("No strong matches; the closest papers, 4-6 (hybrid, ")
    args[1] = "graph neural networks"
    code, out, _ = run_cli(args, capsys, monkeypatch)
    assert "results, showing 1-3 (hybrid" in out and "No strong matches" not in out
    code, out, _ = run_cli([*args, "--json"], capsys, monkeypatch)
    assert json.loads(out)["weak"] is False


def test_an_offset_past_the_end_says_so(sample_index_folder: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    args = ["search", "dark matter", "--index", str(sample_index_folder), "--mode", "lexical"]
    code, out, _ = run_cli([*args, "--json"], capsys, monkeypatch)
    total = json.loads(out)["total"]
    code, out, _ = run_cli([*args, "--offset", str(total + 5)], capsys, monkeypatch)
    assert code == 0
    assert f"no more results: this query has {total}, so --offset {total + 5} is past" in out
    assert "showing" not in out


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (None, "corpus file not found"),
        ("", "corpus file is empty"),
        ("{nope\n[1]\n", "no usable papers"),
    ],
)
def test_bad_corpus_is_one_line(
    tmp_path: Path,
    capsys,
    monkeypatch,
    content: str | None,  # type: ignore[no-untyped-def]
    fragment: str,
) -> None:
    corpus = tmp_path / "c.jsonl"
    if content is not None:
        corpus.write_text(content)
    code, _, err = run_cli(
        ["build", str(corpus), "--index", str(tmp_path / "i")], capsys, monkeypatch
    )
    assert_one_line_error(code, err, fragment)
    assert not (tmp_path / "i").exists() or not any((tmp_path / "i").iterdir())


def test_csv_without_abstract_is_one_line(tmp_path: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    corpus = tmp_path / "c.csv"
    corpus.write_text("id,title\n1,Only a title\n")
    code, _, err = run_cli(
        ["build", str(corpus), "--index", str(tmp_path / "i")], capsys, monkeypatch
    )
    assert_one_line_error(code, err, "no abstract column")


def test_corrupted_manifest_is_one_line(tmp_path: Path, encoder, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from papersift.index.build import build_index

    folder = tmp_path / "idx"
    build_index([write_jsonl(tmp_path / "c.jsonl", demo_records(5))], folder, encoder=encoder)
    (current_generation(folder) / MANIFEST_FILE).write_text('{"format_version": 1}')
    code, _, err = run_cli(["search", "x", "--index", str(folder)], capsys, monkeypatch)
    assert_one_line_error(code, err, "unreadable manifest", "rebuild")


def test_other_model_is_one_line(sample_index_folder: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run_cli(
        [
            "search",
            "x",
            "--index",
            str(sample_index_folder),
            "--model",
            "sentence-transformers/all-mpnet-base-v2",
        ],
        capsys,
        monkeypatch,
    )
    assert_one_line_error(code, err, "built with model 'all-MiniLM-L6-v2'")


def test_missing_index_is_one_line(tmp_path: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run_cli(["search", "x", "--index", str(tmp_path / "none")], capsys, monkeypatch)
    assert_one_line_error(code, err, "index folder not found")


def test_usage_errors_exit_non_zero(capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run_cli(["search", "x", "--mode", "fuzzy"], capsys, monkeypatch)
    assert code == 2 and "fuzzy" in err and "Traceback" not in err


@pytest.mark.slow
def test_eval_on_a_scifact_slice(tmp_path: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A real BEIR slice: 40 test queries, their judged abstracts and 300 others."""
    folder = scifact_slice(tmp_path / "scifact-slice", queries=40, others=300)
    per_query = tmp_path / "per-query.json"
    code, out, _ = run_cli(
        ["eval", str(folder), "--json", "--output", str(per_query)], capsys, monkeypatch
    )
    assert code == 0
    summary = json.loads(out.strip().splitlines()[-1])
    assert set(summary) == {"lexical", "dense", "hybrid"}
    for mode in summary.values():
        assert set(mode) == {"ndcg@10", "recall@100", "mrr@10"}
        assert 0.4 < mode["ndcg@10"] <= 1.0
    assert len(json.loads(per_query.read_text())["per_query"]["hybrid"]) == 40


def test_add_delete_compact_change_the_index_in_place(  # type: ignore[no-untyped-def]
    tmp_path: Path, sample_index_folder: Path, capsys, monkeypatch
) -> None:
    folder = tmp_path / "idx"
    shutil.copytree(sample_index_folder, folder)
    new = demo_records()[1::4][:3]  # records the sample (every 4th from 0) does not hold
    corpus = write_jsonl(tmp_path / "new.jsonl", new)
    code, out, err = run_cli(["add", str(corpus), "--index", str(folder)], capsys, monkeypatch)
    assert code == 0, err
    assert "added 3 papers, replaced 0" in out and "logged durably" in out
    code, out, _ = run_cli(["search", str(new[0]["title"]), "--index", str(folder), "--json",
                            "--mode", "lexical", "--limit", "1"], capsys, monkeypatch)  # fmt: skip
    assert json.loads(out)["hits"][0]["id"] == new[0]["id"]
    code, out, err = run_cli(
        ["delete", str(new[0]["id"]), "no-such-id", "--index", str(folder)], capsys, monkeypatch
    )
    assert "deleted 1 papers" in out
    assert_one_line_error(code, err, "1 ids not in the index: no-such-id")
    code, out, _ = run_cli(["compact", "--index", str(folder)], capsys, monkeypatch)
    assert code == 0 and "compacted 2 changed rows" in out  # the replay nets add + delete
    assert "match cue: threshold " in out  # calibrated again on the compacted corpus
    code, out, _ = run_cli(["search", str(new[0]["title"]), "--index", str(folder), "--json",
                            "--mode", "lexical", "--limit", "5"], capsys, monkeypatch)  # fmt: skip
    assert new[0]["id"] not in [hit["id"] for hit in json.loads(out)["hits"]]


def test_subscribe_list_and_delete_subscriptions(  # type: ignore[no-untyped-def]
    tmp_path: Path, sample_index_folder: Path, capsys, monkeypatch
) -> None:
    folder = tmp_path / "idx"
    shutil.copytree(sample_index_folder, folder)
    index = ["--index", str(folder)]
    code, out, err = run_cli(["subscribe", "graph neural networks", "--top", "3", "--json",
                              *index], capsys, monkeypatch)  # fmt: skip
    assert code == 0, err
    created = json.loads(out)
    assert len(created["first_issue"]) == 3 and created["feed_url"].endswith(".atom")
    record = {"id": "new-gnn", "title": "Graph neural networks for message passing on graphs",
              "abstract": "Graph neural networks pass messages between graph nodes; our graph "
              "neural network generalises graph convolution."}  # fmt: skip
    code, _, err = run_cli(["add", str(write_jsonl(tmp_path / "n.jsonl", [record])), *index],
                           capsys, monkeypatch)  # fmt: skip
    assert code == 0, err
    code, out, _ = run_cli(["subscriptions", "list", "--json", *index], capsys, monkeypatch)
    (listed,) = json.loads(out)["subscriptions"]
    assert listed["id"] == created["id"] and listed["matches"] == 4
    code, out, _ = run_cli(["subscriptions", "list", *index], capsys, monkeypatch)
    assert created["id"] in out and "4 matches" in out
    code, out, _ = run_cli(["digest", *index], capsys, monkeypatch)
    assert code == 0 and "0 digests due" in out
    code, _, err = run_cli(["subscribe", "--paper", "no-such-paper", *index], capsys, monkeypatch)
    assert_one_line_error(code, err, "papers", "no-such-paper")
    code, _, err = run_cli(["subscribe", *index], capsys, monkeypatch)
    assert_one_line_error(code, err, "q")
    code, _, err = run_cli(["subscribe", "x", "--webhook", "ftp://a.org", *index], capsys,
                           monkeypatch)  # fmt: skip
    assert_one_line_error(code, err, "webhook_url")
    code, out, err = run_cli(["subscriptions", "delete", created["id"], "nope", *index], capsys,
                             monkeypatch)  # fmt: skip
    assert "deleted 1 subscriptions" in out
    assert_one_line_error(code, err, "nope")


def test_commands_let_go_of_the_write_lock(  # type: ignore[no-untyped-def]
    tmp_path: Path, sample_index_folder: Path, capsys, monkeypatch
) -> None:
    """Run in-process one after another (as here, or from a script), each write command must
    release the index's write lock itself, not leave it to the garbage collector."""
    folder = tmp_path / "idx"
    shutil.copytree(sample_index_folder, folder)
    corpus = write_jsonl(tmp_path / "one.jsonl", demo_records()[1:2])
    gc.disable()  # what is left to the collector stays
    try:
        for command in (["add", str(corpus)], ["add", str(corpus)], ["delete", "no-such-id"]):
            code, _, err = run_cli([*command, "--index", str(folder)], capsys, monkeypatch)
            assert code == (1 if command[0] == "delete" else 0), err
            assert "write lock" not in err, err
    finally:
        gc.enable()


def test_build_and_add_cut_an_abstract_over_its_limit_and_say_so(  # type: ignore[no-untyped-def]
    tmp_path: Path, capsys, monkeypatch
) -> None:
    huge = "galaxy " * 1_500_000  # 10.5 MB
    records = [{"id": "a", "title": "Huge", "abstract": huge}, {"id": "b", "title": "Small"}]
    corpus = write_jsonl(tmp_path / "c.jsonl", records)
    index = ["--index", str(tmp_path / "idx")]
    code, out, err = run_cli(["build", str(corpus), *index], capsys, monkeypatch)
    assert code == 0, err
    assert "indexed 2 papers" in out and "cut 1 abstract (over 20,000 characters)" in out
    more = write_jsonl(tmp_path / "more.jsonl", [{"id": "c", "title": "Huge", "abstract": huge}])
    code, out, err = run_cli(["add", str(more), *index], capsys, monkeypatch)
    assert code == 0, err
    assert "added 1 papers" in out and "cut 1 abstract (over 20,000 characters)" in err
    code, out, _ = run_cli(["search", "galaxy", *index, "--json", "--mode", "lexical"], capsys,
                           monkeypatch)  # fmt: skip
    assert {hit["id"] for hit in json.loads(out)["hits"]} == {"a", "c"}
