"""The BM25 formula, exactly as `rank_bm25.BM25Okapi` computes it: the one place to change it.

    score(d, q) = sum over the query's terms t of idf(t) x part(t, d)
    part(t, d)  = tf (k1 + 1) / (tf + norm(d)),   norm(d) = k1 (1 - b + b |d| / avg |d|)
    idf(t)      = ln(N - df + 0.5) - ln(df + 0.5); a negative idf becomes epsilon x the mean idf

N counts live documents only, and avg |d| their mean length, so an index with live changes
scores exactly like a fresh build of the same papers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

Scores = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class BM25Parameters:
    """BM25Okapi's constants: rank_bm25's defaults, but k1 1.2 (chosen on SciFact train)."""

    k1: float = 1.2
    b: float = 0.75
    epsilon: float = 0.25

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def inverse_document_frequency(
    document_frequency: npt.NDArray[np.int64], documents: int, epsilon: float
) -> Scores:
    """Per term, rank_bm25's IDF over `documents` documents; negatives become epsilon x the mean
    IDF of the terms the documents use."""
    frequency = document_frequency.astype(np.float64)
    idf: Scores = np.log(documents - frequency + 0.5) - np.log(frequency + 0.5)
    present = document_frequency > 0
    if not present.any():
        return idf
    floor = epsilon * float(idf[present].mean())
    return np.where(idf < 0, floor, idf).astype(np.float64)


def length_norm(
    doc_lengths: npt.NDArray[np.int64], average_length: float, parameters: BM25Parameters
) -> Scores:
    """Per document, k1 (1 - b + b |d| / avg |d|)."""
    k1, b = parameters.k1, parameters.b
    norm: Scores = k1 * (1 - b + b * doc_lengths.astype(np.float64) / average_length)
    return norm


def frequency_part(frequency: npt.NDArray[Any], norm: Scores, k1: float) -> Scores:
    """The term-frequency factor tf (k1 + 1) / (tf + norm) of documents with these norms."""
    tf = frequency.astype(np.float64)
    part: Scores = tf * (k1 + 1) / (tf + norm)
    return part
