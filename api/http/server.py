"""Run the app under uvicorn (`papersift serve`), saying what happens as it happens."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable

import uvicorn

from papersift.api.http.app import create_app
from papersift.api.http.engine import Engine
from papersift.api.http.scheduler import SyncSchedule
from papersift.api.settings import (
    Settings,
    backend_config,
    delivery_config,
    startup_warnings,
    sync_request,
)
from papersift.api.sources import seconds_of
from papersift.search.backends.interface import BackendName

Say = Callable[[str], None]


class AnnouncingServer(uvicorn.Server):
    """A uvicorn server that says its URL once the port answers."""

    def __init__(self, config: uvicorn.Config, on_listening: Callable[[], None]) -> None:
        super().__init__(config)
        self.on_listening = on_listening

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            self.on_listening()


def run_server(settings: Settings, say: Say) -> None:
    """Serve until interrupted.

    A given index is opened (and its checksums verified) before the port opens, so a damaged
    one stops the server with its error instead of being served. The demo index is built in the
    background, the page saying so meanwhile. `say` hears the URL once the port answers, then a
    ready line once the index is loaded.
    """
    for warning in startup_warnings(settings):
        say(f"warning: {warning}")
    engine = Engine(backend_config(settings), say=say, delivery=delivery_config(settings))
    if settings.index is not None or settings.backend != BackendName.local:
        engine.open()  # a given index is checked before the port opens
    else:
        engine.start()  # the demo's index (built on a first start) loads while uvicorn starts
    app = create_app(settings, engine)
    config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level="warning")

    def listening() -> None:
        shown = "localhost" if settings.host in ("127.0.0.1", "0.0.0.0") else settings.host
        say(f"serving http://{shown}:{settings.port}/  (API docs: /docs)")
        threading.Thread(target=_say_when_ready, args=(engine, say), daemon=True).start()

    request = sync_request(settings)
    if request is not None:
        SyncSchedule(engine, request, seconds_of(settings.sync_every), say).start()
    AnnouncingServer(config, listening).run()


def _say_when_ready(engine: Engine, say: Say) -> None:
    engine.wait()
    if engine.ready:
        say(f"ready: {engine.describe()}")
    else:
        say(f"error: cannot serve: {engine.failure}")
