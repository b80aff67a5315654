from __future__ import annotations

from collections.abc import Iterator

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
