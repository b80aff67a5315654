"""Build and persist papersift indexes: papers, tokenizer, encoder, lexical and dense parts."""

__version__ = "0.1.0"
