"""The README's curl examples, replayed against the app serving the real demo corpus."""

from __future__ import annotations

import json
import re
import shlex

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.engine import Engine
from api.settings import Settings
from tests.conftest import ROOT

BASE = "http://localhost:8000"


def curl_commands() -> list[list[str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8").replace("\\\n", " ")
    return [shlex.split(line) for line in text.splitlines() if line.startswith("curl ")]


@pytest.mark.slow
def test_every_curl_example_works_on_the_demo_server() -> None:
    commands = curl_commands()
    assert len(commands) >= 8
    engine = Engine(index=None)  # the demo corpus, built into the test cache on first start
    with TestClient(create_app(Settings(), engine)) as client:
        assert engine.wait(600) and engine.ready, engine.failure
        for command in commands:
            url = next(arg for arg in command if arg.startswith(BASE)).removeprefix(BASE)
            if "-d" in command:
                body = json.loads(command[command.index("-d") + 1])
                response = client.post(url, json=body)
            else:
                response = client.get(url)
            assert response.status_code == 200, (command, response.text)
            if "/api/search" in url and "batch" not in url:
                assert response.json()["hits"], command
    assert re.search(r"demo-index", str(engine.searcher.index.folder))
