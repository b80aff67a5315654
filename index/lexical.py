"""BM25 over a sparse term-frequency matrix, scoring exactly as `rank_bm25.BM25Okapi`.

The postings live in a CSC matrix (documents x terms): the column of a term lists the rows that
contain it and how often. A query touches only the columns of its terms, so its cost grows with
the postings of those terms, never with a Python loop over the corpus. IDF, average length and the
per-document length norm are recomputed from the postings at load, so they are always exact.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse

from index.ranking import Rows, Scores, top_n

VOCABULARY_FILE = "lexical.vocabulary.json"
POSTINGS_FILE = "lexical.postings.npz"


@dataclass(frozen=True, slots=True)
class BM25Parameters:
    """BM25Okapi's constants, with rank_bm25's defaults."""

    k1: float = 1.5
    b: float = 0.75
    epsilon: float = 0.25

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class LexicalIndex:
    """Exact BM25Okapi scores from a term-frequency matrix."""

    def __init__(
        self,
        vocabulary: Sequence[str],
        term_frequencies: sparse.csc_matrix,
        doc_lengths: npt.NDArray[np.int64],
        parameters: BM25Parameters,
    ) -> None:
        self.vocabulary = list(vocabulary)
        self.term_ids = {term: index for index, term in enumerate(self.vocabulary)}
        self.term_frequencies = term_frequencies
        self.doc_lengths = doc_lengths
        self.parameters = parameters
        self.idf = self._idf()
        self.length_norm = self._length_norm()
        self._all_positive = bool(len(self.idf) == 0 or self.idf.min() > 0)

    @property
    def size(self) -> int:
        return int(self.term_frequencies.shape[0])

    @classmethod
    def build(
        cls, token_lists: Sequence[Sequence[str]], parameters: BM25Parameters
    ) -> LexicalIndex:
        """Index tokenized documents; row i of the index is `token_lists[i]`."""
        term_ids: dict[str, int] = {}
        rows: list[int] = []
        columns: list[int] = []
        counts: list[int] = []
        for row, tokens in enumerate(token_lists):
            for term, count in Counter(tokens).items():
                rows.append(row)
                columns.append(term_ids.setdefault(term, len(term_ids)))
                counts.append(count)
        shape = (len(token_lists), len(term_ids))
        matrix = sparse.csc_matrix(
            (np.asarray(counts, np.int32), (np.asarray(rows), np.asarray(columns))), shape=shape
        )
        matrix.sort_indices()
        lengths = np.fromiter((len(tokens) for tokens in token_lists), np.int64, len(token_lists))
        return cls(list(term_ids), matrix, lengths, parameters)

    def _idf(self) -> Scores:
        """rank_bm25's IDF: negative values are replaced by epsilon x the mean IDF."""
        document_frequency = np.diff(self.term_frequencies.indptr).astype(np.float64)
        size = float(self.size)
        idf: Scores = np.log(size - document_frequency + 0.5) - np.log(document_frequency + 0.5)
        if len(idf) == 0:
            return idf
        floor = self.parameters.epsilon * (math.fsum(idf.tolist()) / len(idf))
        return np.where(idf < 0, floor, idf).astype(np.float64)

    def _length_norm(self) -> Scores:
        k1, b = self.parameters.k1, self.parameters.b
        total = int(self.doc_lengths.sum())
        average = total / self.size if self.size else 1.0
        norm: Scores = k1 * (1 - b + b * self.doc_lengths.astype(np.float64) / (average or 1.0))
        return norm

    def _postings(self, tokens: Sequence[str]) -> tuple[Rows, Scores]:
        """Rows and per-term BM25 contributions of every posting of the query's terms."""
        k1 = self.parameters.k1
        indptr, indices, data = (
            self.term_frequencies.indptr,
            self.term_frequencies.indices,
            self.term_frequencies.data,
        )
        all_rows: list[Rows] = []
        all_scores: list[Scores] = []
        for term, repeats in Counter(tokens).items():
            term_id = self.term_ids.get(term)
            if term_id is None:
                continue
            start, end = indptr[term_id], indptr[term_id + 1]
            rows = indices[start:end].astype(np.int64)
            frequency = data[start:end].astype(np.float64)
            weight = frequency * (k1 + 1) / (frequency + self.length_norm[rows])
            all_rows.append(rows)
            all_scores.append(repeats * self.idf[term_id] * weight)
        if not all_rows:
            return np.empty(0, np.int64), np.empty(0, np.float64)
        return np.concatenate(all_rows), np.concatenate(all_scores)

    def score_all(self, tokens: Sequence[str]) -> Scores:
        """The BM25 score of every document (0 where no query term occurs)."""
        rows, contributions = self._postings(tokens)
        return np.bincount(rows, weights=contributions, minlength=self.size).astype(np.float64)

    def top(
        self, tokens: Sequence[str], n: int, allowed: npt.NDArray[np.bool_] | None = None
    ) -> tuple[Rows, Scores]:
        """The `n` best rows that contain at least one query term (and are `allowed`)."""
        rows, contributions = self._postings(tokens)
        if len(rows) == 0:
            return rows, contributions
        scores = np.bincount(rows, weights=contributions, minlength=self.size)
        if self._all_positive:  # then a row's score is non-zero exactly when it holds a term
            matched = scores > 0
        else:
            matched = np.zeros(self.size, dtype=bool)
            matched[rows] = True
        if allowed is not None:
            matched &= allowed
        candidates = np.flatnonzero(matched).astype(np.int64)
        return top_n(candidates, scores[candidates].astype(np.float64), n)

    def terms_in_row(self, tokens: Sequence[str], row: int) -> list[str]:
        """The distinct `tokens` that occur in document `row` (binary search in each posting)."""
        indptr, indices = self.term_frequencies.indptr, self.term_frequencies.indices
        present = []
        for term in dict.fromkeys(tokens):
            term_id = self.term_ids.get(term)
            if term_id is None:
                continue
            rows = indices[indptr[term_id] : indptr[term_id + 1]]
            position = int(np.searchsorted(rows, rows.dtype.type(row)))  # same dtype: no copy
            if position < len(rows) and rows[position] == row:
                present.append(term)
        return present

    def save(self, folder: Path) -> list[str]:
        """Write the index files into `folder`; returns their names."""
        (folder / VOCABULARY_FILE).write_text(json.dumps(self.vocabulary), encoding="utf-8")
        matrix = self.term_frequencies
        np.savez(
            folder / POSTINGS_FILE,
            indptr=matrix.indptr,
            rows=matrix.indices,
            term_frequencies=matrix.data,
            doc_lengths=self.doc_lengths,
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
        return cls(vocabulary, matrix, lengths, parameters)
