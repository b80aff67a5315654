"""The app in-process on an index folder, writable with a test token (for tests that write to a
copy of the sample index)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from papersift.api.http.app import create_app
from papersift.api.http.engine import Engine
from papersift.api.settings import Settings, delivery_config
from papersift.search.backends.interface import BackendConfig

TOKEN = "test-token-123"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def writable_app(folder: Path, **settings: Any) -> TestClient:
    """The app serving `folder` with these settings (and TOKEN), its engine opened."""
    config = Settings(index=folder, write_token=TOKEN, **settings)
    backend = BackendConfig(index=folder, compact_after=config.compact_after)
    engine = Engine(backend, delivery=delivery_config(config))
    engine.open()
    return TestClient(create_app(config, engine))
