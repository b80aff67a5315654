"""The milvus backend: the same searches, run by a Milvus cluster (or milvus-lite) via pymilvus.

One collection holds each paper's fields, its MiniLM embedding (HNSW, inner product) and a sparse
BM25 vector that Milvus fills itself from an analysed text field (a BM25 `Function`). Hybrid
queries fetch both legs and fuse them here with z-score fusion (the default), or run one
`hybrid_search` with `RRFRanker(rrf_k)` (`WeightedRanker` for convex fusion) so that fusion
happens in the cluster; filters become Milvus filter expressions. A build fills a new
collection and then points the alias (the name users give) at it, so a build that stops midway
leaves the previous collection serving.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from papersift.index import __version__
from papersift.index.encoding.encoder import Encoder
from papersift.index.lexical.tokenizer import Tokenizer
from papersift.index.papers.paper import Paper
from papersift.index.storage.live import ChangeReport
from papersift.search.errors import BackendUnavailableError, PaperNotFoundError, QueryError
from papersift.search.fusion import Ranking, z_score_fusion
from papersift.search.hits import Filters, Hit, SearchRequest, SearchResult
from papersift.search.searcher import leg_depths, validate
from papersift.search.snippets import make_snippet

logger = logging.getLogger(__name__)

FIELDS = ["id", "title", "abstract", "authors", "categories", "year", "url"]
ANALYZER = {"tokenizer": "standard", "filter": ["lowercase", {"type": "stop", "stop_words":
            ["_english_"]}, {"type": "stemmer", "language": "english"}]}  # fmt: skip
INSERT_BATCH = 500
HNSW = {"M": 32, "efConstruction": 100}
EF_SEARCH = 256


class MilvusError(BackendUnavailableError):
    """The Milvus server refused or failed a request."""


@dataclass(frozen=True)
class MilvusTarget:
    """Where the collection lives: a server URI (or a milvus-lite file), token, alias name."""

    uri: str
    token: str | None = None
    collection: str = "papersift"

    def connect(self) -> Any:
        from pymilvus import MilvusClient

        # milvus-lite's in-process server logs a traceback for each RPC it does not implement
        # (pymilvus probes some); they are harmless, and real errors reach us as exceptions.
        logging.getLogger("grpc._server").setLevel(logging.CRITICAL)
        with milvus_errors(f"cannot connect to Milvus at {self.uri}"):
            return MilvusClient(uri=self.uri, token=self.token or "")


@contextlib.contextmanager
def milvus_errors(doing: str) -> Iterator[None]:
    """Turn pymilvus's exceptions into one readable `MilvusError`."""
    try:
        yield
    except MilvusError:
        raise
    except Exception as error:  # pymilvus raises MilvusException, grpc errors, ValueError...
        message = getattr(error, "message", None) or str(error) or type(error).__name__
        raise MilvusError(f"{doing}: {message}") from error


def build_collection(
    target: MilvusTarget,
    papers: Sequence[Paper],
    vectors: npt.NDArray[np.float32],
    model: str,
) -> str:
    """Fill a new collection with `papers` and their embeddings; point the alias at it."""
    client = target.connect()
    with milvus_errors(f"cannot build the Milvus collection {target.collection!r}"):
        return _fill_collection(client, target, papers, vectors, model)


def _fill_collection(
    client: Any,
    target: MilvusTarget,
    papers: Sequence[Paper],
    vectors: npt.NDArray[np.float32],
    model: str,
) -> str:
    name = f"{target.collection}_{time.strftime('%Y%m%dT%H%M%S')}_{uuid.uuid4().hex[:6]}"
    dimension = int(vectors.shape[1])
    client.create_collection(name, schema=_schema(client, dimension, model),
                             index_params=_index_params(client))  # fmt: skip
    try:
        for start in range(0, len(papers), INSERT_BATCH):
            rows = papers[start : start + INSERT_BATCH]
            client.insert(name, [_row(p, v) for p, v in zip(rows, vectors[start:], strict=False)])
        _point_alias(client, target.collection, name)
    except BaseException:
        client.drop_collection(name)
        raise
    return name


