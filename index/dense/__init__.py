"""Dense retrieval: embeddings in FAISS, their moments, the live overlay."""

from papersift.index.dense.dense_index import DenseIndex, DenseKind, DenseSettings

__all__ = ["DenseIndex", "DenseKind", "DenseSettings"]
