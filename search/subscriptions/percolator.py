"""Matching papers as they arrive against every subscription at once, like a percolator: the
new papers are scored for all subscriptions in a few matrix products; no subscription's full
search is run.

A new paper matches when it would enter the subscription's top N in a fresh search: when its
score beats the N-th best of the papers in that top N now. Scores are each mode's own: a cosine
for dense searches and paper lists; BM25 for lexical searches, with the corpus's current IDF and
document lengths; for hybrid searches the z-score sum. Because IDF moves as papers arrive (a
query word that was unknown can appear, a rare one become common), the current top N of a
lexical or hybrid subscription is scored again, at the current statistics, whenever a new paper
could enter it: lexical matches are exact. Hybrid z-scores standardise each leg with the spread
of its scores over the corpus as of the subscription's last refresh; that spread moves a little
as papers arrive, so a hybrid match can differ from a fresh search; bench/subscriptions.py
measures how often.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse

from papersift.index.lexical import bm25
from papersift.index.lexical.lookups import frequency_parts
from papersift.index.papers.paper import Paper
from papersift.index.storage.snapshot import Snapshot
from papersift.search.requests import Filters, Mode
from papersift.search.subscriptions.model import Kind, Match, Profile, Spec, Subscription

Scores = npt.NDArray[np.float64]
Ranked = tuple[tuple[str, float], ...]  # (paper id, score), best first


@dataclass(frozen=True)
class Arrivals:
    """The papers of one change that may match: with their embeddings, and (for the local
    backend) the index as of the change, whose statistics lexical scores need."""

    papers: Sequence[Paper]
    vectors: npt.NDArray[np.float32]
    snapshot: Snapshot | None


class Admission:
    """Which arrivals each subscription may take: its filters and its own papers, as masks
    over the arrivals (a filter's mask is made once per change, shared by the subscriptions
    that have it)."""

    def __init__(self, papers: Sequence[Paper]) -> None:
        self.papers = papers
        self.ids = {paper.id: position for position, paper in enumerate(papers)}
        self._masks: dict[Filters, npt.NDArray[np.bool_]] = {}

    def allowed(self, spec: Spec) -> npt.NDArray[np.bool_]:
        mask = self._masks.get(spec.filters)
        if mask is None:
            mask = np.array([passes(spec.filters, paper) for paper in self.papers], bool)
            self._masks[spec.filters] = mask
        excluded = [self.ids[i] for i in (*spec.positives, *spec.negatives) if i in self.ids]
        if excluded:
            mask = mask.copy()
            mask[excluded] = False
        return mask


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
    admission = Admission(arrivals.papers)
    allowed = [
        np.where(admission.allowed(subscription.spec), scores[position], -np.inf)
        for position, (subscription, _) in enumerate(subscriptions)
    ]
    contenders = [position for position, row in enumerate(allowed) if np.isfinite(row).any()]
    tops = current_tops([subscriptions[position] for position in contenders], arrivals.snapshot)
    matches: list[Match] = []
    profiles: dict[str, Profile] = {}
    for position, top in zip(contenders, tops, strict=True):
        subscription, profile = subscriptions[position]
        found = _matches_of(subscription, profile, allowed[position], top, admission, now)
        if found is not None:
            matches += found[0]
            profiles[subscription.id] = found[1]
    return Outcome(matches, profiles)


def score_matrix(
    arrivals: Arrivals, subscriptions: Sequence[tuple[Subscription, Profile]]
) -> Scores:
    """Scores, subscriptions x arrivals, each in its subscription's own terms (-inf where a
    subscription cannot be scored here)."""
    profiles = [profile for _, profile in subscriptions]
    dense = _cosines(profiles, arrivals.vectors)
    lexical = _lexical(arrivals, profiles)
    scores = np.full(dense.shape, -np.inf)
    for position, (subscription, profile) in enumerate(subscriptions):
        own = None if lexical is None else lexical[position]
        scores[position] = _combined(subscription, profile, dense[position], own)
    return scores


def _combined(
    subscription: Subscription, profile: Profile, dense: Scores, lexical: Scores | None
) -> Scores:
    spec = subscription.spec
    if spec.kind == Kind.papers or spec.mode == Mode.dense:
        return dense
    if lexical is None:  # no corpus statistics here (a remote backend)
        return np.full(len(dense), -np.inf)
    if spec.mode == Mode.lexical:
        return np.where(lexical > 0, lexical, -np.inf)  # no query word: not a lexical result
    lexical_mean, lexical_std, dense_mean, dense_std = profile.spread
    fused = np.zeros(len(dense))
    if lexical_std > 0:
        fused += spec.lexical_weight * (lexical - lexical_mean) / lexical_std
    if dense_std > 0:
        fused += spec.dense_weight * (dense - dense_mean) / dense_std
    return fused


def _cosines(profiles: Sequence[Profile], vectors: npt.NDArray[np.float32]) -> Scores:
    """Cosines of each profile's vector with each of `vectors` (0 for a profile without one)."""
    directions = np.stack([_direction(profile, vectors.shape[1]) for profile in profiles])
    scores: Scores = (directions @ vectors.T).astype(np.float64)
    return scores