def _schema(client: Any, dimension: int, model: str) -> Any:
    from pymilvus import DataType, Function, FunctionType

    schema = client.create_schema(auto_id=False, description=json.dumps({"model": model}))
    schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=1024)
    schema.add_field("title", DataType.VARCHAR, max_length=8192)
    schema.add_field("abstract", DataType.VARCHAR, max_length=65535)
    schema.add_field("text", DataType.VARCHAR, max_length=65535, enable_analyzer=True,
                     analyzer_params=ANALYZER)  # fmt: skip
    schema.add_field("authors", DataType.ARRAY, element_type=DataType.VARCHAR,
                     max_capacity=4096, max_length=512)  # fmt: skip
    schema.add_field("authors_folded", DataType.VARCHAR, max_length=65535)
    schema.add_field("categories", DataType.ARRAY, element_type=DataType.VARCHAR,
                     max_capacity=256, max_length=128)  # fmt: skip
    schema.add_field("year", DataType.INT64)
    schema.add_field("url", DataType.VARCHAR, max_length=2048)
    schema.add_field("dense", DataType.FLOAT_VECTOR, dim=dimension)
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    bm25 = Function(name="bm25", function_type=FunctionType.BM25,
                    input_field_names=["text"], output_field_names=["sparse"])  # fmt: skip
    schema.add_function(bm25)
    return schema


def _index_params(client: Any) -> Any:
    params = client.prepare_index_params()
    params.add_index("dense", index_type="HNSW", metric_type="IP", params=HNSW)
    params.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
    return params


def _row(paper: Paper, vector: npt.NDArray[np.float32]) -> dict[str, Any]:
    return {
        "id": paper.doc_id, "title": paper.title, "abstract": paper.abstract, "text": paper.text,
        "authors": list(paper.authors), "authors_folded": "\n".join(paper.authors).casefold(),
        "categories": list(paper.categories), "year": paper.year or 0, "url": paper.url or "",
        "dense": vector.astype(np.float32).tolist(),
    }  # fmt: skip


def _point_alias(client: Any, alias: str, collection: str) -> None:
    """Make `alias` name `collection` (in one step) and drop what it named before."""
    previous = None
    if alias in client.list_aliases().get("aliases", []):
        previous = client.describe_alias(alias)["collection_name"]
        client.alter_alias(collection, alias)
    else:
        if client.has_collection(alias):
            raise MilvusError(f"a collection named {alias!r} exists; give another name")
        client.create_alias(collection, alias)
    if previous and previous != collection:
        client.drop_collection(previous)


