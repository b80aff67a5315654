"""Matching papers as they arrive against every subscription at once, like a percolator: the new
papers are scored for all subscriptions in a few matrix products; no subscription's full search
is run.

A new paper matches when its score for a subscription beats the N-th best score of that
subscription's top N (kept since its last refresh): it would enter the top N of a fresh search.
Scores are each mode's own: a cosine for dense searches and paper lists; BM25 for lexical
searches, with the corpus's current IDF and document lengths; for hybrid searches the z-score
sum, standardised with the spread of each leg's scores over the corpus as of the last refresh.
That spread (and IDF for z-scores) moves a little as papers arrive, so a hybrid match can differ
from a fresh search's top N; bench/subscriptions.py measures how often.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse

from papersift.index.lexical import bm25
from papersift.index.papers.paper import Paper
from papersift.index.storage.snapshot import Snapshot
from papersift.search.requests import Filters, Mode
from papersift.search.subscriptions.model import Kind, Match, Profile, Subscription

Scores = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Arrivals:
    """The papers of one change that may match: with their embeddings, and (for the local
    backend) the index as of the change, whose statistics lexical scores need."""

    papers: Sequence[Paper]
    vectors: npt.NDArray[np.float32]
    snapshot: Snapshot | None


@dataclass(frozen=True)
class Outcome:
    """What matching found: the matches, and the subscriptions whose top N changed."""

    matches: list[Match]
    profiles: dict[str, Profile]


def percolate(
    arrivals: Arrivals, subscriptions: Sequence[tuple[Subscription, Profile]], now: str
) -> Outcome:
    """Every subscription's matches among the arrivals."""
    if not arrivals.papers or not subscriptions:
        return Outcome([], {})
    scores = score_matrix(arrivals, subscriptions)
    matches: list[Match] = []
    profiles: dict[str, Profile] = {}
    for position, (subscription, profile) in enumerate(subscriptions):
        found = _matches_of(subscription, profile, scores[position], arrivals.papers, now)
        if found is not None:
            matches += found[0]
            profiles[subscription.id] = found[1]
    return Outcome(matches, profiles)


def score_matrix(
    arrivals: Arrivals, subscriptions: Sequence[tuple[Subscription, Profile]]
) -> Scores:
    """Scores, subscriptions x arrivals, each in its subscription's own terms (-inf where a
    subscription cannot be scored here)."""
    dense = _dense(arrivals, [profile for _, profile in subscriptions])
    lexical = _lexical(arrivals, [profile for _, profile in subscriptions])
    scores = np.full(dense.shape, -np.inf)
    for position, (subscription, profile) in enumerate(subscriptions):
        scores[position] = _combined(subscription, profile, dense[position], lexical, position)
    return scores


def _combined(
    subscription: Subscription,
    profile: Profile,
    dense: Scores,
    lexical: Scores | None,
    position: int,
) -> Scores:
    spec = subscription.spec
    if spec.kind == Kind.papers or spec.mode == Mode.dense:
        return dense
    if lexical is None:  # no corpus statistics here (a remote backend)
        return np.full(len(dense), -np.inf)
    own: Scores = lexical[position]
    if spec.mode == Mode.lexical:
        return own
    lexical_mean, lexical_std, dense_mean, dense_std = profile.spread
    fused = np.zeros(len(dense))
    if lexical_std > 0:
        fused += spec.lexical_weight * (own - lexical_mean) / lexical_std
    if dense_std > 0:
        fused += spec.dense_weight * (dense - dense_mean) / dense_std
    return fused


def _dense(arrivals: Arrivals, profiles: Sequence[Profile]) -> Scores:
    """Cosines of each subscription's vector with each arrival's embedding."""
    dimension = arrivals.vectors.shape[1]
    vectors = np.stack(
        [
            profile.vector if len(profile.vector) == dimension else np.zeros(dimension, np.float32)
            for profile in profiles
        ]
    )
    scores: Scores = (vectors @ arrivals.vectors.T).astype(np.float64)
    return scores


