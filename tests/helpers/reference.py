"""Reference implementations that fast paths are tested against."""

from __future__ import annotations

from rank_bm25 import BM25Okapi

from papersift.index.lexical import BM25Parameters


def okapi(token_lists: list[list[str]], parameters: BM25Parameters) -> BM25Okapi:
    """The reference scorer with the same constants."""
    return BM25Okapi(token_lists, k1=parameters.k1, b=parameters.b, epsilon=parameters.epsilon)
