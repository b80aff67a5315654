"""The subscriptions as matching reads them: what does not change from one change to the next
(their directions, query terms, modes, weights and spreads, which filters they share) is laid
out once, as arrays, so that scoring a change for every subscription is a few array operations
and no loop over the subscriptions. The matching service keeps one roster per version of the
subscriptions and swaps in the new top N of those that matched."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from scipy import sparse

from papersift.index.lexical.lexical_index import LexicalIndex
from papersift.index.lexical.vocabulary import Vocabulary
from papersift.search.requests import Filters, Mode
from papersift.search.subscriptions.model import Kind, Profile, Subscription

Scores = npt.NDArray[np.float64]
DENSE, LEXICAL, HYBRID = 0, 1, 2  # how a subscription scores a paper


class Roster:
    def __init__(self, subscriptions: Sequence[tuple[Subscription, Profile]]) -> None:
        self.entries = list(subscriptions)
        self.positions = {s.id: position for position, (s, _) in enumerate(self.entries)}
        specs = [subscription.spec for subscription, _ in self.entries]
        self.modes = np.array([_mode_of(spec.kind, spec.mode) for spec in specs], np.int8)
        self.lexical_weights = np.array([spec.lexical_weight for spec in specs], np.float64)
        self.dense_weights = np.array([spec.dense_weight for spec in specs], np.float64)
        spreads = [p.spread if len(p.spread) == 4 else (0.0,) * 4 for _, p in self.entries]
        self.spreads = np.array(spreads, np.float64).reshape(len(self.entries), 4)
        self.filters: dict[Filters, list[int]] = defaultdict(list)
        self.listing: dict[str, list[int]] = defaultdict(list)  # paper id -> lists holding it
        for position, spec in enumerate(specs):
            self.filters[spec.filters].append(position)
            for paper_id in (*spec.positives, *spec.negatives):
                self.listing[paper_id].append(position)
        self._terms = [(position, term, repeats)
                       for position, (_, profile) in enumerate(self.entries)
                       for term, repeats in profile.terms.items()]  # fmt: skip
        self._directions: npt.NDArray[np.float32] | None = None
        self._built: list[str] | None = None  # the vocabulary table the term ids below are of
        self._term_ids: list[int | None] = []

    def __len__(self) -> int:
        return len(self.entries)

    def replace(self, profiles: dict[str, Profile]) -> None:
        """New top N for some subscriptions (their directions and terms are unchanged)."""
        for subscription_id, profile in profiles.items():
            position = self.positions[subscription_id]
            self.entries[position] = (self.entries[position][0], profile)

    def directions(self, dimension: int) -> npt.NDArray[np.float32]:
        """Each subscription's query or list direction, a row each (zeros where it has none)."""
        if self._directions is None or self._directions.shape[1] != dimension:
            rows = [p.vector if len(p.vector) == dimension else np.zeros(dimension, np.float32)
                    for _, p in self.entries]  # fmt: skip
            self._directions = np.stack(rows).astype(np.float32, copy=False)
        return self._directions

    def weights(self, lexical: LexicalIndex) -> sparse.csr_matrix:
        """Each subscription's query terms as BM25 weights (repeats x IDF now), subscriptions x
        the vocabulary: a term's part of a score is its weight times its term-frequency part.
        Looked up afresh for each change: the vocabulary grows and IDF moves."""
        vocabulary = lexical.vocabulary
        ids = self._ids_in(vocabulary)
        found = [(position, term_id, repeats) for (position, _, repeats), term_id
                 in zip(self._terms, ids, strict=True) if term_id is not None]  # fmt: skip
        owners = np.array([position for position, _, _ in found], np.int64)
        term_ids = np.array([term_id for _, term_id, _ in found], np.int64)
        repeats = np.array([repeats for _, _, repeats in found], np.float64)
        values = repeats * np.asarray(lexical.idf, np.float64)[term_ids] if found else repeats
        shape = (len(self.entries), len(vocabulary))
        return sparse.csr_matrix((values, (owners, term_ids)), shape=shape)

    def _ids_in(self, vocabulary: Vocabulary) -> list[int | None]:
        """The query terms' ids: looked up once per vocabulary table (a build or compaction
        makes a new one; ids in it never change), and, for terms it did not know, at every
        change (papers bring new terms)."""
        if vocabulary.built is not self._built:
            self._built = vocabulary.built
            self._term_ids = [vocabulary.get(term) for _, term, _ in self._terms]
        else:
            self._term_ids = [term_id if term_id is not None else vocabulary.get(term)
                              for (_, term, _), term_id in zip(self._terms, self._term_ids,
                                                                strict=True)]  # fmt: skip
        return self._term_ids

    def combined(
        self, owners: npt.NDArray[np.int64], dense: Scores, lexical: Scores | None
    ) -> Scores:
        """Scores in each subscription's own terms: the cosine for dense searches and paper
        lists; BM25 for lexical ones (-inf without a query word); for hybrid ones the weighted
        sum of each leg standardised by its spread over the corpus. The first axis of `dense`
        and `lexical` is `owners` (positions in the roster); without lexical scores (a remote
        backend), lexical and hybrid subscriptions score -inf."""
        shape = (-1,) + (1,) * (dense.ndim - 1)
        mode = self.modes[owners].reshape(shape)
        scores = np.where(mode == DENSE, dense, -np.inf)
        if lexical is None:
            return scores
        scores = np.where(mode == LEXICAL, np.where(lexical > 0, lexical, -np.inf), scores)
        lexical_mean, lexical_std, dense_mean, dense_std = (
            self.spreads[owners, column].reshape(shape) for column in range(4)
        )
        lexical_weight = self.lexical_weights[owners].reshape(shape)
        dense_weight = self.dense_weights[owners].reshape(shape)
        fused = _standardised(lexical, lexical_mean, lexical_std, lexical_weight) + _standardised(
            dense, dense_mean, dense_std, dense_weight
        )
        return np.where(mode == HYBRID, fused, scores)


def _mode_of(kind: Kind, mode: Mode) -> int:
    if kind == Kind.papers or mode == Mode.dense:
        return DENSE
    return LEXICAL if mode == Mode.lexical else HYBRID


def _standardised(scores: Scores, mean: Scores, std: Scores, weight: Scores) -> Scores:
    """weight x (scores - mean) / std, and 0 where the spread is 0 (a leg with no spread adds
    nothing)."""
    spread = np.where(std > 0, std, 1.0)
    result: Scores = np.where(std > 0, weight * (scores - mean) / spread, 0.0)
    return result
