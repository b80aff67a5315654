"""Per-row score accumulators for the lexical leg's pruned search, reused across queries.

A pruned query adds a few terms' parts into an array with one slot per row. Allocating that array
for every query, and faulting in its pages, costs milliseconds at 1M rows (8 MB); so arrays are
lent from a small pool and handed back zeroed, by resetting only the slots the query touched.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

Rows = npt.NDArray[np.int64]
Scores = npt.NDArray[np.float64]


class Accumulator:
    """Scores so far by row. Parts added must be positive, so a slot still at 0 is untouched."""

    def __init__(self, values: Scores) -> None:
        self.values = values
        self._touched: list[Rows] = []

    def add(self, rows: Rows, parts: Scores) -> Rows:
        """Add `parts` to the slots of `rows` (distinct); returns the rows touched first now."""
        fresh: Rows = rows[self.values[rows] == 0]
        self.values[rows] += parts
        self._touched.append(fresh)
        return fresh

    def clear(self) -> None:
        for rows in self._touched:
            self.values[rows] = 0.0
        self._touched.clear()


class AccumulatorPool:
    """Zeroed accumulators of `size` slots: one per query in flight, at most `keep` kept idle."""

    def __init__(self, size: int, keep: int = 4) -> None:
        self.size = size
        self.keep = keep
        self._idle: list[Scores] = []
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def lend(self) -> Iterator[Accumulator]:
        with self._lock:
            values = self._idle.pop() if self._idle else None
        accumulator = Accumulator(np.zeros(self.size) if values is None else values)
        try:
            yield accumulator
        finally:
            accumulator.clear()
            with self._lock:
                if len(self._idle) < self.keep:
                    self._idle.append(accumulator.values)
