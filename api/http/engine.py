"""The backend behind the app, opened (or, for the demo, built) in the background.

The app answers `/healthz` at once; search endpoints answer 503 until the index is ready.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import Any

from papersift.api.demo import with_demo
from papersift.index.encoding.encoder import Encoder
from papersift.index.errors import IndexLayerError
from papersift.search.backends.interface import Backend, BackendConfig, Reader, Writer
from papersift.search.backends.registry import open_backend
from papersift.search.errors import SearchLayerError
from papersift.search.sync_state import last_sync

logger = logging.getLogger(__name__)


class NotReadyError(Exception):
    """The index is still loading, or failed to load."""


class Engine:
    """Holds the opened backend once it exists, and why it does not yet."""

    def __init__(self, config: BackendConfig, say: Callable[[str], None] = logger.info) -> None:
        """`say` hears what loading is doing (building the demo index on its first start).
        A local config without an index folder serves the demo corpus."""
        self.config = config
        self.say = say
        self._backend: Backend | None = None
        self._document_encoder: Encoder | None = None
        self._document_encoder_lock = threading.Lock()
        self._failure: str | None = None
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def of(cls, backend: Backend) -> Engine:
        """An engine around an already opened backend (tests, embedding)."""
        engine = cls(BackendConfig())
        engine._backend = backend
        engine._ready.set()
        return engine

    @property
    def reader(self) -> Reader:
        if self._backend is not None:
            return self._backend.reader
        if self._failure is not None:
            raise NotReadyError(f"the index failed to load: {self._failure}")
        raise NotReadyError("the index is still loading; try again in a moment")

    @property
    def backend(self) -> Backend:
        """The opened backend (NotReadyError before)."""
        _ = self.reader
        assert self._backend is not None
        return self._backend

    def last_sync(self) -> dict[str, Any] | None:
        """How the index's last arXiv sync ended (None: it never synced)."""
        state = self.backend.state
        return last_sync(state) if state is not None else None

    @property
    def writer(self) -> Writer | None:
        """Where writes go (None: a read-only index)."""
        _ = self.reader  # not ready: raise as reads do
        return self._backend.writer if self._backend is not None else None

    @property
    def document_encoder(self) -> Encoder:
        """The encoder for added papers: its own model instance on half the cores, so queries
        neither queue behind a batch of abstracts nor lose every core to it."""
        with self._document_encoder_lock:
            if self._document_encoder is None:
                query_encoder = self.reader.encoder
                threads = max(1, (os.cpu_count() or 2) // 2)
                self._document_encoder = Encoder(
                    query_encoder.name, runtime=query_encoder.runtime, threads=threads
                )
            return self._document_encoder

    @property
    def ready(self) -> bool:
        return self._backend is not None

    @property
    def failure(self) -> str | None:
        return self._failure

    def describe(self) -> str:
        """What is served, in one line."""
        stats = self.reader.stats()
        return f"{stats.documents:,} papers from {stats.index_folder}"

    def close(self) -> None:
        """Let go of the index (its write lock) when the app stops."""
        if self._backend is not None and self._backend.writer is not None:
            self._backend.writer.close()

    def start(self) -> None:
        """Load in a background thread (idempotent)."""
        if self._thread is None and self._backend is None:
            self._thread = threading.Thread(target=self.load, name="index-loader", daemon=True)
            self._thread.start()

    def wait(self, timeout: float | None = None) -> bool:
        return self._ready.wait(timeout)

    def load(self) -> None:
        """Open the index, recording (not raising) a failure: for the background thread."""
        try:
            self.open()
        except (IndexLayerError, SearchLayerError, OSError) as error:
            self._failure = str(error)
            logger.error("cannot serve: %s", error)
        finally:
            self._ready.set()

    def open(self) -> None:
        """Open the backend (building the demo index if needed) and load its query model."""
        backend = open_backend(with_demo(self.config, self.say))
        _ = backend.reader.encoder  # load the model now, not on the first query
        self._backend = backend
        self._ready.set()
        logger.info("index ready: %s", self.describe())
