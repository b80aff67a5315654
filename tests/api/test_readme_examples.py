"""The README's curl examples, replayed against the app serving the real demo corpus."""

from __future__ import annotations

import json
import shlex
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from papersift.api.demo import demo_index
from papersift.api.http.app import create_app
from papersift.api.http.engine import Engine
from papersift.api.settings import Settings
from papersift.search.backends.interface import BackendConfig
from tests.helpers.data import ROOT

BASE = "http://localhost:8000"
WRITE_TOKEN = "change-me"  # the token in the README's write examples


def curl_commands() -> list[list[str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8").replace("\\\n", " ")
    return [shlex.split(line) for line in text.splitlines() if line.startswith("curl ")]


def option_values(command: list[str], flag: str) -> list[str]:
    return [command[i + 1] for i, arg in enumerate(command) if arg == flag]


@pytest.mark.slow
def test_every_curl_example_works_on_the_demo_server(tmp_path: Path) -> None:
    commands = curl_commands()
    assert len(commands) >= 11
    demo = demo_index()  # the demo corpus, built into the test cache on first use, as make run does
    folder = tmp_path / "demo-index"  # a copy: the write examples must not change the cached one
    shutil.copytree(demo, folder)
    engine = Engine(BackendConfig(index=folder))
    settings = Settings(index=folder, write_token=WRITE_TOKEN)
    with TestClient(create_app(settings, engine)) as client:
        assert engine.wait(600) and engine.ready, engine.failure
        for command in commands:
            url = next(arg for arg in command if arg.startswith(BASE)).removeprefix(BASE)
            method = (option_values(command, "-X") or ["GET"])[0]
            headers = dict(h.split(": ", 1) for h in option_values(command, "-H"))
            body = json.loads(option_values(command, "-d")[0]) if "-d" in command else None
            method = "POST" if body is not None and method == "GET" else method
            response = client.request(method, url, json=body, headers=headers)
            assert response.status_code == 200, (command, response.text)
            if "/api/search" in url and "batch" not in url:
                assert response.json()["hits"], command
    assert engine.reader.paper("p2") is not None  # the write examples worked
    assert engine.reader.paper("my-paper-1") is None
