"""The server's delivery thread: it delivers the outbox as soon as a change queues something
(and every few seconds, for retries and for what other processes queued), queues digests when
they fall due, refreshes subscription profiles once a day, and matches again the changes whose
matching failed (the store was locked or full) without waiting for the next write."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

from papersift.api.delivery.config import DeliveryConfig
from papersift.api.delivery.courier import Courier
from papersift.index.storage.snapshot import Snapshot
from papersift.index.storage.update_log import Change
from papersift.search.errors import StoreUnavailableError
from papersift.search.subscriptions.service import Subscriptions

logger = logging.getLogger(__name__)

REFRESH_EVERY = timedelta(days=1)


class DeliveryWorker:
    def __init__(self, subscriptions: Subscriptions, config: DeliveryConfig) -> None:
        self.subscriptions = subscriptions
        self.courier = Courier(subscriptions, config)
        self.config = config
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="deliveries", daemon=True)
        writer = subscriptions.backend.writer
        if writer is not None:  # registered after the matcher: it wakes once matches are saved
            writer.add_listener(self._changed)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=30)

    def _changed(self, change: Change, snapshot: Snapshot | None) -> None:
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # the thread must outlive any one bad round
                logger.exception("delivery round failed; the next one retries")
            self._wake.wait(self.config.poll)
            self._wake.clear()

    def run_once(self) -> None:
        if self.subscriptions.unmatched:
            try:
                self.subscriptions.retry()
            except StoreUnavailableError as error:
                logger.warning("%d changes still wait to be matched: %s",
                               self.subscriptions.unmatched, error)  # fmt: skip
        self.subscriptions.refresh(REFRESH_EVERY)
        self.subscriptions.queue_digests(datetime.now(UTC))
        self.courier.deliver_due()
