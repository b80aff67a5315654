"""Shared fixtures: real data from ../shared/data (skipped where absent) and one real index."""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from papersift.api.demo import demo_corpus
from papersift.index.build import build_index
from papersift.index.encoding.encoder import Encoder
from papersift.index.storage.snapshot import PaperIndex
from papersift.search.searcher import Searcher

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("PAPERSIFT_SHARED_DATA", ROOT.parent / "shared" / "data"))
SAMPLE_STEP = 4  # every 4th demo record: 250 papers spread over all subjects
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


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """No test writes into the user's real cache folder. Session-wide and first of all, so that
    session fixtures (the encoder's ONNX export) and servers started by tests share one."""
    cache = tmp_path_factory.getbasetemp() / "cache"
    previous = os.environ.get("PAPERSIFT_CACHE_DIR")
    os.environ["PAPERSIFT_CACHE_DIR"] = str(cache)
    yield cache
    if previous is None:
        os.environ.pop("PAPERSIFT_CACHE_DIR", None)
    else:
        os.environ["PAPERSIFT_CACHE_DIR"] = previous


@pytest.fixture(scope="session")
def encoder() -> Encoder:
    """The real bundled all-MiniLM-L6-v2."""
    return Encoder()


@pytest.fixture(scope="session")
def sample_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A spread of the shipped demo corpus (real arXiv abstracts)."""
    folder = tmp_path_factory.mktemp("corpus")
    return write_jsonl(folder / "sample.jsonl", demo_records()[::SAMPLE_STEP] + HOSTILE_PAPERS)


@pytest.fixture(scope="session")
def sample_index_folder(
    tmp_path_factory: pytest.TempPathFactory, sample_corpus: Path, encoder: Encoder
) -> Path:
    """An index of the sample built with the real model; read-only for tests."""
    folder = tmp_path_factory.mktemp("index") / "sample-index"
    build_index([sample_corpus], folder, encoder=encoder)
    return folder


@pytest.fixture(scope="session")
def sample_index(sample_index_folder: Path) -> Iterator[PaperIndex]:
    index = PaperIndex.load(sample_index_folder)
    yield index
    index.close()


@pytest.fixture(scope="session")
def searcher(sample_index: PaperIndex, encoder: Encoder) -> Searcher:
    return Searcher(sample_index, encoder)
