"""`serve --sync arxiv:cs --sync-every 6h`: the server keeps its index current by itself.

One thread runs the harvest once the index is ready and then every `every` seconds, through the
same single writer as the API's writes (the index's write lock serialises them). How each run
ended is in the sync state file, which `/api/stats` reports.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from papersift.api.http.engine import Engine
from papersift.index.errors import IndexLayerError
from papersift.search.errors import SearchLayerError
from papersift.search.sync import ArxivSync, SyncRequest

logger = logging.getLogger(__name__)


class SyncSchedule:
    """A daemon thread that syncs the engine's index now and then every `every` seconds."""

    def __init__(
        self, engine: Engine, request: SyncRequest, every: float, say: Callable[[str], None]
    ) -> None:
        self.engine = engine
        self.request = request
        self.every = every
        self.say = say
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="arxiv-sync", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        self.engine.wait()
        while self.engine.ready and not self._stop.is_set():
            self.run_once()
            self._stop.wait(self.every)

    def run_once(self) -> None:
        backend = self.engine.backend
        if backend.state is None:
            self.say("error: sync needs a state folder (PAPERSIFT_STATE_FOLDER) for this backend")
            self._stop.set()
            return
        try:
            sync = ArxivSync(backend, self.engine.document_encoder, backend.state)
            report = sync.run(self.request)
        except (IndexLayerError, SearchLayerError, OSError) as error:
            logger.error("arXiv sync failed (the next run resumes): %s", error)
            return
        self.say(f"synced arXiv: {report.summary()}")
