"""BM25 over a sparse term-frequency matrix, scoring exactly as `rank_bm25.BM25Okapi`.

The postings live in a CSC matrix (documents x terms): the column of a term lists the rows that
contain it and how often. A query touches only the columns of its terms, so its cost grows with
the postings of those terms, never with a Python loop over the corpus. IDF, average length and the
per-document length norm are recomputed from the postings at load, so they are always exact.
"""

from __future__ import annotations

import functools
import itertools
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse

from papersift.index.lexical.accumulators import Accumulator, AccumulatorPool
from papersift.index.lexical.ceilings import largest_parts, rescaled
from papersift.index.ranking import Ranking, Rows, Scores, top_n

VOCABULARY_FILE = "lexical.vocabulary.json"
POSTINGS_FILE = "lexical.postings.npz"


@dataclass(frozen=True, slots=True)
class BM25Parameters:
    """BM25Okapi's constants: rank_bm25's defaults, but k1 1.2 (chosen on SciFact train)."""

    k1: float = 1.2
    b: float = 0.75
    epsilon: float = 0.25

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Vocabulary:
    """Term -> column. The built terms' table is shared by every later index; terms first seen
    after the build go in a small overlay, so adding papers never copies the whole table."""

    def __init__(
        self,
        built: Sequence[str],
        term_ids: dict[str, int] | None = None,
        added: Sequence[str] = (),
    ) -> None:
        self.built = list(built)
        self.term_ids = term_ids if term_ids is not None else {t: i for i, t in enumerate(built)}
        self.added = list(added)
        self.added_ids = {term: len(self.built) + i for i, term in enumerate(self.added)}

    def __len__(self) -> int:
        return len(self.built) + len(self.added)

    def get(self, term: str) -> int | None:
        term_id = self.term_ids.get(term)
        return term_id if term_id is not None else self.added_ids.get(term)

    def __getitem__(self, term: str) -> int:
        term_id = self.get(term)
        if term_id is None:
            raise KeyError(term)
        return term_id

    def extended(self, token_lists: Sequence[Sequence[str]]) -> Vocabulary:
        """This vocabulary plus the new terms of `token_lists` (itself if there are none)."""
        new = [t for t in dict.fromkeys(itertools.chain(*token_lists)) if self.get(t) is None]
        return Vocabulary(self.built, self.term_ids, self.added + new) if new else self

    def terms(self) -> list[str]:
        return self.built + self.added