def _lexical(arrivals: Arrivals, profiles: Sequence[Profile]) -> Scores | None:
    """BM25 of each subscription's query terms in each arrival, at the statistics as of the
    change (the arrivals are in the index)."""
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
        for term_id, weight in lexical.weighted_terms(_tokens(profile)):
            if term_id in columns:
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
        known = [
            (term_id, count)
            for term, count in counts.items()
            if (term_id := lexical.vocabulary.get(term)) is not None
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
    subscription: Subscription,
    profile: Profile,
    scores: Scores,
    top: Ranked,
    admission: Admission,
    now: str,
) -> tuple[list[Match], Profile] | None:
    """The arrivals that enter this subscription's top N (`top`, as the index is now), and its
    new top N (None: none enters). `scores` are -inf for arrivals it may not take."""
    wanted, papers = subscription.spec.top, admission.papers
    standing = [entry for entry in top if entry[0] not in admission.ids]  # replaced: compete anew
    bar = standing[wanted - 1][1] if len(standing) >= wanted else -np.inf
    hopeful = [(papers[p].id, float(scores[p])) for p in np.flatnonzero(scores > bar).tolist()]
    if not hopeful:
        return None
    ranked = sorted(standing + hopeful, key=lambda entry: -entry[1])[:wanted]
    entered = [(paper_id, score) for paper_id, score in ranked if paper_id in admission.ids]
    if not entered:
        return None
    matches = [Match(subscription.id, paper_id, now, score, False) for paper_id, score in entered]
    return matches, Profile(profile.vector, profile.terms, profile.spread, tuple(ranked))


def current_tops(
    subscriptions: Sequence[tuple[Subscription, Profile]], snapshot: Snapshot | None
) -> list[Ranked]:
    """Each subscription's top N as the index is now: papers deleted since are gone, and lexical
    and hybrid ones are scored again at the current statistics, all in one sparse product."""
    if snapshot is None:
        return [profile.top for _, profile in subscriptions]
    kept = [
        [(i, s, row) for i, s in profile.top if (row := snapshot.papers.row_of(i)) is not None]
        for _, profile in subscriptions
    ]
    tops: list[Ranked] = [tuple((i, s) for i, s, _ in entries) for entries in kept]
    again = [
        position
        for position, (subscription, _) in enumerate(subscriptions)
        if kept[position] and subscription.spec.kind == Kind.search
        and subscription.spec.mode != Mode.dense
    ]  # fmt: skip
    if again:
        batch = [subscriptions[position] for position in again]
        rescored = _rescored(batch, [kept[position] for position in again], snapshot)
        for position, ranked in zip(again, rescored, strict=True):
            tops[position] = ranked
    return tops


def _rescored(
    subscriptions: Sequence[tuple[Subscription, Profile]],
    kept: Sequence[list[tuple[str, float, int]]],
    snapshot: Snapshot,
) -> list[Ranked]:
    """Lexical and hybrid tops scored at the current statistics."""
    lexical = snapshot.lexical
    owners = np.array([n for n, entries in enumerate(kept) for _ in entries], np.int64)
    rows = np.array([row for entries in kept for _, _, row in entries], np.int64)
    distinct_rows, row_at = np.unique(rows, return_inverse=True)
    weighted = [lexical.weighted_terms(_tokens(profile)) for _, profile in subscriptions]
    term_ids = sorted({term_id for terms in weighted for term_id, _ in terms})
    column = {term_id: n for n, term_id in enumerate(term_ids)}
    weights = sparse.csr_matrix(
        (
            [weight for terms in weighted for _, weight in terms],
            ([n for n, terms in enumerate(weighted) for _ in terms],
             [column[term_id] for terms in weighted for term_id, _ in terms]),
        ),
        shape=(len(subscriptions), len(term_ids)),
    )  # fmt: skip
    parts = frequency_parts(lexical, distinct_rows, term_ids)
    lexical_scores = np.asarray(weights[owners].multiply(parts[row_at]).sum(axis=1)).ravel()
    dense_scores = np.zeros(len(rows))
    hybrid = np.array([s.spec.mode == Mode.hybrid for s, _ in subscriptions])[owners]
    if hybrid.any():
        vectors = snapshot.dense.vectors(distinct_rows)
        directions = np.stack([_direction(p, vectors.shape[1]) for _, p in subscriptions])
        dense_scores = np.einsum("ij,ij->i", vectors[row_at], directions[owners])
    ranked: list[Ranked] = []
    start = 0
    for (subscription, profile), entries in zip(subscriptions, kept, strict=True):
        span = slice(start, start + len(entries))
        start += len(entries)
        now = _combined(subscription, profile, dense_scores[span], lexical_scores[span])
        ids = [paper_id for paper_id, _, _ in entries]
        ranked.append(tuple(sorted(zip(ids, now.tolist(), strict=True), key=lambda e: -e[1])))
    return ranked


def _direction(profile: Profile, dimension: int) -> npt.NDArray[np.float32]:
    return profile.vector if len(profile.vector) == dimension else np.zeros(dimension, np.float32)


def _tokens(profile: Profile) -> list[str]:
    """The query's tokens, each as often as the query says it."""
    return [term for term, repeats in profile.terms.items() for _ in range(repeats)]


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