class MilvusSearcher:
    """Searches, similar papers, lookups and writes on a Milvus collection."""

    def __init__(self, target: MilvusTarget, encoder: Encoder | None = None) -> None:
        self.target = target
        self.client = target.connect()
        with milvus_errors(f"cannot open {target.collection!r} at {target.uri}"):
            if not self.client.has_collection(target.collection):
                raise MilvusError(
                    f"no collection {target.collection!r} at {target.uri}; build one with "
                    f"`papersift build CORPUS --backend milvus --milvus-uri {target.uri}`"
                )
            self.client.load_collection(target.collection)
        self.model = self._model_name()
        self.encoder = encoder or Encoder(self.model)
        self.tokenizer = Tokenizer()  # only for snippets: Milvus does the ranking

    def _model_name(self) -> str:
        description = self.client.describe_collection(self.target.collection).get("description")
        try:
            return str(json.loads(description)["model"])
        except (TypeError, ValueError, KeyError):
            return "all-MiniLM-L6-v2"  # milvus-lite keeps no description: the bundled model

    @property
    def size(self) -> int:
        with milvus_errors("cannot count the Milvus collection"):
            stats = self.client.get_collection_stats(self.target.collection)
        return int(stats["row_count"])

    def search(self, request: SearchRequest) -> SearchResult:
        validate(request)
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
        if request.mode == "lexical":
            return self._ids(self._search("sparse", request.query, lexical_depth, expression,
                                          "BM25", ["id"]))  # fmt: skip
        vector = self.encoder.encode_query(request.query).tolist()
        if request.mode == "dense":
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
            expression = f"id != {_quoted(doc_id)}"
            found = self._search("dense", list(rows[0]["dense"]), limit, expression, "IP")
        return tuple(self._hit(e, s, i + 1, ()) for i, (e, s) in enumerate(found))

    def paper(self, doc_id: str) -> Paper | None:
        with milvus_errors("Milvus lookup failed"):
            rows = self.client.get(self.target.collection, ids=[doc_id], output_fields=FIELDS)
        return _paper(rows[0]) if rows else None

    def categories(self) -> list[str]:
        return []  # Milvus has no cheap facet count; the page then offers no category list

    def stats(self) -> dict[str, Any]:
        return {
            "backend": "milvus",
            "documents": self.size,
            "pending_changes": 0,
            "model": self.model,
            "dimension": self.encoder.dimension,
            "dense_index": "hnsw",
            "format_version": 0,
            "package_version": __version__,
            "built_at": "",
            "index_folder": f"{self.target.uri} ({self.target.collection})",
            "index_bytes": {},
            "log_damage": [],
        }

    def upsert(self, papers: Sequence[Paper], encoder: Encoder) -> ChangeReport:
        """Insert or replace `papers` (Milvus upsert). `sequence` is 0: Milvus keeps its own log."""
        vectors = encoder.encode_documents([paper.text for paper in papers])
        rows = [_row(paper, vector) for paper, vector in zip(papers, vectors, strict=True)]
        ids = list(dict.fromkeys(paper.doc_id for paper in papers))
        replaced = self._existing(ids)
        with milvus_errors("Milvus upsert failed"):
            self.client.upsert(self.target.collection, rows)
        return ChangeReport(0, tuple(ids), tuple(replaced), documents=self.size)

    def delete(self, doc_ids: Sequence[str]) -> ChangeReport:
        """Delete the papers among `doc_ids`; the others are reported missing."""
        found = self._existing(doc_ids)
        if found:
            with milvus_errors("Milvus delete failed"):
                self.client.delete(self.target.collection, ids=found)
        missing = tuple(doc_id for doc_id in dict.fromkeys(doc_ids) if doc_id not in found)
        return ChangeReport(0, deleted=tuple(found), missing=missing, documents=self.size)

    def _existing(self, doc_ids: Sequence[str]) -> list[str]:
        with milvus_errors("Milvus lookup failed"):
            rows = self.client.get(self.target.collection, ids=list(doc_ids), output_fields=["id"])
        present = {str(row["id"]) for row in rows}
        return [doc_id for doc_id in dict.fromkeys(doc_ids) if doc_id in present]

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

        if request.fusion == "zscore":
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
        paper = _paper(entity)
        snippet = make_snippet(paper.abstract, set(terms), self.tokenizer)
        return Hit(paper=paper, row=-1, rank=rank, score=score, lexical=None, dense=None,
                   matched_terms=(), snippet=snippet)  # fmt: skip


def _ranker(request: SearchRequest, rrf: Any, weighted: Any) -> Any:
    if request.fusion == "convex":
        return weighted(*request.weights)
    if request.weights != (1.0, 1.0):
        raise QueryError("lexical_weight", "weighted RRF is not available on the milvus "
                         "backend; use fusion=convex for weights")  # fmt: skip
    return rrf(int(request.rrf_k))


def filter_expression(filters: Filters) -> str:
    """The Milvus filter expression for `filters` ("" when none is set)."""
    parts = []
    if filters.year_from is not None:
        parts.append(f"year >= {int(filters.year_from)}")
    if filters.year_to is not None:
        parts.append(f"year <= {int(filters.year_to)}")
    if filters.year_from is not None or filters.year_to is not None:
        parts.append("year > 0")
    if filters.categories:
        names = ", ".join(_quoted(category) for category in filters.categories)
        parts.append(f"ARRAY_CONTAINS_ANY(categories, [{names}])")
    if filters.author:
        needle = filters.author.casefold().strip().replace("%", "\\%").replace("_", "\\_")
        parts.append(f"authors_folded like {_quoted('%' + needle + '%')}")
    return " and ".join(parts)


def _quoted(text: str) -> str:
    return json.dumps(text)  # a double-quoted string with backslashes and quotes escaped


def _paper(entity: dict[str, Any]) -> Paper:
    return Paper(
        doc_id=str(entity["id"]), title=entity["title"], abstract=entity["abstract"],
        authors=tuple(entity["authors"]), categories=tuple(entity["categories"]),
        year=int(entity["year"]) or None, url=entity["url"] or None,
    )  # fmt: skip
