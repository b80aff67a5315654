"""Dense retrieval: normalised embeddings in a FAISS inner-product index (exact, or HNSW)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import numpy.typing as npt

from index.ranking import Rows, Scores, top_n

DENSE_FILE = "dense.faiss"
# flat: exact float32. fp16 / sq8: exact search over vectors stored in 16 / 8 bits (2x / 4x less
# memory, faster scans, scores within ~1e-3). hnsw: approximate graph search over float32.
KINDS = ("flat", "fp16", "sq8", "hnsw")
QUANTIZERS = {"fp16": faiss.ScalarQuantizer.QT_fp16, "sq8": faiss.ScalarQuantizer.QT_8bit}


@dataclass(frozen=True, slots=True)
class DenseSettings:
    """Which FAISS index to build. `flat` is exact; `hnsw` trades a little recall for speed."""

    kind: str = "flat"
    hnsw_m: int = 32
    hnsw_ef_construction: int = 100
    hnsw_ef_search: int = 256

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown dense index kind {self.kind!r} (one of {', '.join(KINDS)})")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class DenseIndex:
    """Top-k by inner product (cosine, as vectors are normalised)."""

    def __init__(self, faiss_index: Any, settings: DenseSettings) -> None:
        self.faiss_index = faiss_index
        self.settings = settings
        if settings.kind == "hnsw":
            faiss_index.hnsw.efSearch = settings.hnsw_ef_search

    @property
    def size(self) -> int:
        return int(self.faiss_index.ntotal)

    @property
    def dimension(self) -> int:
        return int(self.faiss_index.d)

    @classmethod
    def build(cls, vectors: npt.NDArray[np.float32], settings: DenseSettings) -> DenseIndex:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        dimension = vectors.shape[1]
        faiss_index: Any
        if settings.kind == "hnsw":
            faiss_index = faiss.IndexHNSWFlat(
                dimension, settings.hnsw_m, faiss.METRIC_INNER_PRODUCT
            )
            faiss_index.hnsw.efConstruction = settings.hnsw_ef_construction
        elif settings.kind in QUANTIZERS:
            faiss_index = faiss.IndexScalarQuantizer(
                dimension, QUANTIZERS[settings.kind], faiss.METRIC_INNER_PRODUCT
            )
            faiss_index.train(vectors)
        else:
            faiss_index = faiss.IndexFlatIP(dimension)
        faiss_index.add(vectors)
        return cls(faiss_index, settings)

    def top(
        self,
        query: npt.NDArray[np.float32],
        n: int,
        allowed: npt.NDArray[np.bool_] | None = None,
    ) -> tuple[Rows, Scores]:
        """The `n` nearest rows to `query`, best first; only `allowed` rows when given."""
        n = min(n, self.size)
        if n <= 0:
            return np.empty(0, np.int64), np.empty(0, np.float64)
        params = None
        if allowed is not None:
            if not allowed.any():
                return np.empty(0, np.int64), np.empty(0, np.float64)
            bitmap = np.packbits(allowed, bitorder="little")  # must outlive the search
            module: Any = faiss  # the stubs give IDSelectorBitmap C++'s (size, bitmap) signature
            params = self._search_parameters(module.IDSelectorBitmap(bitmap))
        matrix = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        # One query is faster on one OpenMP thread (17 vs 26 ms at 130K flat on 2 cores), and the
        # encoder's threads need the other core. The setting is per calling thread: set it here.
        faiss.omp_set_num_threads(1)
        scores, rows = self.faiss_index.search(matrix, n, params=params)
        del params
        found = rows[0] >= 0
        return top_n(rows[0][found].astype(np.int64), scores[0][found].astype(np.float64), n)

    def _search_parameters(self, selector: Any) -> Any:
        module: Any = faiss  # the bundled stubs lack SearchParametersHNSW and `sel`
        if self.settings.kind == "hnsw":
            return module.SearchParametersHNSW(sel=selector, efSearch=self.settings.hnsw_ef_search)
        return module.SearchParameters(sel=selector)

    def vector(self, row: int) -> npt.NDArray[np.float32]:
        """The stored embedding of `row`."""
        return np.asarray(self.faiss_index.reconstruct(int(row)), dtype=np.float32)

    def save(self, folder: Path) -> list[str]:
        faiss.write_index(self.faiss_index, str(folder / DENSE_FILE))
        return [DENSE_FILE]

    @classmethod
    def load(cls, folder: Path, settings: DenseSettings) -> DenseIndex:
        return cls(faiss.read_index(str(folder / DENSE_FILE)), settings)
