"""Build and persist papersift indexes: papers, tokenizer, encoder, lexical and dense indexes, store."""

__version__ = "0.1.0"
