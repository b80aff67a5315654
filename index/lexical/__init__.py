"""BM25 over a sparse term-document matrix: tokenizer, formula, live overlay, search."""
