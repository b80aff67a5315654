"""Run the app under uvicorn (`papersift serve`)."""

from __future__ import annotations

import uvicorn

from api.app import create_app
from api.engine import Engine
from api.settings import Settings, milvus_target


def run_server(settings: Settings) -> None:
    """Serve until interrupted.

    A given index is opened (and its checksums verified) before the port opens, so a damaged
    one stops the server with its error instead of being served. The demo index is built in the
    background, the page saying so meanwhile.
    """
    engine = Engine(
        settings.index,
        settings.model,
        settings.runtime,
        settings.compact_after,
        milvus_target(settings),
    )
    if settings.index is not None or settings.backend == "milvus":
        engine.open()
    app = create_app(settings, engine)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")
