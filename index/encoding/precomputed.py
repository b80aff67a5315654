"""Embeddings made before (the demo corpus ships its own), used only once a few of them, made
again now with the index's encoder, agree with them.

They may be stored as int8 codes: a unit vector scaled so that the corpus's largest component is
127, rounded. Only the direction matters, so rows are normalised again when read (cosine with
the original above 0.9998 for MiniLM vectors: a quarter of float32's bytes)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from papersift.index.cue.threshold import CueThreshold
from papersift.index.encoding.encoder import BUNDLED_NAMES, Encoder

logger = logging.getLogger(__name__)

Vectors = npt.NDArray[np.float32]
SPOT_CHECKS = 8  # rows re-encoded, spread over the corpus
AGREEMENT = 0.999  # least cosine between a stored and a fresh embedding (int8 keeps ~0.9999)


@dataclass(frozen=True)
class Precomputed:
    """Embeddings of a corpus's texts, row for row, made by `model`; with the match cue's
    threshold calibrated on them (`cue`), a build that uses them encodes no titles either."""

    vectors: npt.NDArray[np.floating]
    model: str
    cue: CueThreshold | None = None

    def checked(self, texts: list[str], encoder: Encoder) -> Vectors | None:
        """The embeddings as float32 when they fit `texts` and `encoder`; None when they do not
        (other rows, another model, or vectors that a fresh encoding disagrees with)."""
        if len(self.vectors) != len(texts) or not _same_model(self.model, encoder.name):
            logger.warning("precomputed embeddings do not fit (rows or model): encoding anew")
            return None
        if self.vectors.shape[1] != encoder.dimension:
            return None
        rows = np.linspace(0, len(texts) - 1, min(SPOT_CHECKS, len(texts))).astype(int)
        fresh = encoder.encode_documents([texts[row] for row in rows])
        stored = _unit(self.vectors[rows])
        agreement = float((fresh * stored).sum(axis=1).min())
        if agreement < AGREEMENT:
            logger.warning("precomputed embeddings disagree (cosine %.4f): encoding", agreement)
            return None
        return _unit(self.vectors)


def int8_codes(vectors: npt.NDArray[np.floating]) -> npt.NDArray[np.int8]:
    """Unit vectors as int8 codes (their directions; `Precomputed` normalises them again)."""
    scale = 127 / float(np.abs(vectors).max())
    return np.round(vectors.astype(np.float32) * scale).astype(np.int8)


def _unit(vectors: npt.NDArray[np.generic]) -> Vectors:
    """Rows as float32 unit vectors."""
    unit = np.ascontiguousarray(vectors, dtype=np.float32)
    unit /= np.linalg.norm(unit, axis=1, keepdims=True)
    return unit


def _same_model(first: str, second: str) -> bool:
    return first == second or {first, second} <= BUNDLED_NAMES