def _lexical(arrivals: Arrivals, profiles: Sequence[Profile]) -> Scores | None:
    """BM25 of each subscription's query terms in each arrival: its terms' weights as of its
    refresh, the arrivals' term-frequency parts as of the change (they are in the index)."""
    snapshot = arrivals.snapshot
    if snapshot is None:
        return None
    lexical = snapshot.lexical
    columns: dict[int, int] = {}  # term id -> column of the small matrices below
    parts = _parts(arrivals.papers, snapshot, columns)
    if parts is None:
        return np.zeros((len(profiles), len(arrivals.papers)))
    rows, cols, weights = [], [], []
    for position, profile in enumerate(profiles):
        for term, weight in profile.terms.items():
            term_id = lexical.vocabulary.get(term)
            if term_id is not None and term_id in columns:
                rows.append(position)
                cols.append(columns[term_id])
                weights.append(weight)
    query = sparse.csr_matrix((weights, (rows, cols)), shape=(len(profiles), len(columns)))
    scores: Scores = np.asarray((query @ parts.T).toarray(), dtype=np.float64)
    return scores


def _parts(
    papers: Sequence[Paper], snapshot: Snapshot, columns: dict[int, int]
) -> sparse.csr_matrix | None:
    """Each arrival's BM25 term-frequency parts (arrivals x the terms they hold)."""
    lexical, tokenizer = snapshot.lexical, snapshot.tokenizer
    rows, cols, values = [], [], []
    for position, paper in enumerate(papers):
        row = snapshot.papers.row_of(paper.id)
        if row is None:  # deleted again within the change
            continue
        counts = Counter(tokenizer.paper_terms(paper))
        ids = [lexical.vocabulary.get(term) for term in counts]
        known = [
            (term_id, count)
            for term_id, count in zip(ids, counts.values(), strict=True)
            if term_id is not None
        ]
        if not known:
            continue
        frequency = np.array([count for _, count in known], np.float64)
        norm = np.full(len(known), lexical.length_norm[row])
        part = bm25.frequency_part(frequency, norm, lexical.parameters.k1)
        for (term_id, _), value in zip(known, part.tolist(), strict=True):
            rows.append(position)
            cols.append(columns.setdefault(term_id, len(columns)))
            values.append(value)
    if not columns:
        return None
    return sparse.csr_matrix((values, (rows, cols)), shape=(len(papers), len(columns)))


def _matches_of(
    subscription: Subscription, profile: Profile, scores: Scores, papers: Sequence[Paper], now: str
) -> tuple[list[Match], Profile] | None:
    """The arrivals that enter this subscription's top N, and its new top scores (None: none
    enters)."""
    top = subscription.spec.top
    bar = profile.top_scores[top - 1] if len(profile.top_scores) >= top else -np.inf
    excluded = set(subscription.spec.positives) | set(subscription.spec.negatives)
    hopeful = [
        position
        for position in np.flatnonzero(scores > bar).tolist()
        if papers[position].id not in excluded
        and passes(subscription.spec.filters, papers[position])
    ]
    if not hopeful:
        return None
    ranked = sorted(
        [(score, None) for score in profile.top_scores] + [(float(scores[p]), p) for p in hopeful],
        key=lambda entry: -entry[0],
    )[:top]
    entered = [position for _, position in ranked if position is not None]
    if not entered:
        return None
    matches = [Match(subscription.id, papers[p].id, now, float(scores[p]), False) for p in entered]
    updated = Profile(
        profile.vector, profile.terms, profile.spread, tuple(score for score, _ in ranked)
    )
    return matches, updated


def passes(filters: Filters, paper: Paper) -> bool:
    """Whether `paper` passes the subscription's filters (as a search's filters would)."""
    if filters.year_from is not None and (paper.year is None or paper.year < filters.year_from):
        return False
    if filters.year_to is not None and (paper.year is None or paper.year > filters.year_to):
        return False
    if filters.categories and not set(filters.categories) & set(paper.categories):
        return False
    if filters.author:
        needle = filters.author.casefold().strip()
        return any(needle in author.casefold() for author in paper.authors)
    return True
