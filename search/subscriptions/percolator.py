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
from papersift.search.requests import Filters
from papersift.search.subscriptions.model import Match, Profile, Subscription
from papersift.search.subscriptions.roster import DENSE, HYBRID, Roster

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
    """Which arrivals each subscription may take: its filters and its own papers, as a mask
    subscriptions x arrivals (a filter's mask is made once per change, for every subscription
    that has it)."""

    def __init__(self, papers: Sequence[Paper], roster: Roster) -> None:
        self.papers = papers
        self.ids = {paper.id: position for position, paper in enumerate(papers)}
        self.allowed = np.zeros((len(roster), len(papers)), bool)
        for filters, positions in roster.filters.items():
            self.allowed[positions] = [passes(filters, paper) for paper in papers]
        for paper_id, position in self.ids.items():  # a list never takes its own papers
            self.allowed[roster.listing.get(paper_id, []), position] = False


@dataclass(frozen=True)
class Outcome:
    """What matching found: the matches, and the subscriptions whose top N changed."""

    matches: list[Match]
    profiles: dict[str, Profile]


def percolate(
    arrivals: Arrivals,
    subscriptions: Roster | Sequence[tuple[Subscription, Profile]],
    now: str,
) -> Outcome:
    """Every subscription's matches among the arrivals."""
    roster = subscriptions if isinstance(subscriptions, Roster) else Roster(subscriptions)
    if not arrivals.papers or not len(roster):
        return Outcome([], {})
    weights = None if arrivals.snapshot is None else roster.weights(arrivals.snapshot.lexical)
    admission = Admission(arrivals.papers, roster)
    allowed = np.where(admission.allowed, score_matrix(arrivals, roster, weights), -np.inf)
    contenders = np.flatnonzero(np.isfinite(allowed).any(axis=1))
    tops = current_tops(roster, contenders, arrivals.snapshot, weights)
    matches: list[Match] = []
    profiles: dict[str, Profile] = {}
    for position, top in zip(contenders.tolist(), tops, strict=True):
        subscription, profile = roster.entries[position]
        found = _matches_of(subscription, profile, allowed[position], top, admission, now)
        if found is not None:
            matches += found[0]
            profiles[subscription.id] = found[1]
    return Outcome(matches, profiles)


def score_matrix(
    arrivals: Arrivals, roster: Roster, weights: sparse.csr_matrix | None = None
) -> Scores:
    """Scores, subscriptions x arrivals, each in its subscription's own terms (-inf where a
    subscription cannot be scored here)."""
    if weights is None and arrivals.snapshot is not None:
        weights = roster.weights(arrivals.snapshot.lexical)
    vectors = arrivals.vectors
    dense = (roster.directions(vectors.shape[1]) @ vectors.T).astype(np.float64)
    lexical = None if weights is None else _lexical(arrivals, weights)
    return roster.combined(np.arange(len(roster)), dense, lexical)


def _lexical(arrivals: Arrivals, weights: sparse.csr_matrix) -> Scores:
    """BM25 of each subscription's query terms in each arrival, at the statistics as of the
    change (the arrivals are in the index)."""
    assert arrivals.snapshot is not None
    columns: dict[int, int] = {}  # term id -> column of the arrivals' parts
    parts = _parts(arrivals.papers, arrivals.snapshot, columns)
    if parts is None:
        return np.zeros((weights.shape[0], len(arrivals.papers)))
    query = weights[:, np.fromiter(columns, np.int64, len(columns))]
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
    roster: Roster,
    positions: npt.NDArray[np.int64],
    snapshot: Snapshot | None,
    weights: sparse.csr_matrix | None,
) -> list[Ranked]:
    """The top N, as the index is now, of the subscriptions at `positions`: papers deleted since
    are gone, and lexical and hybrid ones are scored again at the current statistics, all in one
    sparse product."""
    entries = [roster.entries[position] for position in positions.tolist()]
    if snapshot is None or weights is None:
        return [profile.top for _, profile in entries]
    kept = [
        [(i, s, row) for i, s in profile.top if (row := snapshot.papers.row_of(i)) is not None]
        for _, profile in entries
    ]
    tops: list[Ranked] = [tuple((i, s) for i, s, _ in found) for found in kept]
    again = [n for n, position in enumerate(positions.tolist())
             if kept[n] and roster.modes[position] != DENSE]  # fmt: skip
    if again:
        batch = positions[again]
        rescored = _rescored(roster, batch, [kept[n] for n in again], snapshot, weights)
        for n, ranked in zip(again, rescored, strict=True):
            tops[n] = ranked
    return tops


def _rescored(
    roster: Roster,
    positions: npt.NDArray[np.int64],
    kept: Sequence[list[tuple[str, float, int]]],
    snapshot: Snapshot,
    weights: sparse.csr_matrix,
) -> list[Ranked]:
    """Lexical and hybrid tops scored at the current statistics."""
    owners = np.array([n for n, found in enumerate(kept) for _ in found], np.int64)
    rows = np.array([row for found in kept for _, _, row in found], np.int64)
    distinct_rows, row_at = np.unique(rows, return_inverse=True)
    own_weights = weights[positions]
    term_ids = np.unique(own_weights.indices)
    parts = frequency_parts(snapshot.lexical, distinct_rows, term_ids.tolist())
    lexical_scores = np.asarray(
        own_weights[:, term_ids][owners].multiply(parts[row_at]).sum(axis=1)
    ).ravel()
    dense_scores = np.zeros(len(rows))
    if (roster.modes[positions] == HYBRID).any():
        vectors = snapshot.dense.vectors(distinct_rows)
        directions = roster.directions(vectors.shape[1])[positions]
        dense_scores = np.einsum("ij,ij->i", vectors[row_at], directions[owners])
    now = roster.combined(positions[owners], dense_scores, lexical_scores)
    ranked: list[Ranked] = []
    start = 0
    for found in kept:
        ids = [paper_id for paper_id, _, _ in found]
        scores = now[start : start + len(found)].tolist()
        start += len(found)
        ranked.append(tuple(sorted(zip(ids, scores, strict=True), key=lambda e: -e[1])))
    return ranked


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
