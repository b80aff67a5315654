"""BM25 over a sparse term-document matrix: tokenizer, formula, live overlay, search."""

from papersift.index.lexical.bm25 import BM25Parameters
from papersift.index.lexical.lexical_index import LexicalIndex

__all__ = ["BM25Parameters", "LexicalIndex"]
