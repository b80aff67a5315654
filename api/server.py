"""Run the app under uvicorn (`papersift serve`)."""

from __future__ import annotations

import uvicorn

from api.app import create_app
from api.settings import Settings


def run_server(settings: Settings) -> None:
    """Serve until interrupted."""
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="warning")
