"""The backend behind the app, opened (or, for the demo, built) in the background.

The app answers `/healthz` at once; search endpoints answer 503 until the index is ready.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import Any

from papersift.api.delivery.config import DeliveryConfig
from papersift.api.delivery.worker import DeliveryWorker
from papersift.api.demo import with_demo
from papersift.index.encoding.encoder import Encoder
from papersift.index.errors import IndexLayerError
from papersift.index.storage.snapshot import Snapshot
from papersift.index.storage.update_log import Change
from papersift.search.backends.interface import Backend, BackendConfig, Reader, Writer
from papersift.search.backends.registry import open_backend
from papersift.search.errors import SearchLayerError, StoreUnavailableError
from papersift.search.subscriptions.service import Subscriptions, attach
from papersift.search.sync_state import last_sync

logger = logging.getLogger(__name__)


class NotReadyError(Exception):
    """The index is still loading, or failed to load."""


class Engine:
    """Holds the opened backend once it exists, and why it does not yet."""

    def __init__(
        self,
        config: BackendConfig,
        say: Callable[[str], None] = logger.info,
        delivery: DeliveryConfig | None = None,
    ) -> None:
        """`say` hears what loading is doing (building the demo index on its first start).
        A local config without an index folder serves the demo corpus. With `delivery`, a
        thread delivers subscriptions' webhooks and mails."""
        self.config = config
        self.say = say
        self.delivery = delivery
        self._subscriptions: Subscriptions | None = None
        self._subscriptions_lock = threading.Lock()
        self._subscriptions_off: str | None = None  # why the store could not be opened
        self._worker: DeliveryWorker | None = None
        self._backend: Backend | None = None
        self._document_encoder: Encoder | None = None
        self._document_encoder_lock = threading.Lock()
        self._failure: str | None = None
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def of(cls, backend: Backend, delivery: DeliveryConfig | None = None) -> Engine:
        """An engine around an already opened backend (tests, embedding)."""
        engine = cls(BackendConfig(), delivery=delivery)
        engine._serve(backend)
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
    def subscriptions(self) -> Subscriptions | None:
        """The index's subscriptions, created on first use (None: a read-only index, or a
        remote one without a state folder). A store that could not be opened at start stays
        off until a restart: a StoreUnavailableError says why."""
        with self._subscriptions_lock:
            if self._subscriptions_off is not None:
                raise StoreUnavailableError(self._subscriptions_off)
            if self._subscriptions is None:
                self._subscriptions = attach(self.backend, create=True)
                self._start_deliveries()
            return self._subscriptions

    def wake_deliveries(self) -> None:
        """Deliver now (something was queued or fell due) rather than at the next look."""
        if self._worker is not None:
            self._worker.wake()

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
        """Stop delivering and let go of the index (its write lock) when the app stops."""
        if self._worker is not None:
            self._worker.stop()
        if self._subscriptions is not None:
            self._subscriptions.store.close()
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
        self._serve(backend)
        logger.info("index ready: %s", self.describe())

    def _serve(self, backend: Backend) -> None:
        """Serve `backend`: its existing subscriptions catch up on changes a crash kept them
        from, and start being delivered."""
        self._subscriptions = self._open_subscriptions(backend)
        if self._subscriptions is not None:
            caught_up = self._subscriptions.catch_up()
            if caught_up:
                logger.info("subscriptions caught up on %d changes", caught_up)
            self._start_deliveries()
        self._backend = backend
        self._ready.set()

    def _open_subscriptions(self, backend: Backend) -> Subscriptions | None:
        """The subscriptions of `backend`, where it has any. Where the store cannot be opened
        (a full disk), the index is still served; the changes meanwhile are matched after a
        restart if the update log still holds them (a compaction empties it)."""
        try:
            existing = attach(backend)
        except (OSError, StoreUnavailableError) as error:
            self._subscriptions_off = f"off until a restart: cannot open their store ({error})"
            self.say(f"subscriptions are {self._subscriptions_off}")
            return None
        if existing is None and backend.writer is not None:
            backend.writer.add_listener(self._adopt)
        return existing

    def _adopt(self, change: Change, snapshot: Snapshot | None) -> None:
        """Before a change is matched: open the store that `papersift subscribe` may have made
        while this server runs. Its own listener, added now, hears this change too (listeners
        are called in order, the new one last)."""
        with self._subscriptions_lock:
            if self._subscriptions is None and self._backend is not None:
                self._subscriptions = attach(self._backend)
                self._start_deliveries()

    def _start_deliveries(self) -> None:
        if self.delivery is not None and self._subscriptions is not None and not self._worker:
            self._worker = DeliveryWorker(self._subscriptions, self.delivery)
            self._worker.start()
