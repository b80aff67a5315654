"""Answer a query on a loaded index: the recipe of a search, top-down."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Collection, Sequence
from concurrent.futures import Future

import numpy as np
import numpy.typing as npt

from papersift.index.encoding.encoder import Encoder
from papersift.index.papers.paper import Paper
from papersift.index.ranking import top_n
from papersift.index.storage.live import LiveIndex
from papersift.index.storage.snapshot import Snapshot
from papersift.search.backends.interface import BackendName, IndexStats
from papersift.search.cue import is_weak, standout, threshold_in_force
from papersift.search.errors import PaperNotFoundError
from papersift.search.filters import allowed_rows
from papersift.search.fusion import (
    Ranking,
    convex_combination,
    reciprocal_rank_fusion,
    z_score_fusion,
)
from papersift.search.hits import Hit, LegScore, Listing, SearchResult
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

logger = logging.getLogger(__name__)

Vector = npt.NDArray[np.float32]
Vectors = npt.NDArray[np.float32]
Scores = npt.NDArray[np.float64]
COSINE_BLOCK = 65_536  # stored embeddings read back at a time by `nearest`


class Searcher:
    """Hybrid, lexical or dense search over one `Snapshot`.

    The encoder loads on the first query that needs it (lexical search never loads a model);
    give one to share it or to load it eagerly. It must be the model the index was built with.
    Given a `LiveIndex`, each query reads its current index once, so a change that lands
    meanwhile is seen entirely or not at all. `cue_threshold` fixes the match cue's threshold
    (None: the index's own, `search/cue.py`).
    """

    def __init__(
        self,
        index: Snapshot | LiveIndex,
        encoder: Encoder | None = None,
        model: str | None = None,
        runtime: str = "auto",
        cue_threshold: float | None = None,
    ) -> None:
        self.source = index
        self.cue_threshold = cue_threshold
        index = self.index
        self.model = model or index.manifest.model.name
        self.runtime = runtime
        self._encoder = encoder
        self._encoder_lock = threading.Lock()
        if encoder is not None:
            index.check_encoder(encoder)
        if model is not None:
            index.check_model_name(model)

    @property
    def index(self) -> Snapshot:
        """The index as of now."""
        source = self.source
        return source.index if isinstance(source, LiveIndex) else source

    @property
    def encoder(self) -> Encoder:
        with self._encoder_lock:
            if self._encoder is None:
                encoder = Encoder(self.model, runtime=self.runtime)
                self.index.check_encoder(encoder)
                self._encoder = encoder
        return self._encoder

    def search(self, request: SearchRequest) -> SearchResult:
        validate(request)
        if request.mode != Mode.lexical:
            _ = self.encoder  # load the model before the clock starts
        started = time.perf_counter()
        index = self.index  # one consistent view for the whole query
        query_terms = index.tokenizer.tokenize(request.query)
        allowed = allowed_rows(index.papers, request.filters)
        lexical_depth, dense_depth = leg_depths(request)
        query_vector = self._start_encoding(request)  # runs while the lexical leg is scored
        lexical = _lexical_leg(index, query_terms, lexical_depth, allowed, request)
        dense = _dense_leg(index, query_vector, dense_depth, allowed)
        fused = self._fuse(lexical, dense, request)
        if request.sort == Sort.newest:
            fused = _newest_first(index, fused)
        page = slice(request.offset, request.offset + request.limit)
        terms = tuple(dict.fromkeys(query_terms))
        hits = _hits(
            index, fused.rows[page], fused.scores[page], request.offset, lexical, dense, terms
        )
        facets = tuple(index.papers.category_counts(fused.rows)) if request.facets else ()
        took_ms = (time.perf_counter() - started) * 1000
        best = standout(dense)
        threshold = threshold_in_force(index.manifest.cue, self.cue_threshold)
        return SearchResult(request, hits, len(fused), took_ms, terms, _spread(lexical, dense),
                            best, is_weak(best, threshold), facets, threshold)  # fmt: skip

    def newest(self, filters: Filters, limit: int, offset: int = 0) -> Listing:
        """The papers passing `filters`, newest first (by first-version date)."""
        index = self.index
        papers = index.papers
        order = papers.newest_order
        allowed = allowed_rows(papers, filters)
        if allowed is not None:
            order = order[allowed[order]]
        first, last = papers.date_range
        page = order[offset : offset + limit]
        return Listing(tuple(papers.get(row) for row in page.tolist()), len(order), first, last)

    def query_terms(self, query: str) -> dict[str, int]:
        """The query's terms as the lexical leg sees them, with their repeats."""
        return dict(Counter(self.index.tokenizer.tokenize(query)))

    def vectors(self, doc_ids: Sequence[str]) -> Vectors:
        """The stored embeddings of these papers, in order."""
        index = self.index
        rows = [index.papers.row_of(doc_id) for doc_id in doc_ids]
        missing = [doc_id for doc_id, row in zip(doc_ids, rows, strict=True) if row is None]
        if missing:
            raise PaperNotFoundError(missing[0])
        return index.dense.vectors(np.asarray(rows, np.int64))

    def nearest(
        self, vector: Vector, limit: int, filters: Filters, exclude: Collection[str] = ()
    ) -> tuple[Hit, ...]:
        """The papers nearest to `vector` by cosine, exactly (not by the approximate graph):
        what a paper list ranks the corpus by."""
        index = self.index
        allowed = allowed_rows(index.papers, filters)
        mask = index.papers.live if allowed is None else allowed
        rows = np.arange(index.size if mask is None else len(mask))
        if mask is not None:
            rows = np.flatnonzero(mask)
        excluded = {row for doc_id in exclude if (row := index.papers.row_of(doc_id)) is not None}
        rows = np.asarray([row for row in rows.tolist() if row not in excluded], np.int64)
        scores = _cosines(index, rows, vector)
        best, best_scores = top_n(rows, scores, limit)
        return _hits(index, best, best_scores, 0, None, Ranking(best, best_scores))

    def similar(self, doc_id: str, limit: int = 10) -> tuple[Hit, ...]:
        """Papers nearest to `doc_id` by embedding, the paper itself left out."""
        index = self.index
        row = index.papers.row_of(doc_id)
        if row is None:
            raise PaperNotFoundError(doc_id)
        nearest = index.dense.top(index.dense.vector(row), limit + 1)
        keep = nearest.rows != row
        rows, scores = nearest.rows[keep][:limit], nearest.scores[keep][:limit]
        return _hits(index, rows, scores, 0, None, Ranking(rows, scores))

    def paper(self, doc_id: str) -> Paper | None:
        papers = self.index.papers  # one view: a concurrent change lands before or after
        row = papers.row_of(doc_id)
        return None if row is None else papers.get(row)

    def categories(self) -> list[str]:
        return self.index.papers.categories_by_frequency

    def stats(self) -> IndexStats:
        index = self.index
        manifest = index.manifest
        return IndexStats(
            backend=BackendName.local,
            documents=index.size,
            pending_changes=index.pending_changes,
            model=manifest.model.name,
            dimension=manifest.model.dimension,
            dense_index=manifest.dense.kind,
            format_version=manifest.format_version,
            package_version=manifest.package_version,
            built_at=manifest.created_at,
            index_folder=str(index.folder),
            index_bytes=manifest.bytes_by_part(),
            log_damage=tuple(self.source.log_damage) if isinstance(self.source, LiveIndex) else (),
            cue_threshold=threshold_in_force(manifest.cue, self.cue_threshold),
        )

    def _start_encoding(self, request: SearchRequest) -> Future[Vector] | None:
        """The query's embedding, encoded by the encoder's own thread (with any other queries in
        flight) while this one scores the lexical leg."""
        if request.mode == Mode.lexical:
            return None
        return self.encoder.submit_query(request.query)

    @staticmethod
    def _fuse(lexical: Ranking | None, dense: Ranking | None, request: SearchRequest) -> Ranking:
        if lexical is None:
            return dense if dense is not None else Ranking.empty()
        if dense is None:
            return lexical
        weights = request.weights
        if request.fusion == Fusion.convex:
            return convex_combination((lexical, dense), weights)
        if request.fusion == Fusion.zscore:
            return z_score_fusion((lexical, dense), weights)
        return reciprocal_rank_fusion((lexical, dense), weights, request.rrf_k)


def _lexical_leg(
    index: Snapshot,
    terms: list[str],
    depth: int,
    allowed: npt.NDArray[np.bool_] | None,
    request: SearchRequest,
) -> Ranking | None:
    if request.mode == Mode.dense:
        return None
    if request.z_score_hybrid:  # fusion needs the spread of the scores over the corpus
        return index.lexical.top(terms, depth, allowed)
    return index.lexical.best(terms, depth, allowed)  # the same top, scoring far fewer rows


def _dense_leg(
    index: Snapshot,
    query_vector: Future[Vector] | None,
    depth: int,
    allowed: npt.NDArray[np.bool_] | None,
) -> Ranking | None:
    if query_vector is None:
        return None
    return index.dense.top(query_vector.result(), depth, allowed)


def _hits(
    index: Snapshot,
    rows: npt.NDArray[np.int64],
    scores: npt.NDArray[np.float64],
    offset: int,
    lexical: Ranking | None,
    dense: Ranking | None,
    terms: tuple[str, ...] = (),
) -> tuple[Hit, ...]:
    hits = []
    matched = index.lexical.terms_in_rows(terms, rows.tolist()) if terms else [[]] * len(rows)
    lexical_places, dense_places = _places(lexical, rows), _places(dense, rows)
    for position, (row, score) in enumerate(zip(rows.tolist(), scores.tolist(), strict=True)):
        paper = index.papers.get(row)
        hits.append(
            Hit(
                paper=paper,
                row=row,
                rank=offset + position + 1,
                score=score,
                lexical=lexical_places[position],
                dense=dense_places[position],
                matched_terms=tuple(matched[position]),
                snippet=make_snippet(paper.abstract, matched[position], index.tokenizer),
            )
        )
    return tuple(hits)


def _newest_first(index: Snapshot, fused: Ranking) -> Ranking:
    """The fused candidates by date, newest first (ties keep their relevance order)."""
    order = np.argsort(-index.papers.dates[fused.rows], kind="stable")
    return Ranking(fused.rows[order], fused.scores[order])


def _spread(
    lexical: Ranking | None, dense: Ranking | None
) -> tuple[float, float, float, float] | None:
    legs = (lexical, dense)
    if any(leg is None or leg.mean is None or leg.std is None for leg in legs):
        return None
    assert lexical is not None and dense is not None
    return (lexical.mean or 0.0, lexical.std or 0.0, dense.mean or 0.0, dense.std or 0.0)


def _cosines(index: Snapshot, rows: npt.NDArray[np.int64], vector: Vector) -> Scores:
    """Cosines of `vector` with the stored embeddings of `rows`, a block at a time."""
    scores = np.empty(len(rows), np.float64)
    for start in range(0, len(rows), COSINE_BLOCK):
        block = rows[start : start + COSINE_BLOCK]
        scores[start : start + len(block)] = index.dense.vectors(block) @ vector
    return scores


def _places(ranking: Ranking | None, rows: npt.NDArray[np.int64]) -> list[LegScore | None]:
    """Where `ranking` put each of `rows` (1-based rank and score); None where it did not
    retrieve the row."""
    if ranking is None or len(ranking) == 0:
        return [None] * len(rows)
    order = np.argsort(ranking.rows, kind="stable")
    found = order[np.minimum(np.searchsorted(ranking.rows, rows, sorter=order), len(order) - 1)]
    return [
        LegScore(rank=int(at) + 1, score=float(ranking.scores[at])) if hit else None
        for at, hit in zip(found.tolist(), (ranking.rows[found] == rows).tolist(), strict=True)
    ]
