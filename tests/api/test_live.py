"""One real uvicorn server on a loopback port (the site in a browser: test_browser.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from papersift.index.storage.snapshot import Snapshot
from tests.helpers.servers import served, serving


@pytest.fixture(scope="module")
def live_server(sample_index_folder: Path) -> Iterator[str]:
    with served(sample_index_folder) as base:
        yield base


@pytest.mark.slow
def test_serve_says_its_url_once_listening_then_that_it_is_ready(
    sample_index_folder: Path, sample_index: Snapshot
) -> None:
    with serving(sample_index_folder) as server:
        pass
    said = [line for line in server.printed if line.startswith("papersift: ")]
    port = server.base.rsplit(":", 1)[1]
    assert said[0] == f"papersift: serving http://localhost:{port}/  (API docs: /docs)"
    assert said[1].startswith(f"papersift: ready: {sample_index.size} papers from ")
    assert not any("first start" in line for line in said)  # a given index is never built


@pytest.mark.slow
def test_real_server_answers_search(live_server: str) -> None:
    response = httpx.get(f"{live_server}/api/search", params={"q": "quantum", "limit": 3})
    assert response.status_code == 200
    assert len(response.json()["hits"]) == 3
    bad = httpx.get(f"{live_server}/api/search", params={"q": ""})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "q"
