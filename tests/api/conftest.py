from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from papersift.api.http.app import create_app
from papersift.api.http.engine import Engine
from papersift.api.settings import Settings
from papersift.search.backends.interface import Backend
from papersift.search.searcher import Searcher


@pytest.fixture(scope="session")
def client(searcher: Searcher) -> Iterator[TestClient]:
    app = create_app(Settings(), Engine.of(Backend(reader=searcher, writer=None)))
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def folder(tmp_path: Path, sample_index_folder: Path) -> Path:
    """A copy of the sample index, for a test that writes."""
    copy = tmp_path / "index"
    shutil.copytree(sample_index_folder, copy)
    return copy
