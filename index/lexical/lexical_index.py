"""BM25 over sparse term-frequency matrices, scoring exactly as `rank_bm25.BM25Okapi`.

The postings live in CSC matrices (documents x terms): the column of a term lists the rows that
contain it and how often. A query touches only the columns of its terms, so its cost grows with
the postings of those terms, never with a Python loop over the corpus. IDF, average length and the
per-document length norm are recomputed from the postings at load, so they are always exact.

This module holds the index's state and how live changes derive a new one. The formula is in
`bm25`, the searches in `exhaustive` and `pruned`, row lookups in `lookups`, the files in `files`.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse

from papersift.index.lexical import bm25, exhaustive, files, lookups, pruned
from papersift.index.lexical.accumulators import AccumulatorPool
from papersift.index.lexical.bm25 import BM25Parameters
from papersift.index.lexical.matrices import column_counts, count_matrix, lengths, widened
from papersift.index.lexical.vocabulary import Vocabulary
from papersift.index.ranking import Ranking, Rows, Scores

WeightedTerms = Sequence[tuple[int, float]]  # (term id, repeats in the query x IDF)
Allowed = npt.NDArray[np.bool_] | None


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
            else column_counts(self.segments, len(self.vocabulary))
        )
        self.live_count = self.size if live is None else int(live.sum())
        self.idf = bm25.inverse_document_frequency(
            self.document_frequency, self.live_count, parameters.epsilon
        )
        self.length_norm = bm25.length_norm(self.doc_lengths, self.average_length, parameters)
        present = self.document_frequency > 0
        self.all_positive = bool(not present.any() or self.idf[present].min() > 0)
        self.accumulators = AccumulatorPool(self.size)
        self._parent_ceilings: tuple[Scores, float] | None = None  # see `_inheriting`

    @property
    def size(self) -> int:
        """Rows, deleted ones included (row numbers are stable until compaction)."""
        return int(self.doc_lengths.shape[0])

    @property
    def average_length(self) -> float:
        """The average length of the live documents (1 when there are none, or all are empty)."""
        live_lengths = self.doc_lengths if self.live is None else self.doc_lengths[self.live]
        return (int(live_lengths.sum()) / self.live_count if self.live_count else 1.0) or 1.0

    @classmethod
    def build(
        cls, token_lists: Sequence[Sequence[str]], parameters: BM25Parameters
    ) -> LexicalIndex:
        """Index tokenized documents; row i of the index is `token_lists[i]`."""
        vocabulary = Vocabulary([]).extended(token_lists)
        matrix = count_matrix(token_lists, vocabulary)
        return cls(vocabulary.terms(), [matrix], lengths(token_lists), parameters)

    def with_added(self, token_lists: Sequence[Sequence[str]]) -> LexicalIndex:
        """A new index with `token_lists` appended as rows `size`, `size + 1`, ..."""
        vocabulary = self.vocabulary.extended(token_lists)
        batch = count_matrix(token_lists, vocabulary)
        width = len(vocabulary)
        added = [widened(m, width) for m in self.segments[1:]] + [batch]
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
        doc_lengths = np.concatenate([self.doc_lengths, lengths(token_lists)])
        grown = LexicalIndex(vocabulary, segments, doc_lengths, self.parameters, live, frequency)
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
        matrix = sparse.vstack([widened(m, width) for m in self.segments], format="csc")
        doc_lengths = self.doc_lengths
        if self.live is not None:
            matrix, doc_lengths = matrix[np.flatnonzero(self.live)], doc_lengths[self.live]
        used = np.flatnonzero(self.document_frequency > 0)
        matrix = sparse.csc_matrix(matrix[:, used])
        matrix.sort_indices()
        terms = self.vocabulary.terms()
        return LexicalIndex(
            [terms[term_id] for term_id in used], [matrix], doc_lengths, self.parameters
        )

    def weighted_terms(self, tokens: Sequence[str]) -> list[tuple[int, float]]:
        """The query's known terms as (term id, repeats x IDF): a term's part of a score is this
        weight times its term-frequency part in the document."""
        return [
            (term_id, repeats * float(self.idf[term_id]))
            for term, repeats in Counter(tokens).items()
            if (term_id := self.vocabulary.get(term)) is not None
        ]

    def term_parts(
        self, matrix: sparse.csc_matrix, term_id: int, first_row: int
    ) -> tuple[Rows, Scores]:
        """The rows of one term's postings in one segment, and their term-frequency parts."""
        start, end = matrix.indptr[term_id], matrix.indptr[term_id + 1]
        rows = matrix.indices[start:end].astype(np.int64) + first_row
        return rows, self.frequency_part(matrix.data[start:end], rows)

    def frequency_part(self, frequency: npt.NDArray[Any], rows: Rows) -> Scores:
        """BM25's term-frequency part of these frequencies in these rows."""
        return bm25.frequency_part(frequency, self.length_norm[rows], self.parameters.k1)

    def score_all(self, tokens: Sequence[str]) -> Scores:
        """The BM25 score of every row (0 where no query term occurs, and for deleted rows)."""
        return exhaustive.score_all(self, tokens)

    def top(self, tokens: Sequence[str], n: int, allowed: Allowed = None) -> Ranking:
        """The `n` best rows, with the spread of the query's scores over the whole corpus."""
        return exhaustive.top(self, tokens, n, allowed)

    def best(self, tokens: Sequence[str], n: int, allowed: Allowed = None) -> Ranking:
        """The same top `n` as `top` (without the corpus-wide spread), scoring far fewer rows."""
        return pruned.best(self, tokens, n, allowed)

    def terms_in_rows(self, tokens: Sequence[str], rows: Sequence[int]) -> list[list[str]]:
        """For each of `rows`, the distinct `tokens` its document contains."""
        return lookups.terms_in_rows(self, tokens, rows)

    @functools.cached_property
    def part_ceilings(self) -> Scores:
        """Per term, at least its largest term-frequency part in any row (see `pruned`)."""
        return pruned.part_ceilings(self, self._parent_ceilings)

    def _inheriting(self, parent: LexicalIndex) -> LexicalIndex:
        """This index, a live change of `parent`, set to derive its part ceilings from the
        parent's (when the parent has computed them)."""
        computed = parent.__dict__.get("part_ceilings")
        if computed is not None:
            self._parent_ceilings = (computed, parent.average_length)
        return self

    def save(self, folder: Path) -> list[str]:
        """Write the index files into `folder`; returns their names."""
        return files.save(self, folder)

    @classmethod
    def load(cls, folder: Path, parameters: BM25Parameters) -> LexicalIndex:
        return files.load(folder, parameters)
