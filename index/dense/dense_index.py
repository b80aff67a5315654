"""Dense retrieval: normalised embeddings in a FAISS inner-product index (exact, or HNSW)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import numpy.typing as npt

from papersift.index.dense.moments import VectorMoments
from papersift.index.ranking import Ranking, Rows, Scores, top_n

Vectors = npt.NDArray[np.float32]

DENSE_FILE = "dense.faiss"


class DenseKind(StrEnum):
    """Which FAISS index holds the vectors. flat: exact float32. fp16 / sq8: exact search over
    vectors stored in 16 / 8 bits (2x / 4x less memory, faster scans, scores within ~1e-3).
    hnsw: approximate graph search over float32. auto: flat or hnsw by corpus size."""

    auto = "auto"
    flat = "flat"
    fp16 = "fp16"
    sq8 = "sq8"
    hnsw = "hnsw"


# auto: exact (flat) below this many documents, HNSW from it on. An exact scan of 50,000 vectors
# takes about 7 ms here (more than an HNSW search for 100 at 130,000); building the graph costs
# well under a minute per 100,000 documents, against hours of encoding them.
HNSW_FROM_DOCUMENTS = 50_000
QUANTIZERS = {"fp16": faiss.ScalarQuantizer.QT_fp16, "sq8": faiss.ScalarQuantizer.QT_8bit}


@dataclass(frozen=True, slots=True)
class DenseSettings:
    """Which FAISS index to build. `flat` is exact; `hnsw` trades a little recall for speed;
    `auto` picks one by corpus size when the index is built (the manifest records which)."""

    kind: str = DenseKind.auto
    hnsw_m: int = 32
    hnsw_ef_construction: int = 100
    hnsw_ef_search: int = 256

    def __post_init__(self) -> None:
        if self.kind not in set(DenseKind):
            names = ", ".join(DenseKind)
            raise ValueError(f"unknown dense index kind {self.kind!r} (one of {names})")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def resolved(self, documents: int) -> DenseSettings:
        """These settings with `auto` replaced by the kind used for `documents` documents."""
        if self.kind != DenseKind.auto:
            return self
        kind = DenseKind.hnsw if documents >= HNSW_FROM_DOCUMENTS else DenseKind.flat
        return replace(self, kind=kind)


class DenseIndex:
    """Top-k by inner product (cosine, as vectors are normalised).

    The built vectors live in FAISS. Vectors added later are kept beside it in a small matrix
    and scanned exactly; deleted rows leave `live`. `compacted()` folds both into one FAISS index.
    `moments` describe the live vectors, so each search also reports how the query's scores
    spread over the whole corpus.
    """

    def __init__(
        self,
        faiss_index: Any,
        settings: DenseSettings,
        added: Vectors | None = None,
        live: npt.NDArray[np.bool_] | None = None,
        moments: VectorMoments | None = None,
    ) -> None:
        self.faiss_index = faiss_index
        self.settings = settings
        self.added = added if added is not None else np.empty((0, faiss_index.d), np.float32)
        self.live = live
        if moments is None:
            moments = VectorMoments.read_back(
                faiss_index.ntotal, faiss_index.d, faiss_index.reconstruct_n
            )
        self.moments = moments
        if settings.kind == DenseKind.hnsw:
            faiss_index.hnsw.efSearch = settings.hnsw_ef_search

    @property
    def size(self) -> int:
        """Rows, deleted ones included."""
        return int(self.faiss_index.ntotal) + len(self.added)

    @property
    def dimension(self) -> int:
        return int(self.faiss_index.d)

    @classmethod
    def build(cls, vectors: Vectors, settings: DenseSettings) -> DenseIndex:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        settings = settings.resolved(len(vectors))
        dimension = vectors.shape[1]
        faiss_index: Any
        if settings.kind == DenseKind.hnsw:
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
        return cls(faiss_index, settings, moments=VectorMoments.of(vectors))

    def with_added(self, vectors: Vectors) -> DenseIndex:
        """A new index with `vectors` appended as rows `size`, `size + 1`, ..."""
        added = np.concatenate([self.added, np.asarray(vectors, np.float32)])
        live = (
            None if self.live is None else np.concatenate([self.live, np.ones(len(vectors), bool)])
        )
        moments = self.moments.plus(vectors)
        return DenseIndex(self.faiss_index, self.settings, added, live, moments)

    def with_removed(self, rows: Sequence[int]) -> DenseIndex:
        live = np.ones(self.size, bool) if self.live is None else self.live.copy()
        live[np.asarray(rows, np.int64)] = False
        moments = self.moments.minus(self.vectors(np.asarray(rows, np.int64)))
        return DenseIndex(self.faiss_index, self.settings, self.added, live, moments)

    def compacted(self) -> DenseIndex:
        """One FAISS index over the live rows (vectors read back, never re-encoded)."""
        vectors = np.concatenate(
            [self.faiss_index.reconstruct_n(0, self.faiss_index.ntotal), self.added]
        )
        if self.live is not None:
            vectors = vectors[self.live]
        return DenseIndex.build(vectors, self.settings)

    def top(
        self,
        query: Vectors,
        n: int,
        allowed: npt.NDArray[np.bool_] | None = None,
    ) -> Ranking:
        """The `n` nearest live rows to `query`, best first; only `allowed` rows when given.
        With the mean and spread of the query's scores over every live row."""
        if self.live is not None:
            allowed = self.live if allowed is None else allowed & self.live
        query = np.ascontiguousarray(query.reshape(-1), dtype=np.float32)
        rows, scores = self._top_built(query, n, allowed)
        if len(self.added):
            added_rows, added_scores = self._top_added(query, n, allowed)
            rows, scores = top_n(
                np.concatenate([rows, added_rows]), np.concatenate([scores, added_scores]), n
            )

        def score_rows(rows: Rows) -> Scores:
            return (self.vectors(rows) @ query).astype(np.float64)

        return Ranking(rows, scores, *self.moments.spread(query), score_rows)

    def _top_built(
        self, query: Vectors, n: int, allowed: npt.NDArray[np.bool_] | None
    ) -> tuple[Rows, Scores]:
        """Top-n from FAISS; allowed rows go in as a bitmap, so the cut comes after filtering."""
        built = int(self.faiss_index.ntotal)
        n = min(n, built)
        if allowed is not None:
            allowed = allowed[:built]
        if n <= 0 or (allowed is not None and not allowed.any()):
            return np.empty(0, np.int64), np.empty(0, np.float64)
        params = None
        if allowed is not None:
            bitmap = np.packbits(allowed, bitorder="little")  # must outlive the search
            module: Any = faiss  # the stubs give IDSelectorBitmap C++'s (size, bitmap) signature
            params = self._search_parameters(module.IDSelectorBitmap(bitmap))
        # One query is faster on one OpenMP thread (17 vs 26 ms at 130K flat on 2 cores), and the
        # encoder's threads need the other core. The setting is per calling thread: set it here.
        faiss.omp_set_num_threads(1)
        scores, rows = self.faiss_index.search(query.reshape(1, -1), n, params=params)
        del params
        found = rows[0] >= 0
        return top_n(rows[0][found].astype(np.int64), scores[0][found].astype(np.float64), n)

    def _top_added(
        self, query: Vectors, n: int, allowed: npt.NDArray[np.bool_] | None
    ) -> tuple[Rows, Scores]:
        """Exact top-n over the added vectors."""
        built = int(self.faiss_index.ntotal)
        rows = np.arange(built, self.size, dtype=np.int64)
        scores = (self.added @ query).astype(np.float64)
        if allowed is not None:
            keep = allowed[built:]
            rows, scores = rows[keep], scores[keep]
        return top_n(rows, scores, n)

    def _search_parameters(self, selector: Any) -> Any:
        module: Any = faiss  # the bundled stubs lack SearchParametersHNSW and `sel`
        if self.settings.kind == DenseKind.hnsw:
            return module.SearchParametersHNSW(sel=selector, efSearch=self.settings.hnsw_ef_search)
        return module.SearchParameters(sel=selector)

    def vectors(self, rows: Rows) -> Vectors:
        """The stored embeddings of `rows` (decoded, for the quantised kinds)."""
        built = int(self.faiss_index.ntotal)
        rows = np.asarray(rows, np.int64)
        found = np.empty((len(rows), self.dimension), np.float32)
        in_faiss = rows < built
        if in_faiss.any():
            found[in_faiss] = self.faiss_index.reconstruct_batch(rows[in_faiss])
        found[~in_faiss] = self.added[rows[~in_faiss] - built]
        return found

    def vector(self, row: int) -> Vectors:
        """The stored embedding of `row`."""
        vector: Vectors = self.vectors(np.array([row], np.int64))[0]
        return vector

    def save(self, folder: Path) -> list[str]:
        """Write the FAISS file into `folder` (compacting first if rows were added or deleted)."""
        index = self if len(self.added) == 0 and self.live is None else self.compacted()
        faiss.write_index(index.faiss_index, str(folder / DENSE_FILE))
        return [DENSE_FILE, index.moments.save(folder)]

    @classmethod
    def load(cls, folder: Path, settings: DenseSettings) -> DenseIndex:
        """Load; moments are read back from the vectors in an index that has none saved."""
        faiss_index = faiss.read_index(str(folder / DENSE_FILE))
        return cls(faiss_index, settings, moments=VectorMoments.load(folder))