class LexicalIndex:
    """Exact BM25Okapi scores from term-frequency matrices.

    Rows live in segments: the built index is one segment; papers added later form a second one,
    which shares the vocabulary (terms first seen there get new columns). Deleted rows stay in
    their segment but leave `live`; every statistic (document count, document frequencies, average
    length) counts live rows only, so scores equal those of a fresh build over the live papers.
    """

    def __init__(
        self,
        vocabulary: Vocabulary | Sequence[str],
        segments: Sequence[sparse.csc_matrix],
        doc_lengths: npt.NDArray[np.int64],
        parameters: BM25Parameters,
        live: npt.NDArray[np.bool_] | None = None,
        document_frequency: npt.NDArray[np.int64] | None = None,
    ) -> None:
        self.vocabulary = (
            vocabulary if isinstance(vocabulary, Vocabulary) else Vocabulary(vocabulary)
        )
        self.segments = tuple(segments)
        self.first_rows = np.cumsum([0] + [int(m.shape[0]) for m in self.segments])[:-1]
        self.doc_lengths = doc_lengths
        self.parameters = parameters
        self.live = live
        self.document_frequency = (
            document_frequency
            if document_frequency is not None
            else _column_counts(self.segments, len(self.vocabulary))
        )
        self.live_count = self.size if live is None else int(live.sum())
        self.idf = self._idf()
        self.length_norm = self._length_norm()
        present = self.document_frequency > 0
        self._all_positive = bool(not present.any() or self.idf[present].min() > 0)
        self._accumulators = AccumulatorPool(self.size)
        self._parent_ceilings: tuple[Scores, float] | None = None  # see `_inheriting`

    @property
    def size(self) -> int:
        """Rows, deleted ones included (row numbers are stable until compaction)."""
        return int(self.doc_lengths.shape[0])

    @classmethod
    def build(
        cls, token_lists: Sequence[Sequence[str]], parameters: BM25Parameters
    ) -> LexicalIndex:
        """Index tokenized documents; row i of the index is `token_lists[i]`."""
        vocabulary = Vocabulary([]).extended(token_lists)
        matrix = _count_matrix(token_lists, vocabulary)
        return cls(vocabulary.terms(), [matrix], _lengths(token_lists), parameters)

    def with_added(self, token_lists: Sequence[Sequence[str]]) -> LexicalIndex:
        """A new index with `token_lists` appended as rows `size`, `size + 1`, ..."""
        vocabulary = self.vocabulary.extended(token_lists)
        batch = _count_matrix(token_lists, vocabulary)
        width = len(vocabulary)
        added = [_widened(m, width) for m in self.segments[1:]] + [batch]
        segments = [self.segments[0], sparse.vstack(added, format="csc")]
        segments[1].sort_indices()
        frequency = np.zeros(width, np.int64)
        frequency[: len(self.document_frequency)] = self.document_frequency
        frequency += np.diff(batch.indptr)
        live = (
            None
            if self.live is None
            else np.concatenate([self.live, np.ones(len(token_lists), bool)])
        )
        lengths = np.concatenate([self.doc_lengths, _lengths(token_lists)])
        grown = LexicalIndex(vocabulary, segments, lengths, self.parameters, live, frequency)
        return grown._inheriting(self)

    def with_removed(
        self, rows: Sequence[int], token_lists: Sequence[Sequence[str]]
    ) -> LexicalIndex:
        """A new index without `rows` (live rows whose documents were `token_lists`)."""
        live = np.ones(self.size, bool) if self.live is None else self.live.copy()
        live[np.asarray(rows, np.int64)] = False
        frequency = self.document_frequency.copy()
        for tokens in token_lists:
            frequency[[self.vocabulary[term] for term in set(tokens)]] -= 1
        removed = LexicalIndex(
            self.vocabulary, self.segments, self.doc_lengths, self.parameters, live, frequency
        )
        return removed._inheriting(self)

    def compacted(self) -> LexicalIndex:
        """One segment of the live rows only, and only the terms they use (a fresh build's form)."""
        width = len(self.vocabulary)
        matrix = sparse.vstack([_widened(m, width) for m in self.segments], format="csc")
        lengths = self.doc_lengths
        if self.live is not None:
            matrix, lengths = matrix[np.flatnonzero(self.live)], lengths[self.live]
        used = np.flatnonzero(self.document_frequency > 0)
        matrix = sparse.csc_matrix(matrix[:, used])
        matrix.sort_indices()
        terms = self.vocabulary.terms()
        return LexicalIndex(
            [terms[term_id] for term_id in used], [matrix], lengths, self.parameters
        )

    def _idf(self) -> Scores:
        """rank_bm25's IDF over the terms live documents use; negatives become epsilon x mean."""
        document_frequency = self.document_frequency.astype(np.float64)
        size = float(self.live_count)
        idf: Scores = np.log(size - document_frequency + 0.5) - np.log(document_frequency + 0.5)
        present = self.document_frequency > 0
        if not present.any():
            return idf
        floor = self.parameters.epsilon * float(idf[present].mean())
        return np.where(idf < 0, floor, idf).astype(np.float64)

    def _length_norm(self) -> Scores:
        k1, b = self.parameters.k1, self.parameters.b
        norm: Scores = k1 * (1 - b + b * self.doc_lengths.astype(np.float64) / self.average_length)
        return norm

    @property
    def average_length(self) -> float:
        """The average length of the live documents (1 when there are none, or all are empty)."""
        lengths = self.doc_lengths if self.live is None else self.doc_lengths[self.live]
        return (int(lengths.sum()) / self.live_count if self.live_count else 1.0) or 1.0

    def _weighted_terms(self, tokens: Sequence[str]) -> list[tuple[int, float]]:
        """The query's known terms as (term id, repeats x IDF): a term's part of a score is this
        weight times its term-frequency part in the document."""
        return [
            (term_id, repeats * float(self.idf[term_id]))
            for term, repeats in Counter(tokens).items()
            if (term_id := self.vocabulary.get(term)) is not None
        ]

    def _postings(self, tokens: Sequence[str]) -> tuple[Rows, Scores]:
        """Rows and per-term BM25 contributions of every posting of the query's terms."""
        return self._postings_of(self._weighted_terms(tokens))

    def _postings_of(self, query: Sequence[tuple[int, float]]) -> tuple[Rows, Scores]:
        all_rows: list[Rows] = []
        all_scores: list[Scores] = []
        for term_id, query_weight in query:
            for first_row, matrix in zip(self.first_rows, self.segments, strict=True):
                if term_id >= matrix.shape[1]:
                    continue
                rows, weight = self._term_weights(matrix, term_id, int(first_row))
                all_rows.append(rows)
                all_scores.append(query_weight * weight)
        if not all_rows:
            return np.empty(0, np.int64), np.empty(0, np.float64)
        return np.concatenate(all_rows), np.concatenate(all_scores)

    def _term_weights(
        self, matrix: sparse.csc_matrix, term_id: int, first_row: int
    ) -> tuple[Rows, Scores]:
        """The rows of one term's postings in one segment, and their BM25 term-frequency part."""
        start, end = matrix.indptr[term_id], matrix.indptr[term_id + 1]
        rows = matrix.indices[start:end].astype(np.int64) + first_row
        return rows, self._frequency_part(matrix.data[start:end], rows)

    def _frequency_part(self, frequency: npt.NDArray[Any], rows: Rows) -> Scores:
        """BM25's term-frequency factor, tf (k1 + 1) / (tf + k1 (1 - b + b len / avg len))."""
        frequency = frequency.astype(np.float64)
        weight: Scores = frequency * (self.parameters.k1 + 1) / (frequency + self.length_norm[rows])
        return weight

    def score_all(self, tokens: Sequence[str]) -> Scores:
        """The BM25 score of every row (0 where no query term occurs, and for deleted rows)."""
        rows, contributions = self._postings(tokens)
        scores = np.bincount(rows, weights=contributions, minlength=self.size).astype(np.float64)
        if self.live is not None:
            scores[~self.live] = 0.0
        return scores

    def top(
        self, tokens: Sequence[str], n: int, allowed: npt.NDArray[np.bool_] | None = None
    ) -> Ranking:
        """The `n` best live rows that contain at least one query term (and are `allowed`),
        with the mean and spread of the query's scores over every live row."""
        rows, contributions = self._postings(tokens)
        if len(rows) == 0:
            return Ranking(rows, contributions, 0.0, 0.0, lambda rows: np.zeros(len(rows)))
        scores = np.bincount(rows, weights=contributions, minlength=self.size)
        if self._all_positive:  # then a row's score is non-zero exactly when it holds a term
            matched = scores > 0
        else:
            matched = np.zeros(self.size, dtype=bool)
            matched[rows] = True
        if self.live is not None:
            matched &= self.live
        candidates = np.flatnonzero(matched).astype(np.int64)
        candidate_scores = scores[candidates].astype(np.float64)
        mean, std = self._spread(candidate_scores)
        if allowed is not None:
            keep = allowed[candidates]
            candidates, candidate_scores = candidates[keep], candidate_scores[keep]

        def score_rows(rows: Rows) -> Scores:
            return scores[rows].astype(np.float64)

        return Ranking(*top_n(candidates, candidate_scores, n), mean, std, score_rows)

    def _spread(self, matched_scores: Scores) -> tuple[float, float]:
        """Mean and standard deviation over all live rows, given the scores of the matched ones
        (every other live row scores 0)."""
        count = max(self.live_count, 1)
        mean = float(matched_scores.sum()) / count
        variance = float(np.dot(matched_scores, matched_scores)) / count - mean * mean
        return mean, max(variance, 0.0) ** 0.5

    def best(
        self, tokens: Sequence[str], n: int, allowed: npt.NDArray[np.bool_] | None = None
    ) -> Ranking:
        """The same top `n` as `top` (without the corpus-wide spread), scoring far fewer rows.

        Term at a time with early termination (MaxScore; Turtle & Flood 1995): terms are added
        in order of the most they can add to a score, heaviest first. Partial scores only grow,
        so the n-th best partial score is a floor for the n-th best final score. Once the terms
        left cannot add up to that floor, a paper that none of the added terms holds cannot
        make the top n, and the terms left are only looked up (binary search of their postings)
        for the papers that still can. A query at 1M papers then reads the postings of its rare
        terms, not the third of the corpus that its common terms hold.
        """
        query = self._weighted_terms(tokens)
        if not query or n <= 0 or not self._all_positive:
            found = self.top(tokens, n, allowed)
            return Ranking(found.rows, found.scores, score_rows=found.score_rows)
        bounds = np.array([weight * self._part_ceilings[term_id] for term_id, weight in query])
        heaviest_first = [query[i] for i in np.argsort(-bounds, kind="stable")]
        at_most = np.cumsum(np.sort(bounds))[::-1].tolist()  # [i]: what terms i.. can add
        with self._accumulators.lend() as partial:
            candidates = np.empty(0, np.int64)
            floor = 0.0
            added = 0
            while added < len(query) and floor <= at_most[added]:
                fresh = self._add_term(partial, heaviest_first[added])
                candidates = np.concatenate([candidates, self._usable(fresh, allowed)])
                floor = _nth_best(partial.values[candidates], n)
                added += 1
            candidates.sort()  # sorted lookups below are kinder to the cache
            scores = partial.values[candidates]
        for term, most in zip(heaviest_first[added:], at_most[added:], strict=True):
            hopeful = scores + most >= floor * (1 - 1e-9)  # (slack for rounding)
            candidates, scores = candidates[hopeful], scores[hopeful]
            scores = scores + self._scores_of(candidates, [term])
            floor = max(floor, _nth_best(scores, n))
        return Ranking(
            *top_n(candidates, scores, n),
            score_rows=lambda rows: self._scores_of(rows, query, live_only=True),
        )

    def _add_term(self, partial: Accumulator, term: tuple[int, float]) -> Rows:
        """Add one query term's parts to `partial`; returns the rows it reached first."""
        term_id, weight = term
        fresh: list[Rows] = []
        for first_row, matrix in zip(self.first_rows, self.segments, strict=True):
            if term_id < matrix.shape[1]:
                rows, part = self._term_weights(matrix, term_id, int(first_row))
                fresh.append(partial.add(rows, weight * part))
        return np.concatenate(fresh) if fresh else np.empty(0, np.int64)

    @functools.cached_property
    def _part_ceilings(self) -> Scores:
        """Per term, at least its largest term-frequency part in any row (`best` prunes with
        them). Read off every posting on first use; after a live change, derived from the
        previous index's instead: rescaled for the new average length and raised to the added
        segment's own, so adding papers never rereads the built postings."""
        part, width = self._frequency_part, len(self.vocabulary)
        if self._parent_ceilings is None:
            return largest_parts(self.segments, self.first_rows, part, width)
        parent, parent_average = self._parent_ceilings
        ceilings = np.zeros(width, np.float64)
        ceilings[: len(parent)] = rescaled(parent, parent_average, self.average_length)
        added = largest_parts(self.segments[1:], self.first_rows[1:], part, width)
        return np.maximum(ceilings, added)

    def _inheriting(self, parent: LexicalIndex) -> LexicalIndex:
        """This index, a live change of `parent`, set to derive its part ceilings from the
        parent's (when the parent has computed them)."""
        computed = parent.__dict__.get("_part_ceilings")
        if computed is not None:
            self._parent_ceilings = (computed, parent.average_length)
        return self

    def _scores_of(
        self, rows: Rows, query: Sequence[tuple[int, float]], live_only: bool = False
    ) -> Scores:
        """The query's exact BM25 scores of `rows`, each term looked up in its postings."""
        scores = np.zeros(len(rows), np.float64)
        for term_id, weight in query:
            frequency = self._frequencies(term_id, rows)
            found = np.flatnonzero(frequency)
            scores[found] += weight * self._frequency_part(frequency[found], rows[found])
        if live_only and self.live is not None:
            scores[~self.live[rows]] = 0.0
        return scores

    def _usable(self, rows: Rows, allowed: npt.NDArray[np.bool_] | None) -> Rows:
        """The `rows` that are live and allowed."""
        keep = np.ones(len(rows), bool) if self.live is None else self.live[rows]
        return rows[keep if allowed is None else keep & allowed[rows]]

    def terms_in_rows(self, tokens: Sequence[str], rows: Sequence[int]) -> list[list[str]]:
        """For each of `rows`, the distinct `tokens` its document contains: one binary search
        of each term's postings for all the rows at once."""
        wanted = np.asarray(rows, np.int64)
        present: list[list[str]] = [[] for _ in range(len(wanted))]
        for term in dict.fromkeys(tokens):
            term_id = self.vocabulary.get(term)
            if term_id is None:
                continue
            for index in np.flatnonzero(self._contains(term_id, wanted)):
                present[int(index)].append(term)
        return present

    def _contains(self, term_id: int, rows: Rows) -> npt.NDArray[np.bool_]:
        """Which of `rows` hold the term."""
        return self._frequencies(term_id, rows) > 0

    def _frequencies(self, term_id: int, rows: Rows) -> npt.NDArray[np.int64]:
        """How often each of `rows` holds the term (0: not at all), by binary search of its
        postings (sorted within each segment)."""
        frequencies = np.zeros(len(rows), dtype=np.int64)
        for first_row, matrix in zip(self.first_rows, self.segments, strict=True):
            if term_id >= matrix.shape[1]:
                continue
            start, end = matrix.indptr[term_id], matrix.indptr[term_id + 1]
            postings = matrix.indices[start:end]
            local = rows - int(first_row)
            inside = np.flatnonzero((local >= 0) & (local < matrix.shape[0]))
            if len(postings) == 0 or len(inside) == 0:
                continue
            targets = local[inside].astype(postings.dtype)
            positions = np.minimum(np.searchsorted(postings, targets), len(postings) - 1)
            hit = postings[positions] == targets
            frequencies[inside[hit]] = matrix.data[start:end][positions[hit]]
        return frequencies

    def save(self, folder: Path) -> list[str]:
        """Write the index files into `folder`; returns their names. Compacts first if needed."""
        index = self if len(self.segments) == 1 and self.live is None else self.compacted()
        (folder / VOCABULARY_FILE).write_text(
            json.dumps(index.vocabulary.terms()), encoding="utf-8"
        )
        matrix = index.segments[0]
        np.savez(
            folder / POSTINGS_FILE,
            indptr=matrix.indptr,
            rows=matrix.indices,
            term_frequencies=matrix.data,
            doc_lengths=index.doc_lengths,
        )
        return [VOCABULARY_FILE, POSTINGS_FILE]

    @classmethod
    def load(cls, folder: Path, parameters: BM25Parameters) -> LexicalIndex:
        vocabulary = json.loads((folder / VOCABULARY_FILE).read_text(encoding="utf-8"))
        with np.load(folder / POSTINGS_FILE, allow_pickle=False) as arrays:
            lengths = arrays["doc_lengths"]
            matrix = sparse.csc_matrix(
                (arrays["term_frequencies"], arrays["rows"], arrays["indptr"]),
                shape=(len(lengths), len(vocabulary)),
            )
        return cls(vocabulary, [matrix], lengths, parameters)


