from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from papersift.api.http.app import create_app
from papersift.api.http.engine import Engine
from papersift.api.settings import Settings
from papersift.search.searcher import Searcher


def assert_canonical_error(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    """Every error has one shape: {"error": {"status", "message", "field"}}."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"status", "message", "field"}
    assert error["status"] == status and error["message"]
    if field is not None:
        assert error["field"] == field, error
        assert field in error["message"] or status != 422
    return error  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def client(searcher: Searcher) -> Iterator[TestClient]:
    app = create_app(Settings(), Engine.of(searcher))
    with TestClient(app) as test_client:
        yield test_client
