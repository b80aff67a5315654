"""The lexical index on disk: its vocabulary (JSON) and one postings matrix (npz)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

from papersift.index.lexical.bm25 import BM25Parameters

if TYPE_CHECKING:
    from papersift.index.lexical.lexical_index import LexicalIndex

VOCABULARY_FILE = "lexical.vocabulary.json"
POSTINGS_FILE = "lexical.postings.npz"


def save(index: LexicalIndex, folder: Path) -> list[str]:
    """Write the index files into `folder`; returns their names. Compacts first if needed."""
    if len(index.segments) != 1 or index.live is not None:
        index = index.compacted()
    (folder / VOCABULARY_FILE).write_text(json.dumps(index.vocabulary.terms()), encoding="utf-8")
    matrix = index.segments[0]
    np.savez(
        folder / POSTINGS_FILE,
        indptr=matrix.indptr,
        rows=matrix.indices,
        term_frequencies=matrix.data,
        doc_lengths=index.doc_lengths,
    )
    return [VOCABULARY_FILE, POSTINGS_FILE]


def load(folder: Path, parameters: BM25Parameters) -> LexicalIndex:
    from papersift.index.lexical.lexical_index import LexicalIndex

    vocabulary = json.loads((folder / VOCABULARY_FILE).read_text(encoding="utf-8"))
    with np.load(folder / POSTINGS_FILE, allow_pickle=False) as arrays:
        lengths = arrays["doc_lengths"]
        matrix = sparse.csc_matrix(
            (arrays["term_frequencies"], arrays["rows"], arrays["indptr"]),
            shape=(len(lengths), len(vocabulary)),
        )
    return LexicalIndex(vocabulary, [matrix], lengths, parameters)