def _count_matrix(
    token_lists: Sequence[Sequence[str]], vocabulary: Vocabulary
) -> sparse.csc_matrix:
    """Term frequencies of `token_lists` (rows) over `vocabulary`, which holds all their terms."""
    rows: list[int] = []
    columns: list[int] = []
    counts: list[int] = []
    for row, tokens in enumerate(token_lists):
        for term, count in Counter(tokens).items():
            rows.append(row)
            columns.append(vocabulary[term])
            counts.append(count)
    shape = (len(token_lists), len(vocabulary))
    matrix = sparse.csc_matrix(
        (np.asarray(counts, np.int32), (np.asarray(rows, np.int64), np.asarray(columns, np.int64))),
        shape=shape,
    )
    matrix.sort_indices()
    return matrix


def _nth_best(scores: Scores, n: int) -> float:
    """The n-th highest of `scores` (0 when there are fewer)."""
    if len(scores) < n:
        return 0.0
    return float(np.partition(scores, len(scores) - n)[len(scores) - n])


def _lengths(token_lists: Sequence[Sequence[str]]) -> npt.NDArray[np.int64]:
    return np.fromiter((len(tokens) for tokens in token_lists), np.int64, len(token_lists))


def _widened(matrix: sparse.csc_matrix, width: int) -> sparse.csc_matrix:
    """`matrix` with empty columns appended up to `width` (terms it has never seen)."""
    extra = width - matrix.shape[1]
    if extra == 0:
        return matrix
    indptr = np.concatenate([matrix.indptr, np.full(extra, matrix.indptr[-1], matrix.indptr.dtype)])
    return sparse.csc_matrix((matrix.data, matrix.indices, indptr), shape=(matrix.shape[0], width))


def _column_counts(segments: Sequence[sparse.csc_matrix], width: int) -> npt.NDArray[np.int64]:
    """Documents per term over every row of `segments`."""
    counts = np.zeros(width, np.int64)
    for matrix in segments:
        counts[: matrix.shape[1]] += np.diff(matrix.indptr)
    return counts
