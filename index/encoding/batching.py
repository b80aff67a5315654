"""Queries that arrive together are encoded together: one model call for all of them.

A single thread runs the model. A query that finds it idle is encoded at once, alone, so a lone
client waits for nothing but a thread hand-off; queries that arrive while it is busy wait for the
current call and then go in the next one together (at most `most` at a time). Under load the
calls grow by themselves, and a batch of 16 short queries costs a fraction of 16 single calls
(bench/http_load.py).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]
Vector = npt.NDArray[np.float32]


class QueryBatcher:
    """`encode(text)` from any thread; the texts in flight are encoded in shared calls."""

    def __init__(self, encode_batch: Callable[[list[str]], Vectors], most: int = 32) -> None:
        self._encode_batch = encode_batch
        self.most = most
        self._waiting: list[tuple[str, Future[Vector]]] = []
        self._arrived = threading.Condition()
        self.calls = 0  # model calls made (a measure of how much batching happens)
        self._worker = threading.Thread(target=self._run, name="query-encoder", daemon=True)
        self._worker.start()

    def encode(self, text: str) -> Vector:
        return self.submit(text).result()

    def submit(self, text: str) -> Future[Vector]:
        """`text`'s embedding, to come."""
        future: Future[Vector] = Future()
        with self._arrived:
            self._waiting.append((text, future))
            self._arrived.notify()
        return future

    def _run(self) -> None:
        while True:
            with self._arrived:
                while not self._waiting:
                    self._arrived.wait()
                batch, self._waiting = self._waiting[: self.most], self._waiting[self.most :]
            self._answer(batch)

    def _answer(self, batch: list[tuple[str, Future[Vector]]]) -> None:
        try:
            vectors = self._encode_batch([text for text, _ in batch])
        except BaseException as error:  # each caller gets the failure, not a hang
            for _, future in batch:
                future.set_exception(error)
            return
        self.calls += 1
        for (_, future), vector in zip(batch, vectors, strict=True):
            future.set_result(vector.copy())  # (not a view keeping the batch alive)
