"""A subscription's profile, from a fresh search: what matching later compares new papers with.

A saved search is run as a search (its mode, filters and weights, `top` hits): its hits are the
first issue, their scores the bar a new paper must beat, and the spread of each leg's scores over
the corpus is kept for z-scores. A paper list ranks the corpus by likeness to its papers: the
normalised mean of their embeddings, minus half the mean of the papers it should not be like
(Rocchio's formula); docs/subscriptions.md says how that was chosen over a linear model.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from papersift.search.backends.interface import Reader
from papersift.search.errors import QueryError
from papersift.search.hits import Hit
from papersift.search.requests import Mode, SearchRequest
from papersift.search.subscriptions.model import Kind, Profile, Spec

NEGATIVE_WEIGHT = 0.5
Vector = npt.NDArray[np.float32]


def profile_of(spec: Spec, reader: Reader) -> tuple[Profile, tuple[Hit, ...]]:
    """The spec's profile and its current top N (its first issue)."""
    if spec.kind == Kind.papers:
        return _paper_list(spec, reader)
    request = SearchRequest(
        spec.query,
        spec.mode,
        limit=spec.top,
        filters=spec.filters,
        lexical_weight=spec.lexical_weight,
        dense_weight=spec.dense_weight,
    )
    result = reader.search(request)
    vector = reader.encoder.encode_query(spec.query) if spec.mode != Mode.lexical else _none()
    terms = reader.query_terms(spec.query) if spec.mode != Mode.dense else {}
    spread = result.spread or (0.0, 0.0, 0.0, 0.0)
    return Profile(vector, terms, tuple(spread), _ranked(result.hits)), result.hits


def _paper_list(spec: Spec, reader: Reader) -> tuple[Profile, tuple[Hit, ...]]:
    vector = likeness(reader.vectors(list(spec.positives)), reader.vectors(list(spec.negatives)))
    exclude = set(spec.positives) | set(spec.negatives)
    hits = reader.nearest(vector, spec.top, spec.filters, exclude)
    return Profile(vector, {}, (0.0, 0.0, 0.0, 0.0), _ranked(hits)), hits


def likeness(positives: npt.NDArray[np.float32], negatives: npt.NDArray[np.float32]) -> Vector:
    """The direction to rank papers by: the positives' mean, less half the negatives' mean,
    normalised (so a paper's score is its cosine with it)."""
    if len(positives) == 0:
        raise QueryError("papers", "a paper list needs at least one paper")
    direction = positives.mean(axis=0)
    if len(negatives):
        direction = direction - NEGATIVE_WEIGHT * negatives.mean(axis=0)
    norm = float(np.linalg.norm(direction))
    if norm == 0:
        raise QueryError("negative", "the papers to be like and not like cancel out")
    vector: Vector = (direction / norm).astype(np.float32)
    return vector


def _ranked(hits: tuple[Hit, ...]) -> tuple[tuple[str, float], ...]:
    return tuple((hit.id, hit.score) for hit in hits)


def _none() -> Vector:
    return np.zeros(0, np.float32)
