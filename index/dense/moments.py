"""First and second moments of a set of embeddings: how a query's scores spread over all of them.

For any query q, the inner products q.v over the set have mean q.m and variance q'Cq, where m is
the mean vector and C the covariance. Both come from the count, the sum and the sum of outer
products, which are kept up to date as vectors are added and removed, so a query learns how its
scores spread over the whole corpus without scanning it (384 x 384 multiply-adds).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

MOMENTS_FILE = "dense.moments.npz"
CHUNK = 32768  # vectors per step when reading them back from FAISS

Matrix = npt.NDArray[np.float64]


@dataclass(frozen=True)
class VectorMoments:
    """Count, sum and sum of outer products of a set of vectors (float64)."""

    count: int
    total: Matrix  # (dimension,)
    outer: Matrix  # (dimension, dimension)

    @classmethod
    def of(cls, vectors: npt.NDArray[np.float32]) -> VectorMoments:
        as_float = np.asarray(vectors, np.float64)
        return cls(len(as_float), as_float.sum(axis=0), as_float.T @ as_float)

    @classmethod
    def read_back(
        cls, count: int, dimension: int, vectors: Callable[[int, int], npt.NDArray[np.float32]]
    ) -> VectorMoments:
        """Moments of `count` stored vectors, reading `vectors(start, n)` a chunk at a time."""
        moments = cls(0, np.zeros(dimension), np.zeros((dimension, dimension)))
        for start in range(0, count, CHUNK):
            moments = moments.plus(vectors(start, min(CHUNK, count - start)))
        return moments

    def plus(self, vectors: npt.NDArray[np.float32]) -> VectorMoments:
        other = VectorMoments.of(vectors)
        return VectorMoments(
            self.count + other.count, self.total + other.total, self.outer + other.outer
        )

    def minus(self, vectors: npt.NDArray[np.float32]) -> VectorMoments:
        other = VectorMoments.of(vectors)
        return VectorMoments(
            self.count - other.count, self.total - other.total, self.outer - other.outer
        )

    def spread(self, query: npt.NDArray[np.float32]) -> tuple[float, float]:
        """Mean and standard deviation of query.v over the set."""
        if self.count == 0:
            return 0.0, 0.0
        q = np.asarray(query, np.float64).reshape(-1)
        mean = float(q @ self.total) / self.count
        variance = float(q @ self.outer @ q) / self.count - mean * mean
        return mean, max(variance, 0.0) ** 0.5

    def save(self, folder: Path) -> str:
        np.savez(folder / MOMENTS_FILE, count=self.count, total=self.total, outer=self.outer)
        return MOMENTS_FILE

    @classmethod
    def load(cls, folder: Path) -> VectorMoments | None:
        """The saved moments, or None in an index written before they were kept."""
        path = folder / MOMENTS_FILE
        if not path.is_file():
            return None
        with np.load(path, allow_pickle=False) as arrays:
            return cls(int(arrays["count"]), arrays["total"], arrays["outer"])
