"""Searches on a Milvus collection: the same requests as the local backend, run by a Milvus
cluster (or milvus-lite). Hybrid queries fetch both legs and fuse them here with z-score fusion
(the default), or run one `hybrid_search` with `RRFRanker(rrf_k)` (`WeightedRanker` for convex
fusion) so that fusion happens in the cluster; filters become Milvus filter expressions."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Collection, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from papersift.index import __version__
from papersift.index.encoding.encoder import Encoder
from papersift.index.lexical.tokenizer import Tokenizer
from papersift.index.papers.paper import Paper
from papersift.search.backends.interface import BackendName, IndexStats
from papersift.search.backends.milvus.connection import MilvusError, MilvusTarget, milvus_errors
from papersift.search.backends.milvus.entities import FIELDS, paper_of
from papersift.search.backends.milvus.expressions import filter_expression, quoted
from papersift.search.errors import PaperNotFoundError, QueryError
from papersift.search.fusion import Ranking, z_score_fusion
from papersift.search.hits import Hit, Listing, SearchResult
from papersift.search.requests import (
    Filters,
    Fusion,
    Mode,
    SearchRequest,
    Sort,
    leg_depths,
    validate,
)
from papersift.search.snippets import make_snippet

EF_SEARCH = 256
Vector = npt.NDArray[np.float32]
Vectors = npt.NDArray[np.float32]


class MilvusReader:
    """Searches, similar papers and lookups on a Milvus collection."""

    def __init__(
        self,
        target: MilvusTarget,
        client: Any,
        model: str | None = None,
        runtime: str = "auto",
        encoder: Encoder | None = None,
    ) -> None:
        """`encoder` shares a loaded query encoder; by default one loads on first use."""
        self.target = target
        self.client = client
        with milvus_errors(f"cannot open {target.collection!r} at {target.uri}"):
            if not self.client.has_collection(target.collection):
                raise MilvusError(
                    f"no collection {target.collection!r} at {target.uri}; build one with "
                    f"`papersift build CORPUS --backend milvus --milvus-uri {target.uri}`"
                )
            self.client.load_collection(target.collection)
        self.model = model or self._model_name()
        self.runtime = runtime
        self._encoder = encoder
        self._encoder_lock = threading.Lock()
        self.tokenizer = Tokenizer()  # only for snippets: Milvus does the ranking

    def _model_name(self) -> str:
        description = self.client.describe_collection(self.target.collection).get("description")
        try:
            return str(json.loads(description)["model"])
        except (TypeError, ValueError, KeyError):
            return "all-MiniLM-L6-v2"  # milvus-lite keeps no description: the bundled model

    @property
    def encoder(self) -> Encoder:
        """The query encoder, loaded on first use."""
        with self._encoder_lock:
            if self._encoder is None:
                self._encoder = Encoder(self.model, runtime=self.runtime)
        return self._encoder

    @property
    def size(self) -> int:
        with milvus_errors("cannot count the Milvus collection"):
            stats = self.client.get_collection_stats(self.target.collection)
        return int(stats["row_count"])

    def search(self, request: SearchRequest) -> SearchResult:
        validate(request)
        if request.sort != Sort.relevance:
            raise QueryError("sort", "newest first needs dates, which a Milvus collection lacks")
        started = time.perf_counter()
        expression = filter_expression(request.filters)
        with milvus_errors("Milvus search failed"):
            ranked = self._ranked(request, expression)
            page = ranked[request.offset : request.offset + request.limit]
            entities = self._entities([doc_id for doc_id, _ in page])
        terms = tuple(dict.fromkeys(self.tokenizer.tokenize(request.query)))
        hits = tuple(self._hit(entities[doc_id], score, request.offset + i + 1, terms)
                     for i, (doc_id, score) in enumerate(page) if doc_id in entities)  # fmt: skip
        took_ms = (time.perf_counter() - started) * 1000
        return SearchResult(request, hits, len(ranked), took_ms, terms)

    def _ranked(self, request: SearchRequest, expression: str) -> list[tuple[str, float]]:
        """Every candidate's id and score, best first: as deep as the local backend's legs (the
        same for every page of a query, so its total never changes with the offset)."""
        lexical_depth, dense_depth = leg_depths(request)
        if request.mode == Mode.lexical:
            return self._ids(self._search("sparse", request.query, lexical_depth, expression,
                                          "BM25", ["id"]))  # fmt: skip
        vector = self.encoder.encode_query(request.query).tolist()
        if request.mode == Mode.dense:
            return self._ids(self._search("dense", vector, dense_depth, expression, "IP", ["id"]))
        return self._hybrid(request, vector, max(lexical_depth, dense_depth), expression)

    @staticmethod
    def _ids(found: list[tuple[dict[str, Any], float]]) -> list[tuple[str, float]]:
        return [(str(entity["id"]), score) for entity, score in found]

    def _entities(self, doc_ids: list[str]) -> dict[str, dict[str, Any]]:
        if not doc_ids:
            return {}
        rows = self.client.get(self.target.collection, ids=doc_ids, output_fields=FIELDS)
        return {str(row["id"]): row for row in rows}

    def similar(self, doc_id: str, limit: int = 10) -> tuple[Hit, ...]:
        with milvus_errors("Milvus search failed"):
            rows = self.client.get(self.target.collection, ids=[doc_id], output_fields=["dense"])
            if not rows:
                raise PaperNotFoundError(doc_id)
            expression = f"id != {quoted(doc_id)}"
            found = self._search("dense", list(rows[0]["dense"]), limit, expression, "IP")
        return tuple(self._hit(e, s, i + 1, ()) for i, (e, s) in enumerate(found))

    def nearest(
        self, vector: Vector, limit: int, filters: Filters, exclude: Collection[str] = ()
    ) -> tuple[Hit, ...]:
        """The papers nearest to `vector` (Milvus's HNSW), those in `exclude` left out."""
        parts = [filter_expression(filters)] + [f"id != {quoted(doc_id)}" for doc_id in exclude]
        expression = " and ".join(part for part in parts if part)
        with milvus_errors("Milvus search failed"):
            found = self._search("dense", vector.tolist(), limit, expression, "IP")
        return tuple(self._hit(e, s, i + 1, ()) for i, (e, s) in enumerate(found))

    def query_terms(self, query: str) -> dict[str, int]:
        """Milvus tokenizes queries itself."""
        return {}

    def vectors(self, doc_ids: Sequence[str]) -> Vectors:
        """The stored embeddings of these papers, in order."""
        with milvus_errors("Milvus lookup failed"):
            rows = self.client.get(self.target.collection, ids=list(doc_ids),
                                   output_fields=["dense"])  # fmt: skip
        by_id = {str(row["id"]): row["dense"] for row in rows}
        missing = [doc_id for doc_id in doc_ids if doc_id not in by_id]
        if missing:
            raise PaperNotFoundError(missing[0])
        return np.asarray([by_id[doc_id] for doc_id in doc_ids], np.float32)

    def newest(self, filters: Filters, limit: int, offset: int = 0) -> Listing:
        """Nothing: the collection keeps no dates to order by (docs/scaling.md)."""
        return Listing((), 0, None, None)

    def paper(self, doc_id: str) -> Paper | None:
        with milvus_errors("Milvus lookup failed"):
            rows = self.client.get(self.target.collection, ids=[doc_id], output_fields=FIELDS)
        return paper_of(rows[0]) if rows else None

    def categories(self) -> list[str]:
        return []  # Milvus has no cheap facet count; the page then offers no category list

    def stats(self) -> IndexStats:
        return IndexStats(
            backend=BackendName.milvus,
            documents=self.size,
            pending_changes=0,
            model=self.model,
            dimension=self.encoder.dimension,
            dense_index="hnsw",
            format_version=0,
            package_version=__version__,
            built_at="",
            index_folder=f"{self.target.uri} ({self.target.collection})",
            index_bytes={},
        )

    def _search(
        self,
        field: str,
        query: Any,
        limit: int,
        expression: str,
        metric: str,
        output_fields: Sequence[str] = FIELDS,
    ) -> list[tuple[dict[str, Any], float]]:
        params: dict[str, Any] = {"metric_type": metric}
        if metric == "IP":
            params["params"] = {"ef": max(EF_SEARCH, limit)}
        result = self.client.search(self.target.collection, data=[query], anns_field=field,
                                    limit=limit, filter=expression,
                                    output_fields=list(output_fields),
                                    search_params=params)  # fmt: skip
        return [(hit["entity"], float(hit["distance"])) for hit in result[0]]

    def _hybrid(
        self, request: SearchRequest, vector: list[float], depth: int, expression: str
    ) -> list[tuple[str, float]]:
        from pymilvus import AnnSearchRequest, RRFRanker, WeightedRanker

        if request.fusion == Fusion.zscore:
            return self._fused_here(request, vector, depth, expression)
        legs = [
            AnnSearchRequest(data=[request.query], anns_field="sparse", limit=depth,
                             param={"metric_type": "BM25"}, expr=expression or None),
            AnnSearchRequest(data=[vector], anns_field="dense", limit=depth,
                             param={"metric_type": "IP", "params": {"ef": depth}},
                             expr=expression or None),
        ]  # fmt: skip
        ranker = _ranker(request, RRFRanker, WeightedRanker)
        result = self.client.hybrid_search(self.target.collection, legs, ranker, limit=depth,
                                           output_fields=["id"])  # fmt: skip
        return [(str(hit["entity"]["id"]), float(hit["distance"])) for hit in result[0]]

    def _fused_here(
        self, request: SearchRequest, vector: list[float], depth: int, expression: str
    ) -> list[tuple[str, float]]:
        """Z-score fusion of both legs' candidates, done here: Milvus has no such ranker, and no
        corpus-wide score statistics, so each leg is standardised over its own candidates."""
        lexical = self._search("sparse", request.query, depth, expression, "BM25", ["id"])
        dense = self._search("dense", vector, depth, expression, "IP", ["id"])
        ids = list(dict.fromkeys(str(entity["id"]) for entity, _ in lexical + dense))
        row_of = {doc_id: row for row, doc_id in enumerate(ids)}

        def ranking(found: list[tuple[dict[str, Any], float]]) -> Ranking:
            rows = np.array([row_of[str(entity["id"])] for entity, _ in found], np.int64)
            scores = np.array([score for _, score in found], np.float64)
            if len(scores) > 1 and scores[0] < scores[-1]:  # a distance (milvus-lite's BM25 is
                scores = -scores  # negated), best first: make larger mean better
            return Ranking(rows, scores)

        fused = z_score_fusion((ranking(lexical), ranking(dense)), request.weights)
        return [(ids[int(row)], float(score)) for row, score in zip(fused.rows, fused.scores,
                                                                      strict=True)]  # fmt: skip

    def _hit(self, entity: dict[str, Any], score: float, rank: int, terms: tuple[str, ...]) -> Hit:
        paper = paper_of(entity)
        snippet = make_snippet(paper.abstract, set(terms), self.tokenizer)
        return Hit(paper=paper, row=-1, rank=rank, score=score, lexical=None, dense=None,
                   matched_terms=(), snippet=snippet)  # fmt: skip


def _ranker(request: SearchRequest, rrf: Any, weighted: Any) -> Any:
    if request.fusion == Fusion.convex:
        return weighted(*request.weights)
    if request.weights != (1.0, 1.0):
        raise QueryError("lexical_weight", "weighted RRF is not available on the milvus "
                         "backend; use fusion=convex for weights")  # fmt: skip
    return rrf(int(request.rrf_k))
