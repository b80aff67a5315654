"""Real data for tests: ../shared/data (tests skip where it is absent) and the shipped demo
corpus, plus papers meant to break a page that forgets to escape."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest

from papersift.api.demo import demo_corpus

ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = Path(os.environ.get("PAPERSIFT_SHARED_DATA", ROOT.parent / "shared" / "data"))
SAMPLE_STEP = 32  # every 32nd demo record: 253 papers spread over all subjects
# Papers whose text would run as markup if the page did not escape it.
HOSTILE_PAPERS: list[dict[str, object]] = [
    {"id": "xss-1", "title": "<script>window.pwned = 1</script> Robust quokka detection",
     "abstract": "Quokka <img src=x onerror=\"window.pwned=2\"> in \"wild\" & 'tame' images.",
     "authors": "<b>Mallory</b>, Eve", "categories": "cs.CV"},
    {"id": "xss-2", "title": "Quokka tracking \" onmouseover=\"window.pwned=3",
     "abstract": "</p><script>window.pwned=4</script> Tracking quokka populations.",
     "authors": "Trent", "categories": "cs.CV"},
]  # fmt: skip


def shared(*parts: str) -> Path:
    """A path under ../shared/data; skips the test where it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} not available")
    return path


def demo_records(count: int | None = None) -> list[dict[str, object]]:
    with gzip.open(demo_corpus(), "rt", encoding="utf-8") as lines:
        records = [json.loads(line) for line in lines]
    return records[:count] if count else records


def scifact_slice(folder: Path, queries: int, others: int) -> Path:
    """A real BEIR folder cut from SciFact: `queries` test queries, every abstract judged for
    them and `others` unjudged ones (skips where ../shared/data is absent)."""
    source = shared("scifact")
    qrels_lines = (source / "qrels" / "test.tsv").read_text().splitlines()
    all_queries = [json.loads(line) for line in (source / "queries.jsonl").read_text().splitlines()]
    judged = {line.split("\t")[0] for line in qrels_lines[1:]}
    kept_queries = [q for q in all_queries if q["_id"] in judged][:queries]
    kept_ids = {q["_id"] for q in kept_queries}
    kept_qrels = [line for line in qrels_lines[1:] if line.split("\t")[0] in kept_ids]
    relevant = {line.split("\t")[1] for line in kept_qrels}
    corpus = [json.loads(line) for line in (source / "corpus.jsonl").read_text().splitlines()]
    docs = [d for d in corpus if d["_id"] in relevant]
    docs += [d for d in corpus if d["_id"] not in relevant][:others]
    (folder / "qrels").mkdir(parents=True)
    write_jsonl(folder / "corpus.jsonl", docs)
    write_jsonl(folder / "queries.jsonl", kept_queries)
    (folder / "qrels" / "test.tsv").write_text("\n".join([qrels_lines[0], *kept_qrels]) + "\n")
    return folder


def write_jsonl(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path
