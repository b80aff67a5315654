"""Shared fixtures: real data from ../shared/data (skipped where absent) and one real index."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from papersift.index.build import build_index
from papersift.index.encoding.encoder import Encoder
from papersift.index.storage.snapshot import Snapshot
from papersift.search.searcher import Searcher
from tests.helpers.data import HOSTILE_PAPERS, SAMPLE_STEP, demo_records, write_jsonl


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
def sample_index(sample_index_folder: Path) -> Iterator[Snapshot]:
    index = Snapshot.load(sample_index_folder)
    yield index
    index.close()


@pytest.fixture(scope="session")
def searcher(sample_index: Snapshot, encoder: Encoder) -> Searcher:
    return Searcher(sample_index, encoder)
